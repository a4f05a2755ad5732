"""Sealed batches: what hiding bid counts and times costs, beside baselines of the same run.

    .venv/bin/python bench/sealed_batch_bench.py [--ticks 500] [--statements 0,100,1000]

Runs on the configured database (DATABASE_URL, else SQLite) in a throwaway test database that
is dropped afterwards. Prints:
  - the time of one cadence tick (seal a batch of N pending statements, append its entry, sign
    a checkpoint) beside a plain ledger append plus checkpoint (the cost without batching);
  - the storage one tick adds (PostgreSQL: every ledger table's total relation size, indexes
    included; SQLite: the file's pages), and so the ledger growth per year at one tick a
    minute (525,600 ticks), whether or not any bid came.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from procurement import ledger, sealedlog  # noqa: E402
from procurement.crypto import entrykinds  # noqa: E402

TABLES = ["ledger_entry", "merkle_node", "ledger_checkpoint", "ledger_sealed_batch",
          "ledger_sealed_statement", "ledger_head"]  # fmt: skip
TICKS_PER_YEAR = 365 * 24 * 60


def storage_bytes() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT sum(pg_total_relation_size(c)) FROM unnest(%s::regclass[]) AS c",
                [TABLES],
            )
            return int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]


# The benchmark's own entry kinds: the registry refuses undeclared ones.
for name, fields, visibility in (
    ("BENCH_SEALED", {"bid", "envelope_sha256"}, "sealed"),
    ("BENCH_EVENT", {"i"}, "public"),
):
    entrykinds.register(
        entrykinds.EntryKind(
            name, "bench", "tender", frozenset(fields), frozenset(), visibility, "A benchmark's."
        )
    )


def add_statements(count: int) -> None:
    with transaction.atomic():
        for i in range(count):
            sealedlog.record_sealed(
                "BENCH_SEALED",
                f"tender:BENCH-{i % 7}",
                {"bid": f"{i:08d}-0000-4000-8000-000000000000", "envelope_sha256": "ab" * 32},
                actor=None,
                sealed_until=None,
            )


def bench_ticks(ticks: int, statements: int) -> float:
    total = 0.0
    for _ in range(ticks):
        add_statements(statements)
        start = time.perf_counter()
        sealedlog.tick()
        total += time.perf_counter() - start
    return total / ticks


def bench_plain(ticks: int) -> float:
    start = time.perf_counter()
    for i in range(ticks):
        with transaction.atomic():
            ledger.record_event("BENCH_EVENT", "bench", {"i": i}, actor=None)
        ledger.make_checkpoint()
    return (time.perf_counter() - start) / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=500)
    parser.add_argument("--statements", default="0,100,1000")
    args = parser.parse_args()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor}")
        plain = bench_plain(args.ticks)
        print(f"baseline  one plain append + checkpoint: {plain * 1000:8.2f} ms")
        for count in (int(n) for n in args.statements.split(",")):
            ticks = max(5, args.ticks // (1 + count // 100))
            per_tick = bench_ticks(ticks, count)
            print(f"tick with {count:>5} pending statements: {per_tick * 1000:8.2f} ms "
                  f"({per_tick / plain:5.1f}x the baseline, {ticks} ticks)")  # fmt: skip
        sealedlog.tick()
        before = storage_bytes()
        bench_ticks(args.ticks, 0)
        grown = (storage_bytes() - before) / args.ticks
        print(f"storage per empty tick (entry, nodes, batch, checkpoint): {grown:,.0f} bytes")
        print(f"ledger growth per year at one tick a minute: {grown * TICKS_PER_YEAR / 2**20:,.0f}"
              f" MiB, {TICKS_PER_YEAR:,} entries and as many checkpoints")  # fmt: skip
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
