"""Portal pages for the evaluation committee: the officer appoints members; a member sees its
tenders, declares against the bidders, and then reaches the opened documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bidders.models import Bid, BidStatus
from evaluation.models import CommitteeMember, Declaration
from evaluation.services import committee as services
from procurement.exceptions import NotFound
from procurement.models import Membership, Role, User
from procurement.permissions import has_role
from procurement.views.forms import run_service
from tenders import selectors


def tender_or_404(request, reference):
    """The tender for a portal page of this app; 404 when missing or not visible."""
    try:
        return selectors.tender_by_reference(request.user, reference)
    except NotFound:
        raise Http404 from None


@login_required
@require_safe
def committee(request, reference: str):
    """The officer's page for a tender's committee."""
    tender = tender_or_404(request, reference)
    if not has_role(request.user, Role.OFFICER, tender.agency):
        raise HttpForbidden
    members = services.committee_for(tender, request.user)
    seated = set(members.values_list("user_id", flat=True))
    candidates = (
        Membership.objects.filter(role=Role.EVALUATOR, is_active=True)
        .exclude(user_id__in=seated)
        .select_related("user", "organisation")
        .order_by("organisation__code", "user__username")
    )
    return render(
        request,
        "evaluation/committee.html",
        {"tender": tender, "members": members, "candidates": candidates},
    )


@login_required
@require_POST
def appoint(request, reference: str):
    tender = tender_or_404(request, reference)
    user = User.objects.filter(public_id=request.POST.get("user") or None).first()
    if user is None:
        messages.error(request, _("Choose a person to appoint."))
    elif run_service(
        request,
        None,
        lambda: services.appoint(
            tender, actor=request.user, user=user, expert=request.POST.get("expert") == "on"
        ),
    ):
        messages.success(request, _("The member is appointed."))
    return redirect("committee", reference=tender.reference)


@login_required
@require_safe
def my_evaluations(request):
    """A member's tenders: the declaration to make, then the opened documents."""
    places = []
    for member in CommitteeMember.objects.filter(user=request.user).select_related("tender"):
        tender = member.tender
        documents = []
        if member.may_see_documents:
            documents = Bid.objects.filter(tender=tender, status=BidStatus.OPENED).select_related(
                "supplier"
            )
        places.append(
            {
                "member": member,
                "tender": tender,
                "bidders": services.bidders_of(tender) if tender.closing_seq is not None else [],
                "documents": documents,
            }
        )
    return render(
        request, "evaluation/mine.html", {"places": places, "pending": Declaration.PENDING}
    )


@login_required
@require_POST
def declare(request, reference: str):
    tender = tender_or_404(request, reference)
    conflict = request.POST.get("conflict")
    if conflict not in ("yes", "no"):
        messages.error(request, _("Say whether you have a conflict of interest."))
    elif run_service(
        request,
        None,
        lambda: services.declare(
            tender,
            actor=request.user,
            conflict=conflict == "yes",
            statement=request.POST.get("statement", ""),
        ),  # fmt: skip
    ):
        messages.success(request, _("Your declaration is recorded."))
    return redirect("my-evaluations")
