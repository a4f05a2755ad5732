"""Edge cases of evaluation and after: complaints that close, re-evaluations that keep history,
stale score sheets, late appointments, confidentiality of who was asked, dates and bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import localdate

from evaluation.models import Award, Complaint, Contract, Report, ScoreSheet
from evaluation.services import cancellation as cancelling
from evaluation.services import committee, complaints
from procurement import ledger
from procurement.clock import db_now
from procurement.exceptions import Conflict
from procurement.models import LedgerEntry, Role
from tests.bidders.sealing import seal_bid
from tests.bidders.test_sealed_bids import submit
from tests.evaluation.flow import (
    COMBINED,
    award_lowest_price,
    checks,
    examine,
    get,
    open_with_bids,
    pass_standstill,
    post,
    sheet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_bids(api_as, make_tender, make_bidder, custodians, officer, members):
    tender = make_tender(publish=True)
    return open_with_bids(api_as, tender, make_bidder, custodians,
                          ["41000000000.00", "43000000000.00"], officer=officer,
                          members=members)  # fmt: skip


def entries(kind):
    ledger.drain()  # deferred entries are appended after a commit, which a test never makes
    return [json.loads(bytes(e.canonical)) for e in LedgerEntry.objects.filter(kind=kind)]


def complain(api_as, user, tender, subject="result", text="Kiến nghị"):
    return api_as(user).post(reverse("api:tender-complaints", args=[tender.reference]),
                             {"subject": subject, "text": text}, format="multipart")  # fmt: skip


def sign(api_as, officer, tender, **extra):
    today = localdate(db_now()).isoformat()
    data = {"award": str(Award.objects.get(tender=tender, status="active").public_id),
            "title": "HĐ", "value": "41000000000.00", "signed_on": today, "start_date": today,
            "end_date": "2030-01-01", "files": [SimpleUploadedFile("hd.pdf", b"%PDF-1.7")],
            **extra}  # fmt: skip
    return api_as(officer).post(reverse("api:tender-contracts", args=[tender.reference]), data,
                                format="multipart")  # fmt: skip


def test_a_dismissed_complaint_not_escalated_closes_and_stops_suspending(
    api_as, two_bids, officer, approver
):
    award_lowest_price(api_as, two_bids, approver)
    t = two_bids.tender
    loser = two_bids.bidders[1][0]
    assert complain(api_as, loser, t).status_code == 201
    api_as(officer).post(reverse("api:tender-complaint-answer", args=[t.reference, 1]),
                         {"upheld": False, "text": "Bác"}, format="multipart")  # fmt: skip
    pass_standstill(t)
    assert sign(api_as, officer, t).status_code == 409  # still within the escalation window
    Complaint.objects.update(escalation_due=db_now() - dt.timedelta(seconds=1))
    assert complaints.track_missed() == 1
    assert Complaint.objects.get().status == "dismissed"
    assert entries("COMPLAINT_CLOSED")[0]["payload"]["reason"] == "not escalated in time"
    assert post(api_as, loser, "tender-complaint-escalate", t, None, 1).status_code == 409
    assert sign(api_as, officer, t).status_code == 201


def test_re_evaluation_while_the_report_waits_returns_it(api_as, two_bids, officer, approver):
    t, member = two_bids.tender, two_bids.members[0]
    for bid in two_bids.bids:
        examine(api_as, member, t, bid)
    post(api_as, member, "tender-runs", t)
    post(api_as, member, "tender-reports", t, {"summary": "…"})
    user = two_bids.bidders[1][0]
    assert complain(api_as, user, t, subject="process").status_code == 201
    upheld = api_as(officer).post(
        reverse("api:tender-complaint-answer", args=[t.reference, 1]),
        {"upheld": True, "text": "Đúng", "remedy": "re_evaluation"}, format="multipart",
    )  # fmt: skip
    assert upheld.status_code == 200
    assert Report.objects.get().status == "returned"
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 409
    assert entries("TENDER_REEVALUATION")[0]["payload"]["reports_returned"][0]["number"] == 1


def test_re_evaluation_after_the_award_keeps_the_published_result_marked_superseded(
    api_as, two_bids, officer, approver, make_user
):
    award_lowest_price(api_as, two_bids, approver)
    t = two_bids.tender
    complain(api_as, two_bids.bidders[1][0], t)
    api_as(officer).post(reverse("api:tender-complaint-answer", args=[t.reference, 1]),
                         {"upheld": True, "text": "Đúng", "remedy": "re_evaluation"},
                         format="multipart")  # fmt: skip
    public = api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    assert public["superseded"] is True
    assert Report.objects.get().status == "superseded"
    page = api_as(make_user()).get(f"/tenders/{t.reference}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "no longer stands" in page.content.decode()
    award_lowest_price(api_as, two_bids, approver)  # examined again, run, reported, approved
    public = api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    assert public["superseded"] is False and public["report"] == 2
    revealed = [*public["examinations"], *(r["report"] for r in public["reports"])]
    assert all(item["matches_ledger"] for item in revealed)
    assert [r["status"] for r in public["reports"]] == ["superseded", "approved"]


def test_a_changed_examination_supersedes_the_score_sheets(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True, **COMBINED)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "43000000000.00", "44000000000.00"],
                            officer=officer, members=members)  # fmt: skip
    t, (a, b, c) = opened.tender, opened.bids
    for bid in (a, b, c):
        examine(api_as, members[0], t, bid)
    everyone = sheet(t, [a, b, c], {a: (80, 80), b: (75, 75), c: (90, 90)})
    post(api_as, members[0], "tender-scores", t, {"scores": everyone})
    examine(api_as, members[0], t, c, fail="qualification", reason="Thiếu kinh nghiệm")
    assert ScoreSheet.objects.get().superseded_at is not None
    assert entries("EXAMINATION_RECORDED")[-1]["payload"]["scores_reset"] is True
    two = sheet(t, [a, b], {a: (80, 80), b: (75, 75)})
    for m in members:
        assert post(api_as, m, "tender-scores", t, {"scores": two}).status_code == 201
    assert post(api_as, members[0], "tender-runs", t).status_code == 201
    assert get(api_as, members[0], "tender-scores", t).status_code == 200


def test_late_members_cannot_declare_after_the_award_and_the_result_stays_public(
    api_as, two_bids, officer, approver, make_user, agency
):
    award_lowest_price(api_as, two_bids, approver)
    t = two_bids.tender
    late = make_user((Role.EVALUATOR, agency))
    assert post(api_as, officer, "tender-committee", t, {"user": str(late.public_id)}
                ).status_code == 409  # fmt: skip
    assert post(api_as, two_bids.members[1], "tender-declaration", t,
                {"conflict": False}).status_code == 409  # fmt: skip
    assert api_as(make_user()).get(f"/tenders/{t.reference}/").status_code == 200


def test_an_upheld_cancellation_of_an_unsuccessful_result(api_as, two_bids, officer, approver):
    t, member = two_bids.tender, two_bids.members[0]
    for bid in two_bids.bids:
        examine(api_as, member, t, bid, fail="eligibility", reason="Không hợp lệ")
    post(api_as, member, "tender-runs", t)
    post(api_as, member, "tender-reports", t, {"summary": "Không có hồ sơ đạt."})
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 200
    complain(api_as, two_bids.bidders[0][0], t)
    upheld = api_as(officer).post(
        reverse("api:tender-complaint-answer", args=[t.reference, 1]),
        {"upheld": True, "text": "Hủy thầu", "remedy": "cancellation"}, format="multipart",
    )  # fmt: skip
    assert upheld.status_code == 200
    t.refresh_from_db()
    assert t.status == "cancelled"


def test_withdrawn_bidders_are_not_bidders(
    api_as, make_tender, make_bidder, custodians, officer, members
):
    tender = make_tender(publish=True)
    user, org = make_bidder()
    bid = submit(api_as, user, tender, seal_bid(tender, org.code)).json()["bid"]
    assert api_as(user).post(reverse("api:bid-withdraw", args=[bid])).status_code == 200
    opened = open_with_bids(api_as, tender, make_bidder, custodians, ["41000000000.00"],
                            officer=officer, members=members)  # fmt: skip
    assert complain(api_as, user, opened.tender, subject="process").status_code == 403


def test_who_was_asked_or_debriefed_stays_out_of_the_ledger(api_as, two_bids, officer, approver):
    t, member = two_bids.tender, two_bids.members[0]
    (asked, org), (other, other_org) = two_bids.bidders
    post(api_as, member, "tender-clarifications", t, {"bid": two_bids.bids[0], "question": "?"})
    post(api_as, asked, "tender-clarification-answer", t, {"answer": "Rõ"}, 1)
    (answered,) = entries("CLARIFICATION_ANSWERED")
    assert answered["actor"] is None and str(asked.public_id) not in json.dumps(answered)
    award_lowest_price(api_as, two_bids, approver)
    post(api_as, other, "tender-debriefs", t, {"question": "Vì sao?"})
    debrief = entries("DEBRIEF_REQUESTED")[0]
    assert other_org.code not in json.dumps(debrief) and str(other.public_id) not in json.dumps(
        debrief)  # fmt: skip


def test_contract_dates_and_a_tender_with_a_contract_cannot_be_cancelled(
    api_as, two_bids, officer, approver
):
    award_lowest_price(api_as, two_bids, approver)
    t = two_bids.tender
    pass_standstill(t)
    early = sign(api_as, officer, t, signed_on="2001-01-01")
    assert early.status_code == 400 and early.json()["error"]["field"] == "signed_on"
    assert not Contract.objects.exists()
    assert sign(api_as, officer, t).status_code == 201
    # As with a second lot still to contract: the tender is awarded, one contract is signed.
    type(t).objects.filter(pk=t.pk).update(status="awarded")
    t.refresh_from_db()
    # After the opening an officer proposes (four eyes); a signed contract stops even that,
    # and the platform's own cancellation on a complaint.
    reason = "Hợp đồng đã ký nhưng đề nghị hủy thầu để kiểm tra."
    with translation.override("en"), pytest.raises(Conflict, match="contract"):
        cancelling.propose_cancellation(t, actor=officer, ground="scope_changed",
                                             reason=reason)  # fmt: skip
    with translation.override("en"), pytest.raises(Conflict, match="contract"):
        cancelling.cancel_tender(t, actor=None, reason=reason)


def test_reviewers_do_not_decide_where_they_took_part(
    api_as, two_bids, officer, approver, reviewer, make_org
):
    award_lowest_price(api_as, two_bids, approver)
    t = two_bids.tender
    complain(api_as, two_bids.bidders[1][0], t)
    post(api_as, two_bids.bidders[1][0], "tender-complaint-escalate", t, None, 1)  # unanswered:
    Complaint.objects.update(answer_due=db_now() - dt.timedelta(seconds=1))  # now overdue
    assert post(api_as, two_bids.bidders[1][0], "tender-complaint-escalate", t, None, 1
                ).status_code == 200  # fmt: skip
    from procurement import services as accounts

    accounts.grant_membership(t.agency, user=reviewer, role=Role.OFFICER, actor=None)
    decision = {"upheld": False, "text": "Bác"}
    refused = api_as(reviewer).post(reverse("api:tender-complaint-decide", args=[t.reference, 1]),
                                    decision, format="multipart")  # fmt: skip
    assert refused.status_code == 403


def test_a_conflicted_officer_follows_nothing_and_bad_form_numbers_are_not_errors(
    client, api_as, two_bids, officer, members
):
    t = two_bids.tender
    late = members[0]
    # Another officer of the agency, also an evaluator, declared a conflict: it sees nothing.
    from procurement import services as accounts

    accounts.grant_membership(t.agency, user=late, role=Role.OFFICER, actor=None)
    committee.CommitteeMember.objects.filter(tender=t, user=late).update(
        declaration="conflict", removed_at=db_now()
    )
    assert get(api_as, late, "tender-examinations", t).status_code == 404
    client.force_login(late)
    assert client.get(reverse("evaluation-workspace", args=[t.reference])).status_code == 404
    client.force_login(members[1])
    response = client.post(reverse("evaluation-act", args=[t.reference, "approve"]),
                           {"number": "abc"})  # fmt: skip
    assert response.status_code in (302, 403, 404)
    client.force_login(officer)
    response = client.post(reverse("evaluation-act", args=[t.reference, "complaint"]),
                           {"number": "1x"})  # fmt: skip
    assert response.status_code == 302


def test_missed_clarification_and_debriefing_deadlines_are_marked_publicly(
    api_as, two_bids, officer, approver
):
    from evaluation.models import Clarification, Debrief
    from evaluation.services import award, examination

    t, member = two_bids.tender, two_bids.members[0]
    user = two_bids.bidders[0][0]
    post(api_as, member, "tender-clarifications", t, {"bid": two_bids.bids[0], "question": "?"})
    Clarification.objects.update(due_at=db_now() - dt.timedelta(seconds=1))
    assert examination.expire_clarifications() == 1
    assert examination.expire_clarifications() == 0
    assert entries("CLARIFICATION_MISSED")[0]["payload"] == {"number": 1}
    late = post(api_as, user, "tender-clarification-answer", t, {"answer": "Muộn"}, 1)
    assert late.status_code == 409
    award_lowest_price(api_as, two_bids, approver)
    post(api_as, user, "tender-debriefs", t, {"question": "Vì sao?"})
    Debrief.objects.update(due_at=db_now() - dt.timedelta(seconds=1))
    assert award.track_missed_debriefs() == 1
    assert award.track_missed_debriefs() == 0
    assert entries("DEBRIEF_DEADLINE_MISSED")[0]["payload"] == {"number": 1}


def test_an_adjustment_entered_in_the_portal_reaches_the_ranking(client, api_as, two_bids):
    t, member = two_bids.tender, two_bids.members[0]
    client.force_login(member)
    form = {f"passed-{k}": "yes" for k in ("eligibility", "bid_security", "validity",
                                            "qualification")}  # fmt: skip
    client.post(reverse("evaluation-act", args=[t.reference, "examine"]),
                {"bid": two_bids.bids[0], **form, "deviation-1": "2500000000",
                 "deviation-reason-1": "Thiếu hạng mục sơn chống gỉ"})  # fmt: skip
    client.post(reverse("evaluation-act", args=[t.reference, "examine"]),
                {"bid": two_bids.bids[1], **form})  # fmt: skip
    client.post(reverse("evaluation-act", args=[t.reference, "run"]))
    lot = t.__class__.objects.get(pk=t.pk)
    from evaluation.models import EvaluationRun

    record = EvaluationRun.objects.get(tender=lot).record["lots"][0]
    assert {b["bid"]: b["price"] for b in record["bids"]}[two_bids.bids[0]] == "43500000000.00"
    assert [r["bid"] for r in record["result"] if r["rank"] == 1] == [two_bids.bids[1]]


def _uphold_reevaluation(api_as, officer, t, user, subject="result"):
    assert complain(api_as, user, t, subject=subject).status_code == 201
    number = Complaint.objects.filter(tender=t).count()
    answered = api_as(officer).post(
        reverse("api:tender-complaint-answer", args=[t.reference, number]),
        {"upheld": True, "text": "Đúng", "remedy": "re_evaluation"}, format="multipart",
    )  # fmt: skip
    assert answered.status_code == 200


def test_the_re_evaluation_stays_confidential_until_its_own_approval(
    api_as, two_bids, officer, approver, make_user
):
    award_lowest_price(api_as, two_bids, approver)
    t, member = two_bids.tender, two_bids.members[0]
    public = f"/api/v1/tenders/{t.reference}/evaluation/"
    api_as(make_user()).get(public)  # warm the cache on the superseded state
    _uphold_reevaluation(api_as, officer, t, two_bids.bidders[1][0])
    api_as(make_user()).get(public)
    examine(api_as, member, t, two_bids.bids[0], fail="validity", reason="BÍ MẬT: hết hiệu lực")
    post(
        api_as, member, "tender-clarifications", t, {"bid": two_bids.bids[1], "question": "BÍ MẬT?"}
    )
    from django.core.cache import cache

    for cold in (False, True):
        if cold:
            cache.clear()
        body = api_as(make_user()).get(public).content.decode()
        assert "BÍ MẬT" not in body
        page = api_as(make_user()).get(f"/tenders/{t.reference}/").content.decode()
        assert "BÍ MẬT" not in page


def test_a_report_returned_by_a_re_evaluation_verifies_after_the_next_approval(
    api_as, two_bids, officer, approver, make_user
):
    t, member = two_bids.tender, two_bids.members[0]
    for bid in two_bids.bids:
        examine(api_as, member, t, bid)
    post(api_as, member, "tender-runs", t)
    post(api_as, member, "tender-reports", t, {"summary": "Lần 1"})
    _uphold_reevaluation(api_as, officer, t, two_bids.bidders[1][0], subject="process")
    award_lowest_price(api_as, two_bids, approver)
    public = api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    first = public["reports"][0]
    assert first["status"] == "returned" and first["returned"]["matches_ledger"] is True


def test_re_evaluation_of_a_scored_tender_lets_the_members_score_again(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True, **COMBINED)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "43000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, bids = opened.tender, opened.bids
    first = sheet(t, bids, {bids[0]: (80, 80), bids[1]: (75, 75)})
    for bid in bids:
        examine(api_as, members[0], t, bid)
    for m in members:
        post(api_as, m, "tender-scores", t, {"scores": first})
    award_lowest_price(api_as, opened, approver)
    _uphold_reevaluation(api_as, officer, t, opened.bidders[1][0])
    again = sheet(t, bids, {bids[0]: (60, 60), bids[1]: (90, 90)})
    for m in members:
        assert post(api_as, m, "tender-scores", t, {"scores": again}).status_code == 201
    assert post(api_as, members[0], "tender-runs", t).status_code == 201


def test_abnormally_low_is_judged_on_the_price_the_bidder_is_held_to(
    api_as, make_tender, make_bidder, custodians, officer, members
):
    tender = make_tender(publish=True, evaluation_method="lowest_evaluated")  # estimate 50 bn
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["35000000000.00", "47500000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (low, high) = opened.tender, opened.bids
    priced = {"1": [{"kind": "deviation", "amount": "7500000000.00", "reason": "Bỏ sót"}]}
    post(api_as, members[0], "tender-examinations", t,
         {"bid": low, "checks": checks(t), "adjustments": priced})  # fmt: skip
    examine(api_as, members[0], t, high)
    lot = post(api_as, members[0], "tender-runs", t).json()["record"]["lots"][0]
    assert list(lot["abnormally_low"]) == [low]  # 35 bn is 70 % of the estimate


def test_a_bid_passing_after_the_financial_opening_stops_the_run(
    api_as, make_tender, make_bidder, custodians, officer, members
):
    tender = make_tender(publish=True, envelope_procedure="two_envelopes")
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "40000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (a, b) = opened.tender, opened.bids
    examine(api_as, members[0], t, a)
    examine(api_as, members[0], t, b, fail="qualification", reason="Thiếu hồ sơ")
    assert post(api_as, officer, "tender-financial-opening", t).status_code == 200
    examine(api_as, members[0], t, b)  # after a clarification, b passes after all
    refused = post(api_as, members[0], "tender-runs", t)
    assert refused.status_code == 409 and "financial opening" in refused.json()["error"]["message"]


def test_malformed_ids_and_nul_characters_get_a_message_not_an_error(client, two_bids):
    t, member = two_bids.tender, two_bids.members[0]
    client.force_login(member)
    for action, data in (("examine", {"bid": "abc"}), ("clarify", {"bid": "abc", "question": "?"}),
                         ("clarify", {"bid": two_bids.bids[0], "question": "a\x00b"})):  # fmt: skip
        response = client.post(reverse("evaluation-act", args=[t.reference, action]), data)
        assert response.status_code == 302, (action, response.status_code)
    client.force_login(two_bids.bidders[0][0])
    for action in ("sign", "amend", "close"):
        response = client.post(reverse("evaluation-act", args=[t.reference, action]),
                               {"award": "abc", "contract": "abc"})  # fmt: skip
        assert response.status_code in (302, 403, 404), (action, response.status_code)


def test_the_tender_page_lists_the_latest_ledger_entries(client, two_bids, settings):
    from api.site import views

    t = two_bids.tender
    from procurement import ledger

    rows = LedgerEntry.objects.filter(subject=t.ledger_subject)
    total = ledger.unsealed(rows, db_now()).count()  # sealed entries are not even counted
    settings.LANGUAGE_CODE = "en"
    original = views.PAGE_ENTRIES
    views.PAGE_ENTRIES = 5
    try:
        html = client.get(reverse("tender", args=[t.reference]), HTTP_ACCEPT_LANGUAGE="en")
    finally:
        views.PAGE_ENTRIES = original
    body = html.content.decode()
    assert f"The latest 5 of {total} entries." in body
    last = LedgerEntry.objects.filter(subject=t.ledger_subject).order_by("-seq").first()
    assert f'href="/ledger/{last.seq}/"' in html.content.decode()


def test_after_a_reset_the_workspace_offers_the_score_form_again(
    client, api_as, make_tender, make_bidder, custodians, officer, members
):
    tender = make_tender(publish=True, **COMBINED)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "43000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (a, b) = opened.tender, opened.bids
    for bid in (a, b):
        examine(api_as, members[0], t, bid)
    post(api_as, members[0], "tender-scores", t,
         {"scores": sheet(t, [a, b], {a: (80, 80), b: (70, 70)})})  # fmt: skip
    client.force_login(members[0])
    url = reverse("evaluation-workspace", args=[t.reference])
    assert "scores/" not in client.get(url).content.decode()  # submitted: no form
    examine(api_as, members[0], t, b, fail="validity", reason="Hết hiệu lực")
    assert (
        f'action="/workspace/{t.reference}/evaluation/scores/"' in client.get(url).content.decode()
    )
