"""A tender's fields (declared in ``tenders.fields``: what a draft may set, what an amendment
may change), checked and applied; and its public content, whose SHA-256 the ledger records at
publication and at each amendment."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from procurement.crypto.canonical import canonical_json
from procurement.exceptions import InvalidInput
from procurement.models import Organisation, OrganisationKind, Role, User
from procurement.permissions import require_role
from procurement.validation import clean_model, clean_text
from tenders import classification
from tenders.fields import AMENDABLE, DRAFT_FIELDS  # noqa: F401 - declared there, used here
from tenders.methods import MAX_INVITED
from tenders.models import (
    MAX_CRITERIA,
    MAX_ITEMS,
    MAX_LOTS,
    Criterion,
    CriterionKind,
    Invitation,
    Item,
    Lot,
    Tender,
    TenderStatus,
)

S = TenderStatus
# The longest free text a tender's field, rationale or reason may hold.
TEXT_LIMIT = 20_000


def _require_officer(actor: User | None, agency: Organisation) -> None:
    if actor is not None:
        require_role(actor, Role.OFFICER, agency)


def _decimal(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise InvalidInput(_("Enter a positive amount."), field=field)
    if number > Decimal("1e17"):
        raise InvalidInput(_("This amount is not plausible."), field=field)
    return number


def _apply_fields(tender: Tender, fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be set here: %s") % ", ".join(sorted(unknown)),
            field=sorted(unknown)[0],
        )
    for name, value in fields.items():
        if name in ("title", "contact_name"):
            value = clean_text(value, name, required=True)
        elif name in ("description", "method_rationale"):
            value = clean_text(value, name, limit=TEXT_LIMIT)
        elif name in ("province", "contact_phone", "classification_code"):
            value = clean_text(value, name, limit=100)
        elif name == "estimated_value":
            value = _decimal(value, name, positive=True)
        elif name == "bid_security_amount":
            value = _decimal(value, name)
        elif name in ("enquiry_end", "submission_deadline", "opening_time") and (
            value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None)
        ):
            raise InvalidInput(_("Give a date and time with its time zone."), field=name)
        setattr(tender, name, value)
    clean_model(tender, exclude=["agency", "regime", "reference", "ocid"], constraints=False)
    if classification.lookup(tender.classification_scheme, tender.classification_code) is None:
        raise InvalidInput(
            _("Unknown %(scheme)s code “%(code)s”.")
            % {"scheme": tender.classification_scheme, "code": tender.classification_code},
            field="classification_code",
        )
    if tender.opening_time < tender.submission_deadline:
        raise InvalidInput(_("Opening cannot come before the submission deadline."), "opening_time")


def check_size(*, lots: Any = None, criteria: Any = None) -> None:
    """Refuse a tender larger than MAX_LOTS lots, MAX_ITEMS items or MAX_CRITERIA criteria,
    before anything is written or validated item by item."""
    if lots is not None:
        if not isinstance(lots, list) or not all(isinstance(lot, dict) for lot in lots):
            raise InvalidInput(_("Lots must be a list of lots."), field="lots")
        if len(lots) > MAX_LOTS:
            raise InvalidInput(
                _("A tender can have at most %(max)d lots; this one has %(n)d.")
                % {"max": MAX_LOTS, "n": len(lots)},
                field="lots",
            )
        if any(not isinstance(lot.get("items") or [], list) for lot in lots):
            raise InvalidInput(_("The items of a lot must be a list."), field="lots")
        items = sum(len(lot.get("items") or []) for lot in lots)
        if items > MAX_ITEMS:
            raise InvalidInput(
                _("A tender can have at most %(max)d items over all its lots; this one has %(n)d.")
                % {"max": MAX_ITEMS, "n": items},
                field="lots",
            )
    if criteria is not None:
        if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
            raise InvalidInput(_("Criteria must be a list."), field="criteria")
        if len(criteria) > MAX_CRITERIA:
            raise InvalidInput(
                _("A tender can have at most %(max)d criteria; this one has %(n)d.")
                % {"max": MAX_CRITERIA, "n": len(criteria)},
                field="criteria",
            )


def _replace_lots(tender: Tender, lots: list[dict]) -> None:
    check_size(lots=lots)
    if not lots:
        raise InvalidInput(_("A tender needs at least one lot with at least one item."), "lots")
    tender.lots.all().delete()
    items = []
    for n, lot_data in enumerate(lots, start=1):
        lot_items = lot_data.get("items") or []
        if not lot_items:
            raise InvalidInput(_("Lot %(n)d has no items.") % {"n": n}, field="lots")
        lot = Lot(
            tender=tender,
            number=n,
            title=clean_text(lot_data.get("title"), "lots", required=True),
            description=clean_text(lot_data.get("description"), "lots", limit=TEXT_LIMIT),
            estimated_value=(
                _decimal(lot_data["estimated_value"], "lots")
                if lot_data.get("estimated_value") not in (None, "")
                else None
            ),
        )
        lot.save()
        for m, item_data in enumerate(lot_items, start=1):
            if not isinstance(item_data, dict):
                raise InvalidInput(_("Lot %(n)d: each item must be an object.") % {"n": n},
                                   field="lots")  # fmt: skip
            code = clean_text(item_data.get("classification_code"), "lots", required=True)
            if classification.lookup(tender.classification_scheme, code) is None:
                raise InvalidInput(
                    _("Unknown %(scheme)s code “%(code)s”.")
                    % {"scheme": tender.classification_scheme, "code": code},
                    field="lots",
                )
            items.append(
                Item(
                    lot=lot,
                    number=m,
                    description=clean_text(
                        item_data.get("description"), "lots", required=True, limit=500
                    ),
                    quantity=_decimal(item_data.get("quantity"), "lots", positive=True),
                    unit=clean_text(item_data.get("unit"), "lots", required=True, limit=40),
                    classification_code=code,
                )
            )
    # One insert for all the items: a large package is hundreds of rows.
    Item.objects.bulk_create(items)


def _replace_criteria(tender: Tender, criteria: list[dict]) -> None:
    check_size(criteria=criteria)
    tender.criteria.all().delete()
    for n, data in enumerate(criteria, start=1):
        kind = data.get("kind")
        if kind not in CriterionKind.values:
            raise InvalidInput(_("Unknown kind of criterion."), field="criteria")
        weight = data.get("weight")
        if kind == CriterionKind.SCORED:
            if not isinstance(weight, int) or not 0 < weight <= 100:
                raise InvalidInput(
                    _("A scored criterion needs a weight from 1 to 100."), "criteria"
                )
        else:
            weight = None
        Criterion.objects.create(
            tender=tender,
            number=n,
            name=clean_text(data.get("name"), "criteria", required=True),
            kind=kind,
            weight=weight,
        )


def _replace_invitations(tender: Tender, codes: Any) -> None:
    """The suppliers a restricted or direct tender invites, by their public codes."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput(
            _("Invited suppliers must be a list of supplier codes."), field="invited_suppliers"
        )
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if len(wanted) > MAX_INVITED:
        raise InvalidInput(
            _("A tender can invite at most %(max)d suppliers; this one names %(n)d.")
            % {"max": MAX_INVITED, "n": len(wanted)},
            field="invited_suppliers",
        )
    found = dict(
        Organisation.objects.filter(kind=OrganisationKind.SUPPLIER, code__in=wanted).values_list(
            "code", "pk"
        )
    )
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise InvalidInput(
            _("No registered supplier has the code: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="invited_suppliers",
        )
    tender.invitations.all().delete()
    Invitation.objects.bulk_create(
        [Invitation(tender=tender, supplier_id=found[code]) for code in wanted]
    )


def invited_suppliers(tender: Tender) -> list[str]:
    """The invited suppliers' codes, sorted (empty under an open method)."""
    return sorted(tender.invitations.values_list("supplier__code", flat=True))


def public_content(tender: Tender) -> dict:
    """The tender's public content, as committed to by its ledger entries (hash) and shown.
    A tender that invites suppliers names them (``invited``); an open one has no such key."""
    invited = invited_suppliers(tender)
    return {
        **({"invited": invited} if invited else {}),
        "reference": tender.reference,
        "agency": tender.agency.code,
        "regime": tender.regime.code,
        **{name: getattr(tender, name) for name in DRAFT_FIELDS},
        "lots": [
            {
                "number": lot.number,
                "title": lot.title,
                "description": lot.description,
                "estimated_value": lot.estimated_value,
                "items": [
                    {
                        "number": i.number,
                        "description": i.description,
                        "quantity": i.quantity,
                        "unit": i.unit,
                        "classification_code": i.classification_code,
                    }
                    for i in lot.items.all()
                ],
            }
            for lot in tender.lots.all()
        ],
        "criteria": [
            {"number": c.number, "name": c.name, "kind": c.kind, "weight": c.weight}
            for c in tender.criteria.all()
        ],
        "documents": document_hashes(tender),
    }


def document_hashes(tender: Tender) -> list[dict]:
    return [
        {"id": str(d.public_id), "title": d.title, "sha256": d.sha256, "size": d.size}
        for d in tender.documents.filter(superseded_by__isnull=True).order_by("uploaded_at", "pk")
    ]


def content_sha256(tender: Tender) -> str:
    """The hash of the tender's public content as stored: read back from the database (call it
    after saving), so that it does not depend on how the input wrote a value (50000000000 or
    50000000000.00, +07:00 or UTC) and anyone recomputing it from the published tender agrees."""
    stored = Tender.objects.select_related("agency", "regime").get(pk=tender.pk)
    return hashlib.sha256(canonical_json(public_content(stored))).hexdigest()
