"""Drafting a tender and publishing it: private until publication, then checked against its
regime at the database clock, its custodians' key set committed to, one ledger entry."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from procurement import workdays
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput
from procurement.ledger import record_event
from procurement.models import Organisation, OrganisationKind, User
from tenders.methods import RULES
from tenders.models import (
    LegalRegime,
    Tender,
    TenderStatus,
    new_ocid,
)
from tenders.services import custody, drafts
from tenders.services.content import (
    DRAFT_FIELDS,
    _apply_fields,
    _replace_criteria,
    _replace_invitations,
    _replace_lots,
    _require_officer,
    check_size,
    content_sha256,
    document_hashes,
    invited_suppliers,
)
from tenders.services.lifecycle import change_status, lock_tender
from tenders.services.rules import check_publishable, question_cutoff

S = TenderStatus


def create_tender(
    agency: Organisation,
    *,
    actor: User | None,
    regime: LegalRegime,
    lots: list[dict],
    criteria: list[dict] | None = None,
    invited_suppliers: list[str] | None = None,
    **fields: Any,
) -> Tender:
    """Create a draft tender for ``agency``. Officers of that agency only. A restricted or
    direct tender names the suppliers it invites (``invited_suppliers``: their codes)."""
    _require_officer(actor, agency)
    check_size(lots=lots, criteria=criteria)
    if agency.kind != OrganisationKind.AGENCY:
        raise InvalidInput(_("Only a procuring agency can tender."), field="agency")
    with transaction.atomic():
        placeholder = f"pending-{uuid.uuid4().hex}"  # until the primary key gives the reference
        tender = Tender(agency=agency, regime=regime, reference=placeholder[:32], ocid=placeholder)
        _apply_fields(tender, fields, DRAFT_FIELDS)
        tender.save()
        tender.reference = f"MB-{workdays.local_date(tender.created_at).year}-{tender.pk:06d}"
        tender.ocid = new_ocid(tender.reference)
        tender.save(update_fields=["reference", "ocid"])
        _replace_lots(tender, lots)
        _replace_criteria(tender, criteria or [])
        _replace_invitations(tender, invited_suppliers or [])
        tender.content_sha256 = content_sha256(tender)
        tender.save(update_fields=["content_sha256"])
        drafts.record(
            "TENDER_DRAFTED",
            tender,
            {"agency": agency.code, "content_sha256": tender.content_sha256},
            actor=actor,
        )
    return tender


def update_draft(
    tender: Tender,
    *,
    actor: User | None,
    lots: list[dict] | None = None,
    criteria: list[dict] | None = None,
    invited_suppliers: list[str] | None = None,
    **fields: Any,
) -> Tender:
    _require_officer(actor, tender.agency)
    check_size(lots=lots, criteria=criteria)
    with transaction.atomic():
        tender = lock_tender(tender)
        if tender.status != S.DRAFT:
            raise Conflict(_("Only a draft can be edited; a published tender is amended."))
        regime = fields.pop("regime", None)
        if regime is not None:
            tender.regime = regime
        deadline = tender.submission_deadline
        _apply_fields(tender, fields, DRAFT_FIELDS)
        tender.save()
        if tender.submission_deadline != deadline:
            custody.reset_statements(tender)
        if lots is not None:
            _replace_lots(tender, lots)
        if criteria is not None:
            _replace_criteria(tender, criteria)
        if invited_suppliers is not None:
            _replace_invitations(tender, invited_suppliers)
        tender.content_sha256 = content_sha256(tender)
        tender.save(update_fields=["content_sha256"])
        drafts.record(
            "TENDER_DRAFT_UPDATED", tender, {"content_sha256": tender.content_sha256}, actor=actor
        )
    return tender


def publish_tender(tender: Tender, *, actor: User | None) -> Tender:
    """Publish a draft after checking it against its regime at the database clock."""
    _require_officer(actor, tender.agency)
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        change_status(tender, S.PUBLISHED)
        if tender.enquiry_end is None:
            tender.enquiry_end = question_cutoff(tender)
        check_publishable(tender, now)
        keyset = custody.verified_keyset(tender)
        tender.keyset_hash = keyset.keyset_hash
        tender.keyset_deadline = tender.submission_deadline
        tender.published_at = now
        tender.save(
            update_fields=[
                "status", "published_at", "enquiry_end", "keyset_hash", "keyset_deadline",
            ]
        )  # fmt: skip
        tender.content_sha256 = content_sha256(tender)
        tender.save(update_fields=["content_sha256"])
        drafts.disclose(tender)  # the draft's history becomes public with the tender
        record_event(
            "TENDER_PUBLISHED",
            tender,
            {
                "content_sha256": tender.content_sha256,
                "submission_deadline": tender.submission_deadline,
                "opening_time": tender.opening_time,
                "enquiry_end": tender.enquiry_end,
                "documents": document_hashes(tender),
                "regime": tender.regime.code,
                "threshold": tender.threshold,
                "custodians": keyset.custodians,
                "keyset_hash": keyset.keyset_hash,
                # Who may bid, published with the tender (tenders.methods): the shortlist.
                **({"invited": invited_suppliers(tender)} if RULES[tender.method].invites else {}),
            },
            actor=actor,
        )
    return tender
