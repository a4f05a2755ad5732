"""load_demo on a slow machine and after an interrupted run: every demo tender ends where it
should (published, opened with its committee, awarded), nothing is skipped silently."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

from api.site import demo_custodians
from api.site.management.commands import load_demo
from bidders import sealing
from bidders.models import Bid
from evaluation.services import award
from tenders import services as tender_services
from tenders.models import Amendment, Tender

pytestmark = pytest.mark.django_db(transaction=True)

DRILLS = (load_demo.DRILL_OPENED, load_demo.DRILL_AWARDED, load_demo.DRILL_OPEN)
REGULAR = tuple(row[2] for row in load_demo.DEMO_TENDERS)


def live(title: str) -> Tender:
    return Tender.objects.exclude(status="cancelled").get(title=title)


def assert_every_demo_tender_is_complete() -> None:
    for title in REGULAR:
        assert live(title).status == "published", title
    direct = live(REGULAR[-1])  # only its invited supplier may bid
    assert direct.method == "direct"
    assert [i.supplier.code for i in direct.invitations.all()] == ["thiet-bi-y-te-mekong"]
    opened = live(load_demo.DRILL_OPENED)
    assert opened.status == "opened"
    assert Bid.objects.filter(tender=opened).count() == 2
    assert opened.committee.count() == 2
    assert live(load_demo.DRILL_AWARDED).status == "awarded"
    assert live(load_demo.DRILL_OPEN).status == "published"
    assert not Tender.objects.filter(title__in=REGULAR + DRILLS, status="draft").exists()


def test_slow_custodians_and_sealing_still_open_every_drill(monkeypatch):
    # A machine where the custodians' round and sealing each outlast the bidding window.
    monkeypatch.setattr(load_demo, "OPENED_WINDOW", 1.0)
    monkeypatch.setattr(load_demo, "demo_tenders", lambda say: None)  # not time-critical
    round_, seal = demo_custodians.run_round, sealing.seal_for

    def slow_round():
        time.sleep(1.5)
        return round_()

    def slow_seal(*args, **kwargs):
        time.sleep(1.2)
        return seal(*args, **kwargs)

    monkeypatch.setattr(demo_custodians, "run_round", slow_round)
    monkeypatch.setattr(sealing, "seal_for", slow_seal)
    out = io.StringIO()
    call_command("load_demo", stdout=out)

    assert "longer than the deadline allowed; trying again with more time." in out.getvalue()
    opened = live(load_demo.DRILL_OPENED)
    assert opened.status == "opened" and opened.committee.count() == 2
    assert Bid.objects.filter(tender=opened).count() == 2
    # The window was moved later, in public, so both demo bids made it.
    assert Amendment.objects.filter(
        tender=opened, rationale=load_demo.EXTENDED_REASON, deadline_extended=False
    ).exists()
    assert live(load_demo.DRILL_AWARDED).status == "awarded"
    assert live(load_demo.DRILL_OPEN).status == "published"


def test_a_run_after_interrupted_ones_completes_every_demo_tender(monkeypatch):
    publish, approve = tender_services.publish_tender, award.approve_report

    def crash_on_the_opened_drill(tender, *, actor):
        if tender.title == load_demo.DRILL_OPENED:
            raise KeyboardInterrupt  # the operator gave up on a slow machine
        return publish(tender, actor=actor)

    # First run: interrupted before the opened drill is published, leaving its draft.
    monkeypatch.setattr(tender_services, "publish_tender", crash_on_the_opened_drill)
    with pytest.raises(KeyboardInterrupt):
        call_command("load_demo", stdout=io.StringIO())
    draft = Tender.objects.get(title=load_demo.DRILL_OPENED)
    assert draft.status == "draft"

    # Second run: the draft is completed; interrupted during the awarded drill's evaluation.
    monkeypatch.setattr(tender_services, "publish_tender", publish)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(award, "approve_report", crash)
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        call_command("load_demo", stdout=out)
    assert f"{draft.reference}: a draft left by an interrupted run; completing it." in (
        out.getvalue()
    )
    stuck = live(load_demo.DRILL_AWARDED)
    assert stuck.status == "evaluating"

    # Third run: nothing interrupts; everything ends complete, nothing silently skipped.
    monkeypatch.setattr(award, "approve_report", approve)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert f"{stuck.reference}: left unfinished by an interrupted run" in out.getvalue()
    assert_every_demo_tender_is_complete()
    assert live(load_demo.DRILL_OPENED).pk == draft.pk  # repaired, not duplicated
    stuck.refresh_from_db()
    assert (stuck.status, stuck.cancellation_reason) == ("cancelled", load_demo.REPLACED_REASON)
