"""Tender documents: type and size checks, SHA-256 while streaming, never overwritten."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.models import LedgerEntry, Role
from tenders import services
from tenders.models import TenderDocument
from tenders.services import documents

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"


def pdf(name: str = "ho-so-moi-thau.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_draft_document_is_stored_with_its_hash(make_tender, officer):
    tender = make_tender()
    document = services.add_document(tender, actor=officer, title="Hồ sơ mời thầu", upload=pdf())
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.size == len(PDF)
    assert document.filename == "ho-so-moi-thau.pdf"
    assert "ho-so-moi-thau" not in document.file.name  # the server names the file
    with document.file.open("rb") as handle:
        assert handle.read() == PDF
    tender.refresh_from_db()
    assert document.sha256 in json.dumps(services.document_hashes(tender))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("virus.exe", b"MZ\x90\x00"), "not accepted"),
        (SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"), "does not match"),
        (SimpleUploadedFile("empty.pdf", b""), "empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(make_tender, officer, upload, message):
    tender = make_tender()
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput, match=message):
        services.add_document(tender, actor=officer, title="x", upload=upload)
    assert TenderDocument.objects.count() == 0
    assert LedgerEntry.objects.count() == before


def test_oversize_files_are_refused(make_tender, officer, monkeypatch):
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 1000)
    with pytest.raises(InvalidInput, match="larger than"):
        services.add_document(make_tender(), actor=officer, title="x", upload=pdf())


def test_on_a_published_tender_a_document_is_an_amendment_and_is_superseded_not_overwritten(
    make_tender, officer
):
    tender = make_tender(publish=True)
    with pytest.raises(InvalidInput):  # a reason is required once published
        services.add_document(tender, actor=officer, title="Bản vẽ", upload=pdf())
    first = services.add_document(
        tender, actor=officer, title="Bản vẽ", upload=pdf(), rationale="Bổ sung bản vẽ"
    )
    second = services.supersede_document(
        first, actor=officer, upload=pdf(content=PDF + b"v2"), rationale="Sửa bản vẽ"
    )
    first.refresh_from_db()
    assert first.superseded_by == second
    assert TenderDocument.objects.count() == 2
    assert [a.number for a in tender.amendments.all()] == [1, 2]
    published = [d["sha256"] for d in services.document_hashes(tender)]
    assert published == [second.sha256]
    with pytest.raises(Conflict, match="already superseded"):
        services.supersede_document(first, actor=officer, upload=pdf(), rationale="again")


def test_only_the_agencys_officers_add_documents(make_tender, make_user, agency):
    tender = make_tender()
    evaluator = make_user((Role.EVALUATOR, agency))
    with pytest.raises(PermissionDenied):
        services.add_document(tender, actor=evaluator, title="x", upload=pdf())
    assert TenderDocument.objects.count() == 0
