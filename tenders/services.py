"""Every write on tenders: drafting, publishing, amending, documents, clarifications,
cancellation (four eyes after the opening) and closing. One transaction each, with a role check and a ledger entry.

Publication and amendments are checked against the tender's legal regime at the database
clock; a rule that is broken is named in the error. Late amendments and late answers do not
fail: the deadline moves to the legal minimum, and the amendment says so publicly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from procurement import workdays
from procurement.clock import db_now
from procurement.crypto import keystatement, rfc9162
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import hold_seal, make_checkpoint, record_event
from procurement.models import Organisation, OrganisationKind, Role, User
from procurement.permissions import require_role
from procurement.validation import clean_model, clean_text
from tenders import classification, custody, drafts, ocds
from tenders.models import (
    FOUR_EYES_CANCELLATION,
    MAX_CRITERIA,
    MAX_ITEMS,
    MAX_LOTS,
    MIN_REASON_CHARS,
    MIN_REASON_LETTERS,
    Amendment,
    CancellationProposal,
    CancellationStatus,
    Category,
    Criterion,
    CriterionKind,
    EvaluationMethod,
    Item,
    LegalRegime,
    Lot,
    Method,
    Question,
    Tender,
    TenderDocument,
    TenderStatus,
    can_move,
)

S = TenderStatus

# Fields an officer sets on a draft; AMENDABLE is what may change after publication.
DRAFT_FIELDS = (
    "title",
    "description",
    "category",
    "classification_scheme",
    "classification_code",
    "estimated_value",
    "currency",
    "method",
    "method_rationale",
    "envelope_procedure",
    "evaluation_method",
    "price_weight",
    "price_formula",
    "technical_pass_mark",
    "abnormal_share_pct",
    "abnormal_gap_pct",
    "is_international",
    "bid_security_amount",
    "bid_validity_days",
    "enquiry_end",
    "submission_deadline",
    "opening_time",
    "province",
    "contact_name",
    "contact_email",
    "contact_phone",
)
AMENDABLE = (
    "title",
    "description",
    "estimated_value",
    "bid_security_amount",
    "bid_validity_days",
    "enquiry_end",
    "submission_deadline",
    "opening_time",
    "contact_name",
    "contact_email",
    "contact_phone",
)
TEXT_LIMIT = 20_000

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Extension → accepted MIME types, and the magic bytes the content must start with.
DOCUMENT_TYPES: dict[str, tuple[frozenset[str], tuple[bytes, ...]]] = {
    "pdf": (frozenset({"application/pdf"}), (b"%PDF-",)),
    "docx": (frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}), (b"PK\x03\x04",)),
    "xlsx": (frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}), (b"PK\x03\x04",)),
    "zip": (frozenset({"application/zip", "application/x-zip-compressed"}), (b"PK\x03\x04",)),
    "png": (frozenset({"image/png"}), (b"\x89PNG\r\n\x1a\n",)),
    "jpg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    "jpeg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    "dwg": (frozenset({"application/acad", "image/vnd.dwg", "application/octet-stream"}), (b"AC10",)),
}  # fmt: skip


# --- Helpers --------------------------------------------------------------------------------


def _require_officer(actor: User | None, agency: Organisation) -> None:
    if actor is not None:
        require_role(actor, Role.OFFICER, agency)


def _lock(tender: Tender) -> Tender:
    return Tender.objects.select_for_update().select_related("regime", "agency").get(pk=tender.pk)


def _move(tender: Tender, target: str) -> None:
    if not can_move(tender.status, target):
        raise Conflict(
            _("A tender that is “%(status)s” cannot become “%(target)s”.")
            % {"status": tender.get_status_display(), "target": TenderStatus(target).label}
        )
    tender.status = target


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


def public_content(tender: Tender) -> dict:
    """The tender's public content, as committed to by its ledger entries (hash) and shown."""
    return {
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
    return hashlib.sha256(canonical_json(public_content(tender))).hexdigest()


# --- The regime's rules ---------------------------------------------------------------------


def required_preparation(tender: Tender) -> tuple[int, str]:
    """(number, unit) of the minimum bid-preparation time for this tender under its regime."""
    regime = tender.regime
    if tender.method == Method.SHOPPING:
        return regime.shopping_prep_working_days, "working"
    if tender.is_international:
        days = (
            regime.prep_days_international_small
            if tender.is_small
            else regime.prep_days_international
        )
    else:
        days = regime.prep_days_small if tender.is_small else regime.prep_days
    return days, "calendar"


def question_cutoff(tender: Tender) -> dt.datetime:
    regime = tender.regime
    days = (
        regime.question_working_days_international
        if tender.is_international
        else regime.question_working_days
    )
    return workdays.shift_working_days(tender.submission_deadline, -days, regime.holiday_calendar)


def amendment_deadline_floor(tender: Tender, moment: dt.datetime) -> dt.datetime:
    """The earliest deadline an amendment published at ``moment`` allows."""
    regime = tender.regime
    if tender.is_small:
        return workdays.shift_working_days(
            moment, regime.amendment_working_days_small, regime.holiday_calendar
        )
    return moment + dt.timedelta(days=regime.amendment_days)


def answer_deadline_floor(tender: Tender, moment: dt.datetime) -> dt.datetime:
    regime = tender.regime
    return workdays.shift_working_days(moment, regime.answer_working_days, regime.holiday_calendar)


def check_publishable(tender: Tender, moment: dt.datetime) -> None:
    """Raise InvalidInput naming the first rule of the regime this tender breaks at ``moment``."""
    regime = tender.regime
    if tender.submission_deadline <= moment:
        raise InvalidInput(_("The submission deadline is in the past."), "submission_deadline")
    days, unit = required_preparation(tender)
    if unit == "working":
        given = workdays.working_days_between(
            workdays.local_date(moment),
            workdays.local_date(tender.submission_deadline),
            regime.holiday_calendar,
        )
    else:
        given = (tender.submission_deadline - moment) // dt.timedelta(days=1)
    if given < days:
        raise InvalidInput(
            _(
                "Under “%(regime)s” bidders must have at least %(days)d %(unit)s days between "
                "publication and the submission deadline; this deadline gives %(given)d."
            )
            % {
                "regime": regime.name_for(_lang()),
                "days": days,
                "unit": _("working") if unit == "working" else _("calendar"),
                "given": given,
            },
            field="submission_deadline",
        )
    cutoff = question_cutoff(tender)
    if tender.enquiry_end is not None and tender.enquiry_end > cutoff:
        raise InvalidInput(
            _("Questions must close at least %(n)d working days before the deadline.")
            % {"n": regime.question_working_days},
            field="enquiry_end",
        )
    if tender.enquiry_end is not None and tender.enquiry_end <= moment:
        raise InvalidInput(_("The question period would already be over."), "enquiry_end")
    if (
        regime.domestic_currency
        and not tender.is_international
        and tender.currency != regime.domestic_currency
    ):
        raise InvalidInput(
            _("Domestic bidding under this regime is in %(currency)s only.")
            % {"currency": regime.domestic_currency},
            field="currency",
        )
    if tender.method != Method.OPEN and not tender.method_rationale:
        raise InvalidInput(
            _("Say why this tender does not use open bidding."), field="method_rationale"
        )
    _check_security(tender)
    _check_criteria(tender)
    if not tender.lots.exists() or Item.objects.filter(lot__tender=tender).count() == 0:
        raise InvalidInput(_("A tender needs at least one lot with at least one item."), "lots")


def _check_security(tender: Tender) -> None:
    if tender.category == Category.CONSULTING:
        return
    regime = tender.regime
    low, high = (
        (regime.security_min_pct_small, regime.security_max_pct_small)
        if tender.is_small
        else (regime.security_min_pct, regime.security_max_pct)
    )
    share = tender.bid_security_amount * 100 / tender.estimated_value
    if not low <= share <= high:
        raise InvalidInput(
            _("Bid security must be between %(low)s%% and %(high)s%% of the estimated value here.")
            % {"low": low, "high": high},
            field="bid_security_amount",
        )


def _check_criteria(tender: Tender) -> None:
    scored = [c.weight for c in tender.criteria.all() if c.kind == CriterionKind.SCORED]
    combined = tender.evaluation_method == EvaluationMethod.COMBINED
    if combined and (tender.price_weight is None or not 0 < tender.price_weight < 100):
        raise InvalidInput(
            _("Combined evaluation needs a price weight between 1 and 99."), "price_weight"
        )
    weighted = tender.evaluation_method in (EvaluationMethod.COMBINED, EvaluationMethod.TECHNICAL)
    if weighted and (not scored or sum(scored) != 100):
        raise InvalidInput(
            _("The weights of the scored criteria must add up to 100."), field="criteria"
        )


def _lang() -> str:
    return get_language() or "vi"


# --- Drafts ---------------------------------------------------------------------------------


def create_tender(
    agency: Organisation,
    *,
    actor: User | None,
    regime: LegalRegime,
    lots: list[dict],
    criteria: list[dict] | None = None,
    **fields: Any,
) -> Tender:
    """Create a draft tender for ``agency``. Officers of that agency only."""
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
        tender.ocid = ocds.new_ocid(tender.reference)
        tender.save(update_fields=["reference", "ocid"])
        _replace_lots(tender, lots)
        _replace_criteria(tender, criteria or [])
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
    **fields: Any,
) -> Tender:
    _require_officer(actor, tender.agency)
    check_size(lots=lots, criteria=criteria)
    with transaction.atomic():
        tender = _lock(tender)
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
        tender = _lock(tender)
        now = db_now()
        _move(tender, S.PUBLISHED)
        if tender.enquiry_end is None:
            tender.enquiry_end = question_cutoff(tender)
        check_publishable(tender, now)
        keyset = custody.verified_keyset(tender)
        tender.keyset_hash = keyset.keyset_hash
        tender.keyset_deadline = tender.submission_deadline
        tender.published_at = now
        tender.content_sha256 = content_sha256(tender)
        tender.save(
            update_fields=[
                "status", "published_at", "enquiry_end", "content_sha256", "keyset_hash",
                "keyset_deadline",
            ]
        )  # fmt: skip
        drafts.disclose(tender)  # the draft's history becomes public with the tender
        entry = record_event(
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
            },
            actor=actor,
        )
        ocds.record_release(tender, event="tender", tag=["planning", "tender"], entry=entry)
    return tender


# --- After publication ----------------------------------------------------------------------


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
    then write the public history, the ledger entry and the OCDS release."""
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
    tender.content_sha256 = content_sha256(tender)
    tender.save()
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
    ocds.record_release(tender, event="amendment", tag=["tenderAmendment"], entry=entry)
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
        tender = _lock(tender)
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
        tender = _lock(tender)
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
        tender = _lock(tender)
        now = db_now()
        _require_open(tender, now)
        old = TenderDocument.objects.select_for_update().get(pk=document.pk)
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


def question_commitment(text: str, salt: str) -> str:
    """SHA-256 of the canonical JSON of {"content": {"text": text}, "salt": salt} (the shape
    of the evaluation's commitments): a question's text in the ledger before its answer. The
    salt (32 hex digits, random) keeps a guessed text from being confirmed against it."""
    return hashlib.sha256(canonical_json({"content": {"text": text}, "salt": salt})).hexdigest()


def ask_question(tender: Tender, *, actor: User, text: str) -> Question:
    """A signed-in supplier asks for a clarification. The ledger entry does not name the asker
    (actor is recorded as the platform), so neither the public nor the agency learns who asked
    from it; the asker is kept only in the database, for abuse handling."""
    require_role(actor, Role.SUPPLIER)
    text = clean_text(text, "text", required=True, limit=5000)
    with transaction.atomic():
        tender = _lock(tender)
        now = db_now()
        if tender.status != S.PUBLISHED:
            raise NotFound(_("No such open tender."))
        if not tender.accepts_questions_at(now):
            raise Conflict(_("The period for questions on this tender is over."))
        number = tender.questions.count() + 1
        salt = secrets.token_hex(16)
        question = Question.objects.create(
            tender=tender, number=number, text=text, asked_by=actor, asked_at=now, salt=salt
        )
        record_event(
            "CLARIFICATION_REQUESTED",
            tender,
            {"question": number, "text_commitment": question_commitment(text, salt)},
            actor=None,
        )
    return question


def answer_question(question: Question, *, actor: User | None, answer: str) -> Question:
    """Publish an answer to everybody. An answer later than the regime allows moves the
    deadline to the legal minimum, as an amendment."""
    tender = question.tender
    _require_officer(actor, tender.agency)
    answer = clean_text(answer, "answer", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        tender = _lock(tender)
        now = db_now()
        _require_open(tender, now)
        question = Question.objects.select_for_update().get(pk=question.pk)
        if question.answered_at is not None:
            raise Conflict(_("This question has already been answered."))
        question.answer, question.answered_at, question.answered_by = answer, now, actor
        question.save(update_fields=["answer", "answered_at", "answered_by"])
        entry = record_event(
            "CLARIFICATION_ANSWERED",
            tender,
            # The salt lets anyone check the text against the commitment made when it was asked.
            {"question": question.number, "text": question.text, "salt": question.salt,
             "answer": answer},
            actor=actor,
        )  # fmt: skip
        ocds.record_release(tender, event="enquiry", tag=["tenderUpdate"], entry=entry)
        floor = answer_deadline_floor(tender, now)
        if tender.submission_deadline < floor:
            # An amendment moves the deadline to the later of this floor and its own.
            _record_amendment(
                tender,
                actor=actor,
                now=now,
                rationale=_("Answer to question %(n)d published late: deadline extended.")
                % {"n": question.number},
                changes={"clarification": {"old": None, "new": f"question {question.number}"}},
                at_least=floor,
            )
    return question


# --- Cancellation ---------------------------------------------------------------------------


def check_cancellation_reason(reason: Any, field: str = "reason") -> str:
    """A public reason worth the name: at least MIN_REASON_CHARS characters, mostly words."""
    reason = clean_text(reason, field, required=True, limit=TEXT_LIMIT)
    letters = sum(ch.isalpha() for ch in reason)
    if len(reason) < MIN_REASON_CHARS or letters < MIN_REASON_LETTERS:
        raise InvalidInput(
            _("Give the real reason in words, at least %(n)d characters.")
            % {"n": MIN_REASON_CHARS},
            field=field,
        )
    return reason


def _ground(tender: Tender, ground: Any, *, required: bool) -> str:
    if ground in (None, ""):
        if required:
            raise InvalidInput(_("Choose the legal ground for the cancellation."), "ground")
        return ""
    if not isinstance(ground, str) or tender.regime.cancellation_ground(ground) is None:
        raise InvalidInput(
            _("This is not a ground for cancellation under “%(regime)s”.")
            % {"regime": tender.regime.name_for(_lang())},
            field="ground",
        )
    return ground


def _refuse_if_contracted(tender: Tender) -> None:
    from evaluation.models import Contract, ContractStatus  # noqa: PLC0415 - built on this app

    if Contract.objects.filter(tender=tender, status=ContractStatus.ACTIVE).exists():
        raise Conflict(_("A contract of this tender is signed: terminate it instead."))


def _cancel(tender: Tender, *, actor: User | None, reason: str, ground: str, **facts: Any):
    """Cancel the locked ``tender``: its awards too, one ledger entry, one OCDS release."""
    from evaluation.models import Award, AwardStatus  # noqa: PLC0415 - built on this app

    if tender.status == S.DRAFT:
        drafts.disclose(tender)  # a cancelled draft's page is public, and its history with it
    _move(tender, S.CANCELLED)
    _refuse_if_contracted(tender)
    tender.cancelled_at = db_now()
    tender.cancellation_reason, tender.cancellation_ground = reason, ground
    tender.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "cancellation_ground"]
    )
    cancelled = Award.objects.filter(tender=tender, status=AwardStatus.ACTIVE).update(
        status=AwardStatus.CANCELLED, cancelled_reason=reason
    )
    payload = {
        "reason": reason,
        **({"ground": ground} if ground else {}),
        **facts,
        **({"awards_cancelled": cancelled} if cancelled else {}),
    }
    entry = record_event("TENDER_CANCELLED", tender, payload, actor=actor)
    ocds.record_release(tender, event="cancellation", tag=["tenderCancellation"], entry=entry)
    return entry


def cancel_tender(tender: Tender, *, actor: User | None, reason: str, ground: str = "") -> Tender:
    """Cancel in one step: an officer before the bids are opened, or the platform
    (``actor=None``) carrying out a decided complaint. After the opening an officer proposes
    the cancellation instead (``propose_cancellation``) and an approver decides."""
    _require_officer(actor, tender.agency)
    reason = check_cancellation_reason(reason)
    with transaction.atomic():
        tender = _lock(tender)
        if actor is not None and tender.status in FOUR_EYES_CANCELLATION:
            raise Conflict(
                _(
                    "The bids of this tender are opened: propose the cancellation with its legal "
                    "ground, and an approver of the agency decides."
                )
            )
        _cancel(tender, actor=actor, reason=reason, ground=_ground(tender, ground, required=False))
    return tender


def propose_cancellation(
    tender: Tender, *, actor: User, ground: str, reason: str
) -> CancellationProposal:
    """An officer proposes to cancel a tender whose bids are opened, naming a ground the
    tender's regime lists. Public in the ledger; nothing changes until an approver decides."""
    require_role(actor, Role.OFFICER, tender.agency)
    reason = check_cancellation_reason(reason)
    with transaction.atomic():
        tender = _lock(tender)
        if not can_move(tender.status, S.CANCELLED):
            _move(tender, S.CANCELLED)  # raises, naming the status
        if tender.status not in FOUR_EYES_CANCELLATION:
            raise Conflict(_("The bids of this tender are not opened: cancel it directly."))
        ground = _ground(tender, ground, required=True)
        _refuse_if_contracted(tender)
        if tender.cancellations.filter(status=CancellationStatus.PROPOSED).exists():
            raise Conflict(_("A cancellation of this tender is already awaiting approval."))
        number = tender.cancellations.count() + 1
        entry = record_event(
            "TENDER_CANCELLATION_PROPOSED",
            tender,
            {"proposal": number, "ground": ground, "reason": reason},
            actor=actor,
        )
        return CancellationProposal.objects.create(
            tender=tender,
            number=number,
            ground=ground,
            reason=reason,
            proposed_by=actor,
            proposed_at=entry.recorded_at,
            proposal_seq=entry.seq,
        )


def _decider(proposal: CancellationProposal, actor: User) -> None:
    require_role(actor, Role.APPROVER, proposal.tender.agency)
    if actor.pk == proposal.proposed_by_id:
        raise PermissionDenied(
            _("Whoever proposed a cancellation cannot decide it: another approver does.")
        )


def _lock_pending(proposal: CancellationProposal) -> tuple[Tender, CancellationProposal]:
    tender = _lock(proposal.tender)
    proposal = CancellationProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != CancellationStatus.PROPOSED:
        raise Conflict(_("This cancellation proposal has already been decided."))
    return tender, proposal


def approve_cancellation(proposal: CancellationProposal, *, actor: User) -> CancellationProposal:
    """An approver of the agency, not the proposer, approves: the tender is cancelled (its
    awards too) with the proposal's ground and reason, in the approver's name."""
    _decider(proposal, actor)
    with transaction.atomic():
        tender, proposal = _lock_pending(proposal)
        entry = _cancel(
            tender,
            actor=actor,
            reason=proposal.reason,
            ground=proposal.ground,
            proposal=proposal.number,
            proposed_by=proposal.proposed_by.ledger_subject,
        )
        proposal.status = CancellationStatus.APPROVED
        proposal.decided_by, proposal.decided_at, proposal.decision_seq = (
            actor, entry.recorded_at, entry.seq)  # fmt: skip
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_seq"])
    return proposal


def reject_cancellation(
    proposal: CancellationProposal, *, actor: User, reason: str
) -> CancellationProposal:
    """An approver of the agency, not the proposer, rejects with a reason: the tender goes on."""
    _decider(proposal, actor)
    reason = check_cancellation_reason(reason)
    with transaction.atomic():
        tender, proposal = _lock_pending(proposal)
        entry = record_event(
            "TENDER_CANCELLATION_REJECTED",
            tender,
            {"proposal": proposal.number, "reason": reason},
            actor=actor,
        )
        proposal.status = CancellationStatus.REJECTED
        proposal.decided_by, proposal.decided_at = actor, entry.recorded_at
        proposal.decision_reason, proposal.decision_seq = reason, entry.seq
        proposal.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason",
                           "decision_seq"]
        )  # fmt: skip
    return proposal


def close_tender(tender: Tender, *, actor: User | None = None) -> bool:
    """Close one tender whose deadline has passed (by the database clock). Idempotent.

    The row lock serialises this against submissions, so the bid set written here is exactly
    the set accepted: each live bid's ledger index, envelope hash and key commitment, with
    their Merkle root. A key pair for this opening is made, and its public half published, so
    custodians can wrap their released keys to it.
    """
    with transaction.atomic():
        tender = _lock(tender)
        now = db_now()
        if tender.status != S.PUBLISHED or now < tender.submission_deadline:
            return False
        _move(tender, S.CLOSED)
        from bidders.submission import reveal_bids  # noqa: PLC0415 - bids refer to tenders

        reveal_bids(tender)  # the sealed statements become public entries before the closing
        bids = bid_set(tender)
        opening_key = X25519PrivateKey.generate()
        tender.opening_private_key = opening_key.private_bytes_raw()
        tender.opening_public_key = keystatement.public_key_b64(opening_key.public_key())
        tender.bid_set_root = bid_set_root(bids)
        tender.closed_at = now
        entry = record_event(
            "TENDER_CLOSED",
            tender,
            {
                "submission_deadline": tender.submission_deadline,
                "closed_at": now,
                "bids": bids,
                "bid_count": len(bids),
                "bid_set_root": tender.bid_set_root,
                "keyset_hash": tender.keyset_hash,
                "threshold": tender.threshold,
                "opening_public_key": tender.opening_public_key,
                # Keys released until then decide every bid together (docs/envelope.md).
                "release_window_ends": now
                + dt.timedelta(seconds=settings.CUSTODIAN_RELEASE_WINDOW_SECONDS),
            },
            actor=actor,
        )
        tender.closing_seq = entry.seq
        tender.save(
            update_fields=[
                "status", "closed_at", "opening_private_key", "opening_public_key",
                "bid_set_root", "closing_seq",
            ]
        )  # fmt: skip
        ocds.record_release(tender, event="closing", tag=["tenderUpdate"], entry=entry)
        # Sign a checkpoint covering the closing, which custodians verify before releasing.
        transaction.on_commit(make_checkpoint)
    return True


def bid_set(tender: Tender) -> list[dict]:
    from bidders.models import Bid, BidStatus  # noqa: PLC0415 - bids refer to tenders

    rows = Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).order_by("ledger_seq")
    return [
        {
            "seq": b.ledger_seq,
            "bid": str(b.public_id),
            "envelope_sha256": b.envelope_sha256,
            "dek_commit": b.dek_commit,
        }
        for b in rows
    ]


def bid_set_root(bids: list[dict]) -> str:
    """RFC 9162 Merkle root over the canonical JSON of each bid-set item, in ledger order."""
    return rfc9162.root_of([canonical_json(item) for item in bids]).hex()


def due_for_closing(moment: dt.datetime):
    return Tender.objects.filter(status=S.PUBLISHED, submission_deadline__lte=moment).values_list(
        "pk", flat=True
    )
