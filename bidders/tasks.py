"""Opening jobs. The opening runs on a worker, never in a web request."""

from celery import shared_task
from django.db.models import Count, F, Q

from bidders import janitor, opening
from tenders.models import RosterSeat, Tender, TenderStatus


@shared_task(name="bidders.tasks.open_tender")
def open_tender(tender_pk: int) -> bool:
    return opening.open_tender(Tender(pk=tender_pk))


@shared_task(name="bidders.tasks.open_ready_tenders")
def open_ready_tenders() -> int:
    """Beat scan: closed tenders with k released keys (catches a missed trigger, a release
    window that has ended, and bids whose storage failed on an earlier try)."""
    opened = 0
    released = Count("roster", filter=Q(roster__released_at__isnull=False))
    ready = (
        Tender.objects.filter(status=TenderStatus.CLOSED)
        .annotate(released=released)
        .filter(released__gte=F("threshold"))
        .only("pk")
    )
    for tender in ready[:200]:
        opened += opening.open_tender(tender)
    return opened


@shared_task(name="bidders.tasks.check_late_release")
def check_late_release(seat_pk: int) -> bool:
    seat = RosterSeat.objects.select_related("tender", "custodian").get(pk=seat_pk)
    return opening.check_late_release(seat)


@shared_task(name="bidders.tasks.reconcile_sealed_storage")
def reconcile_sealed_storage() -> dict:
    return janitor.reconcile()
