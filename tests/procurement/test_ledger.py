"""The ledger kernel: record_event, the stored tree, proofs, checkpoints and sealed entries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from procurement import ledger
from procurement.crypto import rfc9162, signednote
from procurement.exceptions import InvalidInput, LedgerError
from procurement.keys import ledger_verifier_key
from procurement.models import Checkpoint, LedgerEntry, LedgerHead, MerkleNode

pytestmark = pytest.mark.django_db


def append(n: int, **kwargs) -> list[LedgerEntry]:
    with transaction.atomic():
        return [
            ledger.record_event("TEST_EVENT", f"test:{i}", {"i": i}, actor=None, **kwargs)
            for i in range(n)
        ]


def verifier():
    return signednote.parse_verifier_key(ledger_verifier_key())


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    with pytest.raises(LedgerError, match="inside the service's transaction"):
        ledger.record_event("TEST_EVENT", "test:1", {}, actor=None)
    assert LedgerEntry.objects.count() == 0


def test_invalid_kind_subject_or_payload_is_refused():
    with transaction.atomic():
        with pytest.raises(LedgerError, match="kind"):
            ledger.record_event("lower", "test:1", {}, actor=None)
        with pytest.raises(LedgerError, match="subject"):
            ledger.record_event("TEST_EVENT", "", {}, actor=None)
        with pytest.raises(LedgerError, match="payload"):
            ledger.record_event("TEST_EVENT", "test:1", [], actor=None)


def test_first_entry_is_genesis_naming_the_log_key_and_sequence_has_no_gaps():
    entries = append(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    genesis = LedgerEntry.objects.get(seq=0)
    document = json.loads(bytes(genesis.canonical))
    assert document["kind"] == "GENESIS"
    assert document["payload"]["verifier_key"] == ledger_verifier_key()
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [0, 1, 2, 3, 4, 5]
    assert LedgerHead.objects.get(pk=1).size == 6


def test_entry_is_canonical_json_with_utc_database_time_and_leaf_hash():
    (entry,) = append(1)
    raw = bytes(entry.canonical)
    document = json.loads(raw)
    assert set(document) == {
        "v", "seq", "time", "kind", "subject", "actor", "sealed_until", "payload"
    }  # fmt: skip
    assert document["time"].endswith("Z")
    assert bytes(entry.leaf_hash) == rfc9162.leaf_hash(raw)
    assert document["payload"] == {"i": 0}
    assert document["actor"] is None


def test_actor_is_recorded_by_public_id(make_user):
    user = make_user()
    with transaction.atomic():
        entry = ledger.record_event("TEST_EVENT", "test:1", {}, actor=user)
    assert json.loads(bytes(entry.canonical))["actor"] == f"user:{user.public_id}"


def stored_tree_is_the_entries_tree() -> rfc9162.MemoryTree:
    """The stored nodes are exactly the perfect subtrees of the stored entries' leaves."""
    memory = rfc9162.MemoryTree()
    for leaf in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
        memory.append(bytes(leaf))
    stored = {(n.level, n.index): bytes(n.hash) for n in MerkleNode.objects.all()}
    expected = {
        (level, index): h for level, row in enumerate(memory.levels) for index, h in enumerate(row)
    }
    assert stored == expected
    return memory


def test_stored_nodes_are_exactly_the_perfect_subtrees():
    append(12)  # 13 leaves with genesis
    memory = stored_tree_is_the_entries_tree()
    assert ledger.root_at(13) == memory.root(13)
    # The head keeps the right edge: the perfect subtrees of 13 = 8 + 4 + 1 leaves.
    head = LedgerHead.objects.get(pk=1)
    assert bytes(head.frontier) == memory.node(3, 0) + memory.node(2, 2) + memory.node(0, 12)


def test_proofs_from_the_database_verify_against_signed_checkpoints():
    append(6)
    first = ledger.make_checkpoint()
    append(10)
    second = ledger.make_checkpoint()
    v = verifier()
    old = signednote.open_checkpoint(first.note, v)
    new = signednote.open_checkpoint(second.note, v)
    assert (old.size, new.size) == (7, 17)
    rfc9162.verify_consistency(7, 17, old.root, new.root, ledger.consistency_proof(7, 17))
    for seq in (0, 6, 7, 16):
        leaf = bytes(LedgerEntry.objects.get(seq=seq).leaf_hash)
        rfc9162.verify_inclusion(seq, 17, leaf, ledger.inclusion_proof(seq, 17), new.root)


def test_proof_arguments_are_checked():
    append(3)
    with pytest.raises(InvalidInput, match="tree size"):
        ledger.inclusion_proof(0, 99)
    with pytest.raises(InvalidInput, match="below the tree size"):
        ledger.inclusion_proof(3, 3)
    with pytest.raises(InvalidInput, match="first"):
        ledger.consistency_proof(3, 2)


def test_checkpoint_is_idempotent_per_size():
    append(2)
    a = ledger.make_checkpoint()
    b = ledger.make_checkpoint()
    assert a.tree_size == b.tree_size == 3
    assert Checkpoint.objects.count() == 1
    assert ledger.latest_checkpoint().tree_size == 3


def test_empty_log_checkpoint_has_the_empty_root():
    checkpoint = ledger.make_checkpoint()
    assert checkpoint.tree_size == 0
    assert bytes(checkpoint.root_hash) == rfc9162.EMPTY_ROOT


def test_sealed_entries_show_only_their_hash_until_the_moment_passes():
    deadline = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        ledger.record_event("OPEN_EVENT", "tender:T-1", {"x": 1}, actor=None)
        sealed = ledger.record_event(
            "TEST_SEALED", "tender:T-1", {"bidder": "S-77"}, actor=None, sealed_until=deadline
        )
    before = deadline - dt.timedelta(seconds=1)
    view = {e.seq: e for e in ledger.entries_in_range(0, 10, before)}
    assert view[sealed.seq].sealed is True
    assert view[sealed.seq].entry is None and view[sealed.seq].kind is None
    assert view[sealed.seq].leaf_hash == bytes(sealed.leaf_hash).hex()
    # By subject, a sealed entry is not even counted before the deadline.
    assert [e.kind for e in ledger.entries_for_subject("tender:T-1", before)] == ["OPEN_EVENT"]
    after = ledger.entries_for_subject("tender:T-1", deadline)
    assert [e.kind for e in after] == ["OPEN_EVENT", "TEST_SEALED"]
    revealed = after[1]
    assert rfc9162.leaf_hash(revealed.entry.encode()).hex() == revealed.leaf_hash
    assert json.loads(revealed.entry)["sealed_until"] == "2030-01-01T00:00:00Z"


def test_latest_for_subject_counts_only_the_public_entries():
    # Given four public entries of a subject, one sealed until a deadline, and another subject's
    deadline = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        public = [
            ledger.record_event("OPEN_EVENT", "tender:T-2", {"x": i}, actor=None) for i in range(3)
        ]
        ledger.record_event(
            "TEST_SEALED", "tender:T-2", {"bidder": "S-1"}, actor=None, sealed_until=deadline
        )
        public.append(ledger.record_event("OPEN_EVENT", "tender:T-2", {"x": 3}, actor=None))
        ledger.record_event("OPEN_EVENT", "tender:T-3", {"x": 0}, actor=None)
    before = deadline - dt.timedelta(seconds=1)

    # When the latest two are asked for, before and after the deadline
    shown, total = ledger.latest_for_subject("tender:T-2", before, 2)
    shown_after, total_after = ledger.latest_for_subject("tender:T-2", deadline, 2)

    # Then they come in ledger order, and the sealed entry is not even counted before it
    assert [e.seq for e in shown] == [public[2].seq, public[3].seq] and total == 4
    assert [e.kind for e in shown_after] == ["TEST_SEALED", "OPEN_EVENT"] and total_after == 5
    assert ledger.latest_for_subject("tender:T-4", deadline, 2) == ([], 0)


def test_a_failed_transaction_leaves_no_entry_and_no_gap():
    append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:x", {}, actor=None)
        raise RuntimeError("the service failed after writing")
    (entry,) = append(1)
    assert entry.seq == 2
    assert LedgerHead.objects.get(pk=1).size == 3


@pytest.mark.django_db(transaction=True)
def test_the_appends_own_root_and_path_match_the_stored_tree():
    from django.db import transaction

    from procurement.crypto import rfc9162

    for n in range(1, 40):
        with transaction.atomic():
            entry = ledger.record_event("TEST_EVENT", "test:frontier", {"n": n}, actor=None)
        size, root, path = entry.tree_after
        assert size == entry.seq + 1 == ledger.tree_size()
        assert root == ledger.root_at(size)
        assert path == ledger.inclusion_proof(entry.seq, size)
        rfc9162.verify_inclusion(entry.seq, size, bytes(entry.leaf_hash), path, root)


@pytest.mark.django_db(transaction=True)
def test_entries_appended_together_are_the_entries_appended_one_by_one(monkeypatch):
    # Several statements' worth (WRITE_ROWS) in one call: the stored tree, head and proofs are
    # those of the same entries appended one at a time.
    monkeypatch.setattr(ledger, "WRITE_ROWS", 4)
    append(2)
    events = [ledger.Event("TEST_EVENT", f"test:{i}", {"i": i}) for i in range(11)]
    with transaction.atomic():
        entries = ledger.record_events(events)
    assert [e.seq for e in entries] == list(range(3, 14))
    assert len({e.recorded_at for e in entries}) == 1  # one reading of the clock
    memory = stored_tree_is_the_entries_tree()
    assert LedgerHead.objects.get(pk=1).size == 14
    for entry in entries:
        size, root, path = entry.tree_after
        assert root == memory.root(size)
        rfc9162.verify_inclusion(entry.seq, size, bytes(entry.leaf_hash), path, root)
        stored_entry = LedgerEntry.objects.get(seq=entry.seq)
        assert json.loads(bytes(stored_entry.canonical))["payload"] == {"i": entry.seq - 3}


def test_one_bad_entry_in_a_batch_appends_none():
    append(1)
    events = [ledger.Event("TEST_EVENT", "test:a", {}), ledger.Event("bad kind", "test:b", {})]
    with pytest.raises(LedgerError), transaction.atomic():
        ledger.record_events(events)
    assert LedgerHead.objects.get(pk=1).size == 2
    with transaction.atomic():
        assert ledger.record_events([]) == []
