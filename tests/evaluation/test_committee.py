"""The evaluation committee: appointment by the agency's officer, conflict-of-interest
declarations against the bidders after closing, and documents only for members who declared
no conflict (and auditors), each access in the ledger."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from evaluation.models import CommitteeMember, Declaration
from evaluation.services import opening
from procurement import ledger
from procurement.models import LedgerEntry, OrganisationKind, Role
from tests.bidders.sealing import MARKER, seal_bid
from tests.bidders.test_sealed_bids import close_now, release_all, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


@pytest.fixture
def evaluator(make_user, agency):
    return make_user((Role.EVALUATOR, agency))


def appoint(api_as, officer, tender, user, expert=False):
    return api_as(officer).post(
        reverse("api:tender-committee", args=[tender.reference]),
        {"user": str(user.public_id), "expert": expert},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def declare(api_as, user, tender, conflict, statement=""):
    return api_as(user).post(
        reverse("api:tender-declaration", args=[tender.reference]),
        {"conflict": conflict, "statement": statement},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def opened_tender(api_as, tender, make_bidder, custodians):
    user, org = make_bidder()
    bid = submit(api_as, user, tender, seal_bid(tender, org.code, docs=b"ho so " + MARKER))
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    assert opening.open_tender(tender)
    return tender, bid.json()["bid"], org, user


def test_role_matrix_for_appointment(api_as, tender, officer, evaluator, make_user, make_org,
                                     custodians, make_bidder):  # fmt: skip
    supplier, _ = make_bidder()
    for actor in (supplier, evaluator, custodians[0].user):
        assert appoint(api_as, actor, tender, evaluator).status_code in (403, 404)
    assert not CommitteeMember.objects.exists()
    other_agency_evaluator = make_user((Role.EVALUATOR, make_org(OrganisationKind.AGENCY)))
    refused = appoint(api_as, officer, tender, other_agency_evaluator)
    assert refused.status_code == 400 and "evaluators of the procuring agency" in (
        refused.json()["error"]["message"])  # fmt: skip
    assert appoint(api_as, officer, tender, other_agency_evaluator, expert=True).status_code == 201
    assert appoint(api_as, officer, tender, evaluator).status_code == 201
    assert appoint(api_as, officer, tender, evaluator).status_code == 409
    assert appoint(api_as, officer, tender, supplier, expert=True).status_code == 400
    ledger.drain()  # deferred entries: appended after a commit, which a test never makes
    kinds = LedgerEntry.objects.filter(kind="COMMITTEE_APPOINTED").count()
    assert kinds == 2
    # The committee is not public.
    url = reverse("api:tender-committee", args=[tender.reference])
    assert api_as(supplier).get(url).status_code == 404
    assert len(api_as(evaluator).get(url).json()) == 2


def test_declarations_come_after_closing_and_a_conflict_removes_the_member(
    api_as, tender, officer, evaluator, make_user, agency, custodians, make_bidder
):
    conflicted = make_user((Role.EVALUATOR, agency))
    appoint(api_as, officer, tender, evaluator)
    appoint(api_as, officer, tender, conflicted)
    early = declare(api_as, evaluator, tender, conflict=False)
    assert early.status_code == 409 and "after closing" in early.json()["error"]["message"]
    tender, bid, org, _ = opened_tender(api_as, tender, make_bidder, custodians)
    assert declare(api_as, officer, tender, conflict=False).status_code == 403
    assert declare(api_as, evaluator, tender, conflict=False).status_code == 200
    assert declare(api_as, evaluator, tender, conflict=False).status_code == 409
    response = declare(api_as, conflicted, tender, conflict=True, statement="Anh trai làm ở đó")
    assert response.status_code == 200 and response.json()["removed_at"]
    ledger.drain()
    entry = LedgerEntry.objects.filter(kind="CONFLICT_DECLARED").order_by("seq").last()
    payload = json.loads(bytes(entry.canonical))["payload"]
    assert payload["conflict"] is True and payload["bidders"] == [org.code]
    assert "Anh trai" not in bytes(entry.canonical).decode()  # the statement stays internal
    assert CommitteeMember.objects.get(user=conflicted).declaration == Declaration.CONFLICT


def test_documents_only_for_members_who_declared_and_auditors_each_access_recorded(
    api_as, tender, officer, evaluator, make_user, agency, make_org, custodians, make_bidder
):
    appoint(api_as, officer, tender, evaluator)
    tender, bid, _, bidder_user = opened_tender(api_as, tender, make_bidder, custodians)
    url = reverse("api:bid-documents", args=[bid])
    outsider = make_user((Role.EVALUATOR, agency))
    assert api_as(outsider).get(url).status_code == 404  # an evaluator, not on the committee
    assert api_as(evaluator).get(url).status_code == 404  # on it, but not yet declared
    declare(api_as, evaluator, tender, conflict=False)
    response = api_as(evaluator).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ho so " + MARKER
    auditor = make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT)))
    assert api_as(auditor).get(url).status_code == 200
    assert api_as(bidder_user).get(url).status_code == 404
    assert api_as(officer).get(url).status_code == 404
    ledger.drain()
    accesses = LedgerEntry.objects.filter(kind="DOCUMENTS_ACCESSED").order_by("seq")
    roles = [json.loads(bytes(e.canonical))["payload"]["as"] for e in accesses]
    assert roles == ["committee", "auditor"]


def test_an_envelope_the_platform_cannot_read_records_no_document_access(
    api_as, tender, make_user, make_org, custodians, make_bidder
):
    import os

    from bidders.models import Bid
    from evaluation import selectors

    tender, bid_id, _, _ = opened_tender(api_as, tender, make_bidder, custodians)
    auditor = make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT)))
    os.unlink(Bid.objects.get(public_id=bid_id).envelope.path)
    with pytest.raises(FileNotFoundError):
        selectors.opened_documents(auditor, bid_id)
    ledger.drain()
    assert not LedgerEntry.objects.filter(kind="DOCUMENTS_ACCESSED").exists()
