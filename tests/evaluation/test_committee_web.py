"""Committee pages: the officer appoints; a member declares against the bidders and then
reaches the documents; others are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import CommitteeMember, Declaration
from procurement.models import Role
from tests.evaluation.test_committee import opened_tender

pytestmark = pytest.mark.django_db


def test_officer_appoints_and_member_declares_in_the_web_ui(
    client, api_as, make_tender, officer, agency, make_user, custodians, make_bidder
):
    tender = make_tender(publish=True)
    evaluator = make_user((Role.EVALUATOR, agency))
    client.force_login(officer)
    page = client.get(reverse("committee", args=[tender.reference]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and str(evaluator.public_id) in page.content.decode()
    client.post(reverse("committee-appoint", args=[tender.reference]),
                {"user": str(evaluator.public_id)})  # fmt: skip
    assert CommitteeMember.objects.filter(tender=tender, user=evaluator).exists()

    client.force_login(evaluator)
    assert client.get(reverse("committee", args=[tender.reference])).status_code == 403
    before = client.get(reverse("my-evaluations"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "after closing" in before
    tender, bid, org, _ = opened_tender(api_as, tender, make_bidder, custodians)
    page = client.get(reverse("my-evaluations"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert org.code in page and reverse("api:bid-documents", args=[bid]) not in page
    client.post(reverse("committee-declare", args=[tender.reference]), {"conflict": "no"})
    member = CommitteeMember.objects.get(tender=tender, user=evaluator)
    assert member.declaration == Declaration.NO_CONFLICT
    page = client.get(reverse("my-evaluations"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("api:bid-documents", args=[bid]) in page
    assert client.get(reverse("api:bid-documents", args=[bid])).status_code == 200


def test_a_supplier_cannot_appoint(client, make_tender, make_bidder, agency, make_user):
    tender = make_tender(publish=True)
    user, _ = make_bidder()
    evaluator = make_user((Role.EVALUATOR, agency))
    client.force_login(user)
    response = client.post(reverse("committee-appoint", args=[tender.reference]),
                           {"user": str(evaluator.public_id)})  # fmt: skip
    assert response.status_code == 403
    assert not CommitteeMember.objects.exists()
