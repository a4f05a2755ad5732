"""Deadline surge: many clients submitting sealed bids in the final minute before a deadline,
against gunicorn + PostgreSQL on loopback, then the closing.

    .venv/bin/python bench/surge_bench.py [--clients 200] [--per-client 10] [--docs-kb 16]

Needs PostgreSQL (DATABASE_URL's server, else 127.0.0.1:5432 as postgres); works in its own
database ``minhbach_surge``, recreated each run. Every client represents its own approved
supplier and submits ``per-client`` envelopes one after the other, each replacing the previous
(X-Supersedes), all against one tender (the hot row is the worst case). After the deadline each
client tries once more. Printed figures:
  - accepted bids per second over the surge, and acceptance latency p50/p95/p99 (client side);
  - zero lost (every 201 has its bid row and its ledger entry), zero accepted late (no bid at or
    after the deadline by the database clock, every late attempt refused), and the closing's
    bid set equal to the live bids;
  - the same-run baseline: bare single-row INSERT+COMMITs from as many threads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
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
    parser.add_argument("--docs-kb", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "api.site.settings",
        "API_THROTTLE_ANON": "1000000/minute",
        "API_THROTTLE_USER": "1000000/minute",
        "DEMO_CUSTODIANS": "0",
        "MINHBACH_VAR_DIR": str(ROOT / "var" / "surge"),
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip

    import django

    django.setup()
    from procurement.crypto.canonical import canonical_json  # noqa: F401 - warm imports

    setup = Setup(args.clients)
    deadline_in = 75.0
    tender = setup.tender(deadline_in)
    total = args.clients * args.per_client
    print(f"Tender {tender.reference}: deadline in {deadline_in:.0f} s; sealing {total} "
          f"envelopes of {args.docs_kb} KB documents …")  # fmt: skip
    envelopes = setup.seal_all(tender, args.per_client, args.docs_kb * 1024)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "api.site.wsgi", "-w", str(args.workers),
         "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--timeout", "120"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_for(port)
        from procurement.clock import db_now

        start_at = tender.submission_deadline - dt.timedelta(seconds=60)
        while db_now() < start_at:
            time.sleep(0.2)
        print(f"Surge: {args.clients} clients, {args.per_client} bids each, starting 60 s "
              f"before the deadline (gunicorn {args.workers}×{args.threads}) …")  # fmt: skip
        results = surge(port, tender, setup, envelopes)
    finally:
        server.terminate()
        server.wait(timeout=30)

    report(results, tender, setup)
    # The baseline uses as many connections as the server had request threads.
    baseline(url, args.workers * args.threads, args.clients * args.per_client)


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

    def seal_all(self, tender, per_client: int, docs_len: int) -> list[list[bytes]]:
        from bidders.sealing import seal_for

        docs = os.urandom(docs_len)
        out = []
        for code, _token in self.suppliers:
            bids = []
            for i in range(per_client + 1):  # the last one is the late attempt
                price = json.dumps({"currency": "VND", "lots": [{"lot": 1,
                                    "price": str(900_000_000 + i)}]}).encode()  # fmt: skip
                bids.append(seal_for(tender, code, price=price, docs=docs))
            out.append(bids)
        return out


def surge(port: int, tender, setup: Setup, envelopes: list[list[bytes]]) -> dict:
    from procurement.clock import db_now

    path = f"/api/v1/tenders/{tender.reference}/bids/"
    lock = threading.Lock()
    latencies: list[float] = []
    accepted: list[tuple[str, float]] = []  # (bid id, wall-clock time of the answer)
    failures: list[str] = []
    late: list[int] = []
    # Threads wait by the wall clock, offset once to the database clock (the server checks the
    # database clock itself; a connection per thread would exceed PostgreSQL's limit).
    offset = db_now().timestamp() - time.time()
    deadline_wall = tender.submission_deadline.timestamp() - offset

    def client(n: int) -> None:
        code, token = setup.suppliers[n]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        previous = None
        for body in envelopes[n][:-1]:
            headers = {"Authorization": f"Token {token}",
                       "Content-Type": "application/octet-stream"}  # fmt: skip
            if previous:
                headers["X-Supersedes"] = previous
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                if response.status == 201:
                    previous = json.loads(data)["bid"]
                    latencies.append(elapsed)
                    accepted.append((previous, time.time()))
                else:
                    failures.append(f"{response.status} {data[:200]!r}")
        connection.close()
        # After the deadline: one more attempt, which must be refused.
        while time.time() < deadline_wall + 0.01:
            time.sleep(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/octet-stream"}
        if previous:
            headers["X-Supersedes"] = previous
        connection.request("POST", path, body=envelopes[n][-1], headers=headers)
        response = connection.getresponse()
        response.read()
        with lock:
            late.append(response.status)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(setup.suppliers))]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    last = max((t for _, t in accepted), default=started)
    return {"latencies": latencies, "accepted": accepted, "failures": failures, "late": late,
            "seconds": last - started}  # fmt: skip


def report(results: dict, tender, setup: Setup) -> None:
    from bidders.models import Bid, BidStatus
    from procurement.models import LedgerEntry, SealedStatement

    accepted = results["accepted"]
    print(f"\nAccepted {len(accepted)} bids in {results['seconds']:.1f} s: "
          f"{len(accepted) / results['seconds']:.0f} bids/s")  # fmt: skip
    print(f"Acceptance latency: {percentiles(results['latencies'])}")
    if results["failures"]:
        refused = len(results["failures"])
        print(f"Refused during the surge (at or after the deadline, or other): {refused}, "
              f"e.g. {results['failures'][0]}")  # fmt: skip
    ids = {bid for bid, _ in accepted}
    rows = set(Bid.objects.filter(tender=tender).values_list("public_id", flat=True))
    entries = SealedStatement.objects.filter(kind="BID_SUBMITTED", subject=tender.ledger_subject)
    lost = ids - {str(r) for r in rows}
    print(f"Lost: {len(lost)} (answers 201 without a bid row); sealed BID_SUBMITTED statements: "
          f"{entries.count()} for {len(ids)} accepted")  # fmt: skip
    late_ok = sum(1 for s in results["late"] if s == 409)
    after = Bid.objects.filter(tender=tender, submitted_at__gte=tender.submission_deadline)
    print(f"Late attempts: {len(results['late'])}, refused {late_ok}; bids recorded at or after "
          f"the deadline: {after.count()}")  # fmt: skip
    from evaluation.services import closing as closing_services

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
