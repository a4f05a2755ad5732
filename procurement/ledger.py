"""The public ledger: the one way to write the platform's audit trail, and its proofs.

Every service that changes something records its entry inside its own transaction: with
``record_event``, appended at once under the lock of the log's head, when its rows keep the
entry's ``seq`` or its answer is the entry's receipt; otherwise with ``defer_event``, appended
by the sequencer right after the commit ("The sequencer", below). An entry is canonical JSON::

    {"v": 1, "seq": n, "time": "<UTC from the database clock>", "kind": "TENDER_PUBLISHED",
     "subject": "tender:T-2026-0042", "actor": "user:<uuid>" | null,
     "sealed_until": "<UTC>" | null, "payload": {...}}

Its leaf hash SHA-256(0x00 ‖ bytes) goes into an RFC 9162 Merkle tree whose perfect subtrees
are stored, so roots and proofs cost O(log² n) reads done in one query. Signed checkpoints in the
C2SP format commit to (size, root); anyone can verify them with ``procurement.crypto.verifier``.

A sealed entry (``sealed_until`` set) shows only its leaf hash to the public until that moment.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Window
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from procurement import rows
from procurement.clock import db_now
from procurement.crypto import entrykinds, rfc9162, signednote
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import InvalidInput, LedgerError, NotFound
from procurement.keys import (
    ledger_key_name,
    ledger_signing_key,
    ledger_verifier_key,
    receipt_signing_key,
    receipt_verifier_key,
)
from procurement.models import (
    Checkpoint,
    LedgerEntry,
    LedgerHead,
    LedgerProjection,
    MerkleNode,
    PendingEntry,
    SealHold,
    User,
)

log = logging.getLogger(__name__)

ENTRY_VERSION = 1
GENESIS = "GENESIS"
WRITE_ROWS = 200  # entries per INSERT: their parameters stay far below SQLite's limit
KIND_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
C = TypeVar("C", "_AfterCommit", "_DrainAfterCommit")


def _subject_of(subject: Any) -> str:
    value = subject if isinstance(subject, str) else getattr(subject, "ledger_subject", None)
    if not isinstance(value, str) or not value or len(value) > 120:
        raise LedgerError(f"invalid ledger subject {subject!r}")
    return value


def _actor_of(actor: User | None) -> str | None:
    if actor is None:
        return None
    if not isinstance(actor, User) or actor.pk is None:
        raise LedgerError("actor must be a saved User or None (the system)")
    return actor.ledger_subject


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise LedgerError("ledger times must be aware")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Head:
    size: int
    chain_hash: bytes
    frontier: list[bytes]


def _locked_head() -> tuple[_Head, dt.datetime, bool]:
    """Lock the head row and read the database clock, and whether entries are pending, in one
    round trip on PostgreSQL."""
    postgres = connection.vendor == "postgresql"
    sql = (
        "SELECT size, chain_hash, frontier, clock_timestamp(), "
        "EXISTS (SELECT 1 FROM ledger_pending) FROM ledger_head WHERE id = 1 FOR UPDATE"
        if postgres
        # SQLite: the writer holds the database's write lock from BEGIN (IMMEDIATE).
        else "SELECT size, chain_hash, frontier, "
        "EXISTS (SELECT 1 FROM ledger_pending) FROM ledger_head WHERE id = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:  # migration 0002 creates it; a flushed test database may not have it
            LedgerHead.objects.get_or_create(pk=1)
            cursor.execute(sql)
            row = cursor.fetchone()
    # Read after the lock, so time never runs backwards along the sequence.
    now = row[3].astimezone(dt.UTC) if postgres else db_now()
    frontier = bytes(row[2])
    head = _Head(row[0], bytes(row[1]), [frontier[i : i + 32] for i in range(0, len(frontier), 32)])
    return head, now, bool(row[-1])


def _write(entries: list[tuple], nodes: list[tuple[int, int, bytes]], head: _Head) -> None:
    """Insert the entries and their new nodes and move the head: one statement on PostgreSQL."""
    # Only placeholders are joined into the SQL; every value travels as a parameter.
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(entries))
    insert_entries = (
        "INSERT INTO ledger_entry (seq, recorded_at, kind, subject, canonical, leaf_hash, "  # noqa: S608
        f"chain_hash, sealed_until) VALUES {rows}"
    )
    placeholders = ", ".join(["(%s, %s, %s)"] * len(nodes))
    insert_nodes = f'INSERT INTO merkle_node ("level", "index", "hash") VALUES {placeholders}'  # noqa: S608
    update_head = "UPDATE ledger_head SET size = %s, chain_hash = %s, frontier = %s WHERE id = 1"
    entry_params = [value for entry in entries for value in entry]
    node_params: list[int | bytes] = [value for node in nodes for value in node]
    head_params: list[int | bytes] = [head.size, head.chain_hash, b"".join(head.frontier)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH e AS ({insert_entries}), n AS ({insert_nodes}) {update_head}",
                [*entry_params, *node_params, *head_params],
            )
        else:
            cursor.execute(insert_entries, entry_params)
            cursor.execute(insert_nodes, node_params)
            cursor.execute(update_head, head_params)


def _begin_log(head: _Head, now: dt.datetime) -> None:
    """Append the genesis entry if the log is empty (the caller holds the head)."""
    if head.size == 0:
        _append(head, now, GENESIS, "ledger", genesis_payload(), None, None)


def _open_append(
    *, genesis: bool = True, limit: int | None = None
) -> tuple[_Head, dt.datetime, _Batch, set[str]]:
    """Lock the head for an append: the genesis entry if the log is empty (unless the caller
    appends it), then the entries already pending (up to ``limit``, else all) in a batch the
    caller adds its own entries to, so that no entry comes before one committed ahead of it.
    Returns the head, the time, the batch and the pending entries' kinds."""
    head, now, pending = _locked_head()
    if genesis:
        _begin_log(head, now)
    batch = _Batch()
    return head, now, batch, _add_pending(batch, head, now, limit=limit) if pending else set()


def _append(head: _Head, now: dt.datetime, *entry: Any) -> LedgerEntry:
    """Append one entry at the head and write it (``entry``: ``_Batch.add``'s kind, subject,
    payload, actor and sealed_until; the payload a dict)."""
    kind, subject, payload, *rest = entry
    batch = _Batch()
    appended = batch.add(head, now, kind, subject, canonical_json(payload), *rest)
    batch.write(head)
    return appended


def _document(
    seq: int, time: str | None, kind: str, subject: str, payload: bytes, actor: str | None,
    sealed_until: str | None,
) -> bytes:  # fmt: skip
    """The entry's canonical JSON around its payload's canonical bytes, which are not parsed
    again: the keys in canonical order are actor, kind, payload, sealed_until, seq, subject,
    time, v (tested against ``canonical_json`` of the whole document)."""
    before = canonical_json({"actor": actor, "kind": kind})
    after = canonical_json(
        {
            "sealed_until": sealed_until,
            "seq": seq,
            "subject": subject,
            "time": time,
            "v": ENTRY_VERSION,
        }
    )
    return b"".join((before[:-1], b',"payload":', payload, b",", after[1:]))


class _Batch:
    """Entries appended one after another at the head, written together (``write``)."""

    def __init__(self) -> None:
        self.written: list[tuple[tuple, list[tuple[int, int, bytes]]]] = []  # (row, its nodes)

    def add(self, head: _Head, now: dt.datetime, *fields: Any) -> LedgerEntry:
        """``add_row`` (same arguments), returning the entry with the tree it leaves, for its
        receipt."""
        seq, canonical, leaf, chain, siblings = self.add_row(head, now, *fields)
        kind, subject, _payload, _actor, sealed_until = fields
        entry = LedgerEntry(
            seq=seq,
            recorded_at=now,
            kind=kind,
            subject=subject,
            canonical=canonical,
            leaf_hash=leaf,
            chain_hash=chain,
            sealed_until=sealed_until,
        )
        # The tree as this entry left it, read off the right edge for free: its root, and the
        # entry's inclusion path (the siblings it merged with, then the other edge subtrees
        # from the nearest). A receipt needs no further read of the tree.
        root = head.frontier[-1]
        for edge in reversed(head.frontier[:-1]):
            root = rfc9162.node_hash(edge, root)
        entry.tree_after = (seq + 1, root, [*siblings, *reversed(head.frontier[:-1])])
        return entry

    def add_row(
        self,
        head: _Head,
        now: dt.datetime,
        kind: str,
        subject: str,
        payload: bytes,
        actor: str | None,
        sealed_until: dt.datetime | None,
    ) -> tuple[int, bytes, bytes, bytes, list[bytes]]:
        """Append an entry (``payload``: its canonical JSON) at the head, to be written; no
        receipt (the sequencer's entries: nobody waits for them). Returns the entry's seq,
        canonical bytes, leaf and chain hashes, and the siblings it merged with."""
        seq = head.size
        canonical = _document(seq, _iso(now), kind, subject, payload, actor, _iso(sealed_until))
        leaf = rfc9162.leaf_hash(canonical)
        chain = hashlib.sha256(head.chain_hash + leaf).digest()
        # The nodes this leaf completes: merge with the right edge while the index is odd.
        nodes, current, level, index = [(0, seq, leaf)], leaf, 0, seq
        siblings = []
        while index & 1:
            left = head.frontier.pop()
            siblings.append(left)
            current = rfc9162.node_hash(left, current)
            level, index = level + 1, index >> 1
            nodes.append((level, index, current))
        head.frontier.append(current)
        head.size, head.chain_hash = seq + 1, chain
        adapt = connection.ops.adapt_datetimefield_value
        row = (seq, adapt(now), kind, subject, canonical, leaf, chain, adapt(sealed_until))
        self.written.append((row, nodes))
        return seq, canonical, leaf, chain, siblings

    def write(self, head: _Head) -> None:
        # Bounded statements (each also moves the head, to where the whole batch leaves it).
        for start in range(0, len(self.written), WRITE_ROWS):
            part = self.written[start : start + WRITE_ROWS]
            _write([row for row, _ in part], [node for _, nodes in part for node in nodes], head)
        self.written = []


def genesis_payload() -> dict:
    return {
        "platform": "Minh Bạch",
        "origin": ledger_key_name(),
        "verifier_key": ledger_verifier_key(),
    }


@dataclass(frozen=True)
class Event:
    """One entry to append (``record_events``): the arguments of ``record_event``."""

    kind: str
    subject: Any
    payload: dict
    actor: User | None = None
    sealed_until: dt.datetime | None = None


def record_event(
    kind: str,
    subject: Any,
    payload: dict,
    *,
    actor: User | None,
    sealed_until: dt.datetime | None = None,
) -> LedgerEntry:
    """Append one entry now, under the lock of the head, in the caller's transaction; for a
    step whose rows keep the entry's ``seq`` or whose answer is the entry's receipt. A step
    that needs neither calls ``defer_event``, which takes no lock.

    ``subject`` is a string such as ``"tender:T-2026-0042"`` or an object with
    ``ledger_subject``. ``actor=None`` means the platform itself (a scheduled task).
    """
    return record_events([Event(kind, subject, payload, actor, sealed_until)])[0]


def _checked(events: Sequence[Event]) -> list[tuple[Event, str, str | None]]:
    """Every event as ``record_event`` accepts it (its subject and actor as written), all
    checked before anything is written: one bad entry appends none."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("record_event must be called inside the service's transaction")
    checked = []
    for event in events:
        if not KIND_RE.match(event.kind):
            raise LedgerError(f"invalid entry kind {event.kind!r}")
        if not isinstance(event.payload, dict):
            raise LedgerError("payload must be a dict")
        try:
            declared = entrykinds.check(event.kind, event.payload)
            # An older bid's entry, sealed in place, is the exception.
            if event.sealed_until is None:
                declared.check_public(event.payload)
        except entrykinds.EntryKindError as exc:
            raise LedgerError(str(exc)) from None
        checked.append((event, _subject_of(event.subject), _actor_of(event.actor)))
    return checked


def record_events(events: Sequence[Event]) -> list[LedgerEntry]:
    """Append several entries, in order and at consecutive sequence numbers, under one lock of
    the head and in one write (the opening records a batch of bids so). Each is checked as
    ``record_event`` checks it, all before anything is written: one bad entry appends none.
    They share one time, the database clock read once the head is locked. Entries already
    pending (``defer_event``) are appended first, in the same write: a step's entry never
    comes before one committed ahead of it."""
    checked = [(*item, canonical_json(item[0].payload)) for item in _checked(events)]
    if not checked:
        return []
    head, now, batch, kinds = _open_append(genesis=checked[0][0].kind != GENESIS)
    entries = [
        batch.add(head, now, event.kind, subject, payload, actor, event.sealed_until)
        for event, subject, actor, payload in checked
    ]
    batch.write(head)
    _project_after_commit(kinds | {item[0].kind for item in checked})
    return entries


# --- The sequencer ---------------------------------------------------------------------------
# A step that needs no seq defers its entry: one INSERT into ledger_pending in its own
# transaction, no lock of the head. Once that transaction commits, the sequencer appends every
# pending entry, in id order, many per transaction under one lock of the head (as Certificate
# Transparency logs merge submissions), and deletes them in that transaction.
#
# Who sequences: on PostgreSQL, whoever holds the sequencer's advisory lock. A committed step
# tries to take it (one round trip) and drains if it can; if another process holds it, that
# one sees the step's entry: the holder looks at the pending table again after letting the
# lock go, and the step committed before its try failed, so before that release. Within one
# process only one thread tries at a time (``_Sequencing``): the others leave their entries to
# it. The ledger's cadence (``sealedlog.tick``) drains whatever a crash left pending. SQLite
# serialises writers anyway: there, the thread that is sequencing drains.

DRAIN_ROWS = 1000  # pending entries appended per sequencer transaction
SEQUENCER_LOCK = 0x4D42_5345_5155_454E  # the advisory lock's key ("MBSEQUEN")


def defer_event(
    kind: str,
    subject: Any,
    payload: dict,
    *,
    actor: User | None,
    sealed_until: dt.datetime | None = None,
) -> PendingEntry:
    """Write an entry to be appended by the sequencer once the caller's transaction commits:
    checked as ``record_event`` checks it, but no lock of the head, so concurrent steps do
    not queue on one another. Its ``seq`` and time are given when it is appended (within
    milliseconds of the commit; the cadence at worst); the caller's rollback discards it."""
    ((_event, subject_text, actor_text),) = _checked(
        [Event(kind, subject, payload, actor, sealed_until)]
    )
    pending = rows.insert(
        PendingEntry(
            kind=kind,
            subject=subject_text,
            actor=actor_text or "",
            payload=canonical_json(payload),
            sealed_until=sealed_until,
        )
    )
    _once_after_commit(_DrainAfterCommit)
    return pending


def _add_pending(batch: _Batch, head: _Head, now: dt.datetime, *, limit: int | None) -> set[str]:
    """Add pending entries (up to ``limit``, else all) to ``batch`` in id order and delete
    them; the caller holds the head. Returns their kinds."""
    kinds: set[str] = set()
    while True:
        taken = list(
            PendingEntry.objects.order_by("id").values_list(
                "id", "kind", "subject", "actor", "payload", "sealed_until"
            )[: limit or DRAIN_ROWS]
        )
        for _id, kind, subject, actor, payload, until in taken:
            # The platform itself (None in the entry) is kept as "".
            batch.add_row(head, now, kind, subject, bytes(payload), actor or None, until)
            kinds.add(kind)
        # By id: a row committed since the SELECT is not taken, so it is not deleted either.
        PendingEntry.objects.filter(id__in=[row[0] for row in taken]).delete()
        if limit is not None or len(taken) < DRAIN_ROWS:
            return kinds


def pending_count() -> int:
    return PendingEntry.objects.count()


def append_pending(*, passes: int | None = None) -> int:
    """Append every pending entry (``passes``: in at most that many transactions),
    ``DRAIN_ROWS`` per transaction; returns how many. Correct whoever calls it (the head's lock
    orders appends); ``drain`` is the cheap way for the many steps that commit at once, and the
    cadence calls this one, so that nothing stays pending even if the sequencer's lock were
    stuck with a session."""
    total = 0
    while passes is None or passes > 0:
        with transaction.atomic():
            head, _now, batch, kinds = _open_append(limit=DRAIN_ROWS)
            taken = len(batch.written)
            if not taken:
                return total
            total += taken
            batch.write(head)
            _project_after_commit(kinds)
        if taken < DRAIN_ROWS:  # the table was emptied (what came since: the caller's look)
            return total
        passes = None if passes is None else passes - 1
    return total


def _try_lock(cursor) -> bool:
    cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEQUENCER_LOCK])
    return cursor.fetchone()[0]


def drain(*, passes: int | None = None) -> int:
    """Append every pending entry; returns how many. Returns at once (0) if another thread of
    this process or (PostgreSQL) another process is sequencing: that one appends them.

    ``passes``: the most sequencer transactions this call runs (a committed step's share, so
    that a request never carries a backlog, e.g. after an outage); what is still pending then
    is handed to a worker (``procurement.tasks.drain_ledger``), which drains it all."""
    total, left = 0, passes
    with connection.cursor() as cursor:
        if not _take_sequencer(cursor):
            return 0
        while True:
            try:
                done = append_pending(passes=left)
            finally:
                _give_back_sequencer(cursor)
            total += done
            if left is not None:
                left -= -(-done // DRAIN_ROWS) or 1  # the transactions it ran (one if empty)
            # Entries whose steps found the lock held, committed after the last look.
            cursor.execute("SELECT EXISTS (SELECT 1 FROM ledger_pending)")
            if not cursor.fetchone()[0]:
                return total
            if left is not None and left <= 0:
                _hand_off()
                return total
            if not _take_sequencer(cursor):
                return total


class _Sequencing:
    """Which thread of this process is sequencing (``busy``), and whether a step of another
    thread committed while it was (``again``): that step did not try the advisory lock, so the
    sequencing thread must see its entry. It does: after letting go it looks at the pending
    table; and if its own try of the lock failed, it tries once more when ``again`` was set
    meanwhile (that new try comes after the step's commit, so if it fails too, the process
    holding the lock looks after that step's commit)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.mutex = threading.Lock()
        self.busy = False
        self.again = False

    def enter(self) -> bool:
        with self.mutex:
            if self.busy:
                self.again = True
                return False
            self.busy, self.again = True, False
            return True

    def leave(self, *, unless_again: bool = False) -> bool:
        """Stop sequencing; with ``unless_again``, not if a step committed meanwhile (then
        True: the caller tries once more for it)."""
        with self.mutex:
            if unless_again and self.again:
                self.again = False
                return True
            self.busy = self.again = False
            return False


_SEQUENCING = _Sequencing()
os.register_at_fork(after_in_child=_SEQUENCING.reset)  # a forked worker starts idle


def _take_sequencer(cursor) -> bool:
    """Become the sequencer: first within this process, then (PostgreSQL) across processes."""
    if not _SEQUENCING.enter():
        return False
    while True:
        try:
            if connection.vendor != "postgresql" or _try_lock(cursor):
                return True
        except BaseException:
            _SEQUENCING.leave()
            raise
        if not _SEQUENCING.leave(unless_again=True):
            return False


def _give_back_sequencer(cursor) -> None:
    """Stop sequencing; the caller then looks at the pending table (for the steps that
    committed meanwhile and left their entries to it)."""
    try:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEQUENCER_LOCK])
    finally:
        _SEQUENCING.leave()


def _hand_off() -> None:
    """The rest of a backlog goes to a worker; if the broker cannot take it, the cadence
    (``sealedlog.tick``) appends it."""
    try:
        # By name, as the projectors are: the tasks module is built on this one.
        import_string("procurement.tasks.drain_ledger").delay()
    except Exception:  # noqa: BLE001 - the step itself has committed; the cadence catches up
        log.warning("ledger: pending entries not handed to a worker; the cadence appends them",
                    exc_info=True)  # fmt: skip


DRAIN_PASSES = 2  # sequencer transactions a committed step runs before handing off the rest


class _DrainAfterCommit:
    """The sequencer, tried once by a transaction that deferred entries, after it commits."""

    def __init__(self) -> None:
        self.__qualname__ = "drain"  # what Django names when a robust callback fails

    def __call__(self) -> None:
        drain(passes=DRAIN_PASSES)


# --- Projections of the ledger ------------------------------------------------------------
# A projection (the OCDS releases) is a read model built from the entries, in ``seq`` order,
# with a watermark (LedgerProjection). Services never call it: the kernel runs the projectors
# named in settings.LEDGER_PROJECTORS once each writing transaction has committed, and a beat
# scan catches up whatever a crash left behind. Names, not imports: the kernel imports no app.


def run_projections(kinds: frozenset[str]) -> None:
    """Run every projector for a committed transaction that appended entries of ``kinds``
    (a projector returns at once when none of them concerns it)."""
    for path in settings.LEDGER_PROJECTORS:
        import_string(path)(kinds)


class _AfterCommit:
    """The projections one transaction runs once it has committed, with the kinds it appended."""

    def __init__(self) -> None:
        self.kinds: set[str] = set()
        self.__qualname__ = "run_projections"  # what Django names when a robust callback fails

    def __call__(self) -> None:
        run_projections(frozenset(self.kinds))


def _once_after_commit(callback_class: type[C]) -> C:
    """The transaction's one callback of ``callback_class`` (built and registered, robust, on
    first use): once per transaction, however many entries it appends or defers."""
    for _savepoints, callback, _robust in transaction.get_connection().run_on_commit:
        if isinstance(callback, callback_class):
            return callback
    callback = callback_class()
    transaction.on_commit(callback, robust=True)
    return callback


def _project_after_commit(kinds: Iterable[str]) -> None:
    _once_after_commit(_AfterCommit).kinds.update(kinds)


def advance_projection(
    name: str, project: Callable[[LedgerEntry], None], *, batch: int, skip_locked: bool = False
) -> int | None:
    """Feed the next ``batch`` entries after the watermark of projection ``name`` to
    ``project``, in ``seq`` order, and move the watermark past them, in one transaction (the
    watermark's row lock serialises concurrent projectors). ``project`` sees every entry after
    the genesis entry (seq 0, which says only that the log began: the watermark starts there),
    sealed ones too, and must publish only what is public (``unsealed``). Returns how many
    entries were projected; with ``skip_locked``, None at once if another projector holds the
    watermark (rather than waiting for it)."""
    with transaction.atomic():
        states = LedgerProjection.objects.select_for_update(skip_locked=skip_locked)
        state = states.filter(name=name).first()
        if state is None:
            _, created = LedgerProjection.objects.get_or_create(name=name)
            if not created and skip_locked:
                return None
            state = LedgerProjection.objects.select_for_update().get(name=name)
        done = 0
        for entry in LedgerEntry.objects.filter(seq__gt=state.seq).order_by("seq")[:batch]:
            project(entry)
            state.seq = entry.seq
            done += 1
        if done:
            state.updated_at = db_now()
            state.save(update_fields=["seq", "updated_at"])
    return done


def projection_watermark(name: str) -> int:
    """The last ledger seq that projection ``name`` has projected (0: none yet, the genesis
    entry being nothing to project)."""
    return LedgerProjection.objects.filter(name=name).values_list("seq", flat=True).first() or 0


def reset_projection(name: str) -> None:
    """Start projection ``name`` again from the first entry (its rebuild clears its own rows)."""
    LedgerProjection.objects.update_or_create(name=name, defaults={"seq": 0, "updated_at": None})


# --- Reading the tree -----------------------------------------------------------------------


def tree_size() -> int:
    return LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def _with_nodes(compute: Callable[[rfc9162.NodeReader], Any]) -> Any:
    """Run ``compute`` twice: once to learn which nodes it reads, then with them fetched at once.

    The shape of a root or proof never depends on hash values, so the first pass with
    placeholder hashes asks for exactly the nodes the second pass needs.
    """
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(32)

    compute(record)
    found: dict[tuple[int, int], bytes] = {}
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 500):
        query = Q()
        for level, index in wanted_list[start : start + 500]:
            query |= Q(level=level, index=index)
        for node in MerkleNode.objects.filter(query).only("level", "index", "hash"):
            found[(node.level, node.index)] = bytes(node.hash)

    def read(level: int, index: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:
            raise LedgerError(f"merkle node ({level}, {index}) is missing") from None

    return compute(read)


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise InvalidInput(
            _("The tree size must be between 0 and %(n)d.") % {"n": current}, field="size"
        )


def root_at(size: int) -> bytes:
    _check_size(size, tree_size())
    return _with_nodes(lambda node: rfc9162.root(node, size))


def inclusion_proof(index: int, size: int) -> list[bytes]:
    _check_size(size, tree_size())
    if not 0 <= index < size:
        raise InvalidInput(
            _("The index must be below the tree size %(n)d.") % {"n": size}, field="index"
        )
    return _with_nodes(lambda node: rfc9162.inclusion_path(node, index, size))


def consistency_proof(first: int, second: int) -> list[bytes]:
    _check_size(second, tree_size())
    if not 0 <= first <= second:
        raise InvalidInput(_("“first” must be between 0 and “second”."), field="first")
    return _with_nodes(lambda node: rfc9162.consistency_proof(node, first, second))


# --- Checkpoints ----------------------------------------------------------------------------


def make_checkpoint(*, actor: User | None = None) -> Checkpoint:
    """Sign the current tree head. Idempotent: the same size gives back the same checkpoint.

    Checkpoints are signatures over the log, not events in it, so they make no ledger entry.
    ``actor`` is accepted for the service signature; who asked does not change what is signed.
    """
    size = tree_size()
    existing = Checkpoint.objects.filter(tree_size=size).first()
    if existing is not None:
        return existing
    return _sign_checkpoint(size, rfc9162.EMPTY_ROOT if size == 0 else root_at(size))


def _sign_checkpoint(size: int, root: bytes) -> Checkpoint:
    body = signednote.Checkpoint(ledger_key_name(), size, root).body()
    note = signednote.sign_note(body, ledger_key_name(), ledger_signing_key())
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                tree_size=size, root_hash=root, note=note, created_at=db_now()
            )
    except IntegrityError:  # a concurrent caller signed the same size first
        return Checkpoint.objects.get(tree_size=size)


def latest_checkpoint() -> Checkpoint:
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    if checkpoint is None:
        return make_checkpoint()
    return checkpoint


# --- The public view of entries -------------------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    seq: int
    leaf_hash: str
    sealed: bool
    recorded_at: dt.datetime | None = None
    kind: str | None = None
    subject: str | None = None
    entry: str | None = None


def hold_seal(subject: Any, until: dt.datetime) -> None:
    """Keep ``subject``'s sealed entries sealed until at least ``until`` (a moved deadline)."""
    subject_text = _subject_of(subject)
    hold, created = SealHold.objects.select_for_update().get_or_create(
        subject=subject_text, defaults={"until": until}
    )
    if not created and hold.until < until:
        hold.until = until
        hold.save(update_fields=["until"])


def _holds(entries: list[LedgerEntry]) -> dict[str, dt.datetime]:
    subjects = {e.subject for e in entries if e.sealed_until is not None}
    if not subjects:
        return {}
    return dict(SealHold.objects.filter(subject__in=subjects).values_list("subject", "until"))


def is_sealed(entry: LedgerEntry, moment: dt.datetime) -> bool:
    return entry.is_sealed_at(moment, _holds([entry]).get(entry.subject))


def public_view(entries: Iterable[LedgerEntry], moment: dt.datetime) -> list[PublicEntry]:
    """Redact sealed entries to their sequence number and leaf hash."""
    out = []
    entries = list(entries)
    holds = _holds(entries)
    for e in entries:
        leaf = bytes(e.leaf_hash).hex()
        if e.is_sealed_at(moment, holds.get(e.subject)):
            out.append(PublicEntry(seq=e.seq, leaf_hash=leaf, sealed=True))
        else:
            out.append(
                PublicEntry(
                    seq=e.seq,
                    leaf_hash=leaf,
                    sealed=False,
                    recorded_at=e.recorded_at,
                    kind=e.kind,
                    subject=e.subject,
                    entry=bytes(e.canonical).decode("utf-8"),
                )
            )
    return out


def entries_in_range(start: int, end: int, moment: dt.datetime) -> list[PublicEntry]:
    if start < 0 or end < start:
        raise InvalidInput(_("“start” must be between 0 and “end”."), field="start")
    rows = LedgerEntry.objects.filter(seq__gte=start, seq__lt=end).order_by("seq")
    return public_view(rows, moment)


def entry_page(
    start: int, end: int, moment: dt.datetime, *, max_bytes: int
) -> tuple[int, list[tuple[bytes, bytes | None]]]:
    """The log's size and the (leaf hash, public content or None while sealed) of entries
    ``[start, end)`` below it, in order, for bulk verification (``crypto.entrypages``).

    Stops early once the contents reach ``max_bytes`` (one entry at least), so a page stays
    bounded; the caller asks again from where it stopped. Reads rows as tuples: a page of ten
    thousand entries builds no model instances.
    """
    if start < 0 or end < start:
        raise InvalidInput(_("“start” must be between 0 and “end”."), field="start")
    size = tree_size()  # rows below the head are committed: the head moves in their transaction
    rows = list(
        LedgerEntry.objects.filter(seq__gte=start, seq__lt=min(end, size))
        .order_by("seq")
        .values_list("seq", "leaf_hash", "canonical", "subject", "sealed_until")
    )
    held = {subject for _s, _l, _c, subject, until in rows if until is not None}
    holds = (
        dict(SealHold.objects.filter(subject__in=held).values_list("subject", "until"))
        if held
        else {}
    )
    records: list[tuple[bytes, bytes | None]] = []
    used = 0
    for seq, leaf, canonical, subject, until in rows:
        if seq != start + len(records):
            raise LedgerError(f"ledger entry {start + len(records)} is missing")
        hold = holds.get(subject)
        sealed = until is not None and (moment < until or (hold is not None and moment < hold))
        cost = 36 + (0 if sealed else len(canonical))
        if records and used + cost > max_bytes:
            break
        used += cost
        records.append((bytes(leaf), None if sealed else bytes(canonical)))
    return size, records


def entries_for_subject(subject: str, moment: dt.datetime) -> list[PublicEntry]:
    """A subject's entries in ledger order (``latest_for_subject``: its latest ones). Sealed
    ones are left out entirely: even their count is secret."""
    return public_view(unsealed(LedgerEntry.objects.filter(subject=subject), moment), moment)


def latest_for_subject(
    subject: str, moment: dt.datetime, latest: int
) -> tuple[list[PublicEntry], int]:
    """The ``latest`` public entries of a subject, in ledger order, and how many public ones it
    has in all: one query (the count is a window over the same rows, taken before the limit)."""
    rows = list(
        unsealed(LedgerEntry.objects.filter(subject=subject), moment)
        .annotate(total=Window(Count("seq")))
        .order_by("-seq")[:latest]
    )
    total = rows[0].total if rows else 0
    return public_view(reversed(rows), moment), total


def unsealed(rows, moment: dt.datetime):
    """Leave out entries still sealed at ``moment`` (their count is secret too)."""
    held = SealHold.objects.filter(subject=OuterRef("subject"), until__gt=moment)
    return rows.filter(
        Q(sealed_until__isnull=True) | (Q(sealed_until__lte=moment) & ~Exists(held))
    ).order_by("seq")


def entry_proof(seq: int, moment: dt.datetime) -> dict:
    """An entry with its inclusion proof under the latest checkpoint: what a receipt carries.

    Sealed entries are not served (their owner got the same data as a receipt at submission),
    nor entries newer than the latest checkpoint (ask again after the next one).
    """
    entry = get_entry(seq)
    if is_sealed(entry, moment):
        raise NotFound(_("No such ledger entry."))
    checkpoint = latest_checkpoint()
    if seq >= checkpoint.tree_size:
        checkpoint = make_checkpoint()
    return {
        "seq": seq,
        "entry": bytes(entry.canonical).decode("utf-8"),
        "checkpoint": checkpoint.note,
        "inclusion_proof": inclusion_proof(seq, checkpoint.tree_size),
    }


def make_receipt(entry: LedgerEntry) -> dict:
    """A signed receipt for an entry, issued after its transaction commits: the entry, the
    receipt key's signature over it (valid at once), and a checkpoint with the inclusion proof,
    so the holder can verify it offline (``minhbach-verify --receipt``).

    For an entry this process just appended, the checkpoint is at the size the entry left the
    tree, with the root and path computed during the append. Otherwise the latest checkpoint
    serves if it covers the entry, or one is signed at the current size, and the root and the
    proof come from one read of the tree's nodes.
    """
    fresh = getattr(entry, "tree_after", None)
    if fresh is not None:  # just appended by this process: the tree as it left it
        size, root, path = fresh
        checkpoint = Checkpoint.objects.filter(tree_size=size).first()
    else:
        checkpoint = Checkpoint.objects.order_by("-tree_size").first()
        covers = checkpoint is not None and checkpoint.tree_size > entry.seq
        size = checkpoint.tree_size if checkpoint is not None and covers else tree_size()
        if size <= entry.seq:  # pragma: no cover - the entry is committed
            raise LedgerError("receipt asked for before its entry was committed")
        root, path = _with_nodes(
            lambda node: (rfc9162.root(node, size), rfc9162.inclusion_path(node, entry.seq, size))
        )
    if checkpoint is None or checkpoint.tree_size != size:
        checkpoint = _sign_checkpoint(size, root)
    canonical = bytes(entry.canonical)
    return {
        "v": 1,
        "seq": entry.seq,
        "entry": canonical.decode("utf-8"),
        "receipt_sig": base64.b64encode(receipt_signing_key().sign(canonical)).decode(),
        "receipt_key": receipt_verifier_key(),
        "log_key": ledger_verifier_key(),
        "checkpoint": checkpoint.note,
        "inclusion_proof": [base64.b64encode(p).decode() for p in path],
    }


def get_entry(seq: int) -> LedgerEntry:
    try:
        return LedgerEntry.objects.get(seq=seq)
    except LedgerEntry.DoesNotExist:
        raise NotFound(_("No such ledger entry.")) from None
