"""Cancelling a tender, from any state before a contract, with a public reason (and a legal
ground under its regime). Once bids are opened an officer proposes and an approver of the agency
decides (four eyes). It lives with the evaluation because it also ends the tender's awards.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.models import Award, AwardStatus, Contract, ContractStatus
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.ledger import record_event
from procurement.models import Role, User
from procurement.permissions import require_role
from procurement.validation import clean_text
from tenders.models import (
    FOUR_EYES_CANCELLATION,
    MIN_REASON_CHARS,
    MIN_REASON_LETTERS,
    CancellationProposal,
    CancellationStatus,
    Tender,
    TenderStatus,
    can_move,
)
from tenders.services import drafts
from tenders.services.content import TEXT_LIMIT
from tenders.services.lifecycle import change_status, lock_tender
from tenders.services.rules import _lang

S = TenderStatus


def _require_officer(actor, agency) -> None:
    if actor is not None:
        require_role(actor, Role.OFFICER, agency)


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
    if Contract.objects.filter(tender=tender, status=ContractStatus.ACTIVE).exists():
        raise Conflict(_("A contract of this tender is signed: terminate it instead."))


def _cancel(tender: Tender, *, actor: User | None, reason: str, ground: str, **facts: Any):
    """Cancel the locked ``tender``: its awards too, in one ledger entry."""
    if tender.status == S.DRAFT:
        drafts.disclose(tender)  # a cancelled draft's page is public, and its history with it
    change_status(tender, S.CANCELLED)
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
    return entry


def cancel_tender(tender: Tender, *, actor: User | None, reason: str, ground: str = "") -> Tender:
    """Cancel in one step: an officer before the bids are opened, or the platform
    (``actor=None``) carrying out a decided complaint. After the opening an officer proposes
    the cancellation instead (``propose_cancellation``) and an approver decides."""
    _require_officer(actor, tender.agency)
    reason = check_cancellation_reason(reason)
    with transaction.atomic():
        tender = lock_tender(tender)
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
        tender = lock_tender(tender)
        if not can_move(tender.status, S.CANCELLED):
            change_status(tender, S.CANCELLED)  # raises, naming the status
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
    tender = lock_tender(proposal.tender)
    proposal = CancellationProposal.objects.select_for_update(of=("self",)).get(pk=proposal.pk)
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
