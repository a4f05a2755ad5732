"""Supplier registration, review, suspension and debarment. Each write is one transaction with
its ledger entry. A supplier's people act as suppliers (ask, bid) only while the supplier is
approved: approval grants the role, suspension revokes it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from bidders.models import (
    SUPPLIER_TRANSITIONS,
    Debarment,
    SupplierProfile,
    SupplierStatus,
    tax_code_validator,
)
from procurement import services as accounts
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput
from procurement.ledger import defer_event, record_event
from procurement.models import Membership, Organisation, OrganisationKind, Role, User
from procurement.permissions import ADMIN, require_role
from procurement.validation import clean_model
from tenders import classification


def _slug(name: str) -> str:
    ascii_name = (
        unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
        .encode("ascii", "ignore")
        .decode()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:30].strip("-") or "supplier"


def _unique_code(name: str) -> str:
    base, n = _slug(name), 1
    code = base
    while Organisation.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _clean_tax_code(tax_code: str) -> str:
    tax_code = (tax_code or "").strip()
    try:
        tax_code_validator(tax_code)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="tax_code") from exc
    if Organisation.objects.filter(tax_code=tax_code).exists():
        raise InvalidInput(_("This tax code is already registered."), field="tax_code")
    return tax_code


def register_supplier(
    *,
    name_vi: str,
    name_en: str,
    tax_code: str,
    province: str,
    address: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    classifications: list[str] | None = None,
    username: str,
    password: str,
    full_name: str = "",
) -> SupplierProfile:
    """Self-registration: the organisation, its first user and a profile awaiting review."""
    tax_code = _clean_tax_code(tax_code)
    codes = [c.strip() for c in classifications or [] if c.strip()]
    unknown = [c for c in codes if classification.lookup("CPV", c) is None]
    if unknown:
        raise InvalidInput(
            _("Unknown CPV code “%(code)s”.") % {"code": unknown[0]}, field="classifications"
        )
    if not (contact_name or "").strip():
        raise InvalidInput(_("This field is required."), field="contact_name")
    try:
        validate_email((contact_email or "").strip())
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="contact_email") from exc
    with transaction.atomic():
        user = accounts.create_user(
            username=username,
            password=password,
            email=contact_email,
            full_name=full_name or contact_name,
            actor=None,
        )
        organisation = accounts.create_organisation(
            code=_unique_code(name_en or name_vi),
            kind=OrganisationKind.SUPPLIER,
            name_vi=name_vi,
            name_en=name_en,
            tax_code=tax_code,
            province=province,
            address=address,
            actor=None,
        )
        profile = create_profile(
            organisation,
            registered_by=user,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_phone=contact_phone,
            classifications=codes,
        )
    return profile


def create_profile(
    organisation: Organisation,
    *,
    registered_by: User,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    classifications: list[str] | None = None,
) -> SupplierProfile:
    """The supplier profile of an existing supplier organisation, awaiting review."""
    if organisation.kind != OrganisationKind.SUPPLIER:
        raise InvalidInput(_("Only a supplier organisation has a supplier profile."))
    with transaction.atomic():
        profile = SupplierProfile(
            organisation=organisation,
            contact_name=contact_name.strip(),
            contact_email=contact_email.strip(),
            contact_phone=(contact_phone or "").strip(),
            classifications=classifications or [],
            registered_by=registered_by,
            registered_at=db_now(),
        )
        clean_model(profile, exclude=["organisation", "registered_by"])
        profile.save()
        defer_event(
            "SUPPLIER_REGISTERED",
            organisation,
            {
                "tax_code": organisation.tax_code,
                "classifications": profile.classifications,
                "user": str(registered_by.public_id),
            },
            actor=registered_by,
        )
    return profile


def _move(profile: SupplierProfile, target: str) -> None:
    if target not in SUPPLIER_TRANSITIONS[profile.status]:
        raise Conflict(
            _("A supplier that is “%(status)s” cannot become “%(target)s”.")
            % {"status": profile.get_status_display(), "target": SupplierStatus(target).label}
        )
    profile.status = target


def _decide(
    profile: SupplierProfile, *, actor: User | None, target: str, text: str, required: bool
) -> SupplierProfile:
    """Lock the profile, move it to ``target`` with the reviewer's note or reason, and return
    it still inside the caller's transaction (the caller adds its effects and ledger entry)."""
    if actor is not None:
        require_role(actor, ADMIN)
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(_("Give the reason."), field="reason")
    profile = (
        SupplierProfile.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=profile.pk)
    )
    _move(profile, target)
    profile.reviewed_at, profile.review_note = db_now(), text
    profile.save(update_fields=["status", "reviewed_at", "review_note"])
    return profile


def approve_supplier(
    profile: SupplierProfile, *, actor: User | None, note: str = ""
) -> SupplierProfile:
    """A platform administrator approves: the registering user becomes the supplier's
    representative (reinstating a suspended supplier restores its representatives)."""
    with transaction.atomic():
        profile = _decide(
            profile, actor=actor, target=SupplierStatus.APPROVED, text=note, required=False
        )
        organisation = profile.organisation
        # Through the membership service, so each role change is in the ledger too: the
        # representatives suspended with the supplier come back, and the registering user
        # becomes one if not already.
        suspended = Membership.objects.filter(
            organisation=organisation, role=Role.SUPPLIER, is_active=False
        ).select_related("user")
        users = {m.user for m in suspended}
        if not Membership.objects.filter(
            organisation=organisation, user=profile.registered_by, role=Role.SUPPLIER
        ).exists():
            users.add(profile.registered_by)
        for user in sorted(users, key=lambda u: u.pk):
            accounts.grant_membership(organisation, user=user, role=Role.SUPPLIER, actor=None)
        defer_event("SUPPLIER_APPROVED", organisation, {"note": profile.review_note}, actor=actor)
    return profile


def reject_supplier(
    profile: SupplierProfile, *, actor: User | None, reason: str
) -> SupplierProfile:
    with transaction.atomic():
        profile = _decide(
            profile, actor=actor, target=SupplierStatus.REJECTED, text=reason, required=True
        )
        defer_event(
            "SUPPLIER_REJECTED", profile.organisation, {"reason": profile.review_note}, actor=actor
        )
    return profile


def suspend_supplier(
    profile: SupplierProfile, *, actor: User | None, reason: str
) -> SupplierProfile:
    """Suspend a supplier's account: its people lose the supplier role until reinstated."""
    with transaction.atomic():
        profile = _decide(
            profile, actor=actor, target=SupplierStatus.SUSPENDED, text=reason, required=True
        )
        active = Membership.objects.filter(
            organisation=profile.organisation, role=Role.SUPPLIER, is_active=True
        ).select_related("user", "organisation")
        for membership in active:
            accounts.revoke_membership(membership, actor=None)
        defer_event(
            "SUPPLIER_SUSPENDED", profile.organisation, {"reason": profile.review_note}, actor=actor
        )
    return profile


def debar_supplier(
    organisation: Organisation,
    *,
    actor: User,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
    legal_basis: str = "",
) -> Debarment:
    """Publish a debarment: the supplier may not bid between the two dates (inclusive)."""
    require_role(actor, ADMIN)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason."), field="reason")
    if organisation.kind != OrganisationKind.SUPPLIER:
        raise InvalidInput(_("Only suppliers can be debarred."), field="organisation")
    if ends_on < starts_on:
        raise InvalidInput(_("The period ends before it starts."), field="ends_on")
    with transaction.atomic():
        entry = record_event(
            "SUPPLIER_DEBARRED",
            organisation,
            {
                "from": starts_on,
                "until": ends_on,
                "reason": reason,
                "legal_basis": legal_basis.strip(),
            },
            actor=actor,
        )
        return Debarment.objects.create(
            organisation=organisation,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            legal_basis=legal_basis.strip(),
            decided_by=actor,
            created_at=entry.recorded_at,
            ledger_seq=entry.seq,
        )
