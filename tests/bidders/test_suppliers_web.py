"""Supplier pages: registration, the review queue for platform administrators, and the public
debarment list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bidders.models import SupplierProfile
from bidders.services import registration as services
from procurement.models import Role
from procurement.permissions import has_role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FORM = {
    "name_vi": "Công ty TNHH In Ấn Sông Hàn",
    "name_en": "Song Han Printing Co., Ltd.",
    "tax_code": "0401234567",
    "province": "Đà Nẵng",
    "address": "20 Bạch Đằng",
    "contact_name": "Võ Thị Hoa",
    "contact_email": "hoa@songhan.vn",
    "classifications": "22000000-0, 79000000-4",
    "username": "songhan",
    "password": PASSWORD,
}


def test_a_supplier_registers_and_an_administrator_approves(client, make_user):
    response = client.post(reverse("supplier-register"), FORM)
    assert response.status_code == 302
    profile = SupplierProfile.objects.get()
    assert profile.classifications == ["22000000-0", "79000000-4"]
    admin = make_user(admin=True)
    client.force_login(admin)
    queue = client.get(reverse("supplier-review"))
    assert "Công ty TNHH In Ấn Sông Hàn" in queue.content.decode()
    client.post(reverse("supplier-decide", args=[profile.pk, "approve"]), {"text": "Đủ hồ sơ"})
    profile.refresh_from_db()
    assert profile.status == "approved"
    assert has_role(profile.registered_by, Role.SUPPLIER)


def test_registration_errors_are_shown_in_the_form(client):
    response = client.post(
        reverse("supplier-register"), {**FORM, "tax_code": "040123"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "A tax code has 10 digits" in response.content.decode()
    assert SupplierProfile.objects.count() == 0


def test_only_administrators_see_and_decide_registrations(client, make_user, make_org):
    profile = services.register_supplier(**{**FORM, "classifications": []})
    officer = make_user((Role.OFFICER, make_org()))
    client.force_login(officer)
    assert client.get(reverse("supplier-review")).status_code == 403
    response = client.post(reverse("supplier-decide", args=[profile.pk, "approve"]))
    assert response.status_code == 404
    profile.refresh_from_db()
    assert profile.status == "pending"


def test_the_debarment_list_is_public(client, make_user):
    admin = make_user(admin=True)
    profile = services.register_supplier(**{**FORM, "classifications": []})
    services.debar_supplier(
        profile.organisation,
        actor=admin,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2099, 1, 1),
        reason="Gian lận trong đấu thầu",
    )
    page = client.get(reverse("debarments")).content.decode()
    assert "Gian lận trong đấu thầu" in page
    assert "0401234567" in page
