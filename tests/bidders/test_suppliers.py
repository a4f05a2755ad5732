"""Supplier self-registration, review, suspension and the public debarment list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bidders import selectors
from bidders.models import Debarment, SupplierProfile
from bidders.services import registration as services
from procurement import ledger
from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.models import LedgerEntry, Membership, Organisation, Role
from procurement.permissions import has_role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def register(**overrides) -> SupplierProfile:
    data = {
        "name_vi": "Công ty TNHH Đèn Đường Phương Nam",
        "name_en": "Phuong Nam Street Lighting Co., Ltd.",
        "tax_code": "0312345678",
        "province": "TP. Hồ Chí Minh",
        "address": "12 Lê Lợi, phường Bến Thành",
        "contact_name": "Lý Thị Mai",
        "contact_email": "mai@phuongnam.vn",
        "classifications": ["31000000-6"],
        "username": "phuongnam",
        "password": PASSWORD,
    }
    data.update(overrides)
    return services.register_supplier(**data)


def kinds() -> list[str]:
    ledger.drain()  # deferred entries are appended after a commit, which a test never makes
    return list(LedgerEntry.objects.order_by("seq").values_list("kind", flat=True))


def test_registration_creates_a_pending_supplier_without_the_supplier_role():
    profile = register()
    organisation = profile.organisation
    assert organisation.kind == "supplier"
    assert organisation.code == "phuong-nam-street-lighting-co"
    assert profile.status == "pending"
    assert not has_role(profile.registered_by, Role.SUPPLIER)
    assert kinds()[-1] == "SUPPLIER_REGISTERED"
    entry = json.loads(bytes(LedgerEntry.objects.order_by("-seq").first().canonical))
    assert entry["payload"]["tax_code"] == "0312345678"
    assert "mai@phuongnam.vn" not in json.dumps(entry)  # no personal contact data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tax_code": "12345"}, "tax_code"),
        ({"tax_code": "0312345678-1"}, "tax_code"),
        ({"tax_code": "abcdefghij"}, "tax_code"),
        ({"classifications": ["00000000-0"]}, "classifications"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"password": "123"}, "password"),
    ],
)
def test_bad_registrations_are_refused_and_leave_nothing(overrides, field):
    before = Organisation.objects.count(), LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        register(**overrides)
    assert exc.value.field == field
    assert (Organisation.objects.count(), LedgerEntry.objects.count()) == before


def test_a_tax_code_registers_once():
    register()
    with pytest.raises(InvalidInput, match="already registered"):
        register(username="other", name_en="Other", name_vi="Khác")
    assert SupplierProfile.objects.count() == 1
    register(username="branch", tax_code="0312345678-001", name_en="Branch", name_vi="Chi nhánh")


def test_approval_grants_the_role_and_suspension_takes_it_away(make_user):
    admin = make_user(admin=True)
    profile = register()
    user = profile.registered_by
    services.approve_supplier(profile, actor=admin)
    assert has_role(user, Role.SUPPLIER, profile.organisation)
    assert selectors.may_bid(profile.organisation, dt.date.today())  # noqa: DTZ011
    services.suspend_supplier(profile, actor=admin, reason="Hồ sơ pháp lý hết hạn")
    assert not has_role(user, Role.SUPPLIER)
    assert not selectors.may_bid(profile.organisation, dt.date.today())  # noqa: DTZ011
    services.approve_supplier(profile, actor=admin, note="Đã bổ sung")
    assert has_role(user, Role.SUPPLIER)
    assert Membership.objects.filter(user=user).count() == 1
    # Each role change is in the ledger with the decision that caused it.
    assert kinds()[-4:] == [
        "ROLE_REVOKED",
        "SUPPLIER_SUSPENDED",
        "ROLE_GRANTED",
        "SUPPLIER_APPROVED",
    ]


def test_rejection_is_final_and_needs_a_reason(make_user):
    admin = make_user(admin=True)
    profile = register()
    with pytest.raises(InvalidInput):
        services.reject_supplier(profile, actor=admin, reason=" ")
    services.reject_supplier(profile, actor=admin, reason="Không đủ hồ sơ")
    with pytest.raises(Conflict):
        services.approve_supplier(profile, actor=admin)


@pytest.mark.parametrize("who", ["officer", "supplier", "plain"])
def test_only_platform_admins_review(make_user, make_org, who):
    profile = register()
    actor = {
        "officer": lambda: make_user((Role.OFFICER, make_org())),
        "supplier": lambda: make_user(),
        "plain": lambda: make_user(),
    }[who]()
    before = LedgerEntry.objects.count()
    for action in (
        lambda: services.approve_supplier(profile, actor=actor),
        lambda: services.reject_supplier(profile, actor=actor, reason="x"),
        lambda: services.debar_supplier(
            profile.organisation, actor=actor, starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2027, 1, 1), reason="x",
        ),
    ):  # fmt: skip
        with pytest.raises(PermissionDenied):
            action()
    profile.refresh_from_db()
    assert profile.status == "pending"
    assert LedgerEntry.objects.count() == before
    assert Debarment.objects.count() == 0


def test_debarment_is_public_for_its_period(make_user):
    admin = make_user(admin=True)
    profile = register()
    services.approve_supplier(profile, actor=admin)
    debarment = services.debar_supplier(
        profile.organisation,
        actor=admin,
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2028, 5, 31),
        reason="Vi phạm hợp đồng",
        legal_basis="Luật Đấu thầu 2023, Điều 125",
    )
    assert selectors.is_debarred(profile.organisation, dt.date(2027, 1, 1))
    assert not selectors.is_debarred(profile.organisation, dt.date(2028, 6, 1))
    assert not selectors.may_bid(profile.organisation, dt.date(2027, 1, 1))
    assert list(selectors.active_debarments(dt.date(2027, 1, 1))) == [debarment]
    entry = json.loads(bytes(LedgerEntry.objects.get(seq=debarment.ledger_seq).canonical))
    assert entry["payload"]["until"] == "2028-05-31"
    with pytest.raises(InvalidInput, match="ends before"):
        services.debar_supplier(
            profile.organisation, actor=admin, starts_on=dt.date(2027, 1, 2),
            ends_on=dt.date(2027, 1, 1), reason="x",
        )  # fmt: skip
