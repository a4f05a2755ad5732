"""On PostgreSQL, submissions hold the tender under a shared lock: they never wait for each
other, while a writer of the tender row (the closing, an amendment) waits for every one in
flight, so the closing's bid set holds every bid whose transaction held the tender open."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from tenders.services.lifecycle import hold_tender, lock_tender

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: row locks exist only there"
    ),
    pytest.mark.django_db(transaction=True),
]


def in_other_connection(work) -> str:
    """Run ``work`` in a thread (its own connection) with a short lock timeout; its outcome."""
    outcome: list[str] = []

    def run() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                work()
            outcome.append("done")
        except OperationalError as exc:
            outcome.append("waited" if "lock timeout" in str(exc) else repr(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return outcome[0]


def test_submissions_share_the_tender_and_the_closing_waits_for_them(make_tender):
    tender = make_tender(publish=True)
    with transaction.atomic():
        held = hold_tender(tender)  # a submission in flight
        assert held.status == "published" and held.submission_deadline > held.now
        # Another submission goes ahead at once...
        assert in_other_connection(lambda: hold_tender(tender)) == "done"
        # ...but the closing (or an amendment) waits until the first has committed.
        assert in_other_connection(lambda: lock_tender(tender)) == "waited"
    assert in_other_connection(lambda: lock_tender(tender)) == "done"


def test_a_submission_waits_for_a_writer_of_the_tender(make_tender):
    tender = make_tender(publish=True)
    with transaction.atomic():
        lock_tender(tender)  # the closing, holding the row
        assert in_other_connection(lambda: hold_tender(tender)) == "waited"
