"""Portal pages for suppliers: registration, the public debarment list, and the review queue
of platform administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bidders import selectors
from bidders.forms import DecisionForm, RegistrationForm
from bidders.models import Debarment, SupplierProfile, SupplierStatus
from bidders.services import registration as services
from procurement.exceptions import NotFound
from procurement.permissions import ADMIN, has_role
from procurement.views.forms import run_service


@require_http_methods(["GET", "HEAD", "POST"])
def register(request):
    form = RegistrationForm(request.POST or None)
    registered = (
        request.method == "POST"
        and form.is_valid()
        and run_service(request, form, lambda: services.register_supplier(**form.cleaned_data))
    )
    if registered:
        messages.success(
            request,
            _("Thank you. Your registration will be reviewed; you can sign in meanwhile."),
        )
        return redirect("login")
    return render(request, "bidders/register.html", {"form": form})


@require_safe
def debarments(request):
    today = timezone.localdate()
    rows = Debarment.objects.select_related("organisation").all()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "bidders/debarments.html",
        {"page": page, "today": today, "active": selectors.active_debarments(today).count()},
    )


def _require_admin(request) -> None:
    if not has_role(request.user, ADMIN):
        raise HttpForbidden(_("Only platform administrators review suppliers."))


@require_safe
@login_required
def review_queue(request):
    _require_admin(request)
    wanted = request.GET.get("status", SupplierStatus.PENDING)
    rows = SupplierProfile.objects.select_related("organisation").filter(status=wanted)
    return render(
        request,
        "bidders/review.html",
        {
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "statuses": SupplierStatus.choices,
            "wanted": wanted,
            "form": DecisionForm(),
        },
    )


@require_POST
@login_required
def decide(request, profile_id: int, decision: str):
    try:
        profile = selectors.profile_for_admin(request.user, profile_id)
    except NotFound:
        raise Http404 from None
    form = DecisionForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    action = {
        "approve": lambda: services.approve_supplier(profile, actor=request.user, note=text),
        "reject": lambda: services.reject_supplier(profile, actor=request.user, reason=text),
        "suspend": lambda: services.suspend_supplier(profile, actor=request.user, reason=text),
    }.get(decision)
    if action is None:
        raise Http404
    if run_service(request, None, action):
        messages.success(request, _("Decision recorded."))
    return redirect("supplier-review")
