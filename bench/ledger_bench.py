"""Ledger benchmark: append throughput and full-log verification, each beside a baseline.

    .venv/bin/python bench/ledger_bench.py [--count 2000] [--batch 100] [--clients 32]

Runs on the configured database (DATABASE_URL, else SQLite) in a throwaway test database that
is dropped afterwards. Baselines measured in the same run on the same bytes:
  - appends vs a bare INSERT of the same rows into a plain table (no lock, no tree);
  - on PostgreSQL, concurrent writers (``--clients`` processes for ``--seconds``, one entry per
    transaction each): ledger appends under the head lock (record_event), deferred entries
    (defer_event: counted once the sequencer has appended the last of them, from the start of
    the run), and sealed statements (the bid's path: stored without the ledger head, appended
    later in batches), vs the database's own commit ceiling (the same processes committing one
    bare INSERT each); and another tender's appends (one every 20 ms) timed alone and during
    the sealed statements' surge, beside the same during as many bare commits (the load without
    the ledger): a surge on one tender must not slow the others;
  - verification vs raw SHA-256 over the same entry bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from procurement import ledger  # noqa: E402
from procurement.crypto import entrykinds, rfc9162, signednote, verifier  # noqa: E402
from procurement.crypto.canonical import canonical_json  # noqa: E402
from procurement.keys import ledger_verifier_key  # noqa: E402
from procurement.models import LedgerEntry  # noqa: E402

PLAIN_TABLE = (
    "CREATE TABLE bench_plain (seq bigint PRIMARY KEY, recorded_at timestamp with time zone, "
    "kind varchar(40), subject varchar(120), canonical {blob}, leaf_hash {blob}, "
    "chain_hash {blob}, sealed_until timestamp with time zone)"
)


def payload(i: int) -> dict:
    return {
        "bid": f"b-{i:07d}",
        "bidder": f"S-{i % 997}",
        "envelope_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
        "envelope_size": 3_159_300 + i,
        "suite": "EPB1-X25519-HKDF-SHA256-AES-256-GCM",
    }


# The benchmark's own entry kind: the registry refuses an undeclared one.
entrykinds.register(
    entrykinds.EntryKind(
        "BENCH_EVENT", "bench", "tender", frozenset(payload(0)), frozenset(), "public",
        "A benchmark's entry.",
    )
)  # fmt: skip


entrykinds.register(
    entrykinds.EntryKind(
        "BENCH_SEALED", "bench", "tender", frozenset(payload(0)), frozenset(), "sealed",
        "A benchmark's sealed statement.",
    )
)  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


def bench_appends(count: int, batch: int) -> dict[str, float]:
    results = {}
    start = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            ledger.record_event("BENCH_EVENT", f"tender:T-{i % 50}", payload(i), actor=None)
    results["ledger, 1 per transaction"] = count / (time.perf_counter() - start)

    start = time.perf_counter()
    for first in range(0, count, batch):
        with transaction.atomic():
            for i in range(first, min(first + batch, count)):
                ledger.record_event("BENCH_EVENT", f"tender:T-{i % 50}", payload(i), actor=None)
    results[f"ledger, {batch} per transaction"] = count / (time.perf_counter() - start)
    return results


def bench_plain_inserts(count: int, batch: int) -> dict[str, float]:
    blob = "bytea" if connection.vendor == "postgresql" else "blob"
    with connection.cursor() as cursor:
        cursor.execute(PLAIN_TABLE.format(blob=blob))
    rows = list(
        LedgerEntry.objects.order_by("seq").values_list(
            "recorded_at", "kind", "subject", "canonical", "leaf_hash", "chain_hash"
        )[:count]
    )
    sql = (
        "INSERT INTO bench_plain (seq, recorded_at, kind, subject, canonical, leaf_hash, "
        "chain_hash, sealed_until) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)"
    )
    results = {}
    start = time.perf_counter()
    for i, row in enumerate(rows):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, (i, *row))
    results["bare INSERT, 1 per transaction"] = len(rows) / (time.perf_counter() - start)
    start = time.perf_counter()
    for first in range(0, len(rows), batch):
        with transaction.atomic(), connection.cursor() as cursor:
            for i in range(first, min(first + batch, len(rows))):
                cursor.execute(sql, (len(rows) + i, *rows[i]))
    results[f"bare INSERT, {batch} per transaction"] = len(rows) / (time.perf_counter() - start)
    return results


def _probe(start: float, seconds: float) -> list[float]:
    """Another tender's steps during the run: one append (record_event) every 20 ms; returns
    each one's latency in ms."""
    time.sleep(max(0.0, start - time.time()))
    latencies, end, i = [], start + seconds, 0
    while time.time() < end:
        began = time.perf_counter()
        with transaction.atomic():
            ledger.record_event("BENCH_EVENT", "tender:T-other", payload(i), actor=None)
        latencies.append((time.perf_counter() - began) * 1000)
        i += 1
        time.sleep(0.02)
    connection.close()
    return latencies


def _writer(job: tuple[str, int, float, float]) -> int | list[float]:
    """One concurrent client: write one row per transaction from ``start`` for ``seconds``
    (``probe``: another tender's appends, timed)."""
    what, number, start, seconds = job
    from procurement import sealedlog

    if what == "probe":
        return _probe(start, seconds)
    time.sleep(max(0.0, start - time.time()))
    done, end = 0, start + seconds
    while time.time() < end:
        i = number * 10_000_000 + done
        with transaction.atomic():
            if what == "bare":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO bench_commit (subject, canonical) VALUES (%s, %s)",
                        [f"tender:T-{number}", canonical_json(payload(i))],
                    )
            elif what == "ledger":
                ledger.record_event("BENCH_EVENT", f"tender:T-{number}", payload(i), actor=None)
            elif what == "deferred":
                ledger.defer_event("BENCH_EVENT", f"tender:T-{number}", payload(i), actor=None)
            else:
                sealedlog.record_sealed(
                    "BENCH_SEALED", f"tender:T-{number}", payload(i), actor=None,
                    sealed_until=None,
                )  # fmt: skip
        done += 1
    connection.close()
    return done


def bench_concurrent(clients: int, seconds: float) -> dict[str, float]:
    import multiprocessing

    from django.db import connections

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_commit (id bigserial PRIMARY KEY, subject text, canonical bytea)"
        )
    results: dict[str, Any] = {}
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(1) as pool:  # the other tender, alone
        results["quiet"] = pool.map(_writer, [("probe", 0, time.time() + 1.0, seconds)])[0]
    for what in ("bare", "ledger", "deferred", "sealed"):
        before = ledger.tree_size()
        connections.close_all()  # each process opens its own
        # The other tender, during a surge of bids (and, as the baseline, during as many bare
        # commits: the same load on the machine and the database without the ledger).
        probing = what in ("bare", "sealed")
        with multiprocessing.get_context("fork").Pool(clients + probing) as pool:
            start = time.time() + 1.0
            jobs = [(what, n, start, seconds) for n in range(clients)]
            counts = pool.map(_writer, jobs + [("probe", 0, start, seconds)] * probing)
        if probing:
            results[f"{what} probe"] = counts.pop()
        if what == "deferred":
            # Counted once in the log, not once committed: until the sequencer has appended
            # the last of them (the writers' own drains; the bench never drains itself).
            while ledger.pending_count():
                time.sleep(0.005)
            appended = ledger.tree_size() - before
            if appended != sum(counts):
                raise SystemExit(f"{sum(counts)} deferred entries, {appended} appended")
            results[what] = appended / (time.time() - start)
        else:
            results[what] = sum(counts) / seconds
    return results


def bench_verification() -> tuple[int, float, float, float]:
    ledger.make_checkpoint()
    entries = [
        {"seq": seq, "leaf_hash": bytes(leaf).hex(), "entry": bytes(raw).decode()}
        for seq, leaf, raw in LedgerEntry.objects.order_by("seq").values_list(
            "seq", "leaf_hash", "canonical"
        )
    ]
    bundle = {
        "origin": ledger.ledger_key_name(),
        "verifier_key": ledger_verifier_key(),
        "entries": entries,
        "checkpoints": [ledger.latest_checkpoint().note],
    }
    raw = [e["entry"].encode() for e in entries]

    start = time.perf_counter()
    for data in raw:
        hashlib.sha256(b"\x00" + data).digest()
    sha_seconds = time.perf_counter() - start

    start = time.perf_counter()
    tree = rfc9162.MemoryTree()
    for data in raw:
        tree.append(rfc9162.leaf_hash(data))
    tree.root()
    tree_seconds = time.perf_counter() - start

    start = time.perf_counter()
    report = verifier.verify_log(bundle, ledger_verifier_key())
    verify_seconds = time.perf_counter() - start
    if report.failures:
        raise SystemExit(f"the benchmark log did not verify: {report.failures}")
    assert signednote.parse_verifier_key(ledger_verifier_key())
    return len(raw), sha_seconds, tree_seconds, verify_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the bench drops its database afterwards
                cursor.execute("SET minhbach.ledger_maintenance = 'on'")
        vendor = connection.vendor
        print(f"Ledger benchmark on {vendor}, {args.count} entries, batch {args.batch}")
        print(f"(entry payload ≈ {len(canonical_json(payload(0)))} bytes of canonical JSON)\n")
        appends = bench_appends(args.count, args.batch)
        plain = bench_plain_inserts(args.count, args.batch)
        single_base = plain["bare INSERT, 1 per transaction"]
        batch_base = plain[f"bare INSERT, {args.batch} per transaction"]
        print("Appends                                   rate   vs bare INSERT")
        for label, value in plain.items():
            print(f"  {label:<34} {value:>10,.0f}/s")
        for label, value in appends.items():
            base = single_base if "1 per" in label else batch_base
            print(f"  {label:<34} {value:>10,.0f}/s   {value / base:6.2f}×")

        if vendor == "postgresql":
            concurrent = bench_concurrent(args.clients, args.seconds)
            base = concurrent["bare"]
            print(f"\n{args.clients} concurrent writers, one row per transaction, "
                  f"{args.seconds:g} s each           rate   vs commit ceiling")  # fmt: skip
            labels = {
                "bare": "bare INSERT + COMMIT (the ceiling)",
                "ledger": "ledger append (record_event)",
                "deferred": "deferred entry, appended (defer_event)",
                "sealed": "sealed statement (record_sealed)",
            }
            for what, label in labels.items():
                value = concurrent[what]
                print(f"  {label:<42} {value:>10,.0f}/s   {value / base:6.2f}×")
            print("\nAnother tender's appends (record_event every 20 ms)   p50      p99")
            for key, label in (
                ("quiet", "alone"),
                ("bare probe", f"during the bare commits of {args.clients} writers"),
                ("sealed probe", f"during the sealed statements of {args.clients} writers"),
            ):
                p50, p99 = percentile(concurrent[key], 50), percentile(concurrent[key], 99)
                print(f"  {label:<48} {p50:6.1f} ms {p99:6.1f} ms")

        n, sha, tree_s, verify_s = bench_verification()
        print(f"\nVerification of the whole log ({n} entries)          rate   vs raw SHA-256")
        print(f"  {'raw SHA-256 of the entries (baseline)':<42} {rate(n, sha)}")
        ratio = sha / tree_s
        print(f"  {'recompute the RFC 9162 tree':<42} {rate(n, tree_s)}   {ratio:6.2f}×")
        ratio = sha / verify_s
        label = "full verifier (JSON, canonical, tree, sig)"
        print(f"  {label:<42} {rate(n, verify_s)}   {ratio:6.2f}×")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
