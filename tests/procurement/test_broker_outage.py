"""A broker outage never fails the request that queues a task: the publish is logged and
dropped (issue 10 §6), and the periodic scans find the work again."""

from __future__ import annotations

import time

from celery import Celery

from procurement import tasks
from procurement.celery import OutageTolerantTask

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
    with caplog.at_level("WARNING", logger="procurement.celery"):
        assert noop.delay([1, 2]) is None
    assert time.monotonic() - started < 10
    (record,) = [r for r in caplog.records if r.name == "procurement.celery"]
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
    assert not [r for r in caplog.records if r.name == "procurement.celery"]
