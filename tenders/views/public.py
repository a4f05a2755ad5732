"""Public pages of tenders: search, the agency page and asking a question. The public tender
page itself reads every phase, so it is the shell's (``api.site.views``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from procurement.exceptions import NotFound
from procurement.models import Organisation, OrganisationKind
from procurement.paging import CappedPaginator
from procurement.views.forms import run_service
from tenders import selectors, services
from tenders.filters import TenderFilter
from tenders.forms import (
    QuestionForm,
)
from tenders.models import Tender, TenderStatus

PAGE_SIZE = 25


def tender_or_404(request, reference: str) -> Tender:
    try:
        return selectors.tender_by_reference(request.user, reference)
    except NotFound:
        raise Http404 from None


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
        {"filter": results, "page": page, "query": query.urlencode()},
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


@require_POST
@login_required
def ask(request, reference: str):
    tender = tender_or_404(request, reference)
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
