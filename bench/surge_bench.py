"""Deadline surge: many bidders submitting sealed bids in the final minute before a deadline,
against the production serving stack (gunicorn + PostgreSQL), beside its same-run ceiling.

    .venv/bin/python bench/surge_bench.py [--clients 200] [--per-client 10] [--docs-kb 256]
        [--workers 4] [--threads 8] [--deadline-in 480] [--settle 15]

Needs PostgreSQL (DATABASE_URL's server, else 127.0.0.1:5432 as postgres); works in its own
database ``minhbach_surge``, recreated each run. Every connection represents its own approved
supplier; all bid on one tender (the hot row is the worst case), each envelope sealed
beforehand and replacing the supplier's previous bid (X-Supersedes). The load client
(bench/_surge_client.py) is a separate asyncio process over raw HTTP/1.1 keep-alive, so it
shares neither the server's interpreter nor its bottleneck; its CPU time is printed.

Three runs, each over the same connections and bodies of the same size:
  1. ceiling: every connection posts ``per-client`` bodies one straight after the other to
     ``bench/ceiling/`` (bench/_surge_urls.py), on the same server: token authentication, the
     body stored as a file, one row inserted, one commit: the most this stack can take;
  2. capacity: the same, as bid submissions (closed loop: as fast as the server answers);
     printed as bids/s and the ratio capacity / ceiling;
  3. final minute: ``clients x per-client`` more bids arriving at random moments spread
     evenly over the last 60 s before the deadline (2,000 by default: 33/s on average), each
     connection sending its next bid when due or, if still busy, as soon as its previous
     answer came; latency is counted from the moment a bid was due. Then each connection
     tries once more just after the deadline.
Printed: requests/s and latency p50/p95/p99 of each run; zero lost (every 201 has its bid
row and its sealed statement), zero accepted late (no bid time at or after the deadline;
every attempt after it refused), zero refused for queueing (answered "deadline passed"
although the whole envelope had been sent before the deadline), and the closing's bid set
equal to the live bids (the closing waits ``--settle`` seconds after the deadline, the
server's SUBMISSION_SETTLE_SECONDS for this run); CPU seconds of the client and of the
server's processes; bare single-row INSERT+COMMITs from as many connections as the server
has request threads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "minhbach_surge"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("the surge bench needs PostgreSQL (DATABASE_URL=postgres://…)")
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    admin = psycopg2.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [DB_NAME],
        )
        cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        cursor.execute(f"CREATE DATABASE {DB_NAME}")
    admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--docs-kb", type=int, default=256)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--deadline-in", type=float, default=480.0,
                        help="seconds from the tender's publication to its deadline: room to "
                        "seal every envelope, run the ceiling and the capacity run")  # fmt: skip
    parser.add_argument(
        "--settle", type=int, default=15, help="the server's SUBMISSION_SETTLE_SECONDS for this run"
    )
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    var = ROOT / "var" / "surge"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "api.site.settings",
        "API_THROTTLE_ANON": "1000000/minute",
        "API_THROTTLE_USER": "1000000/minute",
        "DEMO_CUSTODIANS": "0",
        "MINHBACH_VAR_DIR": str(var),
        "SUBMISSION_SETTLE_SECONDS": str(args.settle),
        "BID_ENVELOPES_PER_TENDER": str(2 * args.per_client + 1),
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip

    import django

    django.setup()
    from procurement.clock import db_now

    create_ceiling_table(url)
    setup = Setup(args.clients)
    tender = setup.tender(args.deadline_in)
    total = args.clients * args.per_client
    print(f"Tender {tender.reference}: deadline in {args.deadline_in:.0f} s; sealing "
          f"{args.clients * (2 * args.per_client + 1)} "
          f"envelopes with {args.docs_kb} KiB of documents …")  # fmt: skip
    folder = var / "envelopes"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = setup.seal_all(tender, 2 * args.per_client, args.docs_kb * 1024, folder)
    size = Path(files[0][0]).stat().st_size
    # The client waits by the wall clock, offset once to the database clock (the server checks
    # the database clock itself).
    offset = db_now().timestamp() - time.time()
    deadline_wall = tender.submission_deadline.timestamp() - offset

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "api.site.wsgi", "-w", str(args.workers),
         "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--timeout", "120"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "bench._surge_settings"},
        stderr=(var / "server.log").open("w"),  # 409s are logged there, not here
    )  # fmt: skip
    try:
        wait_for(port)
        tokens = [token for _code, token in setup.suppliers]
        first = [e[: args.per_client] for e in files]  # the capacity run's
        final = [e[args.per_client :] for e in files]  # the final minute's, then the late one
        slots = [{"token": t, "envelopes": e} for t, e in zip(tokens, first, strict=True)]
        # Warm every worker up (imports, connections) before anything is measured.
        warm = [{"token": t, "envelopes": e[:1]} for t, e in zip(tokens, files, strict=True)]
        run_client({"port": port, "path": "/bench/ceiling/", "slots": warm[: 4 * args.threads],
                    "start_at": time.time(), "supersede": False}, var)  # fmt: skip
        server_cpu = cpu_of_tree(server.pid)
        print(f"Ceiling: the same {args.clients} connections post the same {total} bodies "
              f"({size / 1024:.0f} KiB) to bench/ceiling/ (gunicorn {args.workers}×"
              f"{args.threads}) …")  # fmt: skip
        ceiling = run_client({"port": port, "path": "/bench/ceiling/", "slots": slots,
                              "start_at": time.time() + 1, "supersede": False}, var)  # fmt: skip
        ceiling["server_cpu"] = cpu_of_tree(server.pid) - server_cpu
        bids = f"/api/v1/tenders/{tender.reference}/bids/"
        print(f"Capacity: the same connections submit {total} bids one straight after the other "
              f"…")  # fmt: skip
        server_cpu = cpu_of_tree(server.pid)
        capacity = run_client({"port": port, "path": bids, "slots": slots,
                               "start_at": time.time() + 1, "supersede": True}, var)  # fmt: skip
        capacity["server_cpu"] = cpu_of_tree(server.pid) - server_cpu
        start_at = deadline_wall - 60
        if time.time() > start_at - 2:
            sys.exit("sealing, the ceiling and capacity took longer than --deadline-in allowed")
        print(f"Final minute: {total} more bids due at random moments over the last 60 s, then "
              f"one attempt after the deadline per connection …")  # fmt: skip
        schedule = sorted(random.uniform(start_at, deadline_wall - 0.05) for _ in range(total))
        random.shuffle(schedule)
        per = args.per_client
        live = {}  # each supplier's bid left live by the capacity run, which its next replaces
        for r in sorted(capacity["results"], key=lambda r: r["answered"]):
            if r["status"] == 201:
                live[r["slot"]] = r["bid"]
        slots = [{"token": t, "envelopes": e, "at": sorted(schedule[n * per : (n + 1) * per]),
                  "previous": live.get(n)}
                 for n, (t, e) in enumerate(zip(tokens, final, strict=True))]  # fmt: skip
        server_cpu = cpu_of_tree(server.pid)
        surge = run_client({"port": port, "path": bids, "slots": slots, "start_at": start_at,
                            "supersede": True, "late_attempt": True,
                            "deadline_wall": deadline_wall}, var)  # fmt: skip
        surge["server_cpu"] = cpu_of_tree(server.pid) - server_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)

    report(ceiling, capacity, surge, tender, deadline_wall, args.settle)
    # The commit baseline uses as many connections as the server had request threads.
    baseline(url, args.workers * args.threads, total)


def create_ceiling_table(url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, sha256 text, path text, "
            "size integer, at timestamptz)"
        )
    connection.close()


def run_client(plan: dict, var: Path) -> dict:
    """Run the load client in its own process; its results."""
    plan_file, result_file = var / "plan.json", var / "result.json"
    plan_file.write_text(json.dumps(plan))
    subprocess.run([sys.executable, str(ROOT / "bench" / "_surge_client.py"), str(plan_file),
                    str(result_file)], check=True)  # fmt: skip
    return json.loads(result_file.read_text())


def cpu_of_tree(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def wait_for(port: int) -> None:
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


class Setup:
    """An agency, three custodians (their keys kept here, as their agents would), and one
    approved supplier per client with an API token."""

    def __init__(self, clients: int) -> None:
        import base64

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from knox.models import AuthToken

        from bidders.services import registration as supplier_services
        from procurement import services
        from procurement.models import OrganisationKind, Role
        from tenders.models import LegalRegime
        from tenders.regimes import install_drill
        from tenders.services import custody

        self.regime = install_drill(LegalRegime)
        self.agency = services.create_organisation(
            code="so-bench", kind=OrganisationKind.AGENCY, name_vi="Sở Thử tải",
            name_en="Load Test Department", actor=None,
        )  # fmt: skip
        audit = services.create_organisation(
            code="kiem-toan-bench", kind=OrganisationKind.OVERSIGHT, name_vi="Kiểm toán",
            name_en="Audit", actor=None,
        )  # fmt: skip
        civil = services.create_organisation(
            code="giam-sat-bench", kind=OrganisationKind.OVERSIGHT, name_vi="Giám sát",
            name_en="Civil monitor", actor=None,
        )  # fmt: skip
        self.officer = services.create_user(username="officer", password="x" * 12, actor=None)
        services.grant_membership(self.agency, user=self.officer, role=Role.OFFICER, actor=None)
        self.custodians = []
        for n, org in enumerate([self.agency, audit, civil]):
            user = services.create_user(username=f"custodian{n}", password="x" * 12, actor=None)
            services.grant_membership(org, user=user, role=Role.CUSTODIAN, actor=None)
            key = Ed25519PrivateKey.generate()
            public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
            identity = custody.register_identity(org, actor=user, public_key=public)
            self.custodians.append((user, identity, key, {}))
        self.suppliers = []
        for n in range(clients):
            profile = supplier_services.register_supplier(
                name_vi=f"Nhà thầu {n}", name_en=f"Supplier {n}", tax_code=f"09{n:08d}",
                province="Hà Nội", address="1 Tràng Tiền", contact_name="Bench",
                contact_email=f"s{n}@example.vn", classifications=[], username=f"supplier{n}",
                password="x" * 12,
            )  # fmt: skip
            supplier_services.approve_supplier(profile, actor=None, note="bench")
            _, token = AuthToken.objects.create(profile.registered_by)
            self.suppliers.append((profile.organisation.code, token))

    def tender(self, seconds: float):
        from decimal import Decimal

        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from procurement.clock import db_now
        from procurement.crypto import keystatement
        from tenders import services
        from tenders.services import custody

        deadline = db_now() + dt.timedelta(seconds=seconds)
        tender = services.create_tender(
            self.agency, actor=self.officer, regime=self.regime, title="Thử tải hạn chót",
            category="goods", classification_code="30000000-9", estimated_value=Decimal("1e9"),
            submission_deadline=deadline, opening_time=deadline, contact_name="Bench",
            contact_email="bench@example.gov.vn",
            lots=[{"title": "Lô 1", "items": [{"description": "Hàng", "quantity": "1",
                   "unit": "gói", "classification_code": "30000000-9"}]}],
        )  # fmt: skip
        custody.set_roster(tender, actor=self.officer, threshold=2,
                           custodians=[c[1].code for c in self.custodians])  # fmt: skip
        for index, (user, identity, key, keys) in enumerate(self.custodians, start=1):
            private = X25519PrivateKey.generate()
            keys[tender.reference] = private
            signed = keystatement.make_statement(
                tender=tender.reference, deadline=custody.iso(tender.submission_deadline),
                custodian=identity.code, index=index, public_key=private.public_key(),
                identity=key,
            )  # fmt: skip
            custody.submit_statement(tender, actor=user, signed=signed)
        return services.publish_tender(tender, actor=self.officer)

    def seal_all(self, tender, per_client: int, docs_len: int, folder: Path) -> list[list[str]]:
        """Seal every envelope beforehand (the last of each supplier is its late attempt) into
        files the client reads: the key set verified once, then sealed by as many processes as
        the machine has cores."""
        import multiprocessing

        from django.db import connections

        from tenders.services import custody

        verified = custody.verified_keyset(tender)
        docs = os.urandom(docs_len)
        jobs = []
        for n, (code, _token) in enumerate(self.suppliers):
            for i in range(per_client + 1):
                jobs.append((str(folder / f"{n:04d}-{i:02d}.epb1"), code, i))
        connections.close_all()  # the children use no database
        context = multiprocessing.get_context("fork")
        global _SEAL  # the children inherit it by fork
        _SEAL = (tender.reference, verified.keyset_hash, tender.threshold,
                 verified.public_keys, docs)  # fmt: skip
        with context.Pool(os.cpu_count() or 1) as pool:
            pool.map(_seal_one, jobs, chunksize=16)
        out = [[] for _ in self.suppliers]
        for name, _code, _i in jobs:
            out[int(Path(name).name[:4])].append(name)
        return out


_SEAL: tuple = ()


def _seal_one(job: tuple) -> None:
    import io
    import uuid

    from procurement.crypto import envelope

    name, code, i = job
    reference, keyset, k, public_keys, docs = _SEAL
    price = json.dumps({"currency": "VND", "lots": [{"lot": 1,
                        "price": str(900_000_000 + i)}]}).encode()  # fmt: skip
    with open(name, "wb") as out:
        envelope.seal(out, tender=reference, keyset=keyset, bidder=code, bid=str(uuid.uuid4()),
                      k=k, public_keys=public_keys, price=price, docs=io.BytesIO(docs),
                      docs_len=len(docs), chunk=envelope.DEFAULT_CHUNK)  # fmt: skip


def summary(name: str, results: list[dict], seconds: float, key: str = "seconds") -> float:
    latencies = [r[key] for r in results if r["status"] == 201]
    rate = len(latencies) / seconds if seconds else 0.0
    print(f"{name:12} {len(latencies):5} accepted in {seconds:6.1f} s: {rate:7.1f}/s   "
          f"{percentiles(latencies) if len(latencies) > 1 else ''}")  # fmt: skip
    return rate


def window(results: list[dict]) -> float:
    """From the first request's start to the last accepted answer."""
    accepted = [r["answered"] for r in results if r["status"] == 201]
    return max(accepted) - min(r["started"] for r in results) if accepted else 0.0


def report(ceiling: dict, capacity: dict, surge: dict, tender, deadline_wall: float,
           settle: int) -> None:  # fmt: skip
    from bidders.models import Bid, BidStatus
    from evaluation.services import closing as closing_services
    from procurement.models import LedgerEntry, SealedStatement

    print()
    top = summary("ceiling", ceiling["results"], window(ceiling["results"]))
    rate = summary("capacity", capacity["results"], window(capacity["results"]))
    print(f"capacity / ceiling: {rate / top:.2f}" if top else "no ceiling measured")
    during = [r for r in surge["results"] if not r["late_attempt"]]
    summary("final minute", during, 60.0, key="from_due")
    print("  (latency from the moment each bid was due; rate = accepted / 60 s)")
    for name, run in (("ceiling", ceiling), ("capacity", capacity), ("final minute", surge)):
        print(f"CPU seconds during the {name}: client {run['cpu_seconds']:.1f}, server "
              f"{run['server_cpu']:.1f} (wall {run['wall_seconds']:.1f})")  # fmt: skip
    every = capacity["results"] + during
    other = [r for r in every if r["status"] not in (201, 409)]
    closed = [r for r in every if r["status"] == 409]
    queued = [r for r in closed if r["sent"] < deadline_wall]
    print(f"Refused before the deadline: {len(closed)} with 409 ({len(queued)} of them sent in "
          f"full before the deadline: refused for queueing), {len(other)} other"
          + (f", e.g. {other[0]['status']} {other[0].get('body') or other[0].get('error')}"
             if other else ""))  # fmt: skip
    if closed:
        print(f"  e.g. {closed[0]['body'][:160]}")
    ids = {r["bid"] for r in every if r["status"] == 201}
    rows = {str(r) for r in Bid.objects.filter(tender=tender).values_list("public_id", flat=True)}
    statements = SealedStatement.objects.filter(kind="BID_SUBMITTED",
                                                subject=tender.ledger_subject).count()  # fmt: skip
    print(f"Lost: {len(ids - rows)} (answers 201 without a bid row); sealed BID_SUBMITTED "
          f"statements: {statements} for {len(ids)} accepted")  # fmt: skip
    late = [r for r in surge["results"] if r["late_attempt"]]
    after = Bid.objects.filter(tender=tender, submitted_at__gte=tender.submission_deadline)
    print(f"Late attempts: {len(late)}, refused {sum(r['status'] == 409 for r in late)}; bids "
          f"recorded with a time at or after the deadline: {after.count()}")  # fmt: skip
    wait = deadline_wall + settle + 0.5 - time.time()
    if wait > 0:
        time.sleep(wait)  # the closing waits for the settle time after the deadline
    closing_services.close_tender(tender)
    tender.refresh_from_db()
    closing = json.loads(bytes(LedgerEntry.objects.get(seq=tender.closing_seq).canonical))
    live = Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).count()
    print(f"Closing: {closing['payload']['bid_count']} bids in the set; live bids {live}; "
          f"root {tender.bid_set_root[:16]}…")  # fmt: skip


def baseline(url: str, threads: int, total: int) -> None:
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (id bigserial PRIMARY KEY, body bytea)")
    connection.close()
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = psycopg2.connect(url)
        with conn.cursor() as cursor:
            for _ in range(total // threads):
                started = time.perf_counter()
                cursor.execute("INSERT INTO bench_plain (body) VALUES (%s)", [b"x" * 512])
                conn.commit()
                with lock:
                    latencies.append(time.perf_counter() - started)
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - started
    print(f"\nBaseline, bare single-row INSERT+COMMIT from {threads} connections: "
          f"{len(latencies) / seconds:.0f} commits/s, {percentiles(latencies)}")  # fmt: skip


if __name__ == "__main__":
    main()
