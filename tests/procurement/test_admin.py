"""Django admin: every save goes through a service and lands in the ledger; the ledger is
read-only and sealed entries stay hidden there too."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from procurement import ledger
from procurement.models import LedgerEntry, Membership, Organisation, Role, User

pytestmark = pytest.mark.django_db


def last_entry() -> dict:
    ledger.drain()  # deferred entries are appended after a commit, which a test never makes
    return json.loads(bytes(LedgerEntry.objects.order_by("-seq").first().canonical))


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user(admin=True)
    client.force_login(admin)
    client.admin_user = admin
    return client


def test_adding_an_organisation_in_the_admin_records_it(admin_client):
    response = admin_client.post(
        "/admin/procurement/organisation/add/",
        {
            "code": "so-y-te-hue",
            "kind": "agency",
            "name_vi": "Sở Y tế Huế",
            "name_en": "Hue Department of Health",
            "tax_code": "",
            "province": "Huế",
            "address": "",
            "website": "",
        },
    )
    assert response.status_code == 302, response.content
    assert Organisation.objects.get(code="so-y-te-hue").name_en == "Hue Department of Health"
    entry = last_entry()
    assert entry["kind"] == "ORGANISATION_REGISTERED"
    assert entry["actor"] == f"user:{admin_client.admin_user.public_id}"


def test_editing_an_organisation_records_what_changed(admin_client, make_org):
    org = make_org()
    response = admin_client.post(
        f"/admin/procurement/organisation/{org.pk}/change/",
        {
            "name_vi": org.name_vi,
            "name_en": "Renamed",
            "tax_code": "",
            "province": "",
            "address": "",
            "website": "",
        },
    )
    assert response.status_code == 302, response.content
    entry = last_entry()
    assert entry["kind"] == "ORGANISATION_UPDATED"
    assert entry["payload"] == {
        "changed": {"name_en": "Renamed"},
        "previous": {"name_en": org.name_en},
    }


def test_granting_and_revoking_in_the_admin_records_both(admin_client, make_org, make_user):
    org, user = make_org(), make_user()
    response = admin_client.post(
        "/admin/procurement/membership/add/",
        {"user": user.pk, "organisation": org.pk, "role": Role.EVALUATOR, "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    membership = Membership.objects.get(user=user)
    assert last_entry()["kind"] == "ROLE_GRANTED"
    response = admin_client.post(f"/admin/procurement/membership/{membership.pk}/change/", {})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert last_entry()["kind"] == "ROLE_REVOKED"


def test_making_someone_an_administrator_is_a_ledger_event(admin_client, make_user):
    user = make_user()
    response = admin_client.post(
        f"/admin/procurement/user/{user.pk}/change/",
        {
            "username": user.username,
            "full_name": "",
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(pk=user.pk).is_superuser
    entry = last_entry()
    assert entry["kind"] == "ACCOUNT_STANDING_CHANGED"
    assert entry["payload"] == {"is_staff": True, "is_superuser": True}


def test_nothing_can_be_deleted_and_the_ledger_is_read_only(admin_client, make_org):
    org = make_org()
    assert admin_client.get(f"/admin/procurement/organisation/{org.pk}/delete/").status_code == 403
    assert admin_client.post("/admin/procurement/ledgerentry/add/", {}).status_code == 403
    ledger.drain()
    seq = LedgerEntry.objects.order_by("-seq").first().seq
    page = admin_client.get(f"/admin/procurement/ledgerentry/{seq}/change/")
    assert page.status_code == 200
    assert b'name="kind"' not in page.content  # shown, not editable


def test_sealed_entries_are_hidden_from_the_admin_too(admin_client):
    with transaction.atomic():
        sealed = ledger.record_event(
            "TEST_SEALED",
            "tender:T-7",
            {},
            actor=None,
            sealed_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        )
    listing = admin_client.get("/admin/procurement/ledgerentry/").content.decode()
    assert "tender:T-7" not in listing
    assert (
        admin_client.get(f"/admin/procurement/ledgerentry/{sealed.seq}/change/").status_code == 302
    )
