"""Beat: catch the OCDS projection up with the ledger (after a crash between a commit and its
projection, or with the projector failing)."""

from celery import shared_task

from api.opendata import projector


@shared_task(name="api.opendata.tasks.project_open_data")
def project_open_data() -> int:
    return projector.project()
