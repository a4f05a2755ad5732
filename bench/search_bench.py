"""Search and listing latency at national scale, and throughput under concurrent load.

    .venv/bin/python bench/search_bench.py --count 100000 [--queries 300] [--seconds 10]

Uses a benchmark database beside the configured one (``<name>_bench_<count>`` on PostgreSQL,
``var/bench_<count>.sqlite3`` otherwise), filled once by ``generate_tenders`` and kept for the
next run. Figures, each beside a baseline from the same run:
  - latency p50/p95/p99 of the search page and of the API list, in-process (server side),
    over a mix of text, filter and combined queries, beside the bare SQL those requests need
    (the count and the page query, run directly);
  - requests per second and latency from concurrent clients against gunicorn on loopback,
    beside a trivial JSON endpoint under the same load.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    # (kind, parameters)
    ("text", {"q": "cầu"}),
    ("text", {"q": "máy tính xách tay"}),
    ("text", {"q": "duong"}),
    ("text", {"q": "thiết bị y tế"}),
    ("text", {"q": "vệ sinh"}),
    ("text", {"q": "Thủ Đức"}),
    ("filter", {"status": "published"}),
    ("filter", {"province": "Đà Nẵng"}),
    ("filter", {"category": "goods", "value_min": "1000000000", "value_max": "5000000000"}),
    ("filter", {"classification": "4523", "ordering": "-estimated_value"}),
    ("filter", {"status": "published", "ordering": "submission_deadline"}),
    ("both", {"q": "cầu", "province": "Hà Nội"}),
    ("both", {"q": "thuốc", "status": "closed"}),
    ("both", {"q": "bàn ghế", "value_max": "2000000000"}),
    ("both", {"q": "tư vấn", "category": "consulting", "ordering": "-published_at"}),
]


def database_url(count: int) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parsed = urllib.parse.urlsplit(url)
        name = parsed.path.lstrip("/") or "minhbach"
        return urllib.parse.urlunsplit(parsed._replace(path=f"/{name}_bench_{count}"))
    return ""


def prepare(count: int) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "api.site.settings"}
    bench_url = database_url(count)
    if bench_url:
        env["DATABASE_URL"] = bench_url
        parsed = urllib.parse.urlsplit(bench_url)
        admin = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
        import psycopg2

        connection = psycopg2.connect(admin)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.path[1:]])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{parsed.path[1:]}"')
        connection.close()
    else:
        env.pop("DATABASE_URL", None)
        env["MINHBACH_VAR_DIR"] = str(ROOT / "var" / f"bench_{count}")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    have = subprocess.run(
        [python, "manage.py", "shell", "-c",
         "from tenders.models import Tender; print(Tender.objects.count())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    missing = count - int(have)
    if missing > 0:
        print(f"Generating {missing:,} tenders (kept for later runs)…", flush=True)
        subprocess.run(
            [python, "manage.py", "generate_tenders", "--count", str(missing), "--force"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        if bench_url:
            subprocess.run(
                [python, "manage.py", "dbshell", "--", "-c", "VACUUM ANALYZE"],
                cwd=ROOT, env=env, check=False, capture_output=True,
            )  # fmt: skip
    return env


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return cut[49] * 1000, cut[94] * 1000, cut[98] * 1000


def in_process(env: dict, rounds: int) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection, transaction
    from django.http import QueryDict
    from django.test import Client

    from procurement import paging
    from tenders import selectors
    from tenders.filters import TenderFilter

    client = Client()
    rng = random.Random(7)  # noqa: S311 - benchmark sampling
    mix = [rng.choice(QUERIES) for _ in range(rounds)]
    timings: dict[str, dict[str, list[float]]] = {}

    def bare_sql(params: dict) -> None:
        base = selectors.visible_tenders(None).order_by("-published_at", "-pk")
        query = QueryDict(mutable=True)
        query.update(params)
        filtered = TenderFilter(query, queryset=base)
        if not filtered.is_valid():
            raise SystemExit(f"invalid benchmark query {params}: {filtered.errors}")
        qs = filtered.qs
        page_sql, page_params = qs[:25].query.sql_with_params()
        cap = paging.COUNT_CAP
        # The same statements as the paginator's count, run directly.
        count = paging.capped_count(qs, cap, execute=paging.execute_undone)
        statements = [(page_sql, page_params)]
        if count > cap and connection.vendor == "postgresql":  # as the paginator does
            statements.insert(0, (paging.ORDERED_WALK_SETTINGS, None))
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, sql_params in statements:
                cursor.execute(sql, sql_params)
            cursor.fetchall()
            transaction.set_rollback(True)

    # Warm up every query once (plans, caches), then measure.
    for _, params in QUERIES:
        client.get("/tenders/", params)
        client.get("/api/v1/tenders/", params)
        bare_sql(params)
    for kind, params in mix:
        row = timings.setdefault(kind, {"page": [], "api": [], "sql": []})
        for label, call in (
            ("sql", lambda p=params: bare_sql(p)),
            ("page", lambda p=params: client.get("/tenders/", p)),
            ("api", lambda p=params: client.get("/api/v1/tenders/", p)),
        ):
            start = time.perf_counter()
            response = call()
            row[label].append(time.perf_counter() - start)
            if response is not None and response.status_code != 200:
                raise SystemExit(f"{label} {params} answered {response.status_code}")
    print(f"\nServer-side latency over {rounds} requests of each kind (ms)")
    print(f"{'query kind':<10} {'what':<22} {'p50':>8} {'p95':>8} {'p99':>8}   p95 vs bare SQL")
    for kind, row in timings.items():
        base95 = percentiles(row["sql"])[1]
        for label, name in (("sql", "bare SQL (baseline)"), ("page", "search page"),
                            ("api", "API list")):  # fmt: skip
            p50, p95, p99 = percentiles(row[label])
            ratio = "" if label == "sql" else f"{p95 / base95:6.1f}×"
            print(f"{kind:<10} {name:<22} {p50:8.1f} {p95:8.1f} {p99:8.1f}   {ratio}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(env: dict, seconds: float, clients: int) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "api.site.wsgi", "-w", "2", "--threads", "2",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env={**env, "API_THROTTLE_ANON": "1000000/minute", "API_THROTTLE_USER": "1000000/minute"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/ledger/key/", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)

        def run(paths: list[str]) -> tuple[float, list[float], int]:
            samples: list[float] = []
            errors = 0
            stop = time.monotonic() + seconds
            lock = threading.Lock()

            def worker(n: int) -> None:
                nonlocal errors
                rng = random.Random(n)  # noqa: S311 - benchmark sampling
                while time.monotonic() < stop:
                    start = time.perf_counter()
                    try:
                        urllib.request.urlopen(base + rng.choice(paths), timeout=30).read()  # noqa: S310
                    except OSError:
                        with lock:
                            errors += 1
                        continue
                    with lock:
                        samples.append(time.perf_counter() - start)

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return len(samples) / (time.monotonic() - started), samples, errors

        pages = [f"/tenders/?{urllib.parse.urlencode(p)}" for _, p in QUERIES]
        apis = [f"/api/v1/tenders/?{urllib.parse.urlencode(p)}" for _, p in QUERIES]
        print(f"\nUnder load: {clients} clients for {seconds:.0f} s each, gunicorn 2×2 on loopback")
        print(f"{'target':<28} {'req/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7}")
        for name, paths in (("trivial JSON (baseline)", ["/api/v1/ledger/key/"]),
                            ("search page mix", pages), ("API list mix", apis)):  # fmt: skip
            rate, samples, errors = run(paths)
            p50, p95, p99 = percentiles(samples) if len(samples) > 2 else (0, 0, 0)
            print(f"{name:<28} {rate:8.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f} {errors:>7}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    env = prepare(args.count)
    vendor = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    print(f"Search benchmark: {args.count:,} tenders on {vendor}")
    load(env, args.seconds, args.clients)
    in_process(env, args.queries)


if __name__ == "__main__":
    main()
