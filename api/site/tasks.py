"""The shell's periodic job: the embedded default's demo custodians."""

from celery import shared_task

from api.site import demo_custodians


@shared_task(name="api.site.tasks.run_demo_custodians")
def run_demo_custodians() -> int:
    """One round of each demo custodian agent."""
    return len(demo_custodians.run_round())
