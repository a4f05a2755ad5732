"""A broker outage never fails the request that queues a task: the publish is logged and
dropped (issue 10 §6), and the periodic scans find the work again."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery import Celery
from django.core import mail
from django.db import transaction

from api.site.celery import OutageTolerantTask
from procurement import notifications, tasks
from procurement.clock import db_now
from procurement.models import Notification

CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_the_platforms_tasks_tolerate_an_outage():
    assert isinstance(tasks.send_notification_emails._get_current_object(), OutageTolerantTask)
    assert isinstance(tasks.make_checkpoint._get_current_object(), OutageTolerantTask)


def test_queueing_with_the_broker_down_is_logged_not_raised(caplog, monkeypatch):
    # Celery prefers CELERY_BROKER_URL from the environment (CI sets it) to the argument.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    app = Celery("outage", broker=CLOSED_PORT, task_cls=OutageTolerantTask)
    app.conf.task_always_eager = False

    @app.task(name="outage.noop")
    def noop(ids):
        return ids

    started = time.monotonic()
    with caplog.at_level("WARNING", logger="api.site.celery"):
        assert noop.delay([1, 2]) is None
    assert time.monotonic() - started < 10
    (record,) = [r for r in caplog.records if r.name == "api.site.celery"]
    assert "task outage.noop not queued" in record.getMessage()


def test_with_the_broker_up_the_task_is_published(caplog, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    app = Celery("memory", broker="memory://", task_cls=OutageTolerantTask)
    app.conf.task_always_eager = False

    @app.task(name="outage.noop")
    def noop(ids):
        return ids

    result = noop.delay([3])
    assert result is not None and result.id
    assert not [r for r in caplog.records if r.name == "api.site.celery"]


@pytest.mark.django_db
def test_emails_whose_queuing_was_lost_are_sent_by_the_beat(make_user):
    """The notification is in the database (the portal shows it); its e-mail task was lost
    with the broker. The beat's scan sends it once, and only once."""
    reader = make_user(email="doc@example.vn")
    with transaction.atomic():
        (note,) = notifications.notify([reader], "report_submitted", {"tender": "MB-2026-1"})
    fresh = tasks.send_pending_notification_emails.apply().get()
    assert fresh == 0 and mail.outbox == []  # its own task may still be on its way
    Notification.objects.filter(pk=note.pk).update(created_at=db_now() - dt.timedelta(minutes=10))
    assert tasks.send_pending_notification_emails.apply().get() == 1
    assert [m.to for m in mail.outbox] == [["doc@example.vn"]]
    assert tasks.send_pending_notification_emails.apply().get() == 0
