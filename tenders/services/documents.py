"""The tender's documents: checked by type and content, stored, hashed into the ledger; a
document is superseded, never replaced."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput
from procurement.models import User
from procurement.validation import clean_text
from tenders.models import (
    Tender,
    TenderDocument,
    TenderStatus,
)
from tenders.services import drafts
from tenders.services.amendments import _record_amendment, _require_open
from tenders.services.content import TEXT_LIMIT, _require_officer, content_sha256
from tenders.services.lifecycle import lock_tender

S = TenderStatus


MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Extension → accepted MIME types, and the magic bytes the content must start with.
DOCUMENT_TYPES: dict[str, tuple[frozenset[str], tuple[bytes, ...]]] = {
    "pdf": (frozenset({"application/pdf"}), (b"%PDF-",)),
    "docx": (frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}), (b"PK\x03\x04",)),  # noqa: E501
    "xlsx": (frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}), (b"PK\x03\x04",)),  # noqa: E501
    "zip": (frozenset({"application/zip", "application/x-zip-compressed"}), (b"PK\x03\x04",)),
    "png": (frozenset({"image/png"}), (b"\x89PNG\r\n\x1a\n",)),
    "jpg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    "jpeg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    "dwg": (frozenset({"application/acad", "image/vnd.dwg", "application/octet-stream"}), (b"AC10",)),  # noqa: E501
}  # fmt: skip


def inspect_upload(upload: UploadedFile) -> tuple[str, str, int, str]:
    """Check an uploaded file (allowed type, magic bytes, size) and hash it while reading.
    Returns (file name, content type, size, SHA-256 hex); the upload is rewound."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENT_TYPES:
        raise InvalidInput(
            _("Files of this type are not accepted (%(allowed)s).")
            % {"allowed": ", ".join(sorted(DOCUMENT_TYPES))},
            field="file",
        )
    if upload.size is None or upload.size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    if upload.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_DOCUMENT_BYTES // 2**20},
            field="file",
        )
    types, magics = DOCUMENT_TYPES[extension]
    digest, head = hashlib.sha256(), b""
    for chunk in upload.chunks():
        if not head:
            head = chunk[:16]
        digest.update(chunk)
    if not head.startswith(magics):
        raise InvalidInput(_("The file's content does not match its type."), field="file")
    upload.seek(0)
    return clean_text(name, "file", limit=255), sorted(types)[0], upload.size, digest.hexdigest()


def _store_document(tender: Tender, *, actor: User | None, title: str, upload: UploadedFile):
    title = clean_text(title, "title", required=True)
    filename, content_type, size, sha256 = inspect_upload(upload)
    document = TenderDocument(
        tender=tender,
        title=title,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    return document


def add_document(
    tender: Tender, *, actor: User, title: str, upload: UploadedFile, rationale: str = ""
) -> TenderDocument:
    """Attach a document: to a draft directly, to a published tender as an amendment."""
    _require_officer(actor, tender.agency)
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        if tender.status == S.DRAFT:
            document = _store_document(tender, actor=actor, title=title, upload=upload)
            tender.content_sha256 = content_sha256(tender)
            tender.save(update_fields=["content_sha256"])
            drafts.record(
                "TENDER_DRAFT_UPDATED",
                tender,
                {"content_sha256": tender.content_sha256, "document_sha256": document.sha256},
                actor=actor,
            )
            return document
        _require_open(tender, now)
        rationale = clean_text(rationale, "rationale", required=True, limit=TEXT_LIMIT)
        document = _store_document(tender, actor=actor, title=title, upload=upload)
        _record_amendment(
            tender,
            actor=actor,
            now=now,
            rationale=rationale,
            changes={"documents": {"old": None, "new": f"{document.title} ({document.sha256})"}},
        )
        return document


def supersede_document(
    document: TenderDocument, *, actor: User, upload: UploadedFile, rationale: str
) -> TenderDocument:
    """Replace a document of a published tender: the old one stays, marked superseded."""
    tender = document.tender
    _require_officer(actor, tender.agency)
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        _require_open(tender, now)
        old = TenderDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if old.superseded_by_id is not None:
            raise Conflict(_("This document was already superseded."))
        rationale = clean_text(rationale, "rationale", required=True, limit=TEXT_LIMIT)
        new = _store_document(tender, actor=actor, title=old.title, upload=upload)
        old.superseded_by = new
        old.save(update_fields=["superseded_by"])
        _record_amendment(
            tender,
            actor=actor,
            now=now,
            rationale=rationale,
            changes={
                "documents": {
                    "old": f"{old.title} ({old.sha256})",
                    "new": f"{new.title} ({new.sha256})",
                }
            },
        )
        return new
