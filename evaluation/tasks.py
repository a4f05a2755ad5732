"""Beat scans and worker jobs of closing, opening and the evaluation's deadlines. Tasks take
ids, call one service, and are safe to run twice. The deadline itself is enforced at submission,
in the database transaction; closing only moves tenders past their deadline to "closed"."""

from celery import shared_task
from django.db.models import Count, F, Q

from evaluation.services import award, closing, complaints, examination, opening
from procurement.clock import db_now
from tenders.models import RosterSeat, Tender, TenderStatus


@shared_task(name="evaluation.tasks.close_due_tenders")
def close_due_tenders() -> int:
    closed = 0
    for pk in list(closing.due_for_closing(db_now())[:500]):
        closed += closing.close_tender(Tender(pk=pk))
    return closed


@shared_task(name="evaluation.tasks.open_tender")
def open_tender(tender_pk: int) -> bool:
    return opening.open_tender(Tender(pk=tender_pk))


@shared_task(name="evaluation.tasks.open_ready_tenders")
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


@shared_task(name="evaluation.tasks.check_late_release")
def check_late_release(seat_pk: int) -> bool:
    seat = RosterSeat.objects.select_related("tender", "custodian").get(pk=seat_pk)
    return opening.check_late_release(seat)


@shared_task(name="evaluation.tasks.track_deadlines")
def track_deadlines() -> int:
    return (
        examination.expire_clarifications()
        + complaints.track_missed()
        + award.track_missed_debriefs()
    )
