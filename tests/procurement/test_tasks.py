"""Celery: the beat schedule, eager tasks in the embedded default, and a real worker over the
configured broker (Redis in CI) writing to the test database."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from api.site.celery import app
from evaluation.services import closing, release
from procurement import ledger, tasks
from procurement.models import Checkpoint

ROOT = Path(__file__).resolve().parents[2]


def test_beat_schedule_has_the_ledger_cadence():
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-tick"]
    assert entry["task"] == "procurement.tasks.ledger_tick"
    assert entry["task"] in app.tasks
    assert 0 < entry["schedule"] <= 300


@pytest.mark.django_db
def test_each_tick_appends_one_sealed_batch_and_a_checkpoint(make_org, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    make_org()
    first = tasks.ledger_tick.apply().get()
    second = tasks.ledger_tick.apply().get()
    assert second == first + 1  # one entry per tick, even with nothing to seal
    assert ledger.latest_checkpoint().tree_size == second + 1


@pytest.mark.django_db
def test_checkpoint_task_is_idempotent(make_org, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    make_org()
    first = tasks.make_checkpoint.apply().get()
    again = tasks.make_checkpoint.apply().get()
    assert first == again == ledger.tree_size()
    assert Checkpoint.objects.count() == 1


def _broker_is_real() -> bool:
    return not settings.CELERY_BROKER_URL.startswith("memory://")


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextlib.contextmanager
def real_worker(**extra_env):
    """A Celery worker in its own process on its own queue, against this test's database."""
    if not _broker_is_real() or connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_CELERY_WORKER"):
            pytest.fail("REQUIRE_CELERY_WORKER is set but no broker or no PostgreSQL is configured")
        pytest.skip("needs CELERY_BROKER_URL and DATABASE_URL (PostgreSQL) to run a real worker")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "api.site.settings",
        **extra_env,
    }
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "api.site.celery", "worker",
            "--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-Q", queue, "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    result = {"queue": queue, "output": ""}
    try:
        yield result
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        result["output"] = output


def _wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_signs_a_checkpoint(make_org):
    make_org()
    with transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:worker", {}, actor=None)
    expected = ledger.tree_size()
    with real_worker() as worker:
        tasks.make_checkpoint.apply_async(queue=worker["queue"])
        signed = _wait(lambda: Checkpoint.objects.filter(tree_size=expected).exists())
    assert signed, worker["output"]
    assert "procurement.tasks.make_checkpoint" in worker["output"]
    assert "succeeded" in worker["output"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_opens_the_bids(make_drill_tender, make_bidder, custodians, settings):
    from bidders.models import Bid
    from bidders.services import submission
    from evaluation import tasks as evaluation_tasks
    from tests.bidders.sealing import price_sheet, seal_bid

    tender = make_drill_tender(seconds=2)
    user, org = make_bidder()
    body = seal_bid(tender, org.code, price=price_sheet(tender, "777000000"))
    submission.submit_bid(tender, actor=user, stream=io.BytesIO(body))
    time.sleep(2.1)
    assert closing.close_tender(tender)
    tender.refresh_from_db()
    for custodian in custodians[:2]:
        release.release_key(tender, actor=custodian.user, signed=custodian.release(tender))
    with real_worker(SEALED_ROOT=str(settings.SEALED_ROOT)) as worker:
        evaluation_tasks.open_tender.apply_async(args=[tender.pk], queue=worker["queue"])
        opened = _wait(lambda: Bid.objects.filter(tender=tender, status="opened").exists())
    assert opened, worker["output"]
    assert str(Bid.objects.get(tender=tender).price_total) == "777000000.00"
    assert "evaluation.tasks.open_tender" in worker["output"]
