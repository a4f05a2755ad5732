"""Helpers that drive a tender from publication to an opened, evaluable state through the API,
shared by the evaluation, award, complaint and contract tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from evaluation.services import opening
from procurement.models import Role
from tests.bidders.sealing import price_sheet, seal_bid
from tests.bidders.test_sealed_bids import close_now, release_all, submit

COMBINED = {
    "evaluation_method": "combined",
    "price_weight": 30,
    "technical_pass_mark": 70,
    "criteria": [
        {"kind": "pass_fail", "name": "Giấy phép xây dựng cầu"},
        {"kind": "scored", "name": "Giải pháp kỹ thuật", "weight": 60},
        {"kind": "scored", "name": "Tiến độ", "weight": 40},
    ],
}
STANDARD = ["eligibility", "bid_security", "validity", "qualification"]


@dataclass
class Opened:
    tender: object
    bids: list[str]  # bid ids, in submission order
    bidders: list = field(default_factory=list)  # (user, organisation)
    members: list = field(default_factory=list)


def post(api_as, user, name, tender, data=None, *args):
    return api_as(user).post(
        reverse(f"api:{name}", args=[tender.reference, *args]),
        data or {},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def get(api_as, user, name, tender, *args):
    return api_as(user).get(
        reverse(f"api:{name}", args=[tender.reference, *args]), HTTP_ACCEPT_LANGUAGE="en"
    )


def open_with_bids(api_as, tender, make_bidder, custodians, prices, *, officer, members=()):
    """Bids at ``prices`` (lot 1), members appointed before closing, the tender closed and
    opened, and every member declared without conflict."""
    bidders, bids = [], []
    for price in prices:
        user, org = make_bidder()
        sealed = seal_bid(tender, org.code, price=price_sheet(tender, price))
        response = submit(api_as, user, tender, sealed)
        assert response.status_code == 201, response.json()
        bidders.append((user, org))
        bids.append(response.json()["bid"])
    for member in members:
        response = post(
            api_as, officer, "tender-committee", tender, {"user": str(member.public_id)}
        )
        assert response.status_code == 201, response.json()
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    opening.open_tender(tender)  # (in a committing test the k-th release may have opened it)
    tender.refresh_from_db()
    assert tender.status == "opened"
    for member in members:
        response = post(api_as, member, "tender-declaration", tender, {"conflict": False})
        assert response.status_code == 200, response.json()
    tender.refresh_from_db()
    return Opened(tender, bids, bidders, list(members))


def checks(tender, fail: str | None = None, reason: str = "") -> list[dict]:
    keys = STANDARD + [f"criterion:{c.number}" for c in tender.criteria.filter(kind="pass_fail")]
    return [{"check": k, "passed": k != fail, "reason": reason if k == fail else ""} for k in keys]


def examine(api_as, member, tender, bid, fail=None, reason=""):
    return post(api_as, member, "tender-examinations", tender,
                {"bid": bid, "checks": checks(tender, fail, reason)})  # fmt: skip


def sheet(tender, bids: list[str], points: dict[str, tuple]) -> dict:
    """{bid: {criterion number: points}} from per-bid tuples in scored-criterion order."""
    numbers = [str(n) for n in tender.criteria.filter(kind="scored").order_by("number")
               .values_list("number", flat=True)]  # fmt: skip
    return {b: dict(zip(numbers, (str(p) for p in points[b]), strict=True)) for b in bids}


def approver_of(make_user, agency):
    return make_user((Role.APPROVER, agency))


def award_lowest_price(api_as, opened: Opened, approver) -> dict:
    """Examine every bid as passing, run, report and approve: the lowest price wins."""
    member, t = opened.members[0], opened.tender
    for bid in opened.bids:
        assert examine(api_as, member, t, bid).status_code == 201
    assert post(api_as, member, "tender-runs", t).status_code == 201
    report = post(api_as, member, "tender-reports", t, {"summary": "Giá thấp nhất."})
    assert report.status_code == 201, report.json()
    number = report.json()["number"]
    approved = post(api_as, approver, "tender-report-approve", t, None, number)
    assert approved.status_code == 200, approved.json()
    opened.tender.refresh_from_db()
    return approved.json()


def pass_standstill(tender) -> None:
    """Let the standstill run out (as time passing would)."""
    import datetime as dt  # noqa: PLC0415

    from evaluation.models import Report  # noqa: PLC0415
    from procurement.clock import db_now  # noqa: PLC0415

    Report.objects.filter(tender=tender, status="approved").update(
        standstill_until=db_now() - dt.timedelta(seconds=1)
    )
