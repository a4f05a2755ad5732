"""The procurement methods' rules (tenders/methods.py): who may bid. Restricted bidding and
direct contracting name the suppliers they invite; publication checks the list against the
method's row and publishes it; an uninvited supplier can neither bid nor ask, and its refusal
changes nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from bidders.models import Bid
from procurement.exceptions import InvalidInput, PermissionDenied
from procurement.models import LedgerEntry, OrganisationKind
from tenders import methods, services
from tenders.models import Method, Question
from tests.bidders.sealing import seal_bid

pytestmark = pytest.mark.django_db

RATIONALE = "Chỉ ba nhà thầu trong nước làm được loại dầm này."


def test_every_method_has_one_row():
    assert set(methods.RULES) == set(Method.values)
    for rule in methods.RULES.values():
        assert rule.who_may_bid in (methods.ANYONE, methods.INVITED)
        assert rule.ocds_method in ("open", "selective", "limited", "direct")
        if rule.invites:
            assert 1 <= rule.min_invited <= rule.max_invited <= methods.MAX_INVITED
            assert rule.needs_rationale
        else:
            assert rule.min_invited == rule.max_invited == 0


def published_payload(tender) -> dict:
    entry = LedgerEntry.objects.get(kind="TENDER_PUBLISHED", subject=tender.ledger_subject)
    return json.loads(bytes(entry.canonical))["payload"]


def _suppliers(make_bidder, n):
    return [make_bidder() for _ in range(n)]


def _restricted(make_tender, bidders, **overrides):
    return make_tender(
        method=Method.RESTRICTED,
        method_rationale=RATIONALE,
        invited_suppliers=[org.code for _, org in bidders],
        **overrides,
    )


def test_publication_checks_the_list_against_the_method(make_tender, make_bidder, officer):
    bidders = _suppliers(make_bidder, 3)
    # Restricted bidding invites at least three.
    draft = _restricted(make_tender, bidders[:2])
    with pytest.raises(InvalidInput) as error:
        services.publish_tender(draft, actor=officer)
    assert error.value.field == "invited_suppliers"
    # Direct contracting names exactly one.
    direct = make_tender(
        method=Method.DIRECT,
        method_rationale=RATIONALE,
        invited_suppliers=[org.code for _, org in bidders[:2]],
    )
    with pytest.raises(InvalidInput, match="exactly 1"):
        services.publish_tender(direct, actor=officer)
    # Open bidding invites no one: a list left from another method is refused, not ignored.
    open_draft = make_tender(invited_suppliers=[bidders[0][1].code])
    with pytest.raises(InvalidInput, match="open to every supplier"):
        services.publish_tender(open_draft, actor=officer)
    services.update_draft(open_draft, actor=officer, invited_suppliers=[])
    assert services.publish_tender(open_draft, actor=officer).status == "published"
    assert "invited" not in published_payload(open_draft)


def test_unknown_or_non_supplier_codes_are_refused(make_tender, make_org):
    agency = make_org(OrganisationKind.AGENCY)
    for codes in (["no-such-supplier"], [agency.code], "not-a-list", [1, 2]):
        with pytest.raises(InvalidInput) as error:
            make_tender(
                method=Method.RESTRICTED, method_rationale=RATIONALE, invited_suppliers=codes
            )
        assert error.value.field == "invited_suppliers"


def test_the_list_is_published_and_in_the_content_hash(make_tender, make_bidder, officer, api):
    bidders = _suppliers(make_bidder, 3)
    draft = _restricted(make_tender, bidders)
    codes = sorted(org.code for _, org in bidders)
    assert services.public_content(draft)["invited"] == codes
    before = draft.content_sha256
    services.update_draft(draft, actor=officer, invited_suppliers=[codes[2], codes[0], codes[1]])
    draft.refresh_from_db()
    assert draft.content_sha256 == before  # the same set, in any order
    tender = services.publish_tender(draft, actor=officer)
    assert published_payload(tender)["invited"] == codes
    detail = api.get(reverse("api:tender", args=[tender.reference])).json()
    assert detail["invited_suppliers"] == codes
    page = api.get(reverse("tender", args=[tender.reference])).content.decode()
    assert all(code in page for code in codes)


@pytest.mark.parametrize("method", [Method.RESTRICTED, Method.DIRECT])
def test_an_uninvited_supplier_can_neither_bid_nor_ask(
    method, make_tender, make_bidder, officer, api_as
):
    bidders = _suppliers(make_bidder, 3 if method == Method.RESTRICTED else 1)
    outsider, outsider_org = make_bidder()
    tender = make_tender(
        publish=True,
        method=method,
        method_rationale=RATIONALE,
        invited_suppliers=[org.code for _, org in bidders],
    )
    entries = LedgerEntry.objects.count()

    refused = api_as(outsider).post(
        reverse("api:tender-bids", args=[tender.reference]),
        data=seal_bid(tender, outsider_org.code),
        content_type="application/octet-stream",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 403, refused.content
    assert "invited" in refused.json()["error"]["message"]
    with pytest.raises(PermissionDenied):
        services.ask_question(tender, actor=outsider, text="Tôi có được dự thầu không?")
    # Nothing was written: no bid, no question, no ledger entry, no stored sealed statement.
    assert not Bid.objects.filter(tender=tender).exists()
    assert not Question.objects.filter(tender=tender).exists()
    assert LedgerEntry.objects.count() == entries
    # The sealing page offers the outsider no organisation to bid for, and the tender page
    # tells them why instead of offering the button.
    page = api_as(outsider).get(reverse("bid-submit", args=[tender.reference]))
    assert outsider_org.code not in page.content.decode()
    assert reverse("bid-submit", args=[tender.reference]) not in (
        api_as(outsider).get(reverse("tender", args=[tender.reference])).content.decode()
    )

    # An invited supplier bids and asks as under open bidding.
    user, org = bidders[0]
    accepted = api_as(user).post(
        reverse("api:tender-bids", args=[tender.reference]),
        data=seal_bid(tender, org.code),
        content_type="application/octet-stream",
    )
    assert accepted.status_code == 201, accepted.content
    assert services.ask_question(tender, actor=user, text="Hạn giao hàng?").number == 1


def test_open_and_shopping_tenders_admit_any_supplier(make_tender, make_bidder, api_as):
    for method in (Method.OPEN, Method.SHOPPING):
        tender = make_tender(
            publish=True,
            method=method,
            method_rationale=RATIONALE if method == Method.SHOPPING else "",
            days=12,
            estimated_value="5000000000",
            bid_security_amount="50000000",
        )
        user, org = make_bidder()
        response = api_as(user).post(
            reverse("api:tender-bids", args=[tender.reference]),
            data=seal_bid(tender, org.code),
            content_type="application/octet-stream",
        )
        assert response.status_code == 201, response.content


def test_the_api_and_the_web_form_take_the_list(api_as, officer, agency, vn, make_bidder):
    from tests.tenders.fixtures import LOTS, tender_fields

    bidders = _suppliers(make_bidder, 3)
    codes = sorted(org.code for _, org in bidders)
    body = {
        **tender_fields(method="restricted", method_rationale=RATIONALE),
        "agency": agency.code,
        "regime": vn.code,
        "lots": LOTS,
        "invited_suppliers": codes,
    }
    created = api_as(officer).post(reverse("api:tenders"), body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["invited_suppliers"] == codes
    reference = created.json()["reference"]
    patched = api_as(officer).patch(
        reverse("api:tender", args=[reference]),
        {"invited_suppliers": ["no-such-one"]},
        format="json",
    )
    assert patched.status_code == 400
    assert "invited_suppliers" in str(patched.json())
    # Refused, so nothing changed.
    assert (
        api_as(officer).get(reverse("api:tender", args=[reference])).json()["invited_suppliers"]
        == codes
    )

    from tenders.forms import TenderForm

    form = TenderForm({"invited_suppliers": f"{codes[0]}, {codes[1]}\n{codes[2]}"}, agencies=[])
    form.is_valid()
    assert form.cleaned_data["invited_suppliers"] == codes
