"""The Celery application. Workers start with ``celery -A api.site.celery worker``."""

import logging
import os

from celery import Celery, Task
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.site.settings")

logger = logging.getLogger(__name__)


class OutageTolerantTask(Task):
    """Queuing a task never fails the request that queues it: with the broker unreachable the
    publish is logged and dropped. Nothing is lost that matters: each task's work is also
    found by a periodic scan (closing, opening, deadlines) or waits in the database (unsent
    e-mails keep ``emailed_at`` empty; the notifications show in the portal)."""

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as exc:
            logger.warning("broker unavailable: task %s not queued (%s)", self.name, exc)
            return None


app = Celery("minhbach", task_cls=OutageTolerantTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
