"""Proofs for sealed statements (bids, withdrawals): pure, for the verifier and the platform.

A sealed statement is merged into the public log inside a ``SEALED_BATCH`` entry, whose payload
``{"depth", "root"}`` is the root of a perfect Merkle tree of 2^depth slots hashed as RFC 9162
(leaf = SHA-256(0x00 ‖ statement), node = SHA-256(0x01 ‖ left ‖ right)). A statement's proof is
its slot and the sibling hashes from its leaf up; ``root_from_path`` recomputes the root.

A receipt of version 2 (docs/envelope.md, "The receipt") is::

    {"v": 2, "statement": <exact text>, "leaf_hash": hex, "receipt_sig": base64 Ed25519,
     "receipt_key", "log_key", "merge_within_seconds",
     "batch": null | {"seq", "depth", "slot", "path": [base64], "entry": <batch entry text>},
     "checkpoint": null | <signed note>, "inclusion_proof": null | [base64],
     "revealed_seq": null | n}

Before its batch is merged and checkpointed, only the signature can be checked: it is the
platform's signed promise. Afterwards the whole chain: statement → batch root → batch entry →
signed checkpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from cryptography.exceptions import InvalidSignature

from procurement.crypto import entrykinds, rfc9162, signednote


def root_from_path(leaf: bytes, slot: int, path: list[bytes]) -> bytes:
    """The batch root from a leaf hash, its slot and its siblings (leaf level first)."""
    if slot < 0 or slot >> len(path):
        raise ValueError("the slot is outside the batch")
    node = leaf
    for sibling in path:
        node = rfc9162.node_hash(sibling, node) if slot & 1 else rfc9162.node_hash(node, sibling)
        slot >>= 1
    return node


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_batch_membership(statement: bytes, slot: int, path: list[bytes], batch: dict) -> None:
    """Raise ValueError unless ``statement`` is at ``slot`` of the batch entry ``batch`` (the
    parsed SEALED_BATCH entry) and was made no later than the batch."""
    if batch.get("kind") != entrykinds.SEALED_BATCH:
        raise ValueError("the batch entry is not a SEALED_BATCH entry")
    payload = batch.get("payload") or {}
    if payload.get("depth") != len(path):
        raise ValueError("the path's length is not the batch's depth")
    root = root_from_path(rfc9162.leaf_hash(statement), slot, path)
    if root.hex() != payload.get("root"):
        raise ValueError("the statement is not in the batch (its path gives another root)")
    if _time(json.loads(statement)["time"]) > _time(batch["time"]):
        raise ValueError("the statement is dated after the batch that holds it")


def check_sealed_receipt(
    receipt: dict,
    verifier: signednote.Verifier,
    origin: str | None,
    report,
    receipt_verifier: signednote.Verifier | None = None,
) -> None:
    """Check a version 2 receipt; ``report`` has ``ok(text)`` and ``fail(text)``."""
    try:
        raw = receipt["statement"].encode("utf-8")
        statement = json.loads(raw)
        leaf = rfc9162.leaf_hash(raw)
        if receipt.get("leaf_hash") not in (None, leaf.hex()):
            report.fail("the receipt's leaf hash is not the statement's")
            return
        if receipt_verifier is not None:
            signature = base64.b64decode(receipt["receipt_sig"], validate=True)
            try:
                receipt_verifier.public_key.verify(signature, raw)
            except InvalidSignature:
                report.fail("the receipt signature is not the platform's receipt key's")
                return
            report.ok(
                f"{statement.get('kind')} of {statement.get('time')} is signed by "
                f"{receipt_verifier.name} (the platform's promise to merge it)"
            )
        batch = receipt.get("batch")
        if not batch:
            report.ok(
                "not yet merged: ask for the completed receipt after "
                f"{receipt.get('merge_within_seconds')} s (My bids, or the bid's API)"
            )
            return
        entry_raw = batch["entry"].encode("utf-8")
        entry = json.loads(entry_raw)
        if entry.get("seq") != batch["seq"]:
            report.fail(f"the batch entry claims sequence {entry.get('seq')}, not {batch['seq']}")
            return
        path = [base64.b64decode(p, validate=True) for p in batch["path"]]
        check_batch_membership(raw, batch["slot"], path, entry)
        report.ok(f"the statement is in sealed batch {batch['seq']} (slot {batch['slot']})")
        checkpoint = signednote.open_checkpoint(receipt["checkpoint"], verifier, origin)
        report.ok(f"receipt's checkpoint is signed by {verifier.name} (size {checkpoint.size})")
        proof = [base64.b64decode(p, validate=True) for p in receipt["inclusion_proof"]]
        rfc9162.verify_inclusion(
            batch["seq"], checkpoint.size, rfc9162.leaf_hash(entry_raw), proof, checkpoint.root
        )
        report.ok(f"batch entry {batch['seq']} is included in the signed tree")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # ProofError and NoteError are ValueErrors: a receipt that does not verify.
        report.fail(f"receipt: {exc}")
