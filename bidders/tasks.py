"""Opening jobs. The opening runs on a worker, never in a web request."""

from celery import shared_task
from django.db.models import Count, F, Q

from bidders import opening
from tenders.models import Tender, TenderStatus


@shared_task(name="bidders.tasks.open_tender")
def open_tender(tender_pk: int) -> bool:
    return opening.open_tender(Tender(pk=tender_pk))


@shared_task(name="bidders.tasks.open_ready_tenders")
def open_ready_tenders() -> int:
    """Beat scan: closed tenders with k released keys (catches a missed trigger)."""
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
