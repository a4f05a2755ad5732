"""The committee's work between opening and the report: the pass/fail examination of each bid,
clarification requests to bidders, and independent score sheets with their aggregate.

Only members who declared no conflict act. Each decision's content stays confidential until the
award and goes into the ledger as a salted commitment (evaluation.services.commitments)."""

from __future__ import annotations

import secrets
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from bidders.models import Bid, BidStatus
from evaluation.models import (
    Check,
    Clarification,
    ClarificationKind,
    CommitteeMember,
    Declaration,
    Examination,
    Report,
    ReportStatus,
    ScoreSheet,
)
from evaluation.services.commitments import commit, commitment
from evaluation.services.committee import member_of
from evaluation.services.deadlines import mark_overdue
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import record_event
from procurement.models import Role, User
from procurement.notifications import notify, representatives
from procurement.permissions import has_role
from procurement.validation import clean_text
from procurement.workdays import shift_working_days
from tenders.models import CriterionKind, EvaluationMethod, Tender, TenderStatus
from tenders.services.lifecycle import change_status

S = TenderStatus
TEXT_LIMIT = 10000
# Two members' points on one criterion further apart than this are flagged for discussion.
DISAGREEMENT_POINTS = Decimal(20)
SCORED_METHODS = (EvaluationMethod.COMBINED, EvaluationMethod.TECHNICAL)
FOUR = Decimal("0.0001")


def as_uuid(value) -> uuid.UUID | None:
    """A UUID from user input, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def acting_member(tender: Tender, user: User | None) -> CommitteeMember:
    """The user's place on the committee, if it may act: declared no conflict, not removed."""
    member = member_of(tender, user)
    if member is None or not member.may_see_documents:
        raise PermissionDenied(
            _("Only committee members who declared no conflict of interest may do this.")
        )
    return member


def locked_for_work(tender: Tender) -> Tender:
    """Lock the tender for a committee decision: between opening and the report."""
    tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
    if tender.status not in (S.OPENED, S.EVALUATING):
        raise Conflict(_("The evaluation of this tender is not open."))
    if Report.objects.filter(tender=tender, status=ReportStatus.SUBMITTED).exists():
        raise Conflict(_("The report is with the approver; the evaluation is locked."))
    return tender


def _start(tender: Tender) -> dict:
    """The first decision moves an opened tender to 'under evaluation' (in the same entry)."""
    if tender.status == S.OPENED:
        moved = change_status(tender, S.EVALUATING)
        tender.save(update_fields=["status"])
        return moved
    return {}


def opened_bids(tender: Tender):
    return Bid.objects.filter(tender=tender, status=BidStatus.OPENED).select_related("supplier")


def checks_for(tender: Tender) -> list[tuple[str, str]]:
    """(key, label) of every pass/fail check of this tender: the standard four, then each
    declared pass/fail criterion."""
    # all(), not filter(): a page that prefetched the tender's criteria asks no query here.
    criteria = sorted(tender.criteria.all(), key=lambda c: c.number)
    declared = [
        (f"criterion:{c.number}", c.name) for c in criteria if c.kind == CriterionKind.PASS_FAIL
    ]
    return [*((c.value, str(c.label)) for c in Check), *declared]


# --- Examination ----------------------------------------------------------------------------


def examination_content(bid: str, version: int, checks: list, adjustments: dict) -> dict:
    """What an examination commits to (and reveals): adjustments only when there are any."""
    content = {"bid": bid, "version": version, "checks": checks}
    if adjustments:
        content["adjustments"] = adjustments
    return content


ADJUSTMENT_KINDS = ("correction", "deviation")


def _clean_adjustments(tender: Tender, adjustments) -> dict:
    """{lot number: [{"kind", "amount", "reason"}]} for lots of this tender. A ``correction``
    (arithmetic error, D214 Art. 31(1)) changes the price the bidder is held to and so the
    award price; a ``deviation`` (an omission or excess priced for comparison, Art. 31(2)-(4))
    counts for ranking only."""
    if adjustments in (None, {}):
        return {}
    lots = {str(n) for n in tender.lots.values_list("number", flat=True)}
    if not isinstance(adjustments, dict) or not set(adjustments) <= lots:
        raise InvalidInput(_("Adjustments are given per lot of this tender."), field="adjustments")
    clean = {}
    for lot, items in sorted(adjustments.items()):
        rows = []
        for item in items if isinstance(items, list) else [items]:
            item = item if isinstance(item, dict) else {}
            try:
                amount = Decimal(str(item.get("amount", "")))
            except InvalidOperation:
                amount = Decimal("NaN")
            if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= 10**18:
                raise InvalidInput(
                    _("An adjustment is an amount with at most two decimals."), field="adjustments"
                )
            if item.get("kind") not in ADJUSTMENT_KINDS:
                raise InvalidInput(
                    _("An adjustment is a correction or a priced deviation."), field="adjustments"
                )
            if amount == 0:
                continue
            reason = clean_text(
                str(item.get("reason") or ""), "adjustments", required=True, limit=TEXT_LIMIT
            )
            rows.append({"kind": item["kind"], "amount": format(amount.quantize(Decimal("0.01")),
                         "f"), "reason": reason})  # fmt: skip
        if rows:
            clean[lot] = rows
    return clean


def adjusted(offered: Decimal, items: list[dict] | None) -> tuple[Decimal, Decimal]:
    """(evaluated price, corrected price) of one lot: offered plus every adjustment, and
    offered plus the corrections only."""
    items = items or []
    evaluated = offered + sum((Decimal(i["amount"]) for i in items), Decimal(0))
    corrected = offered + sum(
        (Decimal(i["amount"]) for i in items if i["kind"] == "correction"), Decimal(0)
    )
    return evaluated, corrected


def examine(
    tender: Tender, *, actor: User | None, bid_id: str, checks: list[dict], adjustments=None
) -> Examination:
    """Record (or revise) the examination of one opened bid: every check with passed true or
    false, and a reason for each fail; optionally, per lot, the adjustment of its price for
    ranking (arithmetic corrections, priced deviations), with its reason."""
    member = acting_member(tender, actor)
    adjustments = _clean_adjustments(tender, adjustments)
    expected = [key for key, _label in checks_for(tender)]
    if not isinstance(checks, list) or [c.get("check") for c in checks if isinstance(c, dict)] != (
        expected
    ):
        raise InvalidInput(
            _("Give every check, in order: %(checks)s.") % {"checks": ", ".join(expected)},
            field="checks",
        )
    clean = []
    for c in checks:
        if not isinstance(c.get("passed"), bool):
            raise InvalidInput(_("Each check is passed or failed."), field="checks")
        reason = clean_text(
            c.get("reason", ""), "checks", required=not c["passed"], limit=TEXT_LIMIT
        )
        clean.append({"check": c["check"], "passed": c["passed"], "reason": reason})
    passed = all(c["passed"] for c in clean)
    reason = "; ".join(f"{c['check']}: {c['reason']}" for c in clean if not c["passed"])
    with transaction.atomic():
        tender = locked_for_work(tender)
        bid = opened_bids(tender).filter(public_id=as_uuid(bid_id)).first() if as_uuid(
            bid_id) else None  # fmt: skip
        if bid is None:
            raise InvalidInput(_("Name an opened bid of this tender."), field="bid")
        previous = Examination.objects.filter(bid=bid).order_by("-version").first()
        version = previous.version + 1 if previous else 1
        content = examination_content(str(bid.public_id), version, clean, adjustments)
        salt, digest = commit(content)
        moved = _start(tender)
        # Scores are given to the bids that passed: a change in that set makes every sheet
        # stale, and the members score again.
        reset = {}
        if previous is None or previous.passed != passed:
            stale = ScoreSheet.objects.filter(tender=tender, superseded_at=None)
            if stale.update(superseded_at=db_now()):
                reset = {"scores_reset": True}
        entry = record_event(
            "EXAMINATION_RECORDED",
            tender,
            {"version": version, "commitment": digest, **moved, **reset},
            actor=member.user,
        )
        return Examination.objects.create(
            tender=tender, bid=bid, checks=clean, adjustments=adjustments, passed=passed,
            reason=reason, version=version,
            salt=salt, commitment=digest, recorded_by=member.user,
            recorded_at=entry.recorded_at, ledger_seq=entry.seq,
        )  # fmt: skip


def current_examinations(tender: Tender) -> dict[int, Examination]:
    """The latest examination of each bid, by bid pk."""
    latest = {}
    rows = Examination.objects.filter(tender=tender).select_related("bid__supplier", "recorded_by")
    for e in rows.order_by("version"):
        latest[e.bid_id] = e
    return latest


def examinations_for(tender: Tender, user: User | None):
    """The committee's examinations: for acting members, auditors, and the agency's officers and
    approvers."""
    if not may_follow(tender, user):
        raise NotFound(_("No such tender."))
    return sorted(current_examinations(tender).values(), key=lambda e: e.bid.ledger_seq)


def conflicted(tender: Tender, user: User | None) -> bool:
    """Did ``user`` declare a conflict of interest on this tender? Then it follows nothing of
    the evaluation, whatever other role it holds."""
    return bool(user is not None and user.is_authenticated and CommitteeMember.objects.filter(
        tender=tender, user=user, declaration=Declaration.CONFLICT).exists())  # fmt: skip


def may_follow(tender: Tender, user: User | None) -> bool:
    """Who follows the confidential evaluation: members who declared no conflict, the agency's
    officers and approvers, and auditors; never someone who declared a conflict."""
    if conflicted(tender, user):
        return False
    member = member_of(tender, user)
    return (
        (member is not None and member.may_see_documents)
        or has_role(user, Role.AUDITOR)
        or has_role(user, Role.OFFICER, tender.agency)
        or has_role(user, Role.APPROVER, tender.agency)
    )


# --- Clarifications -------------------------------------------------------------------------


def request_clarification(
    tender: Tender, *, actor: User | None, bid_id: str, question: str, kind: str
) -> Clarification:
    """Ask one bidder, in writing, to clarify its bid (never to change its substance or price),
    or to explain an abnormally low price. The bidder has the regime's working days."""
    member = acting_member(tender, actor)
    question = clean_text(question, "question", required=True, limit=TEXT_LIMIT)
    if kind not in ClarificationKind.values:
        raise InvalidInput(_("Unknown kind of request."), field="kind")
    with transaction.atomic():
        tender = locked_for_work(tender)
        bid = opened_bids(tender).filter(public_id=as_uuid(bid_id)).first() if as_uuid(
            bid_id) else None  # fmt: skip
        if bid is None:
            raise InvalidInput(_("Name an opened bid of this tender."), field="bid")
        now = db_now()
        regime = tender.regime
        due = shift_working_days(now, regime.clarification_working_days, regime.holiday_calendar)
        number = Clarification.objects.filter(tender=tender).count() + 1
        salt = secrets.token_hex(16)
        digest = commitment({"number": number, "bid": str(bid.public_id), "kind": kind,
                             "question": question}, salt)  # fmt: skip
        moved = _start(tender)
        entry = record_event(
            "CLARIFICATION_REQUESTED",
            tender,
            {"number": number, "due_at": due, "commitment": digest, **moved},
            actor=member.user,
        )
        clarification = Clarification.objects.create(
            tender=tender, bid=bid, number=number, kind=kind, question=question,
            asked_by=member.user, asked_at=now, due_at=due, salt=salt, request_seq=entry.seq,
        )  # fmt: skip
        notify(
            representatives([bid.supplier]),
            "clarification_requested",
            {"tender": tender.reference, "due": localtime(due).strftime("%d/%m/%Y %H:%M")},
            link="/workspace/clarifications/",
        )
    return clarification


def answer_clarification(tender: Tender, number: int, *, actor: User | None, answer: str):
    """The bidder's answer, before the due time (database clock)."""
    answer = clean_text(answer, "answer", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        c = (
            Clarification.objects.select_for_update(of=("self",))
            .select_related("bid__supplier", "tender")
            .filter(tender=tender, number=number)
            .first()
        )
        if c is None or not has_role(actor, Role.SUPPLIER, c.bid.supplier):
            raise NotFound(_("No such clarification request."))
        if c.answered_at is not None:
            raise Conflict(_("This request has already been answered."))
        now = db_now()
        if c.missed_at is not None or now >= c.due_at:
            raise Conflict(_("The time to answer this request has passed."))
        c.answer, c.answered_by, c.answered_at = answer, actor, now
        # Recorded by the platform: the bidder's account as the entry's actor would tell, during
        # the confidential evaluation, who was asked. Who answered is inside the commitment.
        entry = record_event(
            "CLARIFICATION_ANSWERED",
            c.tender,
            {"number": c.number, "commitment": commitment(answer_content(c), c.salt)},
            actor=None,
        )
        c.answer_seq = entry.seq
        c.save(update_fields=["answer", "answered_by", "answered_at", "answer_seq"])
    return c


def question_content(c: Clarification) -> dict:
    return {"number": c.number, "bid": str(c.bid.public_id), "kind": c.kind,
            "question": c.question}  # fmt: skip


def answer_content(c: Clarification) -> dict:
    by = c.answered_by.ledger_subject if c.answered_by_id else None
    return {"number": c.number, "answer": c.answer, "by": by}


def clarifications_for(tender: Tender, user: User | None):
    """All of the tender's requests for those who follow the evaluation; a supplier sees only
    its own organisation's."""
    rows = Clarification.objects.filter(tender=tender).select_related("bid__supplier")
    if may_follow(tender, user):
        return rows
    if user is not None and user.is_authenticated:
        own = rows.filter(
            bid__supplier__memberships__user=user,
            bid__supplier__memberships__role=Role.SUPPLIER,
            bid__supplier__memberships__is_active=True,
        ).distinct()
        if own.exists():
            return own
    raise NotFound(_("No such tender."))


def my_clarifications(user: User | None):
    if user is None or not user.is_authenticated:
        return Clarification.objects.none()
    return (
        Clarification.objects.filter(
            bid__supplier__memberships__user=user,
            bid__supplier__memberships__role=Role.SUPPLIER,
            bid__supplier__memberships__is_active=True,
        )
        .select_related("tender", "bid__supplier")
        .distinct()
        .order_by("-asked_at")
    )


def expire_clarifications(now=None) -> int:
    """Beat: mark requests whose time passed unanswered, publicly (the number only)."""
    rows = Clarification.objects.filter(
        answered_at=None, missed_at=None, due_at__lte=now or db_now()
    )

    def mark(c):
        c.missed_at = db_now()
        c.save(update_fields=["missed_at"])
        return "CLARIFICATION_MISSED", {"number": c.number}, None

    return mark_overdue(rows, due=lambda c: c.is_open, mark=mark)


# --- Independent scores ---------------------------------------------------------------------


def active_members(tender: Tender):
    return CommitteeMember.objects.filter(
        tender=tender, removed_at=None, declaration=Declaration.NO_CONFLICT
    )


def scored_bids(tender: Tender, examined: dict | None = None) -> list[Bid]:
    """The bids to score: every opened bid must be examined first; those that passed."""
    bids = list(opened_bids(tender).order_by("ledger_seq"))
    examined = current_examinations(tender) if examined is None else examined
    if any(b.pk not in examined for b in bids):
        raise Conflict(_("Examine every opened bid first."))
    return [b for b in bids if examined[b.pk].passed]


def submit_sheet(tender: Tender, *, actor: User | None, scores: dict) -> ScoreSheet:
    """A member's own scores, once: points 0–100 (two decimals at most) for every scored
    criterion of every bid that passed the examination."""
    member = acting_member(tender, actor)
    if tender.evaluation_method not in SCORED_METHODS:
        raise Conflict(_("This tender's evaluation method has no scored criteria."))
    with transaction.atomic():
        tender = locked_for_work(tender)
        if ScoreSheet.objects.filter(member=member, superseded_at=None).exists():
            raise Conflict(_("You have already submitted your scores; they are final."))
        bids = scored_bids(tender)
        criteria = [str(n) for n in tender.criteria.filter(kind=CriterionKind.SCORED)
                    .order_by("number").values_list("number", flat=True)]  # fmt: skip
        clean = _clean_scores(scores, [str(b.public_id) for b in bids], criteria)
        content = {"member": member.user.ledger_subject, "scores": clean}
        salt, digest = commit(content)
        entry = record_event(
            "SCORES_SUBMITTED",
            tender,
            {"member": member.user.ledger_subject, "commitment": digest},
            actor=member.user,
        )
        sheet = ScoreSheet.objects.create(
            tender=tender, member=member, scores=clean, salt=salt, commitment=digest,
            submitted_at=entry.recorded_at, ledger_seq=entry.seq,
        )  # fmt: skip
    return sheet


def _clean_scores(scores, bids: list[str], criteria: list[str]) -> dict:
    if not isinstance(scores, dict) or sorted(scores) != sorted(bids):
        raise InvalidInput(_("Score every bid that passed the examination."), field="scores")
    clean = {}
    for bid in bids:
        row = scores[bid]
        if not isinstance(row, dict) or sorted(row) != sorted(criteria):
            raise InvalidInput(_("Score every scored criterion of each bid."), field="scores")
        clean[bid] = {}
        for criterion in criteria:
            try:
                points = Decimal(str(row[criterion]))
            except (InvalidOperation, ValueError):
                points = Decimal(-1)
            if not points.is_finite() or not 0 <= points <= 100 or points.as_tuple().exponent < -2:
                raise InvalidInput(
                    _("Points are between 0 and 100, with at most two decimals."), field="scores"
                )
            clean[bid][criterion] = format(points.quantize(Decimal("0.01")), "f")
    return clean


def current_sheets(tender: Tender):
    """The acting members' sheets that still count (not superseded)."""
    return ScoreSheet.objects.filter(
        tender=tender, superseded_at=None, member__in=active_members(tender)
    )


def scoring_complete(tender: Tender) -> bool:
    members = active_members(tender).count()
    return bool(members) and current_sheets(tender).count() == members


def sheets_for(tender: Tender, user: User | None):
    """Score sheets: a member sees its own at once and the others' only once every acting
    member has submitted; auditors see them all; no one else."""
    member = member_of(tender, user)
    if has_role(user, Role.AUDITOR) and not conflicted(tender, user):
        return ScoreSheet.objects.filter(tender=tender).select_related("member__user")
    if member is None or not member.may_see_documents:
        raise NotFound(_("No such tender."))
    sheets = current_sheets(tender).select_related("member__user")
    return sheets if scoring_complete(tender) else sheets.filter(member=member)


def aggregate(tender: Tender, passed: list[Bid] | None = None) -> dict:
    """Per bid that passed: the mean points of each criterion over the members, the weighted
    technical score (0–100), and criteria where two members are more than DISAGREEMENT_POINTS
    apart. Means and the technical score are rounded half-up to 4 decimals."""
    if not scoring_complete(tender):
        raise Conflict(_("Not every member has submitted scores yet."))
    weights = {str(c.number): Decimal(c.weight) for c in
               tender.criteria.filter(kind=CriterionKind.SCORED)}  # fmt: skip
    sheets = [s.scores for s in current_sheets(tender)]
    out = {}
    for bid in (str(b.public_id) for b in (scored_bids(tender) if passed is None else passed)):
        if any(bid not in sheet for sheet in sheets):
            raise Conflict(
                _("The examination changed after the members scored: the scores cover other bids.")
            )
        means, flags = {}, []
        for criterion in weights:
            points = [Decimal(sheet[bid][criterion]) for sheet in sheets]
            means[criterion] = (sum(points) / len(points)).quantize(FOUR, rounding=ROUND_HALF_UP)
            if max(points) - min(points) > DISAGREEMENT_POINTS:
                flags.append(criterion)
        technical = sum(weights[c] * means[c] for c in weights) / 100
        out[bid] = {
            "means": {c: format(m, "f") for c, m in means.items()},
            "technical": technical.quantize(FOUR, rounding=ROUND_HALF_UP),
            "disagreements": flags,
            "members": len(sheets),
        }
    return out


def technically_compliant(
    tender: Tender, passed: list[Bid] | None = None, rows: dict | None = None
) -> list[str]:
    """Two-envelope tenders: the bids whose financial part may be opened. Every opened bid
    examined; those that passed, and, where the method scores, reached the technical pass mark
    on the members' mean (so every member must have scored)."""
    bids = scored_bids(tender) if passed is None else passed
    if tender.evaluation_method in SCORED_METHODS:
        rows = aggregate(tender, bids) if rows is None else rows
        mark = Decimal(tender.technical_pass_mark)
        bids = [b for b in bids if rows.get(str(b.public_id), {}).get("technical", -1) >= mark]
    return [str(b.public_id) for b in bids]
