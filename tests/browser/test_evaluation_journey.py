"""Headless Chromium through the evaluation pages as people use them: a committee member signs
in, declares, examines (failing one bid with its reason), runs the engine and sends the report;
the approver approves; the public reads the result and the check page in both languages, with
no console or CSP errors."""

from __future__ import annotations

import pytest

from evaluation.models import Award, Examination
from procurement.models import Role
from tests.conftest import PASSWORD
from tests.evaluation.flow import open_with_bids

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, url, user):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def test_member_examines_and_reports_the_approver_approves_the_public_checks(
    live_server, page, api_as, make_tender, make_bidder, custodians, officer, agency, make_user
):
    member = make_user((Role.EVALUATOR, agency))
    approver = make_user((Role.APPROVER, agency))
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians,
                            ["41000000000.00", "40000000000.00"], officer=officer)  # fmt: skip
    api_as(officer).post(f"/api/v1/tenders/{tender.reference}/committee/",
                         {"user": str(member.public_id)}, format="json")  # fmt: skip
    cheap_org = opened.bidders[1][1]

    sign_in(page, live_server.url, member)
    page.goto(f"{live_server.url}/workspace/evaluations/")
    page.check("input[name=conflict][value=no]")
    page.click("form[action$='/committee/declare/'] button")
    page.wait_for_selector(".messages")
    page.click("text=Đánh giá, chấm điểm và báo cáo")
    page.wait_for_selector("#examination")
    for bid, org in ((opened.bids[0], None), (opened.bids[1], cheap_org)):
        page.select_option("#ex-bid", bid)
        if org is not None:  # the cheaper bid fails its bid security, with the reason
            page.check("input[name='passed-bid_security'][value=no]")
            page.fill("input[name='reason-bid_security']", "Bảo lãnh dự thầu không hợp lệ")
        page.click("form[action$='/evaluation/examine/'] button")
        page.wait_for_selector(".messages")
    assert Examination.objects.filter(passed=False).count() == 1
    page.click("form[action$='/evaluation/run/'] button")
    page.wait_for_selector(".messages")
    page.fill("#summary", "Đề xuất trao thầu cho nhà thầu xếp hạng thứ nhất.")
    page.click("form[action$='/evaluation/report/'] button")
    page.wait_for_selector(".messages")
    assert "Báo cáo đã được trình phê duyệt." in page.inner_text(".messages")

    page.context.clear_cookies()
    sign_in(page, live_server.url, approver)
    page.goto(f"{live_server.url}/workspace/approvals/")
    page.click(f"text={tender.reference}")
    page.click("form[action$='/evaluation/approve/'] button")
    page.wait_for_selector(".messages")
    assert Award.objects.get().bid.public_id.hex == opened.bids[0].replace("-", "")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/tenders/{tender.reference}/")
    assert "Bảo lãnh dự thầu không hợp lệ" in page.inner_text("#result")
    page.click("button[lang=en]")
    page.wait_for_selector("text=Evaluation result")
    page.click("text=Check the evaluation (re-run and ledger commitments)")
    page.wait_for_selector("text=re-run gives the same ranking")
    assert "✘" not in page.inner_text("main")
    assert page.console_errors == []
