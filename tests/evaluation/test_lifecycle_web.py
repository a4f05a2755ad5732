"""The whole lifecycle after opening through the portal's pages (the Django test client posting
the same forms a browser does), on whatever database the suite runs on (PostgreSQL in CI):
appointment, declarations, examination with a failed bid, a clarification answered by the
bidder, independent scores, the engine run, the report, approval by a second person, a
complaint through the agency and the review body, the standstill, the signed contract, an
amendment and completion. Every decision ends on the public pages in both languages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.timezone import localdate

from evaluation import selectors as evaluation_selectors
from evaluation.models import Award, Complaint, Contract, Examination, ScoreSheet
from evaluation.views import pages as evaluation_pages
from procurement.clock import db_now
from procurement.models import LedgerEntry, OrganisationKind, Role
from tests.bidders.sealing import price_sheet, seal_bid
from tests.bidders.test_sealed_bids import close_now, release_all, submit
from tests.evaluation.flow import COMBINED, pass_standstill

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% hop dong\n"


def page(client, name, *args, lang="en"):
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def act(client, tender, action, data):
    response = client.post(reverse("evaluation-act", args=[tender.reference, action]), data,
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)  # fmt: skip
    assert response.status_code == 200
    return response.content.decode()


def test_from_opening_to_a_completed_contract_in_the_portal(
    client,
    api_as,
    make_tender,
    make_bidder,
    custodians,
    officer,
    agency,
    make_user,
    make_org,
    monkeypatch,
):
    tender = make_tender(publish=True, **COMBINED)
    (ua, oa), (ub, ob) = make_bidder(), make_bidder()
    bids = []
    for (user, org), price in (((ua, oa), "41500000000.00"), ((ub, ob), "40000000000.00")):
        sealed = seal_bid(tender, org.code, price=price_sheet(tender, price))
        bids.append(submit(api_as, user, tender, sealed).json()["bid"])
    a, b = bids
    m1, m2 = (make_user((Role.EVALUATOR, agency)) for _ in range(2))
    approver = make_user((Role.APPROVER, agency))
    reviewer = make_user((Role.REVIEWER, make_org(OrganisationKind.OVERSIGHT)))

    client.force_login(officer)
    for m in (m1, m2):
        client.post(reverse("committee-appoint", args=[tender.reference]),
                    {"user": str(m.public_id)})  # fmt: skip
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    from evaluation.services import opening

    assert opening.open_tender(tender)
    for m in (m1, m2):
        client.force_login(m)
        client.post(reverse("committee-declare", args=[tender.reference]), {"conflict": "no"})

    # Examination: B fails its licence (the declared pass/fail criterion 1), with the reason.
    client.force_login(m1)
    html = page(client, "evaluation-workspace", tender.reference)
    assert "Record the examination" in html
    checks = ["eligibility", "bid_security", "validity", "qualification", "criterion:1"]
    form = {f"passed-{c}": "yes" for c in checks}
    act(client, tender, "examine", {"bid": a, **form})
    act(client, tender, "examine", {"bid": b, **form, "passed-criterion:1": "no",
                                    "reason-criterion:1": "Không có giấy phép"})  # fmt: skip
    assert Examination.objects.filter(passed=False).get().reason.endswith("Không có giấy phép")

    # A clarification to A, answered by A on its own page.
    act(client, tender, "clarify", {"bid": a, "kind": "clarification",
                                    "question": "Làm rõ nhân sự chủ chốt"})  # fmt: skip
    client.force_login(ub)
    assert "Làm rõ nhân sự chủ chốt" not in page(client, "my-clarifications")
    client.force_login(ua)
    assert "Làm rõ nhân sự chủ chốt" in page(client, "my-clarifications")
    client.post(reverse("clarification-answer", args=[tender.reference, 1]),
                {"answer": "Kỹ sư trưởng có 12 năm kinh nghiệm"})  # fmt: skip

    # Independent scores; the second member sees nothing of the first's until it submits.
    client.force_login(m1)
    act(client, tender, "scores", {f"score-{a}-2": "80", f"score-{a}-3": "90"})
    client.force_login(m2)
    assert "80.00" not in page(client, "evaluation-workspace", tender.reference)
    act(client, tender, "scores", {f"score-{a}-2": "84", f"score-{a}-3": "60"})
    assert ScoreSheet.objects.count() == 2
    assert "80.00" in page(client, "evaluation-workspace", tender.reference)

    # The engine, the report, and approval by a second person.
    act(client, tender, "run", {})
    act(client, tender, "report", {"summary": "Đề xuất trao thầu cho A."})
    client.force_login(m1)
    refused = client.post(reverse("evaluation-act", args=[tender.reference, "approve"]),
                          {"number": 1})  # fmt: skip
    assert refused.status_code == 403
    client.force_login(approver)
    assert tender.reference in page(client, "approvals")
    act(client, tender, "approve", {"number": 1})
    award = Award.objects.get()
    assert award.supplier == oa

    # The public page shows the result in both languages, and the check page re-runs it.
    client.logout()
    english = page(client, "tender", tender.reference)
    assert "Evaluation result" in english and "Không có giấy phép" in english
    vietnamese = page(client, "tender", tender.reference, lang="vi")
    assert "Kết quả đánh giá" in vietnamese
    # The opening record and the results are paged (50 a page; one here): each bidder on
    # exactly one page of each.
    monkeypatch.setattr(evaluation_pages, "RESULTS_PAGE", 1)
    monkeypatch.setattr(evaluation_selectors, "OPENING_PAGE", 1)
    url = reverse("tender", args=[tender.reference])
    first, second = (
        client.get(f"{url}?bids={n}&results={n}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        for n in (1, 2)
    )
    assert first.count("Page 1 of 2") == 2 and second.count("Page 2 of 2") == 2
    assert "2 bid(s) were received" in first and "2 bid(s) were received" in second
    assert (ob.name_vi in first) != (ob.name_vi in second)  # the opening record (Vietnamese names)
    assert (ob.name_en in first) != (ob.name_en in second)  # the result table
    check = page(client, "tender-evaluation", tender.reference)
    assert "re-run gives the same ranking" in check and "✘" not in check
    assert oa.name_en in page(client, "supplier", oa.code)

    # B complains about the result; the agency dismisses it; B goes to the review body.
    client.force_login(ub)
    client.post(reverse("complaint-file", args=[tender.reference]),
                {"subject": "result", "text": "Giấy phép đã được cấp, xin xem lại",
                 "files": [SimpleUploadedFile("giay-phep.pdf", PDF)]})  # fmt: skip
    complaint = Complaint.objects.get()
    assert complaint.attachments.count() == 1
    client.force_login(officer)
    dismissal = {"number": 1, "upheld": "no", "text": "Giấy phép hết hạn trước khi đóng thầu."}
    act(client, tender, "complaint", dismissal)
    client.force_login(ub)
    client.post(reverse("complaint-step", args=[tender.reference, 1, "escalate"]))
    client.force_login(reviewer)
    assert "Giấy phép đã được cấp" in page(client, "reviews")
    client.post(reverse("complaint-step", args=[tender.reference, 1, "decide"]),
                {"upheld": "no", "text": "Bác kiến nghị: giấy phép hết hạn."})  # fmt: skip
    complaint.refresh_from_db()
    assert complaint.status == "dismissed"

    # The standstill passes; the officer records the signed contract, amends and completes it.
    pass_standstill(tender)
    client.force_login(officer)
    today = localdate(db_now()).isoformat()
    act(client, tender, "sign", {"award": str(award.public_id), "title": "Hợp đồng số 01/2026",
                                 "value": "41500000000.00", "signed_on": today,
                                 "start_date": today, "end_date": "2027-06-30",
                                 "files": [SimpleUploadedFile("hop-dong.pdf", PDF)]})  # fmt: skip
    contract = Contract.objects.get()
    act(client, tender, "amend", {"contract": str(contract.public_id), "end_date": "2027-09-30",
                                  "reason": "Mưa bão kéo dài"})  # fmt: skip
    act(client, tender, "close", {"contract": str(contract.public_id), "completed": "yes",
                                  "paid": "41500000000.00"})  # fmt: skip
    contract.refresh_from_db()
    assert contract.status == "completed" and str(contract.end_date) == "2027-09-30"
    client.logout()
    final = page(client, "tender", tender.reference)
    for text in ("Hợp đồng số 01/2026", "Mưa bão kéo dài", "Bác kiến nghị", "Completed"):
        assert text in final
    kinds = list(LedgerEntry.objects.filter(subject=tender.ledger_subject)
                 .values_list("kind", flat=True))  # fmt: skip
    for kind in ("EXAMINATION_RECORDED", "CLARIFICATION_ANSWERED", "SCORES_SUBMITTED",
                 "EVALUATION_RUN", "REPORT_SUBMITTED", "TENDER_AWARDED", "COMPLAINT_DECIDED",
                 "CONTRACT_SIGNED", "CONTRACT_AMENDED", "CONTRACT_COMPLETED"):  # fmt: skip
        assert kind in kinds
