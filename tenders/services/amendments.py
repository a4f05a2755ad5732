"""Amendments after publication: public, with a rationale; a late one moves the deadline to
the legal minimum and says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput
from procurement.ledger import hold_seal, record_event
from procurement.models import User
from procurement.validation import clean_text
from tenders.models import (
    Amendment,
    Category,
    Tender,
    TenderStatus,
)
from tenders.services.content import (
    AMENDABLE,
    TEXT_LIMIT,
    _apply_fields,
    _require_officer,
    content_sha256,
    document_hashes,
)
from tenders.services.lifecycle import lock_tender
from tenders.services.rules import _check_security, amendment_deadline_floor, question_cutoff

S = TenderStatus


def _stringify(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _record_amendment(
    tender: Tender,
    *,
    actor: User | None,
    now: dt.datetime,
    rationale: str,
    changes: dict[str, dict],
    at_least: dt.datetime | None = None,
) -> Amendment:
    """Enforce the amendment cut-off (and ``at_least``, another rule's floor for the deadline),
    then write the public history and the ledger entry (open data projects it)."""
    floor = max(filter(None, [amendment_deadline_floor(tender, now), at_least]))
    extended = tender.submission_deadline < floor
    if extended:
        old = tender.submission_deadline
        changes.setdefault("submission_deadline", {"old": _stringify(old)})
        tender.submission_deadline = floor
        changes["submission_deadline"]["new"] = _stringify(floor)
        if tender.opening_time < floor:
            changes.setdefault("opening_time", {"old": _stringify(tender.opening_time)})
            tender.opening_time = tender.opening_time + (floor - old)
            changes["opening_time"]["new"] = _stringify(tender.opening_time)
    cutoff = question_cutoff(tender)
    if tender.enquiry_end is not None and tender.enquiry_end > cutoff:
        # A new, earlier deadline pulls the end of questions with it.
        changes.setdefault("enquiry_end", {"old": _stringify(tender.enquiry_end)})
        tender.enquiry_end = cutoff
        changes["enquiry_end"]["new"] = _stringify(cutoff)
    tender.save()
    tender.content_sha256 = content_sha256(tender)
    tender.save(update_fields=["content_sha256"])
    # Bids are sealed statements, revealed at closing whenever it comes; this hold keeps the
    # sealed ledger entries of bids recorded before sealed statements existed sealed too.
    hold_seal(tender, tender.submission_deadline)
    number = tender.amendments.count() + 1
    entry = record_event(
        "TENDER_AMENDED",
        tender,
        {
            "amendment": number,
            "rationale": rationale,
            "changes": changes,
            "deadline_extended": extended,
            "content_sha256": tender.content_sha256,
            "documents": document_hashes(tender),
        },
        actor=actor,
    )
    amendment = Amendment.objects.create(
        tender=tender,
        number=number,
        rationale=rationale,
        changes=changes,
        deadline_extended=extended,
        created_at=now,
        ledger_seq=entry.seq,
    )
    return amendment


def _require_open(tender: Tender, now: dt.datetime) -> None:
    if tender.status != S.PUBLISHED or now >= tender.submission_deadline:
        raise Conflict(_("This tender is no longer open: it can only be changed before closing."))


def amend_tender(tender: Tender, *, actor: User | None, rationale: str, **fields: Any) -> Amendment:
    """Change a published tender before its deadline. Inside the regime's cut-off the deadline
    moves to the legal minimum, and the amendment records that too."""
    _require_officer(actor, tender.agency)
    rationale = clean_text(rationale, "rationale", required=True, limit=TEXT_LIMIT)
    if not fields:
        raise InvalidInput(_("Nothing to change."))
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        _require_open(tender, now)
        before = {name: getattr(tender, name) for name in fields if name in AMENDABLE}
        _apply_fields(tender, fields, AMENDABLE)
        if tender.submission_deadline <= now:
            raise InvalidInput(_("The submission deadline is in the past."), "submission_deadline")
        if tender.submission_deadline < before.get(
            "submission_deadline", tender.submission_deadline
        ):
            # Bidders prepared for the published deadline, bids are sealed until it, and the
            # custodians' keys were made for it: once published it can only move later.
            raise InvalidInput(
                _("Once published, the submission deadline can only be moved later."),
                "submission_deadline",
            )
        if "enquiry_end" in fields and tender.enquiry_end > question_cutoff(tender):
            raise InvalidInput(
                _("Questions must close at least %(n)d working days before the deadline.")
                % {"n": tender.regime.question_working_days},
                field="enquiry_end",
            )
        if tender.category != Category.CONSULTING:
            _check_security(tender)
        changes = {
            name: {"old": _stringify(old), "new": _stringify(getattr(tender, name))}
            for name, old in before.items()
            if getattr(tender, name) != old
        }
        if not changes:
            raise InvalidInput(_("Nothing to change."))
        return _record_amendment(tender, actor=actor, now=now, rationale=rationale, changes=changes)
