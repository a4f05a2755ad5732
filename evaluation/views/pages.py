"""Portal pages for evaluation and after: the tender's evaluation workspace (committee members,
the approver, the agency's officers), a bidder's clarification requests, the review body's
queue, complaints and debriefings from the public tender page, the public evaluation with its
re-run and commitment checks, and supplier pages. Every action is one service
call; refusals come back as messages."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from bidders.models import Bid
from evaluation import publication
from evaluation import selectors as evaluation_selectors
from evaluation.models import (
    Award,
    AwardStatus,
    ClarificationKind,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    Contract,
    EvaluationRun,
    Remedy,
    Report,
    ReportStatus,
    ScoreSheet,
)
from evaluation.services import award, complaints, contracts, examination, opening
from evaluation.services.committee import member_of
from evaluation.services.examination import as_uuid
from evaluation.views.committee import tender_or_404
from procurement.clock import db_now
from procurement.exceptions import InvalidInput, NotFound
from procurement.links import row_link
from procurement.models import Organisation, OrganisationKind, Role
from procurement.permissions import has_role
from procurement.views.forms import run_service
from tenders.models import CriterionKind

# The engine speaks English codes; the pages say them in the reader's language.
TIE_LABELS = {
    "women_owned_sme": gettext_lazy("a women-owned small or medium enterprise"),
    "higher_technical": gettext_lazy("the higher technical score"),
    "lower_price": gettext_lazy("the lower price"),
    "local_head_office": gettext_lazy("a head office in the locality"),
    "disabled_employees": gettext_lazy("more employees with disabilities"),
    "ethnic_minority_employees": gettext_lazy("more ethnic-minority employees"),
    "female_employees": gettext_lazy("more female employees"),
    "earlier_submission": gettext_lazy("the earlier submission (ledger index)"),
}
REASON_LABELS = {
    "failed the examination": gettext_lazy("failed the examination"),
    "below the technical pass mark": gettext_lazy("below the technical pass mark"),
}


def _date(value: str | None, field: str, *, required: bool = True) -> dt.date | None:
    """A date from a form field (YYYY-MM-DD); a clear refusal when missing or malformed."""
    if not value and not required:
        return None
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput(_("Give a date (YYYY-MM-DD)."), field=field) from None


def _int(value: str | None) -> int:
    """A number from a hidden form field; 0 (which names nothing) when it is not one."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


# --- The evaluation workspace ---------------------------------------------------------------


@login_required
@require_safe
def workspace(request, reference: str):
    tender = tender_or_404(request, reference)
    user = request.user
    member = member_of(tender, user)
    follows = examination.may_follow(tender, user)  # never after a declared conflict
    if not follows and member is None:  # a member still to declare sees the reminder
        raise Http404
    acting = member is not None and member.may_see_documents
    officer = has_role(user, Role.OFFICER, tender.agency)
    approver = has_role(user, Role.APPROVER, tender.agency) and member is None
    auditor = has_role(user, Role.AUDITOR)
    bids = list(examination.opened_bids(tender).order_by("ledger_seq")) if follows else []
    current = examination.current_examinations(tender)
    scored = [c for c in tender.criteria.all() if c.kind == CriterionKind.SCORED]
    complete = examination.scoring_complete(tender)
    own_sheet = (
        ScoreSheet.objects.filter(member=member, superseded_at=None).first() if member else None
    )
    sheets = []
    if acting or auditor:
        sheets = list(examination.sheets_for(tender, user))
    runs = list(EvaluationRun.objects.filter(tender=tender).order_by("-number")) if follows else []
    reports = list(award.reports_for(tender, user)) if follows else []
    rows = [{"bid": b, "examination": current.get(b.pk)} for b in bids]
    context = {
        "tender": tender,
        "member": member,
        "acting": acting,
        "must_declare": member is not None and not acting,
        "officer": officer,
        "approver": approver,
        "rows": rows,
        "checks": examination.checks_for(tender),
        "lots": list(tender.lots.order_by("number")),
        "clarifications": examination.clarifications_for(tender, user) if follows else [],
        "kinds": ClarificationKind.choices,
        "scored": scored,
        "scores_needed": tender.evaluation_method in examination.SCORED_METHODS,
        "two_envelopes": tender.envelope_procedure == "two_envelopes",
        "own_sheet": own_sheet,
        "sheets": sheets,
        "complete": complete,
        "aggregate": examination.aggregate(tender) if follows and complete and scored else {},
        "passed_bids": [r["bid"] for r in rows if r["examination"] and r["examination"].passed],
        "runs": runs,
        "latest": runs[0] if runs else None,
        "latest_lots": _labelled(runs[0].record["lots"]) if runs else [],
        "reports": reports,
        "pending": next((r for r in reports if r.status == ReportStatus.SUBMITTED), None),
        "debriefs": award.debriefs_for(tender, user) if officer or auditor else [],
        "complaints": complaints.complaints_of(tender),
        "awards": Award.objects.filter(tender=tender, status=AwardStatus.ACTIVE)
        .select_related("lot", "supplier")
        .prefetch_related("contract"),
        "contracts": contracts.contracts_of(tender),
        "standstill_until": getattr(
            evaluation_selectors.approved_report(tender), "standstill_until", None
        ),
        "remedies": [r for r in Remedy.choices if r[0]],
        "now": db_now(),
    }
    return render(request, "evaluation/workspace.html", context)


def _labels(result: dict) -> dict:
    """The engine's English codes for a result line, in the reader's language."""
    return {
        "tie_label": TIE_LABELS.get(result["tie_resolved_by"], result["tie_resolved_by"]),
        "reason_label": REASON_LABELS.get(result["reason"], result["reason"]),
    }


def _labelled(lots: list[dict]) -> list[dict]:
    return [{**lot, "result": [{**r, **_labels(r)} for r in lot["result"]]} for lot in lots]


def _examine(request, tender):
    checks = [
        {
            "check": key,
            "passed": request.POST.get(f"passed-{key}") == "yes",
            "reason": request.POST.get(f"reason-{key}", ""),
        }
        for key, _label in examination.checks_for(tender)
    ]
    adjustments = {}
    for n in tender.lots.values_list("number", flat=True):
        items = [
            {"kind": kind, "amount": request.POST.get(f"{kind}-{n}"),
             "reason": request.POST.get(f"{kind}-reason-{n}", "")}
            for kind in ("correction", "deviation")
            if request.POST.get(f"{kind}-{n}", "").strip()
        ]  # fmt: skip
        if items:
            adjustments[str(n)] = items
    examination.examine(tender, actor=request.user, bid_id=request.POST.get("bid", ""),
                        checks=checks, adjustments=adjustments)  # fmt: skip
    return _("The examination is recorded.")


def _scores(request, tender):
    bids = [str(b.public_id) for b in examination.scored_bids(tender)]
    numbers = [str(c.number) for c in tender.criteria.filter(kind=CriterionKind.SCORED)]
    scores = {b: {n: request.POST.get(f"score-{b}-{n}", "") for n in numbers} for b in bids}
    examination.submit_sheet(tender, actor=request.user, scores=scores)
    return _("Your scores are submitted.")


def _report(request, tender, action):
    report = award.report_by_number(tender, request.user, _int(request.POST.get("number")))
    if action == "approve":
        award.approve_report(report, actor=request.user)
        return _("The result is approved and published.")
    award.return_report(report, actor=request.user, reason=request.POST.get("reason", ""))
    return _("The report is sent back to the committee.")


def _complaint_answer(request, tender):
    complaint = complaints.complaint_by_number(tender, _int(request.POST.get("number")))
    upheld = request.POST.get("upheld") == "yes"
    complaints.answer(complaint, actor=request.user, upheld=upheld,
                      text=request.POST.get("text", ""), remedy=request.POST.get("remedy", ""),
                      uploads=request.FILES.getlist("files"))  # fmt: skip
    return _("The answer is published.")


def _sign(request, tender):
    found = Award.objects.filter(tender=tender, public_id=as_uuid(request.POST.get("award")))
    if not found.exists():
        raise NotFound(_("No such award."))
    contracts.sign_contract(
        found.get(), actor=request.user, title=request.POST.get("title", ""),
        value=request.POST.get("value", ""),
        signed_on=_date(request.POST.get("signed_on"), "signed_on"),
        start_date=_date(request.POST.get("start_date"), "start_date"),
        end_date=_date(request.POST.get("end_date"), "end_date"),
        uploads=request.FILES.getlist("files"),
    )  # fmt: skip
    return _("The contract is recorded and published.")


def _contract(request, tender) -> Contract:
    found = contracts.contracts_of(tender).filter(public_id=as_uuid(request.POST.get("contract")))
    if not found.exists():
        raise NotFound(_("No such contract."))
    return found.get()


def _amend(request, tender):
    contracts.amend_contract(
        _contract(request, tender), actor=request.user, reason=request.POST.get("reason", ""),
        value=request.POST.get("value") or None,
        end_date=_date(request.POST.get("end_date"), "end_date", required=False),
        uploads=request.FILES.getlist("files"),
    )  # fmt: skip
    return _("The amendment is published.")


def _close(request, tender):
    contracts.close_contract(
        _contract(request, tender), actor=request.user,
        completed=request.POST.get("completed") == "yes", reason=request.POST.get("reason", ""),
        paid=request.POST.get("paid") or None,
    )  # fmt: skip
    return _("The contract is closed.")


ACTIONS = {
    "examine": _examine,
    "clarify": lambda r, t: (
        examination.request_clarification(
            t,
            actor=r.user,
            bid_id=r.POST.get("bid", ""),
            question=r.POST.get("question", ""),
            kind=r.POST.get("kind", ClarificationKind.CLARIFICATION),
        )
        and _("The request is sent to the bidder.")
    ),  # fmt: skip
    "scores": _scores,
    "financial": lambda r, t: (
        opening.open_financial(t, actor=r.user) is not None
        and _("The financial parts of the compliant bids are opened.")
    ),
    "run": lambda r, t: award.run_evaluation(t, actor=r.user) and _("The engine has run."),
    "report": lambda r, t: (
        award.submit_report(t, actor=r.user, summary=r.POST.get("summary", ""))
        and _("The report is sent to the approver.")
    ),
    "approve": lambda r, t: _report(r, t, "approve"),
    "return": lambda r, t: _report(r, t, "return"),
    "debrief": lambda r, t: (
        award.answer_debrief(
            t, _int(r.POST.get("debrief")), actor=r.user, answer=r.POST.get("answer", "")
        )
        and _("The answer is sent.")
    ),
    "complaint": _complaint_answer,
    "sign": _sign,
    "amend": _amend,
    "close": _close,
}


@login_required
@require_POST
def act(request, reference: str, action: str):
    tender = tender_or_404(request, reference)
    if action not in ACTIONS:
        raise Http404
    done = run_service(request, None, lambda: ACTIONS[action](request, tender))
    if done:
        messages.success(request, done)
    return redirect("evaluation-workspace", reference=tender.reference)


# --- Bidders --------------------------------------------------------------------------------


@login_required
@require_safe
def my_clarifications(request):
    rows = examination.my_clarifications(request.user)
    return render(request, "evaluation/clarifications.html",
                  {"rows": rows, "now": db_now()})  # fmt: skip


@login_required
@require_POST
def answer_clarification(request, reference: str, number: int):
    tender = tender_or_404(request, reference)
    text = request.POST.get("answer", "")
    answered = run_service(
        request,
        None,
        lambda: examination.answer_clarification(tender, number, actor=request.user, answer=text),
    )
    if answered:
        messages.success(request, _("Your answer is sent to the committee."))
    return redirect("my-clarifications")


@login_required
@require_POST
def file_complaint(request, reference: str):
    tender = tender_or_404(request, reference)
    if run_service(request, None, lambda: complaints.file_complaint(
        tender, actor=request.user, subject=request.POST.get("subject", ""),
        text=request.POST.get("text", ""), uploads=request.FILES.getlist("files"),
        to_review=request.POST.get("to_review") == "on",
    )):  # fmt: skip
        messages.success(request, _("Your complaint is filed and public."))
    return redirect("tender", reference=tender.reference)


@login_required
@require_POST
def complaint_step(request, reference: str, number: int, step: str):
    """The complainant escalates or withdraws; the review body decides."""
    tender = tender_or_404(request, reference)
    try:
        complaint = complaints.complaint_by_number(tender, number)
    except NotFound:
        raise Http404 from None
    if step == "escalate":
        action, done = (lambda: complaints.escalate(complaint, actor=request.user),
                        _("The complaint is with the review body."))  # fmt: skip
    elif step == "withdraw":
        action, done = (lambda: complaints.withdraw(complaint, actor=request.user),
                        _("The complaint is withdrawn."))  # fmt: skip
    elif step == "decide":
        action, done = (lambda: complaints.decide(
            complaint, actor=request.user, upheld=request.POST.get("upheld") == "yes",
            text=request.POST.get("text", ""), remedy=request.POST.get("remedy", ""),
            uploads=request.FILES.getlist("files"),
        ), _("The decision is published."))  # fmt: skip
    else:
        raise Http404
    if run_service(request, None, action):
        messages.success(request, done)
    if step == "decide":
        return redirect("reviews")
    return redirect("tender", reference=tender.reference)


@login_required
@require_POST
def ask_debrief(request, reference: str):
    tender = tender_or_404(request, reference)
    if run_service(request, None, lambda: award.request_debrief(
            tender, actor=request.user, question=request.POST.get("question", ""))):  # fmt: skip
        messages.success(request, _("Your request is sent; the agency must answer in time."))
    return redirect("tender", reference=tender.reference)


@login_required
@require_safe
def reviews(request):
    """The review body's queue: complaints escalated to it, and its past decisions."""
    if not has_role(request.user, Role.REVIEWER):
        raise HttpForbidden
    rows = Complaint.objects.filter(escalated_at__isnull=False).select_related(
        "tender", "complainant").prefetch_related("attachments").order_by("review_due")  # fmt: skip
    return render(request, "evaluation/reviews.html", {
        "open": [c for c in rows if c.status == ComplaintStatus.WITH_REVIEW],
        "closed": [c for c in rows if c.status != ComplaintStatus.WITH_REVIEW],
        "remedies": [r for r in Remedy.choices if r[0]], "now": db_now(),
    })  # fmt: skip


@login_required
@require_safe
def approvals(request):
    """An approver's reports awaiting approval, in the agencies where it approves."""
    if not has_role(request.user, Role.APPROVER):
        raise HttpForbidden
    rows = (
        Report.objects.filter(
            status=ReportStatus.SUBMITTED,
            tender__agency__memberships__user=request.user,
            tender__agency__memberships__role=Role.APPROVER,
            tender__agency__memberships__is_active=True,
        )
        .select_related("tender")
        .distinct()
        .order_by("submitted_at")
    )
    return render(request, "evaluation/approvals.html", {"rows": rows})


# --- Public ---------------------------------------------------------------------------------


RESULTS_PAGE = 50  # result lines per lot and page on the tender page


def outcome(tender, user, results_page=None, *, supplier: bool | None = None) -> dict:
    """What the public tender page shows after closing: the published evaluation, awards,
    complaints, contracts, and what the signed-in bidder may do. Before closing only
    complaints (about the documents) can exist. ``supplier``: whether ``user`` holds the
    supplier role, if the caller has asked already."""
    may_complain = has_role(user, Role.SUPPLIER) if supplier is None else supplier
    if tender.closing_seq is None:
        return {"complaints": complaints.complaints_of(tender), "may_complain": may_complain,
                "subjects": ComplaintSubject.choices}  # fmt: skip
    published = publication.public_evaluation(tender)
    lots_published = published["record"]["lots"] if published else []
    longest = max((len(lot["result"]) for lot in lots_published), default=0)
    page = Paginator(range(longest), RESULTS_PAGE).get_page(results_page)
    lots = _published_lines(tender, published, page) if published else []
    # Only a supplier's member can be a bidder's.
    organisation = award.bidder_organisation(tender, user) if may_complain else None
    mine = Complaint.objects.filter(tender=tender, complainant=organisation) if organisation else []
    return {
        "published": published,
        "lots": lots,
        "results_page": page,
        "awards": Award.objects.filter(tender=tender).select_related("lot", "supplier"),
        "complaints": complaints.complaints_of(tender),
        "contracts": contracts.contracts_of(tender),
        "is_bidder": organisation is not None,
        "my_complaints": {c.number for c in mine},
        "subjects": ComplaintSubject.choices,
        "may_complain": may_complain,
        "debriefs": award.debriefs_for(tender, user) if organisation else [],
    }


def _published_lines(tender, published: dict, page) -> list[dict]:
    """The result table per lot, one page of it (``page`` numbers the lines of every lot):
    each ranked or rejected bid with its supplier, evaluated and offered prices, adjustments,
    scores and the reasons of its failed checks."""
    start, end = page.start_index() - 1, page.end_index()
    shown = {lot["lot"]: lot["result"][max(start, 0) : end] for lot in published["record"]["lots"]}
    named = {r["bid"] for part in shown.values() for r in part}
    suppliers = {
        bid: {"code": code, "name_vi": name_vi, "name_en": name_en}
        for bid, code, name_vi, name_en in Bid.objects.filter(tender=tender, public_id__in=named)
        .values_list("public_id", "supplier__code", "supplier__name_vi", "supplier__name_en")
        .order_by()
    }
    supplier_link = row_link("supplier")  # once, not once a line
    labels = dict(examination.checks_for(tender))
    latest = {e["content"]["bid"]: e["content"] for e in published["examinations"]}
    lots = []
    for lot in published["record"]["lots"]:
        inputs = {b["bid"]: b for b in lot["bids"]}
        lines = []
        for r in shown[lot["lot"]]:
            content = latest.get(r["bid"], {})
            supplier = suppliers.get(uuid.UUID(r["bid"]))
            lines.append({
                **r, **_labels(r),
                "supplier": supplier,
                "supplier_link": supplier_link(supplier["code"]) if supplier else "",
                "price": inputs[r["bid"]]["price"],
                "offered": lot["offered"][r["bid"]],
                "adjustments": content.get("adjustments", {}).get(str(lot["lot"]), []),
                "technical": inputs[r["bid"]]["technical"],
                "fails": [{**c, "label": labels.get(c["check"], c["check"])}
                          for c in content.get("checks", []) if not c["passed"]],
                "flags": lot["abnormally_low"].get(r["bid"], []),
            })  # fmt: skip
        lots.append({"lot": lot["lot"], "lines": lines})
    return lots


@require_safe
def public_evaluation(request, reference: str):
    """The published evaluation: the engine's record re-run here, and every decision checked
    against the commitment the ledger got when it was made."""
    tender = tender_or_404(request, reference)
    published = publication.public_evaluation(tender)
    if published is None:
        raise Http404
    return render(request, "evaluation/public.html", {
        "tender": tender, "p": published, "checks": examination.checks_for(tender),
        "statuses": ReportStatus.choices,
    })  # fmt: skip


@require_safe
def supplier_page(request, code: str):
    organisation = Organisation.objects.filter(code=code, kind=OrganisationKind.SUPPLIER).first()
    if organisation is None:
        raise Http404
    awards = Award.objects.filter(supplier=organisation).select_related("tender", "lot")
    return render(request, "evaluation/supplier.html", {
        "supplier": organisation,
        "awards": awards.order_by("-date"),
        "contracts": Contract.objects.filter(supplier=organisation).select_related("tender")
        .order_by("-signed_on"),
        "bids": Bid.objects.filter(supplier=organisation, tender__opened_at__isnull=False)
        .exclude(status="withdrawn").count(),
    })  # fmt: skip
