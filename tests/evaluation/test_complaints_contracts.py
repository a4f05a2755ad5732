"""After the award: complaints (filed with documents, answered, escalated, decided by the
review body; suspending the steps they concern; missed deadlines marked publicly) and contracts
(blocked during the standstill, signed with documents, amended, completed). Role matrices for
every write."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.timezone import localdate

from evaluation.models import Award, Complaint, Contract
from evaluation.services import complaints
from procurement.clock import db_now
from procurement.models import LedgerEntry, OrganisationKind, Role
from tests.evaluation.flow import (
    award_lowest_price,
    examine,
    get,
    open_with_bids,
    pass_standstill,
    post,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% Minh Bach test\n"


def pdf(name="don-kien-nghi.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def awarded(api_as, make_tender, make_bidder, custodians, officer, members, approver):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "43000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    award_lowest_price(api_as, opened, approver)
    return opened


def multipart(api_as, user, name, tender, data, *args):
    return api_as(user).post(
        reverse(f"api:{name}", args=[tender.reference, *args]), data, format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip


def sign(api_as, officer, tender, award, **extra):
    today = localdate(db_now())
    data = {"award": str(award.public_id), "title": "Hợp đồng sửa chữa mặt cầu",
            "value": "41000000000.00", "signed_on": today.isoformat(),
            "start_date": today.isoformat(),
            "end_date": (today + dt.timedelta(days=180)).isoformat(), "files": [pdf("hd.pdf")],
            **extra}  # fmt: skip
    return multipart(api_as, officer, "tender-contracts", tender, data)


def test_complaint_escalated_and_dismissed_then_contract_signed_amended_completed(
    api_as, awarded, officer, reviewer, make_user, make_org, make_bidder, agency
):
    t = awarded.tender
    (winner, _), (loser, loser_org) = awarded.bidders
    award = Award.objects.get()
    # During the standstill, no contract.
    early = sign(api_as, officer, t, award)
    assert early.status_code == 409 and "standstill" in early.json()["error"]["message"]

    # Who may complain about the result: the tender's bidders only.
    outsider, _ = make_bidder()
    data = {"subject": "result", "text": "Hồ sơ trúng thầu không đủ năng lực", "files": [pdf()]}
    assert multipart(api_as, outsider, "tender-complaints", t, data).status_code == 403
    assert multipart(api_as, officer, "tender-complaints", t, data).status_code == 403
    too_late = {"subject": "documents", "text": "HSMT hạn chế cạnh tranh"}
    assert multipart(api_as, loser, "tender-complaints", t, too_late).status_code == 409
    filed = multipart(api_as, loser, "tender-complaints", t,
                      {**data, "files": [pdf()]})  # fmt: skip
    assert filed.status_code == 201, filed.json()
    body = filed.json()
    assert body["status"] == "with_agency" and body["answer_due"]
    assert body["attachments"][0]["sha256"]
    entry = json.loads(bytes(LedgerEntry.objects.get(kind="COMPLAINT_FILED").canonical))
    assert entry["payload"]["complainant"] == loser_org.code
    assert entry["payload"]["files"][0]["sha256"] == body["attachments"][0]["sha256"]
    # The complaint is public, with its file.
    public = api_as(make_user()).get(reverse("api:tender-complaints", args=[t.reference]))
    assert public.json()[0]["text"] == data["text"]
    file_url = reverse("api:tender-attachment", args=[t.reference, body["attachments"][0]["id"]])
    assert b"".join(api_as(make_user()).get(file_url).streaming_content) == PDF

    # The standstill passes, but the open complaint about the result suspends the contract.
    pass_standstill(t)
    held = sign(api_as, officer, t, award)
    assert held.status_code == 409 and "complaint" in held.json()["error"]["message"]

    # The agency answers (only its officers), dismissing it; the bidder escalates.
    other_officer = make_user((Role.OFFICER, make_org(OrganisationKind.AGENCY)))
    answer = {"upheld": False, "text": "Nhà thầu đáp ứng đủ năng lực."}
    for actor in (other_officer, loser, reviewer):
        assert multipart(api_as, actor, "tender-complaint-answer", t, answer, 1).status_code in (
            403, 404)  # fmt: skip
    bad = multipart(api_as, officer, "tender-complaint-answer", t,
                    {**answer, "remedy": "cancellation"}, 1)  # fmt: skip
    assert bad.status_code == 400  # a dismissal names no remedy
    answered = multipart(api_as, officer, "tender-complaint-answer", t, answer, 1)
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert post(api_as, winner, "tender-complaint-escalate", t, None, 1).status_code == 404
    escalated = post(api_as, loser, "tender-complaint-escalate", t, None, 1)
    assert escalated.status_code == 200 and escalated.json()["review_due"]

    # The review body decides (complaint reviewers only).
    auditor = make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT)))
    decision = {"upheld": False, "text": "Không có căn cứ."}
    for actor in (auditor, officer, loser):
        assert (
            multipart(api_as, actor, "tender-complaint-decide", t, decision, 1).status_code == 403
        )
    decided = multipart(api_as, reviewer, "tender-complaint-decide", t, decision, 1)
    assert decided.status_code == 200 and decided.json()["status"] == "dismissed"

    # Now the contract: the agency's officer, with the signed copy.
    assert sign(api_as, winner, t, award).status_code == 403
    assert sign(api_as, officer, t, award, files=[]).status_code == 400
    signed = sign(api_as, officer, t, award)
    assert signed.status_code == 201, signed.json()
    t.refresh_from_db()
    assert t.status == "contracted"
    assert sign(api_as, officer, t, award).status_code == 409
    contract = signed.json()["id"]
    amend = {"reason": "Bổ sung khối lượng phát sinh", "value": "42500000000.00"}
    assert multipart(api_as, winner, "tender-contract-amend", t, amend, contract).status_code == 403
    amended = multipart(api_as, officer, "tender-contract-amend", t, amend, contract)
    assert amended.status_code == 201 and amended.json()["old_value"] == "41000000000.00"
    done = post(api_as, officer, "tender-contract-close", t,
                {"completed": True, "paid": "42500000000.00"}, contract)  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "completed"
    listed = get(api_as, make_user(), "tender-contracts", t).json()[0]
    assert listed["value"] == "42500000000.00" and len(listed["amendments"]) == 1
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {"COMPLAINT_FILED", "COMPLAINT_ANSWERED", "COMPLAINT_ESCALATED", "COMPLAINT_DECIDED",
            "CONTRACT_SIGNED", "CONTRACT_AMENDED", "CONTRACT_COMPLETED"} <= kinds  # fmt: skip


def test_upheld_complaint_orders_re_evaluation(api_as, awarded, officer, members, approver):
    t = awarded.tender
    _, (loser, _) = awarded.bidders
    complaint = {"subject": "result", "text": "Bảo lãnh của nhà thầu trúng thầu đã hết hạn"}
    assert multipart(api_as, loser, "tender-complaints", t, complaint).status_code == 201
    upheld = multipart(api_as, officer, "tender-complaint-answer", t,
                       {"upheld": True, "text": "Đúng, bảo lãnh hết hạn.",
                        "remedy": "re_evaluation"}, 1)  # fmt: skip
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    t.refresh_from_db()
    assert t.status == "evaluating"
    assert Award.objects.get().status == "cancelled"
    # The committee re-examines: the winner's security fails, the other bid wins.
    member = members[0]
    first, second = awarded.bids
    assert examine(api_as, member, t, first, fail="bid_security",
                   reason="Bảo lãnh hết hạn").status_code == 201  # fmt: skip
    assert post(api_as, member, "tender-runs", t).status_code == 201
    report = post(api_as, member, "tender-reports", t, {"summary": "Đánh giá lại."}).json()
    assert report["proposals"][0]["bid"] == second
    assert (
        post(api_as, approver, "tender-report-approve", t, None, report["number"]).status_code
        == 200
    )
    active = Award.objects.get(status="active")
    assert str(active.bid.public_id) == second


def test_open_process_complaint_suspends_the_award_and_missed_deadlines_are_public(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, ["41000000000.00"],
                            officer=officer, members=members)  # fmt: skip
    t = opened.tender
    user, _ = opened.bidders[0]
    member = members[0]
    examine(api_as, member, t, opened.bids[0])
    post(api_as, member, "tender-runs", t)
    post(api_as, member, "tender-reports", t, {"summary": "…"})
    filed = multipart(api_as, user, "tender-complaints", t,
                      {"subject": "process", "text": "Tổ chuyên gia chậm đánh giá"})  # fmt: skip
    assert filed.status_code == 201
    blocked = post(api_as, approver, "tender-report-approve", t, None, 1)
    assert blocked.status_code == 409 and "complaint" in blocked.json()["error"]["message"]
    # The agency lets its answer deadline pass: the beat scan marks it, publicly.
    Complaint.objects.update(answer_due=db_now() - dt.timedelta(seconds=1))
    assert complaints.track_missed() == 1
    assert complaints.track_missed() == 0
    missed = LedgerEntry.objects.get(kind="COMPLAINT_DEADLINE_MISSED")
    assert json.loads(bytes(missed.canonical))["payload"] == {"number": 1, "by": "agency"}
    assert get(api_as, user, "tender-complaints", t).json()[0]["answer_missed_at"]
    # Unanswered after its due time, the complainant can go to the review body.
    assert post(api_as, user, "tender-complaint-escalate", t, None, 1).status_code == 200
    post(api_as, user, "tender-complaint-withdraw", t, None, 1)
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 200
    assert not Contract.objects.exists()
