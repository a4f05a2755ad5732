"""The award and contract releases reuse the evaluation tests' committee and approver. Every
test here ends by checking that each tender's status read from its ledger entries is its
status, then by rebuilding the releases from the ledger and comparing them with the ones the
projector wrote as the scenario ran: byte for byte the same."""

import json

import pytest

from api.opendata import asof, projector
from api.opendata.models import OcdsRelease
from procurement.models import LedgerEntry
from tenders.models import Tender
from tests.evaluation.conftest import _media, approver, members, reviewer  # noqa: F401


def snapshot() -> dict[str, str]:
    return {
        r.release_id: json.dumps(r.data, ensure_ascii=False, sort_keys=True)
        for r in OcdsRelease.objects.order_by("ledger_seq")
    }


@pytest.fixture(autouse=True)
def _rebuild_equals_live(request):
    yield
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    projector.project()  # whatever the last commit left (nothing, normally)
    # Every status change is an entry whose kind declares the status it moves to
    # (procurement/crypto/entrykinds.py): read from the ledger, each tender's status is its own.
    for tender in Tender.objects.all():
        last = LedgerEntry.objects.filter(subject=tender.ledger_subject).order_by("-seq").first()
        if last is not None:
            assert asof.history(tender, last).status() == tender.status, tender.reference
    live = snapshot()
    projector.rebuild()
    assert snapshot() == live, "rebuilding the releases from the ledger changed them"
