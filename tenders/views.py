"""Portal pages for tenders: search, the public tender page and agency page, and the officer
workspace. Views collect input and call one service; domain errors come back as form errors or
messages, never half-done work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bidders import selectors as bid_selectors
from evaluation import web as evaluation_web
from evaluation.examination import conflicted
from evaluation.services import member_of
from procurement import ledger
from procurement.clock import db_now
from procurement.exceptions import NotFound
from procurement.models import LedgerEntry, Organisation, OrganisationKind, Role
from procurement.paging import CappedPaginator
from procurement.permissions import has_role, organisations_with_role
from procurement.web import run_service
from tenders import classification, custody, selectors, services
from tenders.filters import TenderFilter
from tenders.forms import (
    AmendForm,
    AnswerForm,
    CancelForm,
    CancellationDecisionForm,
    DocumentForm,
    QuestionForm,
    RosterForm,
    TenderForm,
)
from tenders.models import FOUR_EYES_CANCELLATION, CancellationStatus, Tender, TenderStatus

PAGE_SIZE = 25


def _tender_or_404(request, reference: str) -> Tender:
    try:
        return selectors.tender_by_reference(request.user, reference)
    except NotFound:
        raise Http404 from None


# --- Public ---------------------------------------------------------------------------------


@require_safe
def search(request):
    base = selectors.visible_tenders(None)
    results = TenderFilter(request.GET, queryset=base.order_by("-published_at", "-pk"))
    rows = results.qs if results.is_valid() else base.none()
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tenders/search.html",
        {"filter": results, "page": page, "query": query.urlencode(), "now": db_now()},
    )


EXTRA_CHANGE_LABELS = {
    "documents": gettext_lazy("documents"),
    "clarification": gettext_lazy("clarification"),
}


def change_label(name: str) -> str:
    """The translated name of an amended field, for the public amendment history."""
    if name in EXTRA_CHANGE_LABELS:
        return str(EXTRA_CHANGE_LABELS[name])
    try:
        return str(Tender._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def amendment_rows(tender: Tender) -> list[dict]:
    return [
        {
            "amendment": a,
            "changes": [
                (change_label(n), c.get("old"), c.get("new")) for n, c in a.changes.items()
            ],
        }
        for a in tender.amendments.all()
    ]


# The tender page lists the latest ledger entries; the ledger page has them all.
PAGE_ENTRIES = 100


@require_safe
def detail(request, reference: str):
    tender = _tender_or_404(request, reference)
    now = db_now()
    code = classification.lookup(tender.classification_scheme, tender.classification_code)
    return render(
        request,
        "tenders/detail.html",
        {
            "tender": tender,
            "now": now,
            "classification": code.label(get_language()) if code else "",
            "lots": tender.lots.prefetch_related("items"),
            "documents": tender.documents.select_related("superseded_by"),
            "amendments": amendment_rows(tender),
            "questions": selectors.public_questions(tender),
            "entries": ledger.entries_for_subject(tender.ledger_subject, now, latest=PAGE_ENTRIES),
            "entries_total": ledger.unsealed(
                LedgerEntry.objects.filter(subject=tender.ledger_subject), now
            ).count(),
            "can_ask": tender.accepts_questions_at(now) and has_role(request.user, Role.SUPPLIER),
            "question_form": QuestionForm(),
            "is_officer": has_role(request.user, Role.OFFICER, tender.agency),
            "seats": tender.roster.select_related("custodian__organisation").order_by("index"),
            "opening": bid_selectors.public_opening(tender),
            "can_bid": tender.is_open_at(now) and has_role(request.user, Role.SUPPLIER),
            "outcome": evaluation_web.outcome(tender, request.user),
            "can_follow_evaluation": tender.closing_seq is not None
            and not conflicted(tender, request.user)
            and (
                has_role(request.user, Role.OFFICER, tender.agency)
                or has_role(request.user, Role.APPROVER, tender.agency)
                or has_role(request.user, Role.AUDITOR)
                or member_of(tender, request.user) is not None
            ),
        },
    )


@require_POST
@login_required
def ask(request, reference: str):
    tender = _tender_or_404(request, reference)
    form = QuestionForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.ask_question(tender, actor=request.user, text=form.cleaned_data["text"]),
    ):
        messages.success(request, _("Your question was sent. The answer will be public."))
    elif form.errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("tender", reference=tender.reference)


@require_safe
def agency(request, code: str):
    try:
        organisation = Organisation.objects.get(code=code, kind=OrganisationKind.AGENCY)
    except Organisation.DoesNotExist:
        raise Http404 from None
    tenders = selectors.visible_tenders(None).filter(agency=organisation)
    figures = tenders.aggregate(
        count=Count("id"),
        open=Count("id", filter=Q(status=TenderStatus.PUBLISHED)),
        value=Sum("estimated_value", filter=Q(currency="VND")),
    )
    page = Paginator(tenders.order_by("-published_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "tenders/agency.html", {"agency": organisation, "figures": figures, "page": page}
    )


# --- Officer workspace ----------------------------------------------------------------------


def _officer_agencies(request):
    agencies = organisations_with_role(request.user, Role.OFFICER)
    if not agencies.exists():
        raise HttpForbidden(_("The workspace is for procurement officers."))
    return agencies


@require_safe
@login_required
def workspace(request):
    _officer_agencies(request)
    rows = selectors.officer_tenders(request.user).order_by("status", "-created_at")
    wanted = request.GET.get("status")
    if wanted in TenderStatus.values:
        rows = rows.filter(status=wanted)
    counts = dict(
        selectors.officer_tenders(request.user)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = [(s.value, s.label, counts.get(s.value, 0)) for s in TenderStatus]
    return render(
        request,
        "workspace/index.html",
        {"page": page, "statuses": statuses, "wanted": wanted},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def create(request):
    agencies = list(_officer_agencies(request))
    form = TenderForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        chosen = next(a for a in agencies if a.code == form.cleaned_data["agency"])
        tender = run_service(
            request,
            form,
            lambda: services.create_tender(chosen, actor=request.user, **form.service_arguments()),
        )
        if tender:
            messages.success(request, _("Draft saved. Check it, then publish it."))
            return redirect("workspace-tender", reference=tender.reference)
    return render(request, "workspace/tender_form.html", {"form": form, "tender": None})


def _initial(tender: Tender) -> dict:
    lots = list(tender.lots.prefetch_related("items"))
    data = {name: getattr(tender, name) for name in services.DRAFT_FIELDS}
    data.update(agency=tender.agency.code, regime=tender.regime)
    lines = []
    for n, lot in enumerate(lots):
        if n == 0:
            data["lot_title"] = lot.title
        else:
            lines.append(f"# {lot.title}")
        lines.extend(
            f"{i.description}; {i.quantity.normalize():f}; {i.unit}; {i.classification_code}"
            for i in lot.items.all()
        )
    data["items"] = "\n".join(lines)
    return data


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit(request, reference: str):
    tender = _tender_or_404(request, reference)
    if not has_role(request.user, Role.OFFICER, tender.agency):
        raise HttpForbidden
    form = TenderForm(request.POST or None, initial=_initial(tender), agencies=[tender.agency])
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        if run_service(
            request, form, lambda: services.update_draft(tender, actor=request.user, **arguments)
        ):
            messages.success(request, _("Draft saved."))
            return redirect("workspace-tender", reference=tender.reference)
    return render(request, "workspace/tender_form.html", {"form": form, "tender": tender})


@require_safe
@login_required
def manage(request, reference: str):
    tender = _tender_or_404(request, reference)
    if not has_role(request.user, Role.OFFICER, tender.agency):
        raise HttpForbidden
    return render(request, "workspace/tender_manage.html", _manage_context(tender))


def _manage_context(tender: Tender, **forms) -> dict:
    return {
        "tender": tender,
        "roster_form": forms.get("roster_form") or RosterForm(tender=tender),
        "seats": tender.roster.select_related("custodian__organisation").order_by("index"),
        "now": db_now(),
        "amend_form": forms.get("amend_form") or AmendForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(tender=tender),
        "propose_form": forms.get("propose_form") or CancelForm(tender=tender, proposal=True),
        "four_eyes": tender.status in FOUR_EYES_CANCELLATION,
        "cancellations": tender.cancellations.all(),
        "pending_cancellation": tender.cancellations.filter(
            status=CancellationStatus.PROPOSED
        ).first(),
        "answer_form": AnswerForm(),
        "questions": tender.questions.all(),
        "documents": tender.documents.select_related("superseded_by"),
        "amendments": tender.amendments.all(),
    }


def _manage_post(request, reference, form_class, key, action, success, **form_kwargs):
    tender = _tender_or_404(request, reference)
    if form_kwargs.pop("with_tender", False):
        form_kwargs["tender"] = tender
    form = form_class(request.POST, request.FILES, **form_kwargs)
    if form.is_valid() and run_service(request, form, lambda: action(tender, form)):
        messages.success(request, success)
        return redirect("workspace-tender", reference=tender.reference)
    tender.refresh_from_db()
    return render(
        request, "workspace/tender_manage.html", _manage_context(tender, **{key: form}), status=400
    )


@require_POST
@login_required
def roster(request, reference: str):
    tender = _tender_or_404(request, reference)
    form = RosterForm(request.POST, tender=tender)
    # Keep the order custodians were listed in (the roster's places follow it).
    if form.is_valid() and run_service(
        request,
        form,
        lambda: custody.set_roster(
            tender,
            actor=request.user,
            custodians=form.cleaned_data["custodians"],
            threshold=form.cleaned_data["threshold"],
        ),
    ):
        messages.success(
            request, _("The roster is set. Each custodian must now give its key statement.")
        )
        return redirect("workspace-tender", reference=tender.reference)
    tender.refresh_from_db()
    return render(
        request,
        "workspace/tender_manage.html",
        _manage_context(tender, roster_form=form),
        status=400,
    )


@require_POST
@login_required
def publish(request, reference: str):
    tender = _tender_or_404(request, reference)
    if run_service(request, None, lambda: services.publish_tender(tender, actor=request.user)):
        messages.success(request, _("The tender is published."))
    return redirect("workspace-tender", reference=tender.reference)


@require_POST
@login_required
def amend(request, reference: str):
    return _manage_post(
        request,
        reference,
        AmendForm,
        "amend_form",
        lambda tender, form: services.amend_tender(
            tender,
            actor=request.user,
            rationale=form.cleaned_data["rationale"],
            **form.changes(),
        ),
        _("The amendment is published."),
    )


@require_POST
@login_required
def upload(request, reference: str):
    return _manage_post(
        request,
        reference,
        DocumentForm,
        "document_form",
        lambda tender, form: services.add_document(
            tender,
            actor=request.user,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            rationale=form.cleaned_data["rationale"],
        ),
        _("The document is attached."),
    )


@require_POST
@login_required
def cancel(request, reference: str):
    return _manage_post(
        request,
        reference,
        CancelForm,
        "cancel_form",
        lambda tender, form: services.cancel_tender(
            tender,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            ground=form.cleaned_data["ground"],
        ),
        _("The tender is cancelled."),
        with_tender=True,
    )


@require_POST
@login_required
def propose_cancellation(request, reference: str):
    return _manage_post(
        request,
        reference,
        CancelForm,
        "propose_form",
        lambda tender, form: services.propose_cancellation(
            tender,
            actor=request.user,
            ground=form.cleaned_data["ground"],
            reason=form.cleaned_data["reason"],
        ),
        _("The cancellation is proposed. An approver of the agency decides."),
        with_tender=True,
        proposal=True,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def cancellation(request, reference: str, number: int):
    """A cancellation proposal: its officers read it; an approver of the agency who did not
    propose it approves or rejects it here."""
    try:
        proposal = selectors.cancellation_of(request.user, reference, number)
    except NotFound:
        raise Http404 from None
    tender = proposal.tender
    is_approver = has_role(request.user, Role.APPROVER, tender.agency)
    if not (is_approver or has_role(request.user, Role.OFFICER, tender.agency)):
        raise HttpForbidden
    form = CancellationDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["decision"] == "approve":
            action = lambda: services.approve_cancellation(proposal, actor=request.user)  # noqa: E731
            done = _("The tender is cancelled.")
        else:
            action = lambda: services.reject_cancellation(  # noqa: E731
                proposal, actor=request.user, reason=form.cleaned_data["reason"]
            )
            done = _("The cancellation is rejected; the tender goes on.")
        if run_service(request, form, action):
            messages.success(request, done)
            return redirect("workspace-cancellation", reference=reference, number=number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "workspace/cancellation.html",
        {
            "proposal": proposal,
            "tender": tender,
            "ground": tender.regime.ground_label(proposal.ground, get_language()),
            "form": form,
            "may_decide": is_approver
            and proposal.proposed_by_id != request.user.pk
            and proposal.status == CancellationStatus.PROPOSED,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def cancellations(request):
    """The approver's queue: cancellation proposals awaiting a decision in its agencies."""
    if not has_role(request.user, Role.APPROVER):
        raise HttpForbidden
    return render(
        request,
        "workspace/cancellations.html",
        {"rows": selectors.pending_cancellations(request.user)},
    )


@require_POST
@login_required
def answer(request, reference: str, number: int):
    try:
        question = selectors.question_of(request.user, reference, number)
    except NotFound:
        raise Http404 from None
    form = AnswerForm(request.POST)
    if form.is_valid() and run_service(
        request,
        None,
        lambda: services.answer_question(
            question, actor=request.user, answer=form.cleaned_data["answer"]
        ),
    ):
        messages.success(request, _("The answer is published to everybody."))
    elif not form.is_valid():
        messages.error(request, _("Write an answer."))
    return redirect("workspace-tender", reference=reference)
