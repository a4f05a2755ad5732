"""Public ledger API: entries (sealed ones redacted), proofs, checkpoints, and who may sign one."""

from __future__ import annotations

import base64
import datetime as dt
import gzip

import pytest
from django.db import transaction
from django.urls import reverse

from api.views import ledger as ledger_views
from procurement import ledger
from procurement.crypto import entrypages, rfc9162, signednote
from procurement.models import Checkpoint, LedgerEntry, OrganisationKind, Role

pytestmark = pytest.mark.django_db

FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def log(make_org):
    make_org(code="so-cong-thuong")
    with transaction.atomic():
        ledger.record_event("OPEN_EVENT", "tender:T-1", {"title": "Cầu"}, actor=None)
        sealed = ledger.record_event(
            "TEST_SEALED", "tender:T-1", {"bidder": "S-1"}, actor=None, sealed_until=FUTURE
        )
    ledger.make_checkpoint()
    return sealed


def b64(data: str) -> bytes:
    return base64.b64decode(data)


def test_entries_by_range_redact_sealed_ones(api, log):
    rows = api.get(reverse("api:ledger-entries"), {"start": 0, "end": 10}).json()
    assert [r["seq"] for r in rows] == [0, 1, 2, 3]
    sealed = rows[3]
    assert sealed == {
        "seq": 3,
        "leaf_hash": bytes(log.leaf_hash).hex(),
        "sealed": True,
        "recorded_at": None,
        "kind": None,
        "subject": None,
        "entry": None,
    }
    public = rows[2]
    assert public["kind"] == "OPEN_EVENT"
    assert rfc9162.leaf_hash(public["entry"].encode()).hex() == public["leaf_hash"]


def test_entries_by_subject_leave_sealed_ones_out(api, log):
    rows = api.get(reverse("api:ledger-entries"), {"subject": "tender:T-1"}).json()
    assert [r["kind"] for r in rows] == ["OPEN_EVENT"]


def test_sealed_entry_has_no_public_proof_endpoint_before_its_time(api, log):
    assert api.get(reverse("api:ledger-entry-proof", args=[log.seq])).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "x"}, "start"),
        ({"start": -1}, "start"),
        ({"start": 0, "end": 5000}, "end"),
    ],
)
def test_bad_range_parameters_get_a_clear_error(api, log, params, field):
    response = api.get(reverse("api:ledger-entries"), params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_inclusion_and_consistency_proofs_verify(api, log):
    checkpoint = api.get(reverse("api:ledger-checkpoint")).json()
    size, root = checkpoint["tree_size"], b64(checkpoint["root_hash"])
    assert size == 4
    proof = api.get(reverse("api:ledger-inclusion"), {"index": 2, "size": size}).json()
    rfc9162.verify_inclusion(
        2, size, b64(proof["leaf_hash"]), [b64(p) for p in proof["path"]], root
    )
    old_root = ledger.root_at(2)
    proof = api.get(reverse("api:ledger-consistency"), {"first": 2, "second": size}).json()
    rfc9162.verify_consistency(2, size, old_root, root, [b64(p) for p in proof["path"]])


def test_proof_parameters_are_checked(api, log):
    response = api.get(reverse("api:ledger-inclusion"), {"index": 9, "size": 4})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "index"
    response = api.get(reverse("api:ledger-consistency"), {"first": 1})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "second"


def test_key_endpoint_gives_the_key_that_signs_checkpoints(api, log):
    key = api.get(reverse("api:ledger-key")).json()
    note = api.get(reverse("api:ledger-checkpoint")).json()["note"]
    verifier = signednote.parse_verifier_key(key["verifier_key"])
    assert signednote.open_checkpoint(note, verifier, key["origin"]).size == 4


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("plain", 403),
        ("supplier", 403),
        ("auditor", 201),
        ("officer", 201),
    ],
)
def test_signing_a_checkpoint_on_demand_role_matrix(
    api, api_as, make_org, make_user, log, who, status
):
    with transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:new", {}, actor=None)
    people = {
        "plain": lambda: make_user(),
        "supplier": lambda: make_user((Role.SUPPLIER, make_org(OrganisationKind.SUPPLIER))),
        "auditor": lambda: make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT))),
        "officer": lambda: make_user((Role.OFFICER, make_org())),
    }
    client = api if who == "anonymous" else api_as(people[who]())
    size = ledger.tree_size()
    before = Checkpoint.objects.count(), LedgerEntry.objects.count()
    response = client.post(reverse("api:ledger-checkpoints"))
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["tree_size"] == size
        assert Checkpoint.objects.filter(tree_size=size).exists()
    else:
        assert (Checkpoint.objects.count(), LedgerEntry.objects.count()) == before


def test_bulk_entries_give_leaf_hashes_and_public_contents(api, log):
    response = api.get(reverse("api:ledger-entry-pages"), {"start": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == entrypages.MEDIA_TYPE
    page = entrypages.decode_page(response.content)
    assert (page.start, page.end, page.tree_size) == (1, 4, 4)
    rows = LedgerEntry.objects.filter(seq__gte=1).order_by("seq")
    assert page.records == [
        (bytes(r.leaf_hash), None if r.seq == log.seq else bytes(r.canonical)) for r in rows
    ]
    assert page.records[-1][1] is None  # the sealed bid: its leaf hash only


def test_bulk_entries_stay_sealed_under_a_seal_hold(api, make_org):
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        ledger.record_event("TEST_SEALED", "tender:T-2", {}, actor=None, sealed_until=past)
    page = entrypages.decode_page(api.get(reverse("api:ledger-entry-pages")).content)
    assert page.records[1][1] is not None
    with transaction.atomic():
        ledger.hold_seal("tender:T-2", FUTURE)
    page = entrypages.decode_page(api.get(reverse("api:ledger-entry-pages")).content)
    assert page.records[1][1] is None


def test_bulk_entries_are_gzipped_on_request_and_bounded_in_bytes(api, log, monkeypatch):
    url = reverse("api:ledger-entry-pages")
    response = api.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert entrypages.decode_page(gzip.decompress(response.content)).end == 4
    monkeypatch.setattr(ledger_views, "BULK_MAX_BYTES", 1)  # one entry per page, at least
    page = entrypages.decode_page(api.get(url, {"start": 2, "end": 4}).content)
    assert (page.start, page.end, page.tree_size) == (2, 3, 4)
    response = api.get(url, {"start": 0, "end": 10_001})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "end"


def test_checkpoints_after_a_size_for_a_resuming_verifier(api, log):
    for _ in range(3):
        with transaction.atomic():
            ledger.record_event("TEST_EVENT", "test:more", {}, actor=None)
        ledger.make_checkpoint()
    rows = api.get(reverse("api:ledger-checkpoints"), {"after": 4}).json()
    assert [r["tree_size"] for r in rows] == [7, 6, 5]
    rows = api.get(reverse("api:ledger-checkpoints"), {"after": 4, "before": 7}).json()
    assert [r["tree_size"] for r in rows] == [6, 5]
