"""Sealed statements: bids and withdrawals leave no trace in the public log before the deadline.

A sealed statement is canonical JSON, like a ledger entry but without a sequence number::

    {"v": 1, "kind": "BID_SUBMITTED", "subject": "tender:…", "time": "<UTC, database clock>",
     "actor": "user:<uuid>" | null, "sealed_until": "<UTC>", "payload": {...}}

1. **Signed at once.** ``record_sealed`` stores it (private) in the caller's transaction; the
   receipt key signs its exact bytes: the platform's promise to merge it into the log.
2. **Merged by cadence.** Every ``LEDGER_BATCH_SECONDS`` (and at every closing) ``seal_batch``
   appends exactly one public ``SEALED_BATCH {"depth", "root"}`` entry, whether no statement or
   many came: the root of a perfect Merkle tree (RFC 9162 hashing) of 2^depth slots (depth 10,
   more only past 1,024 statements in one cadence), each pending statement's leaf hash at a
   random slot and every other slot a pad, SHA-256("minhbach/pad" ‖ secret ‖ u64 slot) with a
   fresh secret the platform never publishes. An observer sees one entry per cadence, always
   the same shape: not how many bids came, nor when within the cadence.
3. **Revealed at closing.** ``reveal_sealed`` (called by the closing, after a last batch) turns
   each of the subject's statements, in statement time order, into a public entry of its own
   kind whose payload is ``{"statement": <the exact text>, "batch_seq", "slot", "path"}``:
   ``path`` (hex, leaf to root) proves the statement was in that batch, which the log holds
   before the closing entry.

Receipts (``sealed_receipt``) carry the signed statement at once, and the batch, its path, a
checkpoint and the batch entry's inclusion proof once the cadence has merged it and a
checkpoint covers it; the bidder asks again for the completed receipt (docs/envelope.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from django.conf import settings
from django.db import connection, transaction

from procurement import ledger, rows
from procurement.clock import db_now
from procurement.crypto import entrykinds, rfc9162
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import LedgerError
from procurement.keys import ledger_verifier_key, receipt_signing_key, receipt_verifier_key
from procurement.models import Checkpoint, LedgerEntry, SealedBatch, SealedStatement, User

BATCH_DEPTH = 10
PAD_LABEL = b"minhbach/pad"


def _pad(secret: bytes, slot: int) -> bytes:
    return hashlib.sha256(PAD_LABEL + secret + slot.to_bytes(8, "big")).digest()


def record_sealed(
    kind: str, subject, payload: dict, *, actor: User | None, sealed_until, at=None
) -> SealedStatement:
    """Store a sealed statement in the caller's transaction; its time is the database clock
    (``at``: a reading of it the caller already took in this transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("record_sealed must be called inside the service's transaction")
    if not ledger.KIND_RE.match(kind) or not isinstance(payload, dict):
        raise LedgerError(f"invalid sealed statement {kind!r}")
    try:
        declared = entrykinds.check(kind, payload)
    except entrykinds.EntryKindError as exc:
        raise LedgerError(str(exc)) from None
    if declared.visibility != "sealed":
        raise LedgerError(f"{kind} is not a sealed statement (procurement/crypto/entrykinds.py)")
    subject_text = ledger._subject_of(subject)
    now = at if at is not None else db_now()
    canonical = canonical_json(
        {
            "v": 1,
            "kind": kind,
            "subject": subject_text,
            "time": ledger._iso(now),
            "actor": ledger._actor_of(actor),
            "sealed_until": ledger._iso(sealed_until),
            "payload": payload,
        }
    )
    statement = SealedStatement(
        canonical=canonical,
        leaf_hash=rfc9162.leaf_hash(canonical),
        kind=kind,
        subject=subject_text,
        recorded_at=now,
    )
    return rows.insert(statement)  # on the submission's hot path: no query compilation


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([rfc9162.node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)])
    return levels


def _batch_of(statement: SealedStatement) -> SealedBatch:
    if statement.batch is None:
        raise LedgerError(f"sealed statement {statement.pk} is in no batch yet")
    return statement.batch


def _batch_leaves(batch: SealedBatch) -> list[bytes]:
    secret = bytes(batch.secret)
    leaves = [_pad(secret, slot) for slot in range(1 << batch.depth)]
    for slot, leaf in SealedStatement.objects.filter(batch=batch).values_list("slot", "leaf_hash"):
        if slot is None:  # set with the batch, in one statement (seal_batch)
            raise LedgerError(f"a statement of batch {batch.seq} has no slot")
        leaves[slot] = bytes(leaf)
    return leaves


def batch_path(statement: SealedStatement, levels: list[list[bytes]] | None = None) -> list[bytes]:
    """The statement's siblings from its leaf up to the batch root (``levels``: the batch's
    tree, when the caller already built it for another statement of the same batch)."""
    index, path = statement.slot, []
    if index is None:
        raise LedgerError(f"sealed statement {statement.pk} is in no batch yet")
    levels = levels or _levels(_batch_leaves(_batch_of(statement)))
    for level in levels[:-1]:
        path.append(level[index ^ 1])
        index >>= 1
    return path


def seal_batch() -> SealedBatch:
    """Append one SEALED_BATCH entry holding every pending statement (none is fine: the log
    must grow the same way either way). Serialised with every append by the ledger head."""
    with transaction.atomic():
        # Entries deferred before it come first, in the same write.
        head, now, appended, kinds = ledger._open_append()
        pending = list(
            SealedStatement.objects.select_for_update()
            .filter(batch__isnull=True)
            .order_by("id")
            .values_list("id", "leaf_hash")
        )
        depth = max(BATCH_DEPTH, (len(pending) - 1).bit_length())
        secret = os.urandom(32)
        slots = secrets.SystemRandom().sample(range(1 << depth), len(pending))
        leaves = [_pad(secret, slot) for slot in range(1 << depth)]
        for (_id, leaf), slot in zip(pending, slots, strict=True):
            leaves[slot] = bytes(leaf)
        root = _levels(leaves)[-1][0]
        appended.write(head)
        ledger._project_after_commit(kinds)
        entry = ledger._append(
            head, now, "SEALED_BATCH", "ledger", {"depth": depth, "root": root.hex()}, None, None
        )
        batch = SealedBatch.objects.create(seq=entry.seq, depth=depth, secret=secret, root=root)
        _assign(batch, [(pk, slot) for (pk, _leaf), slot in zip(pending, slots, strict=True)])
    return batch


def _assign(batch: SealedBatch, slots: list[tuple[int, int]]) -> None:
    """Put the statements in the batch at their slots: one UPDATE per thousand, under the head
    lock (a VALUES list as a common table expression: PostgreSQL and SQLite alike)."""
    table = SealedStatement._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(slots), 1000):
            part = slots[start : start + 1000]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"WITH v(id, slot) AS (VALUES {values}) "  # noqa: S608 - no user input
                f"UPDATE {table} SET batch_id = %s, "
                f"slot = (SELECT v.slot FROM v WHERE v.id = {table}.id) "
                f"WHERE id IN (SELECT v.id FROM v)",
                [*[n for pair in part for n in pair], batch.seq],
            )


def tick() -> int:
    """The ledger's cadence: the deferred entries a crash left pending, one sealed batch, then a
    checkpoint covering them."""
    ledger.append_pending()
    batch = seal_batch()
    ledger.make_checkpoint()
    return batch.seq


def reveal_sealed(subject) -> dict[int, LedgerEntry]:
    """Make every statement of ``subject`` public, each as an entry of its own kind, in
    statement order; returns ``{statement id: entry}``. Runs in the caller's transaction
    (the closing), after a last batch so that every statement has one."""
    subject_text = ledger._subject_of(subject)
    if SealedStatement.objects.filter(subject=subject_text, batch__isnull=True).exists():
        seal_batch()
    statements = (
        SealedStatement.objects.select_for_update(of=("self",))
        .filter(subject=subject_text, revealed_seq__isnull=True)
        .select_related("batch")
        .order_by("recorded_at", "id")
    )
    revealed, trees = {}, {}
    for statement in statements:
        if statement.batch_id not in trees:  # one tree per batch, however many bids it holds
            trees[statement.batch_id] = _levels(_batch_leaves(_batch_of(statement)))
        entry = ledger.record_event(
            statement.kind,
            subject_text,
            {
                "statement": bytes(statement.canonical).decode("utf-8"),
                "batch_seq": statement.batch_id,
                "slot": statement.slot,
                "path": [p.hex() for p in batch_path(statement, trees[statement.batch_id])],
            },
            actor=None,
        )
        statement.revealed_seq = entry.seq
        statement.save(update_fields=["revealed_seq"])
        revealed[statement.pk] = entry
    return revealed


def sealed_receipt(statement: SealedStatement) -> dict:
    """The receipt for a sealed statement: the signed statement at once (a promise to merge it
    within LEDGER_BATCH_SECONDS), and the batch proof once a checkpoint covers its batch.
    Never signs a checkpoint itself: checkpoints come at the cadence, so a receipt reveals no
    time to anyone watching the log."""
    canonical = bytes(statement.canonical)
    receipt = {
        "v": 2,
        "statement": canonical.decode("utf-8"),
        "leaf_hash": bytes(statement.leaf_hash).hex(),
        "receipt_sig": base64.b64encode(receipt_signing_key().sign(canonical)).decode(),
        "receipt_key": receipt_verifier_key(),
        "log_key": ledger_verifier_key(),
        "merge_within_seconds": settings.LEDGER_BATCH_SECONDS,
        "batch": None,
        "checkpoint": None,
        "inclusion_proof": None,
        "revealed_seq": statement.revealed_seq,
    }
    return complete_receipt(statement, receipt)


def complete_receipt(statement: SealedStatement, receipt: dict) -> dict:
    """Add the batch proof to a receipt once its batch is under a checkpoint."""
    receipt = dict(receipt, revealed_seq=statement.revealed_seq)
    if receipt.get("checkpoint") or statement.batch_id is None:
        return receipt
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    if checkpoint is None or checkpoint.tree_size <= statement.batch_id:
        return receipt
    batch_entry = ledger.get_entry(statement.batch_id)
    receipt["batch"] = {
        "seq": statement.batch_id,
        "depth": _batch_of(statement).depth,
        "slot": statement.slot,
        "path": [base64.b64encode(p).decode() for p in batch_path(statement)],
        "entry": bytes(batch_entry.canonical).decode("utf-8"),
    }
    receipt["checkpoint"] = checkpoint.note
    receipt["inclusion_proof"] = [
        base64.b64encode(p).decode()
        for p in ledger.inclusion_proof(statement.batch_id, checkpoint.tree_size)
    ]
    return receipt
