"""The ledger's sequencer: deferred entries are checked like appended ones, appended after their
transaction commits in one batch under one lock of the head, never lost, never twice, and never
ahead of an entry appended after them; a deferring step never waits for the head."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections, transaction

from procurement import ledger, sealedlog
from procurement.crypto import rfc9162
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import LedgerError
from procurement.models import LedgerEntry, LedgerHead, PendingEntry
from tests.threads import in_threads


def documents() -> list[dict]:
    return [
        json.loads(bytes(c))
        for c in LedgerEntry.objects.order_by("seq").values_list("canonical", flat=True)
    ]


def assert_one_tree() -> None:
    """Numbers without a gap, and the stored tree is the tree of the stored leaves."""
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(len(seqs)))
    assert LedgerHead.objects.get(pk=1).size == len(seqs)
    memory = rfc9162.MemoryTree()
    for leaf in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
        memory.append(bytes(leaf))
    assert ledger.root_at(len(seqs)) == memory.root()


@pytest.mark.django_db
def test_a_deferred_entry_is_pending_until_drained_then_written_as_an_append(make_user):
    user = make_user()
    ledger.drain()  # the user's own entry
    before = LedgerEntry.objects.count()
    with transaction.atomic():
        pending = ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=user)
    assert LedgerEntry.objects.count() == before
    assert ledger.pending_count() == 1 and pending.pk is not None
    assert ledger.drain() == 1
    assert ledger.pending_count() == 0
    entry = documents()[-1]
    fields = ("seq", "kind", "subject", "actor", "sealed_until", "payload")
    assert {k: entry[k] for k in fields} == {
        "seq": before,
        "kind": "TEST_EVENT",
        "subject": "test:1",
        "actor": user.ledger_subject,
        "sealed_until": None,
        "payload": {"i": 1},
    }
    assert ledger.drain() == 0  # nothing twice
    assert_one_tree()


@pytest.mark.django_db
def test_a_deferred_entry_is_checked_as_an_appended_one():
    with transaction.atomic():
        with pytest.raises(LedgerError, match="kind"):
            ledger.defer_event("lower", "test:1", {}, actor=None)
        with pytest.raises(LedgerError, match="subject"):
            ledger.defer_event("TEST_EVENT", "", {}, actor=None)
        with pytest.raises(LedgerError, match="payload"):
            ledger.defer_event("TEST_EVENT", "test:1", [], actor=None)
        with pytest.raises(LedgerError, match="undeclared|not declared|field"):
            ledger.defer_event("TEST_EVENT", "test:1", {"secret": "x"}, actor=None)
    assert ledger.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_deferring_outside_a_transaction_is_refused():
    with pytest.raises(LedgerError, match="inside the service's transaction"):
        ledger.defer_event("TEST_EVENT", "test:1", {}, actor=None)
    assert ledger.pending_count() == 0


@pytest.mark.django_db
def test_the_first_entry_drained_into_an_empty_log_follows_the_genesis_entry():
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=None)
    assert LedgerEntry.objects.count() == 0
    assert ledger.drain() == 1
    assert [d["kind"] for d in documents()] == ["GENESIS", "TEST_EVENT"]
    assert_one_tree()


@pytest.mark.django_db
def test_a_rolled_back_step_leaves_nothing_pending():
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=None)
        raise RuntimeError
    assert ledger.pending_count() == 0
    assert ledger.drain() == 0


@pytest.mark.django_db
def test_an_append_comes_after_the_entries_deferred_before_it():
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:a", {"i": 1}, actor=None)
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:b", {"i": 2}, actor=None)
        entry = ledger.record_event("TEST_EVENT", "test:c", {"i": 3}, actor=None)
    assert entry.seq == 3
    assert [d["subject"] for d in documents()] == ["ledger", "test:a", "test:b", "test:c"]
    assert ledger.pending_count() == 0
    # The append's receipt data is still its own: the tree right after it.
    size, root, path = entry.tree_after
    assert size == 4 and root == ledger.root_at(4)
    rfc9162.verify_inclusion(3, 4, bytes(entry.leaf_hash), path, root)
    assert_one_tree()


@pytest.mark.django_db
def test_a_drain_is_batched_and_keeps_the_order(monkeypatch):
    monkeypatch.setattr(ledger, "DRAIN_ROWS", 7)
    with transaction.atomic():
        for i in range(20):
            ledger.defer_event("TEST_EVENT", f"test:{i}", {"i": i}, actor=None)
    assert ledger.drain() == 20
    assert [d["payload"].get("i") for d in documents()[1:]] == list(range(20))
    times = [d["time"] for d in documents()[1:]]
    assert len(set(times[:7])) == 1  # one transaction, one time per batch
    assert_one_tree()


@pytest.mark.django_db(transaction=True)
def test_a_committed_step_carries_no_backlog_it_hands_the_rest_to_a_worker(monkeypatch):
    """A step's drain runs at most DRAIN_PASSES sequencer transactions; a larger backlog (after
    an outage, say) goes to the drain_ledger task, which appends all of it."""
    from procurement import tasks

    monkeypatch.setattr(ledger, "DRAIN_ROWS", 5)
    queued = []
    monkeypatch.setattr(tasks.drain_ledger, "delay", lambda: queued.append(ledger.pending_count()))
    with transaction.atomic():  # the backlog, left without a drain (as by a crash)
        for i in range(30):
            ledger.defer_event("TEST_EVENT", f"test:{i}", {"i": i}, actor=None)
        transaction.get_connection().run_on_commit.clear()
    with transaction.atomic():  # a step commits: its share is two transactions of five
        ledger.defer_event("TEST_EVENT", "test:step", {"i": 30}, actor=None)
    assert ledger.pending_count() == 31 - ledger.DRAIN_PASSES * 5
    assert queued == [31 - ledger.DRAIN_PASSES * 5]  # handed off once, with the rest
    assert tasks.drain_ledger() == 31 - ledger.DRAIN_PASSES * 5  # the worker's run
    assert ledger.pending_count() == 0
    assert [d["payload"]["i"] for d in documents()[1:]] == list(range(31))
    assert_one_tree()


def _thread(target) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _defer(i: int) -> None:
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", f"test:{i}", {"i": i}, actor=None)


@pytest.mark.django_db(transaction=True)
def test_a_step_leaves_its_entry_to_the_thread_of_its_process_that_is_sequencing(monkeypatch):
    """While one thread of the process sequences, another's committed step does not try (no
    round trip); the sequencing thread looks again after letting go and appends the entry,
    with no further drain by anyone."""
    real, inside, go = ledger.append_pending, threading.Event(), threading.Event()

    def held_open(**kwargs):
        if threading.current_thread() is first:
            inside.set()
            go.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(ledger, "append_pending", held_open)
    first = _thread(lambda: _defer(1))
    assert inside.wait(10)  # the first step's thread is sequencing
    _defer(2)  # committed meanwhile: left to the first
    assert ledger.pending_count() == 2
    go.set()
    first.join(10)
    assert ledger.pending_count() == 0
    assert sorted(d["payload"]["i"] for d in documents()[1:]) == [1, 2]


@pytest.mark.django_db
def test_the_cadence_drains_what_a_crash_left_pending():
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=None)
    sealedlog.tick()  # the beat's task
    assert ledger.pending_count() == 0
    assert [d["kind"] for d in documents()] == ["GENESIS", "TEST_EVENT", "SEALED_BATCH"]


@pytest.mark.django_db(transaction=True)
def test_a_committed_step_is_appended_without_anyone_draining():
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=None)
    assert ledger.pending_count() == 0
    assert [d["kind"] for d in documents()] == ["GENESIS", "TEST_EVENT"]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the sequencer's advisory lock and the row locks are PostgreSQL's",
)


def sequencer_is_held() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s)",
            [ledger.SEQUENCER_LOCK],
        )
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_step_that_commits_while_its_process_tries_the_lock_is_not_stranded(monkeypatch):
    """Another process holds the sequencer and finds nothing more to append; meanwhile a
    thread here tries the lock (and fails) and another thread's step commits and leaves its
    entry to it. The trying thread tries once more for that step and appends it."""
    other = connections.create_connection("default")  # another process's session
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ledger.SEQUENCER_LOCK])
    real, failed, go = ledger._try_lock, threading.Event(), threading.Event()

    def slow_try(cursor):
        taken = real(cursor)
        if not failed.is_set():
            failed.set()
            go.wait(10)  # its answer (False) still on the way back
        return taken

    monkeypatch.setattr(ledger, "_try_lock", slow_try)
    try:
        first = _thread(lambda: _defer(1))
        assert failed.wait(10)
        with other.cursor() as cursor:  # the other process lets go, having looked already
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ledger.SEQUENCER_LOCK])
        _defer(2)  # commits while the first thread is still trying: leaves its entry to it
        go.set()
        first.join(10)
    finally:
        other.close()
    assert ledger.pending_count() == 0  # nobody drained by hand
    assert sorted(d["payload"]["i"] for d in documents()[1:]) == [1, 2]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_deferring_step_does_not_wait_for_the_sequencer_which_appends_its_entry():
    with transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:first", {"i": 0}, actor=None)
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def appender() -> None:  # a step that appends at once, holding the head a while
        try:
            with transaction.atomic():
                ledger.record_event("TEST_EVENT", "test:appender", {"i": 1}, actor=None)
                holding.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def sequencer() -> None:  # a deferring step whose drain then waits for the head
        try:
            with transaction.atomic():
                ledger.defer_event("TEST_EVENT", "test:sequencer", {"i": 2}, actor=None)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=appender), threading.Thread(target=sequencer)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    deadline = time.monotonic() + 10
    while not sequencer_is_held():
        assert time.monotonic() < deadline, "the deferring step did not start sequencing"
        time.sleep(0.01)
    start = time.monotonic()
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:deferred", {"i": 3}, actor=None)
    assert time.monotonic() - start < 2, "the deferring step queued on the head"
    assert ledger.pending_count() == 2
    release.set()
    for thread in threads:
        thread.join()
    assert errors == []
    # The sequencer appended the entry committed while it was sequencing.
    assert ledger.pending_count() == 0
    subjects = [d["subject"] for d in documents()]
    assert subjects == ["ledger", "test:first", "test:appender", "test:sequencer", "test:deferred"]
    assert not sequencer_is_held()
    assert_one_tree()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_deferred_and_appended_entries_all_land_once_in_one_tree():
    workers, each = 6, 20

    def work(n: int) -> None:
        for i in range(each):
            with transaction.atomic():
                if n == 0 and i % 4 == 0:
                    ledger.record_event("TEST_EVENT", f"test:{n}", {"i": i}, actor=None)
                else:
                    ledger.defer_event("TEST_EVENT", f"test:{n}", {"i": i}, actor=None)

    assert in_threads(work, [(n,) for n in range(workers)]) == []
    assert ledger.pending_count() == 0  # no safety net was run
    written = sorted((d["subject"], d["payload"]["i"]) for d in documents()[1:])
    assert written == sorted((f"test:{n}", i) for n in range(workers) for i in range(each))
    # Each writer's own entries are in the log in the order it committed them.
    for n in range(workers):
        mine = [d["payload"]["i"] for d in documents() if d["subject"] == f"test:{n}"]
        assert mine == list(range(each))
    assert PendingEntry.objects.count() == 0
    assert_one_tree()


@pytest.mark.parametrize(
    ("actor", "sealed_until", "payload"),
    [
        (None, None, {}),
        ("user:5f0c", "2026-12-07T10:00:00Z", {"i": 1, "name": 'Bệnh viện Đà Nẵng "A"\n'}),
        (None, None, {"nested": {"b": [1, "x", None, True]}, "a": "0.50"}),
    ],
)
def test_the_entry_around_its_payload_bytes_is_the_canonical_document(actor, sealed_until, payload):
    document = {
        "v": ledger.ENTRY_VERSION,
        "seq": 42,
        "time": "2026-12-07T09:00:00.123456Z",
        "kind": "TEST_EVENT",
        "subject": "tender:T-2026-0001",
        "actor": actor,
        "sealed_until": sealed_until,
        "payload": payload,
    }
    spliced = ledger._document(
        42, document["time"], "TEST_EVENT", document["subject"], canonical_json(payload),
        actor, sealed_until,
    )  # fmt: skip
    assert spliced == canonical_json(document)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_cadence_appends_pending_entries_even_with_the_sequencer_lock_stuck():
    other = connections.create_connection("default")  # a session that took the lock and hung
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ledger.SEQUENCER_LOCK])
        with transaction.atomic():
            ledger.defer_event("TEST_EVENT", "test:1", {"i": 1}, actor=None)
        assert ledger.pending_count() == 1  # its step could not sequence it
        sealedlog.tick()
        assert ledger.pending_count() == 0
        assert [d["kind"] for d in documents()] == ["GENESIS", "TEST_EVENT", "SEALED_BATCH"]
    finally:
        other.close()


@pytest.mark.django_db
def test_a_sealed_batch_comes_after_the_entries_deferred_before_it():
    with transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:first", {"i": 0}, actor=None)
    with transaction.atomic():
        ledger.defer_event("TEST_EVENT", "test:deferred", {"i": 1}, actor=None)
    sealedlog.seal_batch()  # as the closing's reveal does, inside its transaction
    assert [d["subject"] for d in documents()][-2:] == ["test:deferred", "ledger"]
    assert documents()[-1]["kind"] == "SEALED_BATCH"
    assert ledger.pending_count() == 0
    assert_one_tree()
