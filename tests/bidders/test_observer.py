"""An anonymous observer polling every public endpoint learns nothing of bids before the
deadline: not how many came, nor when (issue: trust under outside scrutiny, part 2).

The observer sees the log grow by exactly one SEALED_BATCH entry of the same shape per cadence
and one checkpoint after it, whether no bid or fifty came within that cadence."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from procurement import ledger, sealedlog
from procurement.models import Checkpoint, LedgerEntry
from tests.bidders.sealing import seal_bid
from tests.bidders.test_sealed_bids import submit

# Releases are projected once each service commits, as in production: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

# What differs between two identical page views anyway: CSP nonces, CSRF tokens, the clock.
VOLATILE = re.compile(
    rb'nonce="[^"]*"|csrfmiddlewaretoken" value="[^"]*"|\d{1,2}:\d{2}(:\d{2})?'
    rb"|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?|data-now=\"[^\"]*\""
)


def observe(client, tender) -> dict:
    """Everything public about the platform and this tender, as an anonymous poller sees it."""
    api = [
        reverse("api:ledger-checkpoint"),
        reverse("api:ledger-checkpoints"),
        reverse("api:ledger-entries") + f"?start=0&end={ledger.tree_size() + 10}",
        reverse("api:ledger-entries") + f"?subject={tender.ledger_subject}",
        reverse("api:tenders"),
        reverse("api:tender", args=[tender.reference]),
        reverse("api:tender-opening", args=[tender.reference]),
        reverse("api:tender-roster", args=[tender.reference]),
    ]
    pages = [
        reverse("home"),
        reverse("tenders"),
        reverse("tender", args=[tender.reference]),
        reverse("ledger"),
        reverse("ocds-feed"),
        reverse("ocds-releases", args=[tender.ocid]),
        reverse("ocds-record", args=[tender.ocid]),
    ]
    seen = {}
    for url in api + pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 200, url
        seen[url] = VOLATILE.sub(b"", response.content)
    return seen


def new_entries(before: int) -> list[dict]:
    return [
        json.loads(bytes(e.canonical))
        for e in LedgerEntry.objects.filter(seq__gte=before).order_by("seq")
    ]


def shape(entry: dict) -> tuple:
    payload = entry["payload"]
    return (entry["kind"], entry["subject"], entry["sealed_until"], sorted(payload),
            payload["depth"], len(payload["root"]))  # fmt: skip


def test_fifty_bids_look_the_same_as_none(client, api_as, make_tender, make_bidder):
    tender = make_tender(publish=True)
    bidders = [make_bidder() for _ in range(50)]  # registering is public: done beforehand
    sealedlog.tick()

    # A cadence in which no bid came.
    quiet_before = observe(client, tender)
    assert observe(client, tender) == quiet_before
    size = ledger.tree_size()
    sealedlog.tick()
    quiet = new_entries(size)

    # A cadence in which fifty came.
    busy_before = observe(client, tender)
    for user, org in bidders:
        assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    assert observe(client, tender) == busy_before  # while they come: nothing moves at all
    size = ledger.tree_size()
    sealedlog.tick()
    busy = new_entries(size)

    assert [shape(e) for e in quiet] == [shape(e) for e in busy]
    assert [e["kind"] for e in busy] == ["SEALED_BATCH"] and busy[0]["payload"]["depth"] == 10
    assert Checkpoint.objects.order_by("-tree_size").first().tree_size == ledger.tree_size()


def test_receipts_sign_no_checkpoint(api_as, make_tender, make_bidder):
    """A receipt used to sign a checkpoint per bid, a public clock of every arrival."""
    tender = make_tender(publish=True)
    user, org = make_bidder()
    sealedlog.tick()
    checkpoints = Checkpoint.objects.count()
    size = ledger.tree_size()
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    assert Checkpoint.objects.count() == checkpoints and ledger.tree_size() == size
