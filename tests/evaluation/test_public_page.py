"""The public tender page of an awarded tender links every row of its long tables (the opening
record, the result, the ledger entries) in both languages, on every page of the paged ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bidders.models import Bid, BidStatus, closing_set
from evaluation import selectors as evaluation_selectors
from evaluation.services import opening
from evaluation.views import pages as evaluation_pages
from procurement.models import LedgerEntry
from tests.bidders.sealing import seal_bid
from tests.bidders.test_sealed_bids import close_now, release_all, submit
from tests.evaluation.flow import award_lowest_price, open_with_bids

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(api_as, make_tender, make_bidder, custodians, officer, members, approver):
    tender = make_tender(publish=True)
    prices = ["41000000000.00", "43000000000.00", "42000000000.00"]
    opened = open_with_bids(api_as, tender, make_bidder, custodians, prices, officer=officer,
                            members=members)  # fmt: skip
    award_lowest_price(api_as, opened, approver)
    return opened


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_row_of_each_page_names_and_links_its_bid(client, awarded, monkeypatch, lang):
    # Given three opened and ranked bids, two a page
    monkeypatch.setattr(evaluation_selectors, "OPENING_PAGE", 2)
    monkeypatch.setattr(evaluation_pages, "RESULTS_PAGE", 2)
    tender = awarded.tender
    url = reverse("tender", args=[tender.reference])

    # When both pages are read
    pages = [
        client.get(f"{url}?bids={n}&results={n}", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        for n in (1, 2)
    ]

    openings = [page[page.index('id="opening"') : page.index('id="result"')] for page in pages]
    results = [page[page.index('id="result"') : page.index('id="awards"')] for page in pages]
    # Then each bid is on exactly one page of the opening record (its ledger entry linked, the
    # Vietnamese name as the record has it) and of the result (its supplier's page linked, the
    # name in the reader's language)
    bids = Bid.objects.filter(tender=tender).select_related("supplier")
    assert bids.count() == 3
    for bid in bids:
        entry = reverse("ledger-entry", args=[bid.ledger_seq])
        opening_row = f'<td><a href="{entry}">{bid.ledger_seq}</a></td><td>{bid.supplier.name_vi}'
        name = bid.supplier.name_en if lang == "en" else bid.supplier.name_vi
        result_link = f'<a href="{reverse("supplier", args=[bid.supplier.code])}">{name}</a>'
        assert [part.count(opening_row) for part in openings] in ([1, 0], [0, 1]), bid.supplier
        assert [part.count(result_link) for part in results] in ([1, 0], [0, 1]), bid.supplier
    assert [part.count('<td><a href="/ledger/') for part in openings] == [2, 1]
    assert [part.count('<a href="/suppliers/') for part in results] == [2, 1]
    # and the ledger table links every entry of the tender, at its time in UTC
    entries = LedgerEntry.objects.filter(subject=tender.ledger_subject)
    assert 0 < entries.count() < 100
    for e in entries:
        at = e.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        row = (f'<tr><td><a href="{reverse("ledger-entry", args=[e.seq])}">{e.seq}</a></td>'
               f"<td>{at}</td><td>{e.kind}</td></tr>")  # fmt: skip
        assert all(row in page for page in pages), e.kind


def shown(record_bids: list[dict]) -> list[dict]:
    """What the tender page shows of each row of the JSON opening record."""
    return [
        {"seq": b["seq"], "bidder_name": b["bidder_name"], "submitted_at": b["submitted_at"][:19],
         "status": b["status"], "reason": b.get("reason", ""),
         "price_total": b.get("price_total"), "price_key": b.get("price_key", "")}
        for b in record_bids
    ]  # fmt: skip


def status_cells(client, tender, lang: str) -> list[str]:
    page = client.get(reverse("tender", args=[tender.reference]), HTTP_ACCEPT_LANGUAGE=lang)
    record = page.content.decode().split('id="opening"')[1].split("</tbody>")[0]
    return [row.split("<td>")[5].split("</td>")[0] for row in record.split("<tr>")[2:]]


def test_the_pages_rows_are_the_json_records_before_and_after_opening(
    client, api_as, make_tender, make_bidder, custodians
):
    # Given a sound bid and one priced in dollars (invalid once opened), closed
    tender = make_tender(publish=True)
    for price in (None, b'{"currency": "USD", "lots": [{"lot": 1, "price": "5"}]}'):
        user, org = make_bidder()
        body = seal_bid(tender, org.code) if price is None else seal_bid(tender, org.code,
                                                                          price=price)  # fmt: skip
        assert submit(api_as, user, tender, body).status_code == 201
    tender = close_now(tender)

    def page_rows():
        return opening.record_page(closing_set(tender).values_list("pk", flat=True)[:50])

    # Then before opening the page shows no price, as the JSON record, and after it the same
    sealed = page_rows()
    assert sealed == shown(opening.opening_record(tender)["bids"])
    assert [(r["status"], r["price_total"], r["price_key"]) for r in sealed] == [
        (BidStatus.SUBMITTED, None, "")] * 2  # fmt: skip
    assert status_cells(client, tender, "en") == ["sealed", "sealed"]
    assert status_cells(client, tender, "vi") == ["niêm phong", "niêm phong"]
    release_all(api_as, tender, custodians, count=2)
    assert opening.open_tender(tender)
    tender.refresh_from_db()
    opened = page_rows()
    assert opened == shown(opening.opening_record(tender)["bids"])
    assert [r["status"] for r in opened] == [BidStatus.OPENED, BidStatus.INVALID]
    assert opened[0]["price_total"] and opened[0]["price_key"]
    assert "not in VND" in opened[1]["reason"] and opened[1]["price_total"] is None
    reason = opened[1]["reason"]
    assert status_cells(client, tender, "en") == [
        "opened", f'<span class="fail">invalid: {reason}</span>']  # fmt: skip
    assert status_cells(client, tender, "vi") == [
        "đã mở", f'<span class="fail">không hợp lệ: {reason}</span>']  # fmt: skip
