"""The sealed storage's periodic job."""

from celery import shared_task

from bidders.services import janitor


@shared_task(name="bidders.tasks.reconcile_sealed_storage")
def reconcile_sealed_storage() -> dict:
    return janitor.reconcile()
