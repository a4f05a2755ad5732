"""The shell's pages: the home page (what is open now, the ledger's size) and the public tender
page, which reads every phase (the tender, its questions, the opening, the outcome)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, prefetch_related_objects
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from evaluation import selectors as evaluation_selectors
from evaluation.services.committee import member_of
from evaluation.services.examination import conflicted
from evaluation.views import pages as evaluation_web
from procurement import ledger
from procurement.clock import db_now
from procurement.links import row_link
from procurement.models import Organisation, OrganisationKind, Role
from procurement.permissions import has_role, organisations_with_role
from tenders import classification, selectors
from tenders.forms import QuestionForm
from tenders.methods import RULES, admits
from tenders.models import Tender, TenderStatus
from tenders.views.public import amendment_rows, tender_or_404


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


# The tender page lists the latest ledger entries; the ledger page has them all.
PAGE_ENTRIES = 100


@require_safe
def tender_page(request, reference: str):
    tender = tender_or_404(request, reference)
    now = db_now()
    code = classification.lookup(tender.classification_scheme, tender.classification_code)
    supplier = has_role(request.user, Role.SUPPLIER)
    officer = has_role(request.user, Role.OFFICER, tender.agency)
    # Under restricted bidding or direct contracting only the invited suppliers take part.
    invites = RULES[tender.method].invites
    admitted = supplier and admits(
        tender, organisations_with_role(request.user, Role.SUPPLIER).values_list("pk", flat=True)
    )
    seats = list(tender.roster.select_related("custodian__organisation").order_by("index"))
    # The long tables (the latest ledger entries, a page of the opening record and of the
    # results) link every row: each pattern is reversed once, not once a row.
    entry_link = row_link("ledger-entry")
    latest, entries_total = ledger.latest_for_subject(tender.ledger_subject, now, PAGE_ENTRIES)
    entries = [
        {"seq": e.seq, "link": entry_link(e.seq), "kind": e.kind,
         "recorded_at": e.recorded_at and e.recorded_at.astimezone(dt.UTC).strftime(
             "%Y-%m-%d %H:%M:%S")}
        for e in latest
    ]  # fmt: skip
    opening = evaluation_selectors.public_opening(
        tender, page=request.GET.get("bids") or 1, seats=seats
    )
    for bid in opening["bids"]:
        bid["link"] = entry_link(bid["seq"])
    prefetch_related_objects([tender], "criteria")  # the notice and the result's check labels
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
            "entries": entries,
            "entries_total": entries_total,
            "can_ask": tender.accepts_questions_at(now) and admitted,
            "invites": invites,
            "invited": tender.invitations.select_related("supplier") if invites else (),
            "uninvited": supplier and not admitted,
            "question_form": QuestionForm(),
            "is_officer": officer,
            "seats": seats,
            "opening": opening,
            "can_bid": tender.is_open_at(now) and admitted,
            "outcome": evaluation_web.outcome(
                tender, request.user, results_page=request.GET.get("results"), supplier=supplier
            ),
            "can_follow_evaluation": tender.closing_seq is not None
            and not conflicted(tender, request.user)
            and (
                officer
                or has_role(request.user, Role.APPROVER, tender.agency)
                or has_role(request.user, Role.AUDITOR)
                or member_of(tender, request.user) is not None
            ),
        },
    )
