"""Contracts: signed on an award once the standstill has passed and no complaint about the
result is open; published with the signed documents' hashes; amended (value or end date) with
reasons; completed or terminated. The tender is "contract signed" once every award has one."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils.timezone import localdate
from django.utils.translation import gettext as _

from evaluation.models import Award, AwardStatus, Contract, ContractAmendment, ContractStatus
from evaluation.selectors import approved_report
from evaluation.services.complaints import store_attachments, suspended
from evaluation.services.examination import TEXT_LIMIT
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput, NotFound
from procurement.ledger import record_event
from procurement.models import Role, User
from procurement.permissions import require_role
from procurement.validation import clean_text
from tenders.models import Tender, TenderStatus
from tenders.services.lifecycle import change_status

S = TenderStatus


def _money(value, field: str) -> Decimal:
    try:
        value = Decimal(str(value))
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2 or value >= 10**18:
        raise InvalidInput(_("Give a positive amount with at most two decimals."), field=field)
    return value.quantize(Decimal("0.01"))


def sign_contract(
    award: Award, *, actor: User | None, title: str, value, signed_on: dt.date,
    start_date: dt.date, end_date: dt.date, uploads=(),
) -> Contract:  # fmt: skip
    """Record the signed contract of an active award (the agency's officer), with at least one
    signed document."""
    tender = award.tender
    require_role(actor, Role.OFFICER, tender.agency)
    title = clean_text(title, "title", required=True)
    value = _money(value, "value")
    if not start_date <= end_date:
        raise InvalidInput(_("The contract ends after it starts."), field="end_date")
    if not uploads:
        raise InvalidInput(_("Attach the signed contract."), field="files")
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        award = (
            Award.objects.select_for_update(of=("self",))
            .select_related("supplier", "lot")
            .get(pk=award.pk)
        )
        now = db_now()
        report = approved_report(tender)
        if award.status != AwardStatus.ACTIVE or tender.status != S.AWARDED or report is None:
            raise Conflict(_("Only an active award can be contracted."))
        if hasattr(award, "contract"):
            raise Conflict(_("This award already has its contract."))
        if now < report.standstill_until:
            raise Conflict(
                _("The standstill runs until %(until)s: no contract may be signed before.")
                % {"until": report.standstill_until.isoformat(timespec="minutes")}
            )
        if suspended(tender, "contract"):
            raise Conflict(_("An open complaint about the result suspends the contract."))
        if signed_on > localdate(now):
            raise InvalidInput(_("The signature date cannot be in the future."), field="signed_on")
        if signed_on < localdate(report.standstill_until):
            raise InvalidInput(
                _("The contract cannot have been signed before the standstill ended."),
                field="signed_on",
            )
        contract = Contract.objects.create(
            public_id=uuid.uuid4(), tender=tender, award=award, supplier=award.supplier,
            title=title, value=value, currency=award.currency, signed_on=signed_on,
            start_date=start_date, end_date=end_date, recorded_by=actor, recorded_at=now,
            ledger_seq=0,
        )  # fmt: skip
        files = store_attachments(tender, list(uploads), actor=actor, contract=contract)
        remaining = Award.objects.filter(
            tender=tender, status=AwardStatus.ACTIVE, contract__isnull=True
        ).exclude(pk=award.pk)
        moved = {}
        if not remaining.exists():
            change_status(tender, S.CONTRACTED)
            tender.save(update_fields=["status"])
            moved = {"status": S.CONTRACTED.value}
        entry = record_event(
            "CONTRACT_SIGNED",
            tender,
            {"contract": str(contract.public_id), "award": str(award.public_id),
             "lot": award.lot.number, "supplier": award.supplier.code,
             "value": format(value, "f"), "currency": award.currency,
             "signed_on": signed_on.isoformat(), "start": start_date.isoformat(),
             "end": end_date.isoformat(), "files": files, **moved},
            actor=actor,
        )  # fmt: skip
        contract.ledger_seq = entry.seq
        contract.save(update_fields=["ledger_seq"])
    return contract


def _locked(contract: Contract, actor: User | None) -> Contract:
    require_role(actor, Role.OFFICER, contract.tender.agency)
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("tender")
        .get(pk=contract.pk)
    )
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is closed."))
    return contract


def amend_contract(
    contract: Contract, *, actor: User | None, reason: str, value=None, end_date=None, uploads=()
) -> ContractAmendment:
    """A published change of value and/or end date, with its reason."""
    reason = clean_text(reason, "reason", required=True, limit=TEXT_LIMIT)
    new_value = _money(value, "value") if value not in (None, "") else None
    with transaction.atomic():
        contract = _locked(contract, actor)
        new_value = contract.value if new_value is None else new_value
        new_end = end_date or contract.end_date
        if new_value == contract.value and new_end == contract.end_date:
            raise InvalidInput(_("Nothing to change."))
        if new_end < contract.start_date:
            raise InvalidInput(_("The contract ends after it starts."), field="end_date")
        number = contract.amendments.count() + 1
        files = store_attachments(contract.tender, list(uploads), actor=actor, contract=contract)
        entry = record_event(
            "CONTRACT_AMENDED",
            contract.tender,
            {"contract": str(contract.public_id), "number": number, "reason": reason,
             "value": {"old": format(contract.value, "f"), "new": format(new_value, "f")},
             "end": {"old": contract.end_date.isoformat(), "new": new_end.isoformat()},
             "files": files},
            actor=actor,
        )  # fmt: skip
        amendment = ContractAmendment.objects.create(
            contract=contract, number=number, reason=reason, old_value=contract.value,
            new_value=new_value, old_end_date=contract.end_date, new_end_date=new_end,
            amended_on=entry.recorded_at, ledger_seq=entry.seq,
        )  # fmt: skip
        contract.value, contract.end_date = new_value, new_end
        contract.save(update_fields=["value", "end_date"])
    return amendment


def close_contract(contract: Contract, *, actor: User | None, completed: bool, reason: str = "",
                   paid=None) -> Contract:  # fmt: skip
    """Completion (with the amount paid) or termination (with its reason)."""
    reason = clean_text(reason, "reason", required=not completed, limit=TEXT_LIMIT)
    paid = _money(paid, "paid") if paid not in (None, "") else None
    with transaction.atomic():
        contract = _locked(contract, actor)
        today = localdate(db_now())
        contract.status = ContractStatus.COMPLETED if completed else ContractStatus.TERMINATED
        contract.closed_on, contract.closing_reason, contract.paid = today, reason, paid
        contract.save(update_fields=["status", "closed_on", "closing_reason", "paid"])
        record_event(
            "CONTRACT_COMPLETED" if completed else "CONTRACT_TERMINATED",
            contract.tender,
            {"contract": str(contract.public_id), "reason": reason,
             "paid": None if paid is None else format(paid, "f")},
            actor=actor,
        )  # fmt: skip
    return contract


def contracts_of(tender: Tender):
    return (
        Contract.objects.filter(tender=tender)
        .select_related("supplier", "award__lot")
        .prefetch_related("amendments", "attachments")
    )


def contract_by_id(contract_id) -> Contract:
    contract = Contract.objects.select_related("tender").filter(public_id=contract_id).first()
    if contract is None:
        raise NotFound(_("No such contract."))
    return contract
