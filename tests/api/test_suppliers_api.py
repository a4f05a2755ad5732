"""Suppliers API: registration, the public lists, and the role matrix of every review write."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bidders.models import Debarment, SupplierProfile
from bidders.services import registration as services
from procurement.models import LedgerEntry, OrganisationKind, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "name_vi": "Công ty Cổ phần Vật tư Y tế Hòa Bình",
    "name_en": "Hoa Binh Medical Supplies JSC",
    "tax_code": "0109876543",
    "province": "Hà Nội",
    "address": "5 Tràng Thi",
    "contact_name": "Phan Văn Tâm",
    "contact_email": "tam@hoabinh.vn",
    "classifications": ["33100000-1"],
    "username": "hoabinh",
    "password": PASSWORD,
}


@pytest.fixture
def pending():
    return services.register_supplier(**REGISTRATION)


@pytest.fixture
def cast(make_user, make_org):
    return {
        "admin": make_user(admin=True),
        "officer": make_user((Role.OFFICER, make_org())),
        "auditor": make_user((Role.AUDITOR, make_org(OrganisationKind.OVERSIGHT))),
        "plain": make_user(),
    }


def snapshot():
    return (
        list(SupplierProfile.objects.values_list("status", flat=True)),
        Debarment.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_register_then_listed_only_once_approved(api, cast):
    response = api.post(reverse("api:supplier-register"), REGISTRATION, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert api.get(reverse("api:suppliers")).json()["results"] == []
    profile = SupplierProfile.objects.get()
    services.approve_supplier(profile, actor=cast["admin"])
    (row,) = api.get(reverse("api:suppliers")).json()["results"]
    assert row["tax_code"] == "0109876543"


def test_registration_errors_name_the_field(api):
    response = api.post(
        reverse("api:supplier-register"), {**REGISTRATION, "tax_code": "12"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "tax_code"
    assert SupplierProfile.objects.count() == 0


REVIEW_DENIED = [("anonymous", 401), ("plain", 404), ("officer", 404), ("auditor", 404)]


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        ("api:supplier-approve", {"note": "ok"}, "approved"),
        ("api:supplier-reject", {"reason": "thiếu hồ sơ"}, "rejected"),
    ],
)
@pytest.mark.parametrize(("who", "code"), [*REVIEW_DENIED, ("admin", 200)])
def test_review_role_matrix(api, api_as, cast, pending, action, body, expected, who, code):
    client = api if who == "anonymous" else api_as(cast[who])
    before = snapshot()
    response = client.post(reverse(action, args=[pending.pk]), body, format="json")
    assert response.status_code == code, response.content
    if code == 200:
        assert response.json()["status"] == expected
    else:
        assert snapshot() == before


@pytest.mark.parametrize(("who", "code"), [*REVIEW_DENIED, ("admin", 200)])
def test_suspend_role_matrix(api, api_as, cast, pending, who, code):
    services.approve_supplier(pending, actor=cast["admin"])
    client = api if who == "anonymous" else api_as(cast[who])
    before = snapshot()
    response = client.post(
        reverse("api:supplier-suspend", args=[pending.pk]), {"reason": "x"}, format="json"
    )
    assert response.status_code == code, response.content
    if code != 200:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", 401), ("plain", 403), ("officer", 403), ("auditor", 403), ("admin", 201)],
)
def test_debar_role_matrix_and_the_public_list(api, api_as, cast, pending, who, code):
    client = api if who == "anonymous" else api_as(cast[who])
    before = snapshot()
    response = client.post(
        reverse("api:supplier-debar", args=[pending.organisation.code]),
        {"starts_on": "2026-01-01", "ends_on": "2099-12-31", "reason": "Gian lận"},
        format="json",
    )
    assert response.status_code == code, response.content
    listed = api.get(reverse("api:debarments"), {"active": "true"}).json()["results"]
    if code == 201:
        assert [d["supplier"] for d in listed] == [pending.organisation.code]
    else:
        assert snapshot() == before
        assert listed == []
