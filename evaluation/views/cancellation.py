"""Cancellation pages: an officer cancels, or after the opening proposes, and an approver of the
agency decides (four eyes). Errors re-render the officer's tender page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evaluation.services import cancellation as cancelling
from procurement.exceptions import NotFound
from procurement.models import Role
from procurement.permissions import has_role
from procurement.views.forms import run_service
from tenders import selectors
from tenders.forms import (
    CancelForm,
    CancellationDecisionForm,
)
from tenders.models import CancellationStatus
from tenders.views.workspace import manage_post


@require_POST
@login_required
def cancel(request, reference: str):
    return manage_post(
        request,
        reference,
        CancelForm,
        "cancel_form",
        lambda tender, form: cancelling.cancel_tender(
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
    return manage_post(
        request,
        reference,
        CancelForm,
        "propose_form",
        lambda tender, form: cancelling.propose_cancellation(
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
            action = lambda: cancelling.approve_cancellation(proposal, actor=request.user)  # noqa: E731
            done = _("The tender is cancelled.")
        else:
            action = lambda: cancelling.reject_cancellation(  # noqa: E731
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
