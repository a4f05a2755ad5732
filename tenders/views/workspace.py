"""The officer's workspace: drafting, the custodian roster, publication, amendments, documents and
answers. Views collect input and call one service; domain errors come back as form errors or
messages, never half-done work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from procurement.clock import db_now
from procurement.exceptions import NotFound
from procurement.models import Role
from procurement.permissions import has_role, organisations_with_role
from procurement.views.forms import run_service
from tenders import selectors, services
from tenders.forms import (
    AmendForm,
    AnswerForm,
    CancelForm,
    DocumentForm,
    RosterForm,
    TenderForm,
)
from tenders.models import FOUR_EYES_CANCELLATION, CancellationStatus, Tender, TenderStatus
from tenders.services import custody
from tenders.views.public import PAGE_SIZE, tender_or_404


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
    data["invited_suppliers"] = "\n".join(services.invited_suppliers(tender))
    return data


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit(request, reference: str):
    tender = tender_or_404(request, reference)
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
    tender = tender_or_404(request, reference)
    if not has_role(request.user, Role.OFFICER, tender.agency):
        raise HttpForbidden
    return render(request, "workspace/tender_manage.html", manage_context(tender))


def manage_context(tender: Tender, **forms) -> dict:
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


def manage_post(request, reference, form_class, key, action, success, **form_kwargs):
    tender = tender_or_404(request, reference)
    if form_kwargs.pop("with_tender", False):
        form_kwargs["tender"] = tender
    form = form_class(request.POST, request.FILES, **form_kwargs)
    if form.is_valid() and run_service(request, form, lambda: action(tender, form)):
        messages.success(request, success)
        return redirect("workspace-tender", reference=tender.reference)
    tender.refresh_from_db()
    return render(
        request, "workspace/tender_manage.html", manage_context(tender, **{key: form}), status=400
    )


@require_POST
@login_required
def roster(request, reference: str):
    tender = tender_or_404(request, reference)
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
        manage_context(tender, roster_form=form),
        status=400,
    )


@require_POST
@login_required
def publish(request, reference: str):
    tender = tender_or_404(request, reference)
    if run_service(request, None, lambda: services.publish_tender(tender, actor=request.user)):
        messages.success(request, _("The tender is published."))
    return redirect("workspace-tender", reference=tender.reference)


@require_POST
@login_required
def amend(request, reference: str):
    return manage_post(
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
    return manage_post(
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
