"""Reads of the opening and of opened bids that depend on who asks: what anyone may see of a
tender's bids, and an opened bid's documents for its committee and auditors (404 for everyone
else, missing and forbidden alike)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from bidders.models import Bid, closing_set
from evaluation.models import Report, ReportStatus
from evaluation.services import committee as evaluation
from evaluation.services import opening
from procurement.exceptions import NotFound
from tenders.models import Tender, TenderStatus

OPENING_PAGE = 50  # bids per page of the opening record on the tender page


def public_opening(tender, *, with_ciphertexts: bool = False, page=None, seats=None) -> dict:
    """What anyone may see of a tender's bids: nothing before the deadline (not even their
    number); after closing, the bid set and which custodians have released; after opening,
    the full opening record with the price keys and price ciphertexts. ``page`` (a page
    number, for the tender page): only that page of OPENING_PAGE bids, with ``bid_page`` and
    ``bid_count``, each with what the page shows (opening.record_page); the JSON record always
    holds every bid. ``seats``: the tender's roster with
    its custodians, if the caller has read it already."""

    if seats is None:
        seats = list(tender.roster.select_related("custodian").order_by("index"))
    closed = tender.closing_seq is not None
    record = {
        "tender": tender.reference,
        "status": tender.status,
        "closing_seq": tender.closing_seq,
        "bid_set_root": tender.bid_set_root,
        "opened_at": tender.opened_at,
        "threshold": tender.threshold,
        "released": [s.custodian.code for s in seats if s.released_at],
        "waiting_for": [s.custodian.code for s in seats if closed and not s.released_at]
        if tender.status == TenderStatus.CLOSED
        else [],
        "bids": [],
    }
    if closed and page is not None:
        paged = Paginator(closing_set(tender).values_list("pk", flat=True), OPENING_PAGE)
        record["bid_page"] = paged.get_page(page)
        record["bid_count"] = paged.count
        record["bids"] = opening.record_page(record["bid_page"].object_list)
    elif closed:
        record["bids"] = opening.opening_record(tender, with_ciphertexts=with_ciphertexts)["bids"]
    if tender.opened_at is not None:
        record.update(opening.published_keys(tender))
    elif closed:
        record["release_window_ends"] = opening.release_window_end(tender)
    return record


def opened_documents(user, bid_id) -> opening.Documents:
    """An opened bid's documents: for the tender's committee members who declared no conflict,
    and for auditors; each access is in the ledger. 404 for everyone else."""
    try:
        bid = Bid.objects.select_related("tender__agency", "supplier").get(public_id=bid_id)
    except (Bid.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(_("No such bid.")) from None
    return evaluation.document_access(bid, user, opening.documents)


def approved_report(tender: Tender) -> Report | None:
    """The report whose result stands (none while a re-evaluation runs)."""
    return (
        Report.objects.filter(tender=tender, status=ReportStatus.APPROVED)
        .select_related("run")
        .order_by("-number")
        .first()
    )
