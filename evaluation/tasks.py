"""Beat: deadlines of the evaluation and after (clarifications, debriefings, complaints)."""

from celery import shared_task

from evaluation import award, complaints, examination


@shared_task(name="evaluation.tasks.track_deadlines")
def track_deadlines() -> int:
    return (
        examination.expire_clarifications()
        + complaints.track_missed()
        + award.track_missed_debriefs()
    )
