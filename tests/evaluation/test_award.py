"""From opening to a published award through the API: examination with reasons,
clarifications, independent scores hidden until all are in, an engine run, the report, its
approval by a second person, the published evaluation (re-run and checked against the ledger
commitments), notifications, and debriefing. Role-matrix checks on every write."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from evaluation.models import Award, EvaluationRun, Examination, Report, ScoreSheet
from procurement.models import LedgerEntry, Notification, OrganisationKind, Role
from tenders.models import Tender
from tests.evaluation.flow import COMBINED, checks, examine, get, open_with_bids, post, sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Run the e-mail task in-process (CI's real worker cannot see this test's transaction)."""
    from api.site.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


@pytest.fixture
def combined(api_as, make_tender, make_bidder, custodians, officer, members):
    tender = make_tender(publish=True, **COMBINED)
    return open_with_bids(
        api_as, tender, make_bidder, custodians,
        ["41500000000.00", "40000000000.00", "45000000000.00"], officer=officer, members=members,
    )  # fmt: skip


def payload(kind):
    entry = LedgerEntry.objects.filter(kind=kind).order_by("seq").last()
    return json.loads(bytes(entry.canonical))["payload"]


def test_combined_tender_from_opening_to_published_award(
    api_as, combined, members, approver, officer, make_user, make_org, agency,
    django_capture_on_commit_callbacks, eager_celery,
):  # fmt: skip
    t, (a, b, c) = combined.tender, combined.bids
    (ua, oa), (ub, ob), (uc, oc) = combined.bidders
    m1, m2 = members
    # Examination: the bidders, the officer and an outsider cannot record one.
    for outsider in (ua, officer, make_user((Role.EVALUATOR, agency))):
        assert examine(api_as, outsider, t, a).status_code in (403, 404)
    assert not Examination.objects.exists()
    refused = examine(api_as, m1, t, c, fail="qualification")
    assert refused.status_code == 400  # a fail needs a reason
    assert examine(api_as, m1, t, a).status_code == 201
    t.refresh_from_db()
    assert t.status == "evaluating"
    assert "Kinh nghiệm" not in json.dumps(payload("EXAMINATION_RECORDED"))
    assert payload("EXAMINATION_RECORDED")["commitment"]
    assert examine(api_as, m2, t, b).status_code == 201
    response = examine(api_as, m1, t, c, fail="qualification", reason="Kinh nghiệm chưa đủ")
    assert response.status_code == 201 and response.json()["passed"] is False

    # A clarification to bidder A: only A answers it, and only A of the bidders sees it.
    asked = post(api_as, m1, "tender-clarifications", t,
                 {"bid": a, "question": "Làm rõ tiến độ thi công mặt cầu"})  # fmt: skip
    assert asked.status_code == 201, asked.json()
    assert post(api_as, ub, "tender-clarification-answer", t, {"answer": "x"}, 1).status_code == 404
    assert get(api_as, ub, "tender-clarifications", t).status_code == 404
    assert len(get(api_as, ua, "tender-clarifications", t).json()) == 1
    answered = post(api_as, ua, "tender-clarification-answer", t,
                    {"answer": "Hoàn thành trong 180 ngày"}, 1)  # fmt: skip
    assert answered.status_code == 200
    assert post(api_as, ua, "tender-clarification-answer", t, {"answer": "y"}, 1).status_code == 409
    assert any(n.kind == "clarification_requested" for n in Notification.objects.filter(user=ua))

    # Independent scores: hidden from the other member until both are in.
    passed = [a, b]
    s1 = sheet(t, passed, {a: (80, 90), b: (75, 70)})
    s2 = sheet(t, passed, {a: (84, 60), b: (71, 74)})
    assert post(api_as, officer, "tender-scores", t, {"scores": s1}).status_code == 403
    assert post(api_as, m1, "tender-scores", t,
                {"scores": sheet(t, [a, b, c], {a: (1, 1), b: (1, 1), c: (1, 1)})}
                ).status_code == 400  # the failed bid is not scored  # fmt: skip
    assert post(api_as, m1, "tender-scores", t, {"scores": s1}).status_code == 201
    assert post(api_as, m1, "tender-scores", t, {"scores": s1}).status_code == 409  # final
    assert len(get(api_as, m1, "tender-scores", t).json()) == 1
    assert get(api_as, m2, "tender-scores", t).json() == []  # nothing of m1's before its own
    assert post(api_as, m1, "tender-runs", t).status_code == 409  # not every member scored
    assert post(api_as, m2, "tender-scores", t, {"scores": s2}).status_code == 201
    assert len(get(api_as, m2, "tender-scores", t).json()) == 2
    assert get(api_as, officer, "tender-scores", t).status_code == 404

    # The engine run: technical A = 0.6×82 + 0.4×75 = 79.2; B = 0.6×73 + 0.4×72 = 72.6.
    run = post(api_as, m1, "tender-runs", t)
    assert run.status_code == 201, run.json()
    lot = run.json()["record"]["lots"][0]
    totals = {r["bid"]: r["total"] for r in lot["result"]}
    # price scores: A 100×40/41.5 = 96.3855…, B 100; total = 0.3 price + 0.7 technical
    assert totals[a] == "84.36" and totals[b] == "80.82" and totals[c] is None
    assert [r["rank"] for r in lot["result"]] == [1, 2, None]
    assert payload("EVALUATION_RUN")["record_sha256"] == run.json()["sha256"]

    # The report, then approval by a second person.
    report = post(api_as, m1, "tender-reports", t, {"summary": "Đề xuất trao thầu cho A."})
    assert report.status_code == 201, report.json()
    assert report.json()["proposals"] == [
        {"lot": 1, "bid": a, "supplier": oa.code, "value": "41500000000.00"}
    ]
    assert examine(api_as, m1, t, a).status_code == 409  # locked while with the approver
    assert post(api_as, m1, "tender-report-approve", t, None, 1).status_code == 403
    both = make_user((Role.APPROVER, agency), (Role.EVALUATOR, agency))
    post(api_as, officer, "tender-committee", t, {"user": str(both.public_id)})
    assert post(api_as, both, "tender-report-approve", t, None, 1).status_code == 403
    other_approver = make_user((Role.APPROVER, make_org(OrganisationKind.AGENCY)))
    assert post(api_as, other_approver, "tender-report-approve", t, None, 1).status_code in (
        403, 404)  # fmt: skip
    assert post(api_as, officer, "tender-report-approve", t, None, 1).status_code == 403
    assert get(api_as, ua, "tender-evaluation", t).status_code == 404  # not yet public

    # Sent back once with reasons, then a second report, approved.
    returned = post(api_as, approver, "tender-report-return", t,
                    {"reason": "Bổ sung nhận xét về cạnh tranh"}, 1)  # fmt: skip
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    second = {"summary": "Đề xuất trao thầu cho A; cạnh tranh tốt."}
    assert post(api_as, m2, "tender-reports", t, second).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        approved = post(api_as, approver, "tender-report-approve", t, None, 2)
    assert approved.status_code == 200, approved.json()
    assert approved.json()["standstill_until"]
    t.refresh_from_db()
    assert t.status == "awarded"
    award = Award.objects.get()
    assert award.supplier == oa and str(award.value) == "41500000000.00"
    awarded = payload("TENDER_AWARDED")
    assert awarded["awards"][0]["supplier"] == oa.code and awarded["status"] == "awarded"

    # The published evaluation: anyone reads it; re-run matches; every commitment checks out.
    public = api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    assert all(line["matches"] for line in public["rerun"])
    assert public["record_sha256"] == EvaluationRun.objects.get(number=1).sha256
    revealed = [
        *public["examinations"],
        *(r["report"] for r in public["reports"]),
        *(c["request"] for c in public["clarifications"]),
        *(c["answer"] for c in public["clarifications"]),
        public["reports"][0]["returned"],
    ]
    assert len(revealed) == 3 + 2 + 1 + 1 + 1
    assert all(item["matches_ledger"] for item in revealed)
    assert public["examinations"][2]["content"]["checks"][3]["reason"] == "Kinh nghiệm chưa đủ"
    assert public["scores"][a]["technical"] == "79.2000"
    assert "scores" not in json.dumps(public["examinations"])  # no individual sheets
    assert ScoreSheet.objects.count() == 2
    assert len(api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/awards/").json()) == 1

    # Everyone who bid is told, in the portal and by e-mail.
    assert Notification.objects.filter(kind="award_published").count() == 3
    assert Notification.objects.filter(kind="award_won", user=ua).exists()
    assert {m.to[0] for m in mail.outbox} == {u.email for u, _ in combined.bidders}
    assert len(mail.outbox) == 4  # three results, one "you won"
    assert all(t.reference in m.body and "is published" in m.body and "đã được công khai" in m.body
               for m in mail.outbox
               if "won" not in m.body)  # fmt: skip
    assert Notification.objects.exclude(emailed_at=None).count() == 4

    # Debriefing: a losing bidder asks, the officer answers; others see nothing of it.
    asked = post(api_as, ub, "tender-debriefs", t, {"question": "Vì sao chúng tôi xếp thứ hai?"})
    assert asked.status_code == 201
    assert post(api_as, make_user(), "tender-debriefs", t, {"question": "?"}).status_code == 403
    assert get(api_as, uc, "tender-debriefs", t).json() == []
    debrief = asked.json()["id"]
    assert post(api_as, m1, "tender-debrief-answer", t, {"answer": "x"}, debrief).status_code == 404
    assert post(api_as, officer, "tender-debrief-answer", t,
                {"answer": "Điểm tổng hợp thấp hơn."}, debrief).status_code == 200  # fmt: skip
    assert Tender.objects.get(pk=t.pk).status == "awarded"
    assert Report.objects.filter(status="approved").count() == 1


def test_abnormally_low_proposal_needs_the_bidders_explanation(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["30000000000.00", "45000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (low, high) = opened.tender, opened.bids
    m1 = members[0]
    for bid in (low, high):
        assert examine(api_as, m1, t, bid).status_code == 201
    run = post(api_as, m1, "tender-runs", t).json()
    assert list(run["record"]["lots"][0]["abnormally_low"]) == [low]
    refused = post(api_as, m1, "tender-reports", t, {"summary": "Trao cho giá thấp nhất."})
    assert refused.status_code == 409 and "abnormally low" in refused.json()["error"]["message"]
    post(api_as, m1, "tender-clarifications", t,
         {"bid": low, "kind": "abnormally_low", "question": "Giải trình giá"})  # fmt: skip
    still = post(api_as, m1, "tender-reports", t, {"summary": "Trao cho giá thấp nhất."})
    assert still.status_code == 409  # the request is still open
    user = opened.bidders[0][0]
    post(api_as, user, "tender-clarification-answer", t, {"answer": "Có sẵn vật tư"}, 1)
    assert (
        post(api_as, m1, "tender-reports", t, {"summary": "Giải trình hợp lý."}).status_code == 201
    )


def test_a_decision_changed_after_the_run_needs_a_new_run(
    api_as, make_tender, make_bidder, custodians, officer, members
):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "42000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (x, y) = opened.tender, opened.bids
    m1 = members[0]
    examine(api_as, m1, t, x)
    examine(api_as, m1, t, y)
    assert post(api_as, m1, "tender-runs", t).status_code == 201
    examine(api_as, m1, t, x, fail="bid_security", reason="Bảo lãnh hết hạn")
    stale = post(api_as, m1, "tender-reports", t, {"summary": "…"})
    assert stale.status_code == 409 and "run the engine again" in stale.json()["error"]["message"]
    run = post(api_as, m1, "tender-runs", t).json()
    assert [r["rank"] for r in run["record"]["lots"][0]["result"]] == [1, None]
    report = post(api_as, m1, "tender-reports", t, {"summary": "Trao cho Y."})
    assert report.json()["proposals"][0]["bid"] == y


def test_unsuccessful_when_no_bid_passes(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, ["41000000000.00"],
                            officer=officer, members=members)  # fmt: skip
    t, (only,) = opened.tender, opened.bids
    examine(api_as, members[0], t, only, fail="eligibility", reason="Không đủ tư cách hợp lệ")
    post(api_as, members[0], "tender-runs", t)
    report = post(api_as, members[0], "tender-reports", t, {"summary": "Không có hồ sơ đạt."})
    assert report.json()["proposals"] == []
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 200
    t.refresh_from_db()
    assert t.status == "unsuccessful" and not Award.objects.exists()
    assert payload("TENDER_UNSUCCESSFUL")["awards"] == []


def test_rerun_command_and_offline_module_reproduce_the_published_ranking(
    api_as, combined, members, approver, tmp_path, capsys
):
    from django.core.management import CommandError, call_command

    from evaluation import scoring
    from tests.evaluation.flow import award_lowest_price

    t = combined.tender
    for bid in combined.bids:
        examine(api_as, members[0], t, bid)
    for member, pts in zip(members, ((80, 70), (90, 60)), strict=True):
        post(api_as, member, "tender-scores", t,
             {"scores": sheet(t, combined.bids, {b: pts for b in combined.bids})})  # fmt: skip
    combined.members = members
    award_lowest_price(api_as, combined, approver)
    call_command("rerun_evaluation", t.reference)
    out = capsys.readouterr().out
    assert "ledger entry: MATCHES" in out and "lot 1: MATCHES" in out
    published = api_as(approver).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    path = tmp_path / "record.json"
    path.write_text(json.dumps(published))
    assert scoring.main([str(path)]) == 0  # python -m evaluation.scoring record.json
    # A tampered record (a price changed) no longer re-runs to the published ranking.
    published["record"]["lots"][0]["bids"][0]["price"] = "1.00"
    path.write_text(json.dumps(published))
    assert scoring.main([str(path)]) == 1
    with pytest.raises(CommandError):
        call_command("rerun_evaluation", file=str(path))


def test_two_envelopes_technical_pass_mark_decides_whose_prices_are_opened(
    api_as, make_tender, make_bidder, custodians, officer, members, approver
):
    tender = make_tender(publish=True, envelope_procedure="two_envelopes", **COMBINED)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "39000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (good, weak) = opened.tender, opened.bids
    for bid in (good, weak):
        assert examine(api_as, members[0], t, bid).status_code == 201
    points = sheet(t, [good, weak], {good: (85, 80), weak: (60, 65)})
    for m in members:  # the weak bid passes the examination but scores under the pass mark
        post(api_as, m, "tender-scores", t, {"scores": points})
    assert post(api_as, members[0], "tender-runs", t).status_code == 409  # prices still sealed
    opened_prices = post(api_as, officer, "tender-financial-opening", t)
    assert opened_prices.status_code == 200, opened_prices.json()
    assert payload("FINANCIAL_OPENING") == {"compliant": [good], "not_compliant": [weak]}
    run = post(api_as, members[0], "tender-runs", t).json()
    lot = run["record"]["lots"][0]
    assert [b["bid"] for b in lot["bids"]] == [good]  # the weak bid's price was never read
    report = post(api_as, members[0], "tender-reports", t, {"summary": "Trao cho hồ sơ đạt."})
    assert report.json()["proposals"][0]["bid"] == good
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 200


def test_lowest_evaluated_price_ranks_on_adjusted_prices_and_awards_the_corrected_one(
    api_as, make_tender, make_bidder, custodians, officer, members, approver, make_user
):
    tender = make_tender(publish=True, evaluation_method="lowest_evaluated")
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["40000000000.00", "41500000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (cheap, dear) = opened.tender, opened.bids
    omitted = {
        "1": [
            {
                "kind": "deviation",
                "amount": "3000000000.00",
                "reason": "Bỏ sót hạng mục lan can, tính theo đơn giá cao nhất",
            }
        ]
    }
    summed = {"1": [{"kind": "correction", "amount": "500000000.00",
                     "reason": "Sửa lỗi cộng: tổng các hạng mục lớn hơn giá ghi"}]}  # fmt: skip
    for bad in ({"9": omitted["1"]}, {"1": [{"kind": "deviation", "amount": "1.00",
                                            "reason": " "}]},
                {"1": [{"kind": "discount", "amount": "1.00", "reason": "x"}]}):  # fmt: skip
        response = post(api_as, members[0], "tender-examinations", t,
                        {"bid": cheap, "checks": checks(t), "adjustments": bad})  # fmt: skip
        assert response.status_code == 400
    recorded = post(api_as, members[0], "tender-examinations", t,
                    {"bid": cheap, "checks": checks(t), "adjustments": omitted})  # fmt: skip
    assert recorded.status_code == 201, recorded.json()
    post(api_as, members[0], "tender-examinations", t,
         {"bid": dear, "checks": checks(t), "adjustments": summed})  # fmt: skip
    lot = post(api_as, members[0], "tender-runs", t).json()["record"]["lots"][0]
    evaluated = {b["bid"]: b["price"] for b in lot["bids"]}
    assert evaluated == {cheap: "43000000000.00", dear: "42000000000.00"}
    assert lot["offered"] == {cheap: "40000000000.00", dear: "41500000000.00"}
    assert lot["corrected"] == {cheap: "40000000000.00", dear: "42000000000.00"}
    report = post(api_as, members[0], "tender-reports", t, {"summary": "Giá đánh giá thấp nhất."})
    proposal = report.json()["proposals"][0]
    assert (proposal["bid"], proposal["value"]) == (dear, "42000000000.00")  # the corrected price
    post(api_as, approver, "tender-report-approve", t, None, 1)
    public = api_as(make_user()).get(f"/api/v1/tenders/{t.reference}/evaluation/").json()
    revealed = next(e for e in public["examinations"] if e["content"]["bid"] == cheap)
    assert revealed["content"]["adjustments"] == omitted and revealed["matches_ledger"]
    assert public["adjustments_check"] == [{"lot": 1, "matches": True}]
    page = api_as(make_user()).get(f"/tenders/{t.reference}/").content.decode()
    assert "Bỏ sót hạng mục lan can" in page


def test_a_tie_on_price_goes_to_the_bidder_with_a_local_head_office(
    api_as, make_tender, make_bidder, custodians, officer, members
):
    from procurement.models import Organisation

    tender = make_tender(publish=True)  # carried out in Hà Nội
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "41000000000.00"], officer=officer,
                            members=members)  # fmt: skip
    t, (first, second) = opened.tender, opened.bids
    Organisation.objects.filter(pk=opened.bidders[0][1].pk).update(province="Đà Nẵng")
    for bid in (first, second):
        examine(api_as, members[0], t, bid)
    lot = post(api_as, members[0], "tender-runs", t).json()["record"]["lots"][0]
    ranked = [(r["bid"], r["tie_resolved_by"]) for r in lot["result"]]
    assert ranked == [(second, "local_head_office"), (first, "local_head_office")]
