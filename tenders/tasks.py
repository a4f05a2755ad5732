"""Periodic scans of the tender lifecycle. The deadline itself is enforced at submission, in
the database transaction; this only moves tenders past their deadline to "closed"."""

from celery import shared_task

from procurement.clock import db_now
from tenders import services
from tenders.models import Tender


@shared_task(name="tenders.tasks.close_due_tenders")
def close_due_tenders() -> int:
    closed = 0
    for pk in list(services.due_for_closing(db_now())[:500]):
        closed += services.close_tender(Tender(pk=pk))
    return closed
