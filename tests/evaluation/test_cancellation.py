"""Cancellation: a real reason always; before the opening one officer's step, after it an
officer's proposal with a legal ground of the regime and an approver's decision (never the
proposer's). Every refusal changes nothing and records nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from evaluation.services import cancellation as cancelling
from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.models import LedgerEntry, OrganisationKind, Role
from tenders.models import (
    FOUR_EYES_CANCELLATION,
    TRANSITIONS,
    CancellationProposal,
    LegalRegime,
    Tender,
    TenderStatus,
)
from tenders.regimes import DRILL

pytestmark = pytest.mark.django_db

REASON = "Dự án bị điều chỉnh phạm vi theo quyết định số 12/QĐ-UBND."
GROUND = "scope_changed"


def entries(kind: str) -> list[dict]:
    rows = LedgerEntry.objects.filter(kind=kind).order_by("seq")
    return [json.loads(bytes(e.canonical)) for e in rows]


def state(tender) -> tuple:
    tender.refresh_from_db()
    return (
        tender.status,
        tender.cancellation_reason,
        tender.cancellation_ground,
        list(CancellationProposal.objects.values_list("number", "status")),
        LedgerEntry.objects.count(),
    )


@pytest.fixture
def cast(make_org, make_user, agency, officer, supplier):
    other_agency = make_org()
    return {
        "officer": officer,
        "approver": make_user((Role.APPROVER, agency)),
        # An officer who also approves: may propose, never decide its own proposal.
        "officer_approver": make_user((Role.OFFICER, agency), (Role.APPROVER, agency)),
        "other_officer": make_user((Role.OFFICER, other_agency)),
        "other_approver": make_user((Role.APPROVER, other_agency)),
        "evaluator": make_user((Role.EVALUATOR, agency)),
        "supplier": supplier,
        "auditor": make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT))),
        "plain": make_user(),
    }


def at(tender, status: str) -> Tender:
    # The opening itself is tested elsewhere; here only the status matters.
    Tender.objects.filter(pk=tender.pk).update(status=status)
    tender.refresh_from_db()
    return tender


@pytest.fixture
def opened(make_tender):
    return at(make_tender(publish=True), TenderStatus.OPENED)


def client_for(who, cast, api, api_as):
    return api if who == "anonymous" else api_as(cast[who])


# --- The rules as data ----------------------------------------------------------------------


def test_four_eyes_covers_every_state_after_the_opening_that_can_still_cancel():
    after_opening = {TenderStatus.OPENED, TenderStatus.EVALUATING, TenderStatus.AWARDED,
                     TenderStatus.UNSUCCESSFUL}  # fmt: skip
    cancellable = {s for s, targets in TRANSITIONS.items() if TenderStatus.CANCELLED in targets}
    assert after_opening == FOUR_EYES_CANCELLATION
    assert after_opening <= cancellable
    assert cancellable - after_opening == {
        TenderStatus.DRAFT,
        TenderStatus.PUBLISHED,
        TenderStatus.CLOSED,
    }


def test_regimes_list_their_grounds(vn, db):
    assert [g["code"] for g in vn.cancellation_grounds] == [
        "all_bids_non_responsive", "scope_changed", "documents_unlawful",
        "prohibited_practices", "advance_procurement_not_approved",
    ]  # fmt: skip
    generic = LegalRegime.objects.get(code="uncitral-gpa")
    assert "funding_unavailable" in {g["code"] for g in generic.cancellation_grounds}
    assert DRILL["cancellation_grounds"] == vn.cancellation_grounds
    assert vn.ground_label(GROUND, "en").startswith("The objective or scope changed")


# --- Before the opening: one step, a real reason --------------------------------------------


@pytest.mark.parametrize("reason", ["0", " ", "x" * 5, "0" * 40, "1234567890 1234567890 !!"])
def test_a_trivial_reason_is_refused(make_tender, officer, reason):
    tender = make_tender(publish=True)
    before = state(tender)
    with pytest.raises(InvalidInput) as refused:
        cancelling.cancel_tender(tender, actor=officer, reason=reason)
    assert refused.value.field == "reason"
    assert state(tender) == before


def test_before_the_opening_an_officer_cancels_with_an_optional_ground(make_tender, officer):
    tender = make_tender(publish=True)
    before = state(tender)
    with pytest.raises(InvalidInput) as refused:
        cancelling.cancel_tender(tender, actor=officer, reason=REASON, ground="because")
    assert refused.value.field == "ground"
    assert state(tender) == before
    cancelling.cancel_tender(tender, actor=officer, reason=REASON, ground=GROUND)
    tender.refresh_from_db()
    assert (tender.status, tender.cancellation_ground) == ("cancelled", GROUND)
    (entry,) = entries("TENDER_CANCELLED")
    assert entry["payload"] == {"reason": REASON, "ground": GROUND}


# --- After the opening: four eyes -----------------------------------------------------------


@pytest.mark.parametrize("status", sorted(FOUR_EYES_CANCELLATION))
def test_after_the_opening_an_officer_alone_cannot_cancel(make_tender, officer, status):
    tender = at(make_tender(publish=True), status)
    before = state(tender)
    with pytest.raises(Conflict, match="propose the cancellation"):
        cancelling.cancel_tender(tender, actor=officer, reason=REASON, ground=GROUND)
    assert state(tender) == before


def test_a_proposal_needs_a_ground_of_the_regime_and_a_real_reason(opened, officer):
    before = state(opened)
    for ground, reason, field in [("", REASON, "ground"), ("funding_unavailable", REASON, "ground"),
                                  (GROUND, "0", "reason")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            cancelling.propose_cancellation(opened, actor=officer, ground=ground, reason=reason)
        assert refused.value.field == field
    assert state(opened) == before


def test_proposal_then_approval_by_another_person(opened, cast):
    proposal = cancelling.propose_cancellation(
        opened, actor=cast["officer"], ground=GROUND, reason=REASON
    )
    opened.refresh_from_db()
    assert opened.status == "opened"
    (proposed,) = entries("TENDER_CANCELLATION_PROPOSED")
    assert proposed["payload"] == {"proposal": 1, "ground": GROUND, "reason": REASON}
    assert proposed["actor"] == cast["officer"].ledger_subject
    with pytest.raises(Conflict, match="already awaiting approval"):
        cancelling.propose_cancellation(opened, actor=cast["officer"], ground=GROUND, reason=REASON)

    cancelling.approve_cancellation(proposal, actor=cast["approver"])
    opened.refresh_from_db()
    assert (opened.status, opened.cancellation_reason, opened.cancellation_ground) == (
        "cancelled", REASON, GROUND)  # fmt: skip
    (cancelled,) = entries("TENDER_CANCELLED")
    assert cancelled["actor"] == cast["approver"].ledger_subject
    assert cancelled["payload"] == {"reason": REASON, "ground": GROUND, "proposal": 1,
                                    "proposed_by": cast["officer"].ledger_subject}  # fmt: skip
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_seq) == (
        "approved", cast["approver"], cancelled["seq"])  # fmt: skip
    with pytest.raises(Conflict, match="already been decided"):
        cancelling.approve_cancellation(proposal, actor=cast["approver"])


def test_the_proposer_cannot_decide_even_as_an_approver(opened, cast):
    proposer = cast["officer_approver"]
    proposal = cancelling.propose_cancellation(opened, actor=proposer, ground=GROUND, reason=REASON)
    before = state(opened)
    with pytest.raises(PermissionDenied, match="cannot decide"):
        cancelling.approve_cancellation(proposal, actor=proposer)
    with pytest.raises(PermissionDenied):
        cancelling.reject_cancellation(proposal, actor=proposer, reason=REASON)
    assert state(opened) == before


def test_a_rejection_keeps_the_tender_and_allows_a_new_proposal(opened, cast):
    proposal = cancelling.propose_cancellation(
        opened, actor=cast["officer"], ground=GROUND, reason=REASON
    )
    with pytest.raises(InvalidInput):
        cancelling.reject_cancellation(proposal, actor=cast["approver"], reason="no")
    rejection = "Phạm vi dự án không thay đổi, gói thầu vẫn cần thiết."
    cancelling.reject_cancellation(proposal, actor=cast["approver"], reason=rejection)
    opened.refresh_from_db()
    assert opened.status == "opened"
    (entry,) = entries("TENDER_CANCELLATION_REJECTED")
    assert entry["payload"] == {"proposal": 1, "reason": rejection}
    second = cancelling.propose_cancellation(
        opened, actor=cast["officer"], ground="all_bids_non_responsive", reason=REASON
    )
    assert second.number == 2


def test_the_platform_still_cancels_an_awarded_tender_on_a_decided_complaint(make_tender):
    # evaluation.services.complaints carries out a cancellation remedy with actor=None in one step.
    tender = at(make_tender(publish=True), TenderStatus.AWARDED)
    cancelling.cancel_tender(tender, actor=None, reason="Hủy thầu theo kiến nghị số 1. / "
                           "Cancelled on complaint 1.")  # fmt: skip
    tender.refresh_from_db()
    assert tender.status == "cancelled"
    assert entries("TENDER_CANCELLED")[0]["actor"] is None


# --- API role matrices ----------------------------------------------------------------------

DENIED = [("anonymous", 401), ("plain", 403), ("supplier", 403), ("evaluator", 403),
          ("other_officer", 403), ("auditor", 403)]  # fmt: skip


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("approver", 403), ("officer", 201)])
def test_propose_role_matrix(cast, api, api_as, opened, who, code):
    before = state(opened)
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-cancellations", args=[opened.reference]),
        {"ground": GROUND, "reason": REASON},
        format="json",
    )
    assert response.status_code == code, response.content
    if code == 201:
        assert response.json()["status"] == "proposed"
        assert state(opened)[0] == "opened"
    else:
        assert state(opened) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [*DENIED, ("officer", 403), ("other_approver", 403), ("officer_approver", 403),
     ("approver", 200)],
)  # fmt: skip
def test_approve_role_matrix(cast, api, api_as, opened, who, code):
    cancelling.propose_cancellation(opened, actor=cast["officer_approver"], ground=GROUND,
                                  reason=REASON)  # fmt: skip
    before = state(opened)
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-cancellation-decide", args=[opened.reference, 1, "approve"]),
        format="json",
    )
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["status"] == "approved"
        assert state(opened)[0] == "cancelled"
    else:
        assert state(opened) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [*DENIED, ("officer", 403), ("other_approver", 403), ("officer_approver", 403),
     ("approver", 200)],
)  # fmt: skip
def test_reject_role_matrix(cast, api, api_as, opened, who, code):
    cancelling.propose_cancellation(opened, actor=cast["officer_approver"], ground=GROUND,
                                  reason=REASON)  # fmt: skip
    before = state(opened)
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-cancellation-decide", args=[opened.reference, 1, "reject"]),
        {"reason": "Không đủ căn cứ để hủy thầu vào lúc này."},
        format="json",
    )
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["status"] == "rejected"
        assert state(opened)[0] == "opened"
    else:
        assert state(opened) == before


def test_the_api_cancel_endpoint_refuses_after_the_opening_and_lists_proposals(
    cast, api, api_as, opened
):
    url = reverse("api:tender-cancel", args=[opened.reference])
    before = state(opened)
    response = api_as(cast["officer"]).post(
        url, {"reason": REASON, "ground": GROUND}, format="json"
    )
    assert response.status_code == 409
    assert state(opened) == before
    cancelling.propose_cancellation(opened, actor=cast["officer"], ground=GROUND, reason=REASON)
    listed = api.get(reverse("api:tender-cancellations", args=[opened.reference])).json()
    assert [(p["number"], p["ground"], p["status"]) for p in listed] == [(1, GROUND, "proposed")]
    bad = api_as(cast["approver"]).post(
        reverse("api:tender-cancellation-decide", args=[opened.reference, 1, "sideways"])
    )
    assert bad.status_code == 404


# --- The web workspace ----------------------------------------------------------------------


def test_web_officer_proposes_and_another_approver_decides(client, cast, opened):
    client.force_login(cast["officer_approver"])
    page = client.get(reverse("workspace-tender", args=[opened.reference]))
    assert 'name="ground"' in page.content.decode()
    refused = client.post(
        reverse("workspace-propose-cancellation", args=[opened.reference]),
        {"ground": "", "reason": "0"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert set(refused.context["propose_form"].errors) == {"ground"}
    assert not CancellationProposal.objects.exists()
    response = client.post(
        reverse("workspace-propose-cancellation", args=[opened.reference]),
        {"ground": GROUND, "reason": REASON},
    )
    assert response.status_code == 302
    decision = reverse("workspace-cancellation", args=[opened.reference, 1])
    # The proposer sees the proposal but no decision form, and a forged decision is refused.
    assert (
        "Record the decision"
        not in client.get(decision, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    before = state(opened)
    assert client.post(decision, {"decision": "approve"}).status_code == 403
    assert state(opened) == before

    client.force_login(cast["approver"])
    queue = client.get(reverse("cancellations")).content.decode()
    assert decision in queue
    assert client.post(decision, {"decision": "approve"}).status_code == 302
    opened.refresh_from_db()
    assert opened.status == "cancelled"
    public = client.get(reverse("tender", args=[opened.reference]), HTTP_ACCEPT_LANGUAGE="en")
    assert "The objective or scope changed" in public.content.decode()


def test_web_decision_page_is_closed_to_other_agencies(client, cast, opened):
    cancelling.propose_cancellation(opened, actor=cast["officer"], ground=GROUND, reason=REASON)
    decision = reverse("workspace-cancellation", args=[opened.reference, 1])
    for who in ("other_approver", "supplier", "evaluator"):
        client.force_login(cast[who])
        before = state(opened)
        assert client.post(decision, {"decision": "approve"}).status_code == 403
        assert state(opened) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [("plain", 403), ("supplier", 403), ("evaluator", 403), ("approver", 403),
     ("other_officer", 403), ("auditor", 403), ("officer", 302)],
)  # fmt: skip
def test_web_propose_role_matrix(client, cast, opened, who, code):
    client.force_login(cast[who])
    before = state(opened)
    response = client.post(
        reverse("workspace-propose-cancellation", args=[opened.reference]),
        {"ground": GROUND, "reason": REASON},
    )
    assert response.status_code == code
    if code == 302:
        assert CancellationProposal.objects.get().proposed_by == cast["officer"]
        assert state(opened)[0] == "opened"
    else:
        assert state(opened) == before


def test_web_anonymous_is_sent_to_sign_in_and_nothing_changes(client, cast, opened):
    before = state(opened)
    for url in (
        reverse("workspace-propose-cancellation", args=[opened.reference]),
        reverse("workspace-cancel", args=[opened.reference]),
    ):
        response = client.post(url, {"ground": GROUND, "reason": REASON})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert state(opened) == before
