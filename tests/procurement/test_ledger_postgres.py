"""PostgreSQL guards of the ledger: triggers refuse changes, concurrent appends leave no gap, and
a superuser who bypasses the triggers and rebuilds the tree is still caught by a checkpoint
published before the rewrite."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from procurement import ledger
from procurement.crypto import rfc9162, verifier
from procurement.crypto.canonical import canonical_json
from procurement.keys import ledger_verifier_key
from procurement.models import Checkpoint, LedgerEntry, LedgerHead, MerkleNode
from tests.threads import in_threads

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the triggers and row locks under test exist only there",
)


def run_verifier(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = verifier.main(list(args))
    return code, out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET kind = 'FORGED' WHERE seq = 1",
        "DELETE FROM ledger_entry WHERE seq = 1",
        "UPDATE merkle_node SET hash = '\\x00' WHERE level = 0 AND index = 0",
        "DELETE FROM merkle_node",
        "UPDATE ledger_checkpoint SET note = 'forged'",
        "DELETE FROM ledger_checkpoint",
        "DELETE FROM ledger_head",
        "TRUNCATE ledger_entry CASCADE",
        "TRUNCATE merkle_node",
        "TRUNCATE ledger_head",
    ],
)
def test_triggers_refuse_changes_to_ledger_tables(make_org, statement):
    make_org()
    ledger.drain()  # its deferred entry, appended after a commit (never in a test)
    ledger.make_checkpoint()
    before = list(LedgerEntry.objects.values_list("seq", "canonical"))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL minhbach.ledger_maintenance = 'off'")
        cursor.execute(statement)
    assert list(LedgerEntry.objects.values_list("seq", "canonical")) == before
    assert Checkpoint.objects.count() == 1


@pytest.mark.django_db
def test_the_orm_cannot_update_entries_either(make_org):
    make_org()
    ledger.drain()  # its deferred entry, appended after a commit (never in a test)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).update(subject="organisation:forged")
    assert LedgerEntry.objects.get(seq=1).subject != "organisation:forged"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_get_consecutive_numbers_and_one_tree():
    workers, each = 4, 25

    def work(n: int) -> None:
        for i in range(each):
            with transaction.atomic():
                ledger.record_event("TEST_EVENT", f"test:{n}", {"i": i}, actor=None)

    assert in_threads(work, [(n,) for n in range(workers)]) == []
    total = workers * each + 1  # and the genesis entry
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(total))
    assert LedgerHead.objects.get(pk=1).size == total
    memory = rfc9162.MemoryTree()
    for leaf in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
        memory.append(bytes(leaf))
    assert ledger.root_at(total) == memory.root()
    assert MerkleNode.objects.count() == sum(len(level) for level in memory.levels)
    # Compared as times, not as text: a whole second is written without a fraction
    # ("…:47Z"), which sorts after "…:47.001Z" as text.
    times = [
        dt.datetime.fromisoformat(json.loads(bytes(c))["time"].replace("Z", "+00:00"))
        for c in LedgerEntry.objects.order_by("seq").values_list("canonical", flat=True)
    ]
    assert times == sorted(times), "database time runs forward along the sequence"


@pytest.mark.django_db(transaction=True)
def test_superuser_rewrite_is_caught_against_an_earlier_checkpoint(live_server, tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    key = ledger_verifier_key()
    state = tmp_path / "witness.json"
    code, out = run_verifier("--url", live_server.url, "--key", key, "--state", str(state))
    assert code == 0, out
    published = ledger.latest_checkpoint().note  # a copy has left the building

    # The attacker: a superuser who disables the triggers, rewrites an entry, rebuilds every
    # Merkle node and re-signs checkpoints with the platform's own key.
    victim = LedgerEntry.objects.get(seq=2)
    document = json.loads(bytes(victim.canonical))
    document["payload"]["name_en"] = "Forged Hospital"
    forged = canonical_json(document)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "UPDATE ledger_entry SET canonical = %s, leaf_hash = %s WHERE seq = 2",
                [forged, rfc9162.leaf_hash(forged)],
            )
            memory = rfc9162.MemoryTree()
            cursor.execute("DELETE FROM merkle_node")
            rows = []
            for leaf in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
                rows.extend(memory.append(bytes(leaf)))
            cursor.executemany(
                "INSERT INTO merkle_node (level, index, hash) VALUES (%s, %s, %s)", rows
            )
            cursor.execute("DELETE FROM ledger_checkpoint")
        finally:
            cursor.execute("RESET session_replication_role")
    ledger.make_checkpoint()

    # Internally the database is consistent again: a verifier with no memory is fooled...
    code, out = run_verifier("--url", live_server.url, "--key", key)
    assert code == 0, out
    # ...but a witness that kept the earlier checkpoint is not.
    code, out = run_verifier("--url", live_server.url, "--key", key, "--state", str(state))
    assert code == 1
    assert "changed since the checkpoint accepted earlier (the log was rewritten)" in out
    # Nor is anyone holding a copy of the published checkpoint.
    bundle = verifier.HttpSource(live_server.url).bundle()
    bundle["checkpoints"].append(published)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    code, out = run_verifier("--file", str(path), "--key", key)
    assert code == 1
    assert "the published leaves give another root" in out
