"""The home page: what is open now and the ledger's size."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from procurement import ledger
from procurement.clock import db_now
from procurement.models import Organisation, OrganisationKind
from tenders.models import Tender, TenderStatus


@require_safe
def home(request):
    counts = dict.fromkeys(OrganisationKind.values, 0)
    for row in Organisation.objects.values("kind").annotate(n=Count("id")).order_by():
        counts[row["kind"]] = row["n"]
    checkpoint = ledger.latest_checkpoint()
    now = db_now()
    open_now = Tender.objects.filter(status=TenderStatus.PUBLISHED, submission_deadline__gt=now)
    return render(
        request,
        "home.html",
        {
            "counts": counts,
            "checkpoint": checkpoint,
            "ledger_size": checkpoint.tree_size,
            "open_count": open_now.count(),
            "closing_soon": open_now.select_related("agency").order_by("submission_deadline")[:10],
        },
    )
