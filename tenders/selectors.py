"""Reads of tenders that depend on who asks. Drafts are visible only to their agency's
officers and the custodians seated on them; for anyone else a draft does not exist (404),
exactly like a missing tender."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from procurement import prepared, rows
from procurement.exceptions import NotFound
from procurement.models import Role, User
from procurement.permissions import has_role, organisations_with_role
from tenders.models import (
    CancellationProposal,
    CancellationStatus,
    Question,
    RosterSeat,
    Tender,
    TenderDocument,
    TenderStatus,
)


def visible_tenders(user: User | None) -> QuerySet[Tender]:
    rows = Tender.objects.select_related("agency")
    public = ~Q(status=TenderStatus.DRAFT)
    if user is None or not user.is_authenticated:
        # The public's view (every search page, most API lists): the same condition the
        # general case reduces to, without building the role and roster subqueries.
        return rows.filter(public)
    agencies = organisations_with_role(user, Role.OFFICER)
    visible = public | Q(agency__in=agencies)
    # A custodian sees the drafts it must give a key statement for.
    seated = RosterSeat.objects.filter(tender=OuterRef("pk"), custodian__user=user)
    visible |= Exists(seated)
    return rows.filter(visible)


def tender_by_reference(user: User | None, reference: str) -> Tender:
    """One tender as ``user`` may see it. Looked up by its reference first (one indexed query);
    only a draft then needs the check of who may see it."""
    try:
        tender = Tender.objects.select_related("agency", "regime").get(reference=reference)
    except Tender.DoesNotExist:
        raise NotFound(_("No such tender.")) from None
    if tender.status == TenderStatus.DRAFT and not _may_see_draft(user, tender):
        raise NotFound(_("No such tender."))
    return tender


def tender_for_submission(user: User | None, reference: str) -> Tender:
    """The tender a bid is submitted to: its own row only (a submission reads neither its
    agency nor its regime), with the same answer as ``tender_by_reference`` for a draft."""
    # Hand-written and prepared (and only the columns a submission reads; the others load if
    # asked): on the submission's hot path the ORM's compiler would cost more than the lookup.
    with connection.cursor() as cursor:
        prepared.execute(cursor, "mb_tender_for_submission", _submission_sql(), [reference])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(_("No such tender."))
    tender = rows.from_row(Tender, row, _SUBMISSION_FIELDS)
    if tender.status == TenderStatus.DRAFT and not _may_see_draft(user, tender):
        raise NotFound(_("No such tender."))
    return tender


_SUBMISSION_FIELDS = ("id", "public_id", "reference", "status", "method", "keyset_hash",
                      "threshold", "submission_deadline", "agency")  # fmt: skip


@functools.cache
def _submission_sql() -> str:
    table = connection.ops.quote_name(Tender._meta.db_table)
    columns = rows.columns(Tender, "t", _SUBMISSION_FIELDS)
    return f"SELECT {columns} FROM {table} t WHERE t.reference = %s"  # noqa: S608


def _may_see_draft(user: User | None, tender: Tender) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return (
        has_role(user, Role.OFFICER, tender.agency)
        or RosterSeat.objects.filter(tender=tender, custodian__user=user).exists()
    )


def officer_tenders(user: User) -> QuerySet[Tender]:
    return Tender.objects.select_related("agency").filter(
        agency__in=organisations_with_role(user, Role.OFFICER)
    )


def document_of(user: User | None, reference: str, public_id: str) -> TenderDocument:
    tender = tender_by_reference(user, reference)
    try:
        return tender.documents.get(public_id=public_id)
    except (TenderDocument.DoesNotExist, ValueError):
        raise NotFound(_("No such document.")) from None


def question_of(user: User | None, reference: str, number: int) -> Question:
    tender = tender_by_reference(user, reference)
    try:
        return tender.questions.get(number=number)
    except Question.DoesNotExist:
        raise NotFound(_("No such question.")) from None


def public_questions(tender: Tender) -> QuerySet[Question]:
    """Answered questions, for everybody. Unanswered ones are shown to the agency only."""
    return tender.questions.filter(answered_at__isnull=False)


def cancellation_of(user: User | None, reference: str, number: int) -> CancellationProposal:
    tender = tender_by_reference(user, reference)
    try:
        return tender.cancellations.select_related("tender__agency", "proposed_by").get(
            number=number
        )
    except CancellationProposal.DoesNotExist:
        raise NotFound(_("No such cancellation proposal.")) from None


def pending_cancellations(user: User) -> QuerySet[CancellationProposal]:
    """Proposals awaiting a decision in the agencies where ``user`` approves."""
    return (
        CancellationProposal.objects.filter(
            status=CancellationStatus.PROPOSED,
            tender__agency__in=organisations_with_role(user, Role.APPROVER),
        )
        .select_related("tender")
        .order_by("proposed_at")
    )
