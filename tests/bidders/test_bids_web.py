"""Portal pages for bids: the sealing page (strict CSP, only own scripts), my bids and their
receipts, withdrawal, the custodian's places and the public receipt check."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.bidders.sealing import seal_bid
from tests.bidders.test_sealed_bids import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


def test_sealing_page_has_a_strict_csp_and_only_own_scripts(client, tender, make_bidder):
    user, org = make_bidder()
    client.force_login(user)
    response = client.get(reverse("bid-submit", args=[tender.reference]))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe" not in csp
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    page = response.content.decode()
    assert "/static/js/bid.js" in page and org.code in page
    config = json.loads(
        page.split('id="bid-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["keyset"]["keyset_hash"] == tender.keyset_hash
    assert len(config["keyset"]["roster"]) == 3
    assert "http" not in "".join(p for p in page.split("<script")[1:] if "src=" in p.split(">")[0])


def test_sealing_page_is_for_suppliers(client, tender, officer):
    client.force_login(officer)
    assert client.get(reverse("bid-submit", args=[tender.reference])).status_code == 403


def test_my_bids_receipts_and_withdrawal(client, api_as, tender, make_bidder):
    user, org = make_bidder()
    other, _ = make_bidder()
    bid = submit(api_as, user, tender, seal_bid(tender, org.code)).json()["bid"]
    client.force_login(user)
    page = client.get(reverse("my-bids")).content.decode()
    assert tender.reference in page
    receipt = client.get(reverse("bid-receipt", args=[bid]))
    assert json.loads(json.loads(receipt.content)["statement"])["kind"] == "BID_SUBMITTED"
    client.force_login(other)
    assert client.get(reverse("bid-receipt", args=[bid])).status_code == 404
    assert client.post(reverse("bid-withdraw", args=[bid])).status_code == 404
    client.force_login(user)
    client.post(reverse("bid-withdraw", args=[bid]))
    assert client.get(reverse("bid-withdrawal-receipt", args=[bid])).status_code == 200


def test_verify_receipt_page(client, api_as, tender, make_bidder):
    user, org = make_bidder()
    receipt = submit(api_as, user, tender, seal_bid(tender, org.code)).json()["receipt"]
    page = client.post(
        reverse("verify-receipt"), {"receipt": json.dumps(receipt)}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The receipt verifies" in page
    forged = {
        **receipt,
        "statement": receipt["statement"].replace('"BID_SUBMITTED"', '"BID_WITHDRAWN"'),
    }
    page = client.post(
        reverse("verify-receipt"), {"receipt": json.dumps(forged)}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "does NOT verify" in page
    page = client.post(
        reverse("verify-receipt"), {"receipt": "hello"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "not a Minh Bạch receipt" in page


def test_custodian_places_and_public_custody_section(client, tender, custodians):
    client.force_login(custodians[0].user)
    page = client.get(reverse("custody-seats")).content.decode()
    assert tender.reference in page
    public = client.get(reverse("tender", args=[tender.reference])).content.decode()
    assert tender.keyset_hash in public
    assert custodians[2].identity.code in public
