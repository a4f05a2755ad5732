"""The evaluation committee: appointment by the agency's officer, conflict-of-interest
declarations against the bidders, and recorded access to the opened documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from bidders.models import Bid, BidStatus, closing_set
from evaluation.models import CommitteeMember, Declaration
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import defer_event
from procurement.models import Role, User
from procurement.permissions import has_role, require_role
from tenders.models import Tender, TenderStatus


class _Open(Protocol):
    def close(self) -> None: ...


R = TypeVar("R", bound=_Open)

S = TenderStatus
STATEMENT_LIMIT = 5000


def bidders_of(tender: Tender) -> list[str]:
    """The codes of the suppliers in the tender's closing set (public from the deadline)."""
    return sorted(set(closing_set(tender).values_list("supplier__code", flat=True)))


def appoint(tender: Tender, *, actor: User | None, user: User, expert: bool = False):
    """The agency's officer appoints a member: one of the agency's evaluators, or an outside
    expert (an evaluator of another agency). Never a representative of a bidder."""
    require_role(actor, Role.OFFICER, tender.agency)
    with transaction.atomic():
        # The status is checked under the lock: a cancellation or an award cannot slip in.
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if tender.status in (S.DRAFT, S.CANCELLED, S.UNSUCCESSFUL, S.AWARDED, S.CONTRACTED):
            raise Conflict(_("A committee is appointed between publication and award."))
        if expert:
            if not has_role(user, Role.EVALUATOR):
                raise InvalidInput(
                    _("An outside expert must hold the evaluator role."), field="user"
                )
        elif not has_role(user, Role.EVALUATOR, tender.agency):
            raise InvalidInput(_("Members are evaluators of the procuring agency."), field="user")
        if user == actor or has_role(user, Role.SUPPLIER):
            raise InvalidInput(_("This person cannot sit on the committee."), field="user")
        if CommitteeMember.objects.filter(tender=tender, user=user).exists():
            raise Conflict(_("This person is already on the committee."))
        member = CommitteeMember.objects.create(
            tender=tender, user=user, is_expert=expert, appointed_by=actor,
            appointed_at=db_now(),
        )  # fmt: skip
        defer_event(
            "COMMITTEE_APPOINTED",
            tender,
            {"member": user.ledger_subject, "expert": expert},
            actor=actor,
        )
    return member


def declare(tender: Tender, *, actor: User | None, conflict: bool, statement: str = ""):
    """A member's declaration, made after closing against the list of bidders it names. A
    conflict removes the member from this tender."""
    statement = (statement or "").strip()
    if len(statement) > STATEMENT_LIMIT:
        raise InvalidInput(_("The statement is too long."), field="statement")
    with transaction.atomic():
        # The tender first, then the member's row (the services' order, see deadlines.py): the
        # closing and the status are read under the lock, and a declaration that removes a
        # member waits for a committee decision in progress.
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        member = (
            CommitteeMember.objects.select_for_update(of=("self",))
            .filter(tender=tender, user=actor, removed_at__isnull=True)
            .first()
        )
        if member is None or actor is None:
            raise PermissionDenied(_("You are not on this tender's committee."))
        if tender.closing_seq is None:
            raise Conflict(_("Declarations are made after closing, against the bidders."))
        if tender.status not in (S.CLOSED, S.OPENED, S.EVALUATING):
            raise Conflict(_("The evaluation of this tender is not open."))
        if member.declaration != Declaration.PENDING:
            raise Conflict(_("You have already declared for this tender."))
        now = db_now()
        member.declaration = Declaration.CONFLICT if conflict else Declaration.NO_CONFLICT
        member.statement = statement
        member.declared_at = now
        if conflict:
            member.removed_at = now
        member.save(update_fields=["declaration", "statement", "declared_at", "removed_at"])
        defer_event(
            "CONFLICT_DECLARED",
            tender,
            {
                "member": actor.ledger_subject,
                "conflict": bool(conflict),
                "bidders": bidders_of(tender),
                "removed": bool(conflict),
            },
            actor=actor,
        )
    return member


def member_of(tender: Tender, user: User | None) -> CommitteeMember | None:
    if user is None or not user.is_authenticated:
        return None
    return CommitteeMember.objects.filter(tender=tender, user=user, removed_at__isnull=True).first()


def committee_for(tender: Tender, user: User | None):
    """The committee, for the agency's officers, its own members and auditors (404 else)."""
    allowed = (
        has_role(user, Role.OFFICER, tender.agency)
        or has_role(user, Role.AUDITOR)
        or member_of(tender, user) is not None
    )
    if not allowed:
        raise NotFound(_("No such tender."))
    return tender.committee.select_related("user").order_by("appointed_at")


def document_access(bid: Bid, user: User | None, read: Callable[[Bid], R]) -> R:
    """Open an opened bid's documents (``read(bid)``, which returns them open, with a
    ``close``) for a committee member who declared no conflict, or an auditor; each access is
    recorded in the ledger once they are open (a file the platform cannot read records no
    access). 404 for everyone else."""
    member = member_of(bid.tender, user)
    allowed = (member is not None and member.may_see_documents) or has_role(user, Role.AUDITOR)
    if not allowed or bid.status != BidStatus.OPENED:
        raise NotFound(_("No such bid."))
    documents = read(bid)
    try:
        with transaction.atomic():
            defer_event(
                "DOCUMENTS_ACCESSED",
                bid.tender,
                {"bid": str(bid.public_id), "docs_sha256": bid.docs_sha256,
                 "as": "committee" if member is not None else "auditor"},
                actor=user,
            )  # fmt: skip
    except BaseException:
        documents.close()
        raise
    return documents
