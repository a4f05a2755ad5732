"""The tender pages and the officer workspace, through the web UI as a person uses them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from procurement import ledger
from procurement.models import LedgerEntry
from tenders import services
from tenders.models import Tender
from tenders.templatetags.tender_links import agency_url, tender_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(agency, days: int = 30, **overrides) -> dict:
    deadline = timezone.now() + dt.timedelta(days=days)
    data = {
        "agency": agency.code,
        "regime": "",
        "title": "Mua máy tính cho trường học",
        "description": "50 máy tính xách tay",
        "category": "goods",
        "classification_scheme": "CPV",
        "classification_code": "30213100-6",
        "estimated_value": "2000000000",
        "currency": "VND",
        "method": "open",
        "method_rationale": "",
        "envelope_procedure": "one_envelope",
        "evaluation_method": "lowest_price",
        "bid_security_amount": "25000000",
        "bid_validity_days": "90",
        "submission_deadline": local(deadline),
        "opening_time": local(deadline + dt.timedelta(hours=1)),
        "province": "Hà Nội",
        "contact_name": "Nguyễn Văn An",
        "contact_email": "an@example.gov.vn",
        "lot_title": "Máy tính",
        "items": "Máy tính xách tay; 50; chiếc; 30213100-6",
    }
    data.update(overrides)
    return data


def test_officer_takes_a_tender_from_draft_to_cancelled_in_the_web_ui(
    client, officer, agency, vn, supplier, custodians
):
    client.force_login(officer)
    response = client.post(reverse("workspace-create"), form_data(agency, regime=vn.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    tender = Tender.objects.get()
    assert response["Location"] == reverse("workspace-tender", args=[tender.reference])
    assert tender.lots.get().items.get().quantity == 50

    # Publishing waits for the roster and every custodian's key statement.
    client.post(reverse("workspace-publish", args=[tender.reference]))
    tender.refresh_from_db()
    assert tender.status == "draft"
    page = client.get(reverse("workspace-tender", args=[tender.reference])).content.decode()
    assert custodians[0].identity.code in page
    codes = [c.identity.code for c in custodians]
    response = client.post(
        reverse("workspace-roster", args=[tender.reference]), {"custodians": codes, "threshold": 2}
    )
    assert response.status_code == 302
    assert list(tender.roster.values_list("custodian__code", flat=True)) == codes
    response = client.post(reverse("workspace-publish", args=[tender.reference]), follow=True)
    assert "Waiting for the key statements" in response.content.decode() or (
        "Đang chờ" in response.content.decode()
    )
    for custodian in custodians:
        custodian.give_statement(tender)
    client.post(reverse("workspace-publish", args=[tender.reference]))
    tender.refresh_from_db()
    assert tender.status == "published"

    # Attach a document, which is an amendment once published.
    response = client.post(
        reverse("workspace-upload", args=[tender.reference]),
        {
            "title": "Yêu cầu kỹ thuật",
            "rationale": "Bổ sung",
            "file": SimpleUploadedFile("yc.pdf", b"%PDF-1.4 spec"),
        },
    )
    assert response.status_code == 302
    assert tender.documents.count() == 1

    # Amend.
    response = client.post(
        reverse("workspace-amend", args=[tender.reference]),
        {"rationale": "Tăng số lượng", "bid_validity_days": "120"},
    )
    assert response.status_code == 302
    assert tender.amendments.count() == 2

    # A supplier asks on the public page; the officer answers in the workspace.
    client.force_login(supplier)
    client.post(reverse("tender-ask", args=[tender.reference]), {"text": "Cấu hình tối thiểu?"})
    client.force_login(officer)
    client.post(
        reverse("workspace-answer", args=[tender.reference, 1]), {"answer": "Core i5, 16 GB."}
    )
    ledger.drain()  # the answer's deferred entry, appended after a commit (never in a test)
    page = client.get(reverse("tender", args=[tender.reference])).content.decode()
    assert "Core i5, 16 GB." in page
    assert "Yêu cầu kỹ thuật" in page
    assert tender.documents.get().sha256 in page
    assert "TENDER_AMENDED" in page and "QUESTION_ANSWERED" in page
    assert supplier.username not in page

    # Cancel with a public reason.
    response = client.post(
        reverse("workspace-cancel", args=[tender.reference]),
        {"reason": "Đã có nguồn cung cấp khác cho trường học"},
    )
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.status == "cancelled"
    assert (
        "Đã có nguồn cung cấp khác cho trường học"
        in client.get(reverse("tender", args=[tender.reference])).content.decode()
    )


def test_publishing_too_early_a_deadline_shows_the_rule(client, officer, make_tender):
    tender = make_tender(days=5)
    client.force_login(officer)
    response = client.post(
        reverse("workspace-publish", args=[tender.reference]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "at least 18 calendar days" in response.content.decode()
    tender.refresh_from_db()
    assert tender.status == "draft"


def test_bad_form_input_is_shown_and_nothing_is_saved(client, officer, agency, vn):
    client.force_login(officer)
    before = LedgerEntry.objects.count()
    response = client.post(
        reverse("workspace-create"),
        form_data(agency, regime=vn.pk, items="broken line", classification_code="1"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "write description; quantity; unit; code" in text
    assert Tender.objects.count() == 0
    response = client.post(
        reverse("workspace-create"),
        form_data(agency, regime=vn.pk, classification_code="12345678-9"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Unknown CPV code" in response.content.decode()
    assert Tender.objects.count() == 0
    assert LedgerEntry.objects.count() == before


def test_script_in_text_is_escaped_on_output(client, make_tender):
    tender = make_tender(publish=True, title="<script>alert(1)</script>")
    page = client.get(reverse("tender", args=[tender.reference])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_workspace_is_for_officers(client, supplier, officer, make_tender):
    assert client.get(reverse("workspace")).status_code == 302  # to sign in
    client.force_login(supplier)
    assert client.get(reverse("workspace")).status_code == 403
    assert client.get(reverse("workspace-create")).status_code == 403
    tender = make_tender()
    assert client.get(reverse("workspace-tender", args=[tender.reference])).status_code == 404
    assert client.post(reverse("workspace-publish", args=[tender.reference])).status_code == 404
    client.force_login(officer)
    page = client.get(reverse("workspace"))
    assert tender.reference in page.content.decode()


def test_search_page_filters_and_hides_drafts(client, make_tender, officer):
    draft = make_tender(title="Bản nháp bí mật")
    road = make_tender(publish=True, title="Đường liên xã")
    computers = make_tender(
        publish=True,
        title="Máy tính",
        category="goods",
        classification_code="30213100-6",
        estimated_value="2000000000",
        bid_security_amount="25000000",
    )
    page = client.get(reverse("tenders")).content.decode()
    assert road.reference in page and computers.reference in page
    assert draft.reference not in page
    filtered = client.get(reverse("tenders"), {"category": "goods"}).content.decode()
    assert computers.reference in filtered and road.reference not in filtered
    assert client.get(reverse("tender", args=[draft.reference])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert road.reference in home  # closing soon


def test_agency_page_lists_its_tenders_and_figures(client, make_tender, agency):
    tender = make_tender(publish=True)
    page = client.get(reverse("agency", args=[agency.code]))
    assert page.status_code == 200
    assert tender.reference in page.content.decode()
    assert page.context["figures"]["open"] == 1
    assert client.get(reverse("agency", args=["missing"])).status_code == 404


def test_tender_page_speaks_both_languages(client, make_tender):
    tender = make_tender(publish=True)
    vi = client.get(reverse("tender", args=[tender.reference])).content.decode()
    en = client.get(reverse("tender", args=[tender.reference]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Thời điểm đóng thầu" in vi
    assert "Submission deadline" in en.content.decode()


def test_late_answer_in_the_ui_extends_the_deadline(client, make_tender, officer, supplier):
    tender = make_tender(publish=True)
    services.ask_question(tender, actor=supplier, text="?")
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=timezone.now() + dt.timedelta(hours=5),
        opening_time=timezone.now() + dt.timedelta(hours=6),
    )
    client.force_login(officer)
    client.post(reverse("workspace-answer", args=[tender.reference, 1]), {"answer": "!"})
    tender.refresh_from_db()
    assert tender.submission_deadline > timezone.now() + dt.timedelta(days=1)


def test_the_form_takes_several_lots_and_shows_them_back(client, officer, agency, vn):
    client.force_login(officer)
    items = (
        "Máy tính xách tay; 50; chiếc; 30213100-6\n"
        "# Máy chiếu và màn hình\n"
        "Máy chiếu; 10; chiếc; 30000000-9\n"
        "Màn hình; 12,5; m2; 30000000-9"
    )
    response = client.post(
        reverse("workspace-create"), form_data(agency, regime=vn.pk, items=items)
    )
    assert response.status_code == 302
    tender = Tender.objects.get()
    lots = list(tender.lots.all())
    assert [lot.title for lot in lots] == ["Máy tính", "Máy chiếu và màn hình"]
    assert [format(i.quantity.normalize(), "f") for i in lots[1].items.all()] == ["10", "12.5"]
    edit = client.get(reverse("workspace-edit", args=[tender.reference]))
    assert "# Máy chiếu và màn hình" in edit.content.decode()
    response = client.post(
        reverse("workspace-create"),
        form_data(agency, regime=vn.pk, items="# Lô trống"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Every lot needs at least one item." in response.content.decode()


@pytest.mark.parametrize("value", ["GEN-2026-0000001", "MB 2026 ü?#&%", "agency_01-x"])
def test_row_links_are_what_reverse_gives(value):
    assert tender_url(value) == reverse("tender", args=[value])
    if " " not in value:  # an agency code is a slug
        assert agency_url(value) == reverse("agency", args=[value])
    set_script_prefix("/portal/")
    try:
        assert tender_url(value) == reverse("tender", args=[value])
        assert tender_url(value).startswith("/portal/tenders/")
    finally:
        set_script_prefix("/")
