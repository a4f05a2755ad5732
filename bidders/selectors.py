"""Reads about suppliers: who may act as a supplier now, and the public debarment list."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from bidders.models import Bid, Debarment, SupplierProfile, SupplierStatus
from procurement.exceptions import NotFound
from procurement.models import Organisation
from procurement.permissions import ADMIN, has_role


def active_debarments(day: dt.date) -> QuerySet[Debarment]:
    return Debarment.objects.select_related("organisation").filter(
        starts_on__lte=day, ends_on__gte=day
    )


def is_debarred(organisation: Organisation, day: dt.date) -> bool:
    return active_debarments(day).filter(organisation=organisation).exists()


def may_bid(organisation: Organisation, day: dt.date) -> bool:
    """Approved and not debarred on ``day``: the test submission applies."""
    debarred = active_debarments(day).filter(organisation=OuterRef("organisation"))
    return (
        SupplierProfile.objects.filter(organisation=organisation, status=SupplierStatus.APPROVED)
        .exclude(Exists(debarred))
        .exists()
    )


def profile_for_admin(user, profile_id: int) -> SupplierProfile:
    if not has_role(user, ADMIN):
        raise NotFound(_("No such supplier."))
    try:
        return SupplierProfile.objects.select_related("organisation", "registered_by").get(
            pk=profile_id
        )
    except SupplierProfile.DoesNotExist:
        raise NotFound(_("No such supplier.")) from None


def public_opening(tender, *, with_ciphertexts: bool = False) -> dict:
    """What anyone may see of a tender's bids: nothing before the deadline (not even their
    number); after closing, the bid set and which custodians have released; after opening,
    the full opening record with the price keys and price ciphertexts."""
    from bidders import opening  # noqa: PLC0415 - opening imports this module's neighbours
    from tenders import custody  # noqa: PLC0415
    from tenders.models import TenderStatus  # noqa: PLC0415

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
        "bids": opening.opening_record(tender, with_ciphertexts=with_ciphertexts)["bids"]
        if closed
        else [],
    }
    if tender.opened_at is not None:
        record.update(opening.published_keys(tender))
    elif closed:
        record["release_window_ends"] = custody.release_window_end(tender)
    return record


def opened_bid_for_evaluation(user, bid_id) -> Bid:
    """An opened bid's documents: for the tender's committee members who declared no conflict,
    and for auditors; each access is in the ledger. 404 for everyone else."""
    from evaluation import services as evaluation  # noqa: PLC0415 - evaluation builds on bids

    try:
        bid = Bid.objects.select_related("tender__agency", "supplier").get(public_id=bid_id)
    except (Bid.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(_("No such bid.")) from None
    return evaluation.document_access(bid, user)
