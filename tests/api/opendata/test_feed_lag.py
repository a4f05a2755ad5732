"""The OCDS release feed never skips while the projector lags behind the ledger.

Projection on commit is switched off (``LEDGER_PROJECTORS = []``), so releases appear only when
a test advances the projector. A client follows the feed as documented: ``?since=<ledger seq>``,
the ``next`` link while a page is full, then the ``X-Ledger-Projected`` watermark as its cursor.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from api.opendata import projector, views
from api.opendata.models import OcdsRelease
from procurement import ledger
from procurement.models import LedgerEntry
from tenders import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _projector_lags(settings):
    settings.LEDGER_PROJECTORS = []


def fetch(client, since: int) -> tuple[list[int], int, int]:
    """One page: the releases' ledger seqs, the client's next cursor, and the watermark."""
    response = client.get(reverse("ocds-feed"), {"since": since})
    assert response.status_code == 200
    package = response.json()
    seqs = [int(r["id"].rsplit("-", 1)[1]) for r in package["releases"]]
    watermark = int(response["X-Ledger-Projected"])
    following = package.get("links", {}).get("next")
    cursor = int(parse_qs(urlsplit(following).query)["since"][0]) if following else watermark
    return seqs, cursor, watermark


def poll(client, since: int) -> tuple[list[int], int]:
    seen: list[int] = []
    while True:
        seqs, cursor, watermark = fetch(client, since)
        assert all(since < s <= watermark for s in seqs), (since, seqs, watermark)
        seen += seqs
        if cursor == watermark:
            return seen, cursor
        since = cursor


def released() -> list[int]:
    return list(OcdsRelease.objects.order_by("ledger_seq").values_list("ledger_seq", flat=True))


def history(make_tender, officer, supplier) -> None:
    """Two tenders: one published, amended, asked and answered; the other published."""
    tender = make_tender(publish=True)
    services.amend_tender(tender, actor=officer, rationale="Gia hạn", bid_validity_days=150)
    question = services.ask_question(tender, actor=supplier, text="Bản vẽ thi công?")
    make_tender(publish=True)
    services.answer_question(question, actor=officer, answer="Đã đăng tải.")


def test_a_client_sees_every_release_in_order_one_projected_entry_at_a_time(
    client, make_tender, officer, supplier
):
    history(make_tender, officer, supplier)
    last = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    assert (released(), projector.watermark()) == ([], 0)
    assert fetch(client, -1) == ([], 0, 0)

    def project_and_peek(entry):
        # Inside the projector's transaction: the release is written, the watermark not yet.
        projector.project_entry(entry)
        assert fetch(client, -1)[0] == [s for s in released() if s < entry.seq]

    seen, cursor = [], -1
    for step in range(1, last + 1):
        assert ledger.advance_projection(projector.NAME, project_and_peek, batch=1) == 1
        assert projector.watermark() == step
        new, cursor = poll(client, cursor)
        seen += new
        assert seen == released() == sorted(set(seen))
    assert ledger.advance_projection(projector.NAME, project_and_peek, batch=1) == 0
    public = LedgerEntry.objects.filter(kind__in=projector.RELEASES).order_by("seq")
    assert seen == list(public.values_list("seq", flat=True)) and len(seen) == 4
    assert cursor == last


def test_an_entry_recorded_mid_poll_comes_in_a_later_poll(
    client, make_tender, officer, supplier, monkeypatch
):
    monkeypatch.setattr(views, "FEED_PAGE", 2)
    tender = make_tender(publish=True)
    services.amend_tender(tender, actor=officer, rationale="Gia hạn", bid_validity_days=150)
    question = services.ask_question(tender, actor=supplier, text="Bản vẽ thi công?")
    services.answer_question(question, actor=officer, answer="Đã đăng tải.")
    projector.project()
    first, cursor, _ = fetch(client, -1)
    assert len(first) == 2 and cursor == first[-1]

    # Mid-poll: one tender is published and projected, another is published while it lags.
    make_tender(publish=True)
    projector.project()
    lagging = make_tender(publish=True)
    rest, cursor = poll(client, cursor)
    assert first + rest == released() and len(rest) == 2
    assert cursor == projector.watermark() < lagging_seq(lagging)

    assert poll(client, cursor) == ([], cursor)
    projector.project()
    later, cursor = poll(client, cursor)
    assert later == [lagging_seq(lagging)]
    assert first + rest + later == released() and cursor == projector.watermark()


def lagging_seq(tender) -> int:
    return LedgerEntry.objects.get(subject=tender.ledger_subject, kind="TENDER_PUBLISHED").seq


def test_a_commit_projects_one_batch_and_the_beat_the_backlog(
    settings, make_tender, officer, monkeypatch
):
    # A backlog (an outage of the projector, a rebuild): the next request's commit projects
    # one batch, not the whole backlog inside the request; the beat scan catches up the rest.
    tender = make_tender(publish=True)
    for days in (150, 160, 170):
        services.amend_tender(tender, actor=officer, rationale="Gia hạn", bid_validity_days=days)
    backlog = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    monkeypatch.setattr(projector, "BATCH", 2)
    settings.LEDGER_PROJECTORS = ["api.opendata.projector.project_after_commit"]
    services.amend_tender(tender, actor=officer, rationale="Gia hạn", bid_validity_days=180)
    assert projector.watermark() == 2 < backlog
    from api.opendata.tasks import project_open_data

    project_open_data()
    assert projector.watermark() == LedgerEntry.objects.order_by("-seq")[0].seq


def test_only_a_release_kind_projects_on_commit(settings, make_tender, officer):
    settings.LEDGER_PROJECTORS = ["api.opendata.projector.project_after_commit"]
    tender = make_tender()  # a draft: its entries make no release
    assert projector.watermark() == 0 < ledger.tree_size() - 1
    services.publish_tender(tender, actor=officer)
    assert projector.watermark() == ledger.tree_size() - 1
    assert released() == [lagging_seq(tender)]


@pytest.mark.skipif(
    "postgresql" not in __import__("django.db").db.connection.vendor,
    reason="two connections contend for the watermark's row lock",
)
def test_a_commit_does_not_wait_for_a_busy_projector_which_then_projects_it(
    settings, make_tender, monkeypatch
):
    import threading
    import time

    from django.db import connections

    from procurement.models import LedgerProjection

    LedgerProjection.objects.create(name=projector.NAME)  # the watermark's row, as after a run
    first = make_tender(publish=True)  # projected below (projection on commit is still off)
    settings.LEDGER_PROJECTORS = ["api.opendata.projector.project_after_commit"]
    inside, release, real = threading.Event(), threading.Event(), projector.project_entry

    def slow(entry):
        if entry.seq == lagging_seq(first):
            inside.set()
            assert release.wait(30)
        real(entry)

    monkeypatch.setattr(projector, "project_entry", slow)

    def busy():  # a projector holding the watermark mid-batch
        try:
            projector.project_after_commit(frozenset({"TENDER_PUBLISHED"}))
        finally:
            connections.close_all()

    holder = threading.Thread(target=busy)
    holder.start()
    assert inside.wait(30)
    started = time.monotonic()
    second = make_tender(publish=True)  # its commit finds the watermark held
    assert time.monotonic() - started < 10
    assert projector.watermark() == 0
    release.set()
    holder.join(30)
    # The holder looked again after releasing the watermark: the second tender is projected.
    assert released() == [lagging_seq(first), lagging_seq(second)]
    assert projector.watermark() == ledger.tree_size() - 1
