"""Tenders API: the role matrix of every write endpoint (nothing changes on denial), drafts
hidden from everyone but their agency, filters, and the error format."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evaluation.services import cancellation as cancelling
from procurement.models import LedgerEntry, OrganisationKind, Role
from tenders import services
from tenders.models import Amendment, Question, Tender, TenderDocument
from tests.tenders.fixtures import tender_fields

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"y" * 2000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def cast(make_org, make_user, agency, officer, supplier):
    other_agency = make_org()
    return {
        "officer": officer,
        "other_officer": make_user((Role.OFFICER, other_agency)),
        "evaluator": make_user((Role.EVALUATOR, agency)),
        "supplier": supplier,
        "auditor": make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT))),
        "plain": make_user(),
    }


def client_for(who, cast, api, api_as):
    return api if who == "anonymous" else api_as(cast[who])


def payload(agency, **overrides) -> dict:
    fields = tender_fields(**overrides)
    data = {
        k: (v.isoformat() if isinstance(v, dt.datetime) else str(v) if v is not None else None)
        for k, v in fields.items()
    }
    data.update(
        agency=agency.code,
        regime="vn-2025",
        lots=[
            {
                "title": "Mặt cầu",
                "items": [
                    {
                        "description": "Thay mặt cầu",
                        "quantity": "1200",
                        "unit": "m2",
                        "classification_code": "45221111-3",
                    }
                ],
            }
        ],
    )
    return data


def state() -> tuple:
    return (
        Tender.objects.count(),
        list(Tender.objects.values_list("status", "title", "submission_deadline")),
        Amendment.objects.count(),
        Question.objects.filter(answered_at__isnull=False).count(),
        Question.objects.count(),
        TenderDocument.objects.count(),
        LedgerEntry.objects.count(),
    )


DENIED = [
    ("anonymous", 401),
    ("plain", 403),
    ("supplier", 403),
    ("evaluator", 403),
    ("other_officer", 403),
    ("auditor", 403),
]


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 201)])
def test_create_draft_role_matrix(cast, api, api_as, agency, who, code):
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tenders"), payload(agency), format="json"
    )
    assert response.status_code == code, response.content
    if code == 201:
        body = response.json()
        assert body["status"] == "draft" and body["reference"].startswith("MB-")
        assert body["lots"][0]["items"][0]["unit"] == "m2"
    else:
        assert state() == before


# Drafts do not exist for outsiders: they get 404, not 403, on anything about a draft.
DRAFT_DENIED = [("anonymous", 401), ("plain", 404), ("supplier", 404), ("evaluator", 404),
                ("other_officer", 404), ("auditor", 404)]  # fmt: skip


@pytest.mark.parametrize(("who", "code"), [*DRAFT_DENIED, ("officer", 200)])
def test_edit_draft_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender()
    before = state()
    response = client_for(who, cast, api, api_as).patch(
        reverse("api:tender", args=[tender.reference]), {"title": "Đổi tên"}, format="json"
    )
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["title"] == "Đổi tên"
    else:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DRAFT_DENIED, ("officer", 200)])
def test_publish_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender()
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-publish", args=[tender.reference])
    )
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["status"] == "published"
    else:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 201)])
def test_amend_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender(publish=True)
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-amendments", args=[tender.reference]),
        {"rationale": "Sửa", "title": "Tên mới"},
        format="json",
    )
    assert response.status_code == code, response.content
    if code == 201:
        assert response.json()["changes"]["title"]["new"] == "Tên mới"
    else:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 201)])
def test_add_document_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender(publish=True)
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-documents", args=[tender.reference]),
        {"title": "Bản vẽ", "rationale": "Bổ sung", "file": SimpleUploadedFile("a.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == code, response.content
    if code == 201:
        assert response.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    else:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 201)])
def test_supersede_document_role_matrix(cast, api, api_as, make_tender, officer, who, code):
    tender = make_tender(publish=True)
    document = services.add_document(
        tender, actor=officer, title="HSMT", upload=SimpleUploadedFile("a.pdf", PDF),
        rationale="x",
    )  # fmt: skip
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-document-supersede", args=[tender.reference, document.public_id]),
        {"rationale": "Sửa", "file": SimpleUploadedFile("b.pdf", PDF + b"2")},
        format="multipart",
    )
    assert response.status_code == code, response.content
    if code != 201:
        assert state() == before


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", 401), ("plain", 403), ("officer", 403), ("evaluator", 403),
     ("auditor", 403), ("supplier", 201)],
)  # fmt: skip
def test_ask_question_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender(publish=True)
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-questions", args=[tender.reference]), {"text": "?"}, format="json"
    )
    assert response.status_code == code, response.content
    if code != 201:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 200)])
def test_answer_role_matrix(cast, api, api_as, make_tender, supplier, who, code):
    tender = make_tender(publish=True)
    services.ask_question(tender, actor=supplier, text="Bản vẽ?")
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-answer", args=[tender.reference, 1]),
        {"answer": "Đã đăng."},
        format="json",
    )
    assert response.status_code == code, response.content
    if code != 200:
        assert state() == before


@pytest.mark.parametrize(("who", "code"), [*DENIED, ("officer", 200)])
def test_cancel_role_matrix(cast, api, api_as, make_tender, who, code):
    tender = make_tender(publish=True)
    before = state()
    response = client_for(who, cast, api, api_as).post(
        reverse("api:tender-cancel", args=[tender.reference]),
        {"reason": "Hết nhu cầu mua sắm gói thầu này"},
        format="json",
    )
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["cancellation_reason"] == "Hết nhu cầu mua sắm gói thầu này"
    else:
        assert state() == before


def test_drafts_are_invisible_to_the_public_and_other_agencies(api, api_as, cast, make_tender):
    draft = make_tender()
    published = make_tender(publish=True)
    refs = [t["reference"] for t in api.get(reverse("api:tenders")).json()["results"]]
    assert refs == [published.reference]
    assert api.get(reverse("api:tender", args=[draft.reference])).status_code == 404
    other = api_as(cast["other_officer"]).get(reverse("api:tender", args=[draft.reference]))
    assert other.status_code == 404
    mine = api_as(cast["officer"]).get(reverse("api:tenders")).json()["results"]
    assert {t["reference"] for t in mine} == {draft.reference, published.reference}


def test_publish_refusal_names_the_rule_in_the_error(api_as, cast, make_tender):
    tender = make_tender(days=12)
    url = reverse("api:tender-publish", args=[tender.reference])
    response = api_as(cast["officer"]).post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "submission_deadline"
    assert "18 calendar days" in error["message"]
    vietnamese = api_as(cast["officer"]).post(url, HTTP_ACCEPT_LANGUAGE="vi").json()["error"]
    assert "ít nhất 18 ngày (theo lịch)" in vietnamese["message"]


def test_bad_input_gets_field_errors(api_as, cast, agency):
    body = payload(agency, estimated_value="-1")
    body["lots"] = []
    response = api_as(cast["officer"]).post(reverse("api:tenders"), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] in {"estimated_value", "lots"}
    body = payload(agency, classification_code="00000000-0")
    response = api_as(cast["officer"]).post(reverse("api:tenders"), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "classification_code"
    assert Tender.objects.count() == 0


def test_filters_and_ordering(api, make_tender, officer):
    cheap = make_tender(
        publish=True,
        estimated_value="30000000000",
        bid_security_amount="600000000",
        title="Đường làng",
    )
    dear = make_tender(publish=True, title="Cầu lớn", days=60)
    cancelling.cancel_tender(cheap, actor=officer, reason="Đã mua qua gói thầu khác")
    url = reverse("api:tenders")

    def refs(**params):
        return [t["reference"] for t in api.get(url, params).json()["results"]]

    assert refs(status="published") == [dear.reference]
    assert refs(q="làng") == [cheap.reference]
    assert refs(value_min="40000000000") == [dear.reference]
    assert refs(ordering="submission_deadline") == [cheap.reference, dear.reference]
    after = (timezone.now() + dt.timedelta(days=45)).isoformat()
    assert refs(deadline_after=after) == [dear.reference]
    assert set(refs(classification="4522")) == {cheap.reference, dear.reference}
    assert refs(classification="33") == []
    bad = api.get(url, {"status": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"


def test_document_download_carries_its_hash(api, make_tender, officer):
    tender = make_tender(publish=True)
    document = services.add_document(
        tender, actor=officer, title="HSMT", upload=SimpleUploadedFile("hsmt.pdf", PDF),
        rationale="x",
    )  # fmt: skip
    response = api.get(reverse("api:tender-document", args=[tender.reference, document.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-SHA256"] == hashlib.sha256(PDF).hexdigest()


def test_public_questions_never_show_the_asker(api, make_tender, supplier, officer):
    tender = make_tender(publish=True)
    question = services.ask_question(tender, actor=supplier, text="Thép?")
    assert api.get(reverse("api:tender-questions", args=[tender.reference])).json() == []
    services.answer_question(question, actor=officer, answer="TCVN.")
    (row,) = api.get(reverse("api:tender-questions", args=[tender.reference])).json()
    assert set(row) == {"number", "text", "asked_at", "answer", "answered_at", "salt"}
    assert row["answer"] == "TCVN."


def test_regimes_are_listed(api):
    codes = [r["code"] for r in api.get(reverse("api:regimes")).json()]
    assert codes == ["uncitral-gpa", "vn-2025"]


@pytest.mark.skipif(
    "not __import__('django.db').db.connection.vendor == 'postgresql'",
    reason="accent-insensitive full-text search runs on PostgreSQL only",
)
def test_full_text_search_ignores_vietnamese_accents(api, make_tender):
    road = make_tender(publish=True, title="Nâng cấp đường làng xã Đông Anh")
    make_tender(publish=True, title="Mua máy tính xách tay", description="Thiết bị văn phòng")
    url = reverse("api:tenders")

    def refs(q):
        return [t["reference"] for t in api.get(url, {"q": q}).json()["results"]]

    assert refs("duong lang") == [road.reference]
    assert refs("Đường Làng") == [road.reference]
    assert refs("dong anh -may") == [road.reference]
    assert refs(road.reference) == [road.reference]
    assert refs("bệnh viện") == []
