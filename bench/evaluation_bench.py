"""Evaluation at scale: the scoring engine alone, then a whole tender's evaluation on the
database (examinations, independent scores, the engine run, approval) and the public pages.

    .venv/bin/python bench/evaluation_bench.py [--engine-bids 5000] [--bids 300] [--members 3]

Runs on the configured database (DATABASE_URL, else SQLite) in a throwaway test database.
The opened bids are written as rows (status "opened", price sheets) instead of being sealed
and opened: this measures the evaluation, not the opening (bench/opening_bench.py does that).
Printed, with same-run baselines:
  - the engine on N bids (combined method, proportional prices, pass mark, rounding, tie
    chain), beside sorting the same N keys with Python's sort;
  - per-step times for M bids; the public tender page, the evaluation check page and the
    published-evaluation API, beside the bare query that reads the same bid rows.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.site.settings")
os.environ.setdefault("DEMO_CUSTODIANS", "0")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_databases, teardown_databases  # noqa: E402


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def engine(count: int) -> None:
    from evaluation import scoring

    rng = random.Random(7)
    bids = [
        scoring.BidInput(
            bid=f"b{i}",
            seq=i,
            price=Decimal(rng.randrange(10**9, 2 * 10**9)),
            passed=rng.random() > 0.1,
            technical=Decimal(rng.randrange(5000, 10000)) / 100,
        )  # fmt: skip
        for i in range(count)
    ]
    method = scoring.Method("combined", price_weight=30, pass_mark=Decimal(70))
    took, result = timed(lambda: scoring.score(bids, method), repeat=3)
    keys = [(-(b.technical or 0), b.price, b.seq) for b in bids]
    base, _ = timed(lambda: sorted(keys), repeat=3)
    ranked = sum(1 for r in result if r.rank)
    print(f"engine, {count} bids ({ranked} ranked): {took * 1000:.1f} ms "
          f"({count / took:,.0f} bids/s); baseline sort of the same keys {base * 1000:.2f} ms "
          f"(engine = {took / base:.0f}x the bare sort)")  # fmt: skip


def database(count: int, members: int) -> None:
    import datetime as dt
    import hashlib
    import json
    import uuid

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bidders.models import Bid, BidStatus
    from evaluation import publication
    from evaluation.services import award, committee, examination
    from procurement import services
    from procurement.clock import db_now
    from procurement.models import OrganisationKind, Role
    from tenders import services as tender_services
    from tenders.models import LegalRegime, Tender
    from tenders.regimes import install_drill

    agency = services.create_organisation(
        code="so-bench", kind=OrganisationKind.AGENCY, name_vi="Sở Thử tải", name_en="Bench",
        actor=None,
    )  # fmt: skip
    officer = services.create_user(username="officer", password="x" * 12, actor=None)
    services.grant_membership(agency, user=officer, role=Role.OFFICER, actor=None)
    approver = services.create_user(username="approver", password="x" * 12, actor=None)
    services.grant_membership(agency, user=approver, role=Role.APPROVER, actor=None)
    now = db_now()
    tender = tender_services.create_tender(
        agency, actor=officer, regime=install_drill(LegalRegime), title="Bench",
        category="goods", classification_code="30000000-9", estimated_value=Decimal(10**12),
        submission_deadline=now + dt.timedelta(days=1), opening_time=now + dt.timedelta(days=1),
        contact_name="A", contact_email="a@example.vn", evaluation_method="combined",
        price_weight=30,
        criteria=[{"kind": "pass_fail", "name": "Giấy phép"},
                  {"kind": "scored", "name": "Kỹ thuật", "weight": 60},
                  {"kind": "scored", "name": "Tiến độ", "weight": 40}],
        lots=[{"title": "Lô 1", "items": [{"description": "x", "quantity": "1", "unit": "gói",
                                          "classification_code": "30000000-9"}]}],
    )  # fmt: skip
    rng = random.Random(11)
    rows = []
    for i in range(count):
        org = services.create_organisation(code=f"ncc-{i}", kind=OrganisationKind.SUPPLIER,
                                           name_vi=f"Nhà thầu {i}", name_en=f"Supplier {i}",
                                           actor=None)  # fmt: skip
        price = f"{rng.randrange(85 * 10**10, 10**12)}.00"  # none abnormally low
        rows.append(Bid(
            public_id=uuid.uuid4(), tender=tender, supplier=org, submitted_by=officer,
            status=BidStatus.OPENED, envelope=f"bench/{i}", envelope_sha256=hashlib.sha256(
                str(i).encode()).hexdigest(), envelope_size=1, suite="bench", keyset_hash="0",
            dek_commit="0", core_sha256="0", submitted_at=now, ledger_seq=i + 1, opened_at=now,
            price_sheet={"currency": "VND", "lots": [{"lot": 1, "price": price}]},
            price_total=Decimal(price),
        ))  # fmt: skip
    Bid.objects.bulk_create(rows)
    Tender.objects.filter(pk=tender.pk).update(
        status="opened", closing_seq=count + 1, published_at=now, closed_at=now, opened_at=now
    )
    tender.refresh_from_db()
    people = []
    for m in range(members):
        user = services.create_user(username=f"ev{m}", password="x" * 12, actor=None)
        services.grant_membership(agency, user=user, role=Role.EVALUATOR, actor=None)
        committee.appoint(tender, actor=officer, user=user)
        committee.declare(tender, actor=user, conflict=False)
        people.append(user)
    keys = [k for k, _ in examination.checks_for(tender)]
    bids = [str(b.public_id) for b in Bid.objects.filter(tender=tender).order_by("ledger_seq")]

    def examine_all():
        for i, bid in enumerate(bids):
            fail = i % 10 == 0
            checks = [{"check": k, "passed": not (fail and k == "qualification"),
                       "reason": "Thiếu hợp đồng tương tự" if fail and k == "qualification"
                       else ""} for k in keys]  # fmt: skip
            examination.examine(tender, actor=people[0], bid_id=bid, checks=checks)

    def score_all():
        passed = [str(b.public_id) for b in examination.scored_bids(tender)]
        for user in people:
            sheet = {b: {"2": str(rng.randrange(60, 100)), "3": str(rng.randrange(60, 100))}
                     for b in passed}  # fmt: skip
            examination.submit_sheet(tender, actor=user, scores=sheet)

    steps = {}
    steps["examine"], _ = timed(examine_all)
    steps["score"], _ = timed(score_all)
    steps["run"], run = timed(lambda: award.run_evaluation(tender, actor=people[0]))
    steps["report"], report = timed(lambda: award.submit_report(tender, actor=people[0],
                                                                  summary="Bench"))  # fmt: skip
    steps["approve"], _ = timed(lambda: award.approve_report(report, actor=approver))
    print(f"\nwhole evaluation, {count} bids, {members} members:")
    for name, took in steps.items():
        per = f" ({took / count * 1000:.2f} ms per bid)" if name in ("examine",) else ""
        print(f"  {name:<8} {took * 1000:9.1f} ms{per}")
    size = len(json.dumps(run.record))
    print(f"  record: {size / 1024:.0f} KiB")

    base, _ = timed(lambda: list(Bid.objects.filter(tender=tender).select_related("supplier")),
                    repeat=5)  # fmt: skip
    client = Client(HTTP_HOST="127.0.0.1")
    pages = {
        "tender page": f"/tenders/{tender.reference}/",
        "check page": f"/tenders/{tender.reference}/evaluation/",
        "evaluation API": f"/api/v1/tenders/{tender.reference}/evaluation/",
    }
    print(f"\npublic reads, {count} bids (baseline: the bare query for the same bid rows, "
          f"{base * 1000:.1f} ms):")  # fmt: skip
    for name, url in pages.items():
        samples = []
        for _ in range(5):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        took = statistics.median(samples)
        print(f"  {name:<15} median {took * 1000:7.1f} ms, {len(queries)} queries, "
              f"{took / base:.0f}x the baseline")  # fmt: skip
    published, _ = timed(lambda: publication.public_evaluation(tender))
    print(f"  public_evaluation() alone {published * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-bids", type=int, default=5000)
    parser.add_argument("--bids", type=int, default=300)
    parser.add_argument("--members", type=int, default=3)
    args = parser.parse_args()
    engine(args.engine_bids)
    old = setup_databases(verbosity=0, interactive=False)
    try:
        database(args.bids, args.members)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
