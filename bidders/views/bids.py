"""Portal pages for bids: sealing and submitting in the browser, the supplier's bids and
receipts, withdrawal, the custodian's places, and the public receipt check."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bidders.models import BidStatus
from bidders.selectors import may_bid
from bidders.services import submission
from procurement import code_release, workdays
from procurement.clock import db_now
from procurement.crypto import signednote
from procurement.crypto.verifier import Report, check_receipt
from procurement.exceptions import NotFound
from procurement.keys import ledger_verifier_key, receipt_verifier_key
from procurement.models import Role
from procurement.permissions import has_role, organisations_with_role
from procurement.views.forms import run_service
from tenders import selectors
from tenders.methods import admits
from tenders.models import TenderStatus
from tenders.services import custody


@never_cache
@login_required
@require_safe
def submit_page(request, reference: str):
    """The sealing page. Its only scripts are this platform's own (strict CSP): the bid is
    sealed here, in the browser, and only the envelope is uploaded."""
    try:
        tender = selectors.tender_by_reference(request.user, reference)
    except NotFound:
        raise Http404 from None
    if not has_role(request.user, Role.SUPPLIER):
        raise HttpForbidden(_("Only a supplier's representative can submit a bid."))
    today = workdays.local_date(db_now())
    # The organisations this user may bid for here: approved, not debarred, and invited when
    # the tender's method invites (tenders.methods).
    bidders = [
        o
        for o in organisations_with_role(request.user, Role.SUPPLIER)
        if may_bid(o, today) and admits(tender, [o.pk])
    ]
    live = {
        b.supplier.code: str(b.public_id)
        for b in submission.bids_of(request.user).filter(tender=tender, status=BidStatus.SUBMITTED)
    }
    seats = tender.roster.select_related("custodian").order_by("index")
    keyset = {
        "tender": tender.reference,
        "deadline": custody.statement_deadline(tender),
        "threshold": tender.threshold,
        "keyset_hash": tender.keyset_hash,
        "roster": [
            {"custodian": s.custodian.code, "identity_key": s.custodian.public_key,
             "statement": s.statement, "signature": s.signature}
            for s in seats
        ],
    }  # fmt: skip
    return render(
        request,
        "bidders/submit.html",
        {
            "tender": tender,
            "open": tender.is_open_at(db_now()) and tender.status == TenderStatus.PUBLISHED,
            "bidders": bidders,
            "lots": tender.lots.all(),
            "code_release": code_release.latest(),
            "config": {
                "keyset": keyset,
                "currency": tender.currency,
                "live": live,
                "submit_url": f"/api/v1/tenders/{tender.reference}/bids/",
                "log_key": ledger_verifier_key(),
                "receipt_key": receipt_verifier_key(),
            },
        },
    )


@never_cache
@login_required
@require_safe
def my_bids(request):
    return render(
        request,
        "bidders/my_bids.html",
        {"bids": submission.bids_of(request.user).select_related("supersedes")[:200],
         "now": db_now()},
    )  # fmt: skip


@never_cache
@login_required
@require_safe
def receipt(request, bid_id, kind: str = "submission"):
    try:
        bid = submission.bid_for_supplier(request.user, bid_id)
    except NotFound:
        raise Http404 from None
    data = (
        bid.withdrawal_receipt if kind == "withdrawal" else submission.ensure_receipt(bid).receipt
    )
    if not data:
        raise Http404
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    name = f"receipt-{bid.tender.reference}-{kind}-{bid.public_id}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def withdraw(request, bid_id):
    try:
        bid = submission.bid_for_supplier(request.user, bid_id)
    except NotFound:
        raise Http404 from None
    if run_service(request, None, lambda: submission.withdraw_bid(bid, actor=request.user)):
        messages.success(request, _("Your bid is withdrawn. It will never be opened."))
    return redirect("my-bids")


@require_http_methods(["GET", "HEAD", "POST"])
def verify_receipt(request):
    """Check a receipt against the pinned log and receipt keys, here on the server. The same
    check runs offline with the downloadable verifier (``--receipt``)."""
    report, entry, error = None, None, ""
    text = request.POST.get("receipt", "") if request.method == "POST" else ""
    upload = request.FILES.get("file") if request.method == "POST" else None
    if upload is not None and upload.size <= 256 * 1024:
        text = upload.read().decode("utf-8", "replace")
    if text:
        try:
            data = json.loads(text)
            report = Report()
            check_receipt(
                data,
                signednote.parse_verifier_key(ledger_verifier_key()),
                None,
                report,
                signednote.parse_verifier_key(receipt_verifier_key()),
            )
            entry = json.loads(data["statement"] if data.get("v") == 2 else data["entry"])
        except (ValueError, KeyError, TypeError, AttributeError):
            error = _("This is not a Minh Bạch receipt (JSON with entry, checkpoint and proof).")
            report = None
    return render(
        request,
        "ledger/verify_receipt.html",
        {"report": report, "entry": entry, "error": error, "text": text[:20000],
         "log_key": ledger_verifier_key(), "receipt_key": receipt_verifier_key()},
    )  # fmt: skip


@never_cache
@login_required
@require_safe
def custody_seats(request):
    """A custodian's places: statements to give before publication, keys to release after
    closing (by the custodian agent; this page shows where each stands)."""
    seats = list(custody.seats_for(request.user))
    config = {
        "user": str(request.user.public_id),
        "identities": list(
            custody.active_identities().filter(user=request.user).values_list("code", flat=True)
        ),
        "seats": [
            {"tender": s.tender.reference, "deadline": custody.statement_deadline(s.tender),
             "index": s.index, "custodian": s.custodian.code, "closing_seq": s.tender.closing_seq}
            for s in seats
        ],
        "log_key": ledger_verifier_key(),
        "grace_seconds": settings.CUSTODIAN_GRACE_SECONDS,
    }  # fmt: skip
    return render(
        request,
        "bidders/custody.html",
        {
            "seats": seats,
            "now": db_now(),
            "config": config,
            "organisations": organisations_with_role(request.user, Role.CUSTODIAN),
        },
    )
