"""Accounts, organisations and roles: the one role check, the services and their ledger entries."""

from __future__ import annotations

import json

import pytest

from procurement import ledger, selectors, services
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.models import LedgerEntry, Membership, Organisation, OrganisationKind, Role
from procurement.permissions import ADMIN, has_role

pytestmark = pytest.mark.django_db


def last_entry() -> dict:
    ledger.drain()  # deferred entries are appended after a commit, which a test never makes
    return json.loads(bytes(LedgerEntry.objects.order_by("-seq").first().canonical))


def test_has_role_is_per_organisation_and_follows_revocation(make_org, make_user):
    agency, other = make_org(), make_org()
    officer = make_user((Role.OFFICER, agency))
    assert has_role(officer, Role.OFFICER)
    assert has_role(officer, Role.OFFICER, agency)
    assert not has_role(officer, Role.OFFICER, other)
    assert not has_role(officer, Role.APPROVER, agency)
    assert not has_role(officer, ADMIN)
    services.revoke_membership(Membership.objects.get(user=officer), actor=None)
    assert not has_role(officer, Role.OFFICER, agency)


def test_inactive_users_and_anonymous_hold_no_role(make_org, make_user):
    from django.contrib.auth.models import AnonymousUser

    agency = make_org()
    officer = make_user((Role.OFFICER, agency))
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert not has_role(officer, Role.OFFICER, agency)
    assert not has_role(AnonymousUser(), Role.OFFICER)
    assert not has_role(None, ADMIN)
    with pytest.raises(ValueError, match="unknown role"):
        has_role(officer, "mayor")


def test_create_organisation_records_a_public_entry(make_user):
    admin = make_user(admin=True)
    org = services.create_organisation(
        code="so-tai-chinh",
        kind=OrganisationKind.AGENCY,
        name_vi="Sở Tài chính",
        name_en="Department of Finance",
        tax_code="0100000009",
        actor=admin,
    )
    entry = last_entry()
    assert entry["kind"] == "ORGANISATION_REGISTERED"
    assert entry["subject"] == "organisation:so-tai-chinh"
    assert entry["actor"] == f"user:{admin.public_id}"
    assert entry["payload"]["name_vi"] == "Sở Tài chính"
    assert org.pk is not None


@pytest.mark.parametrize("who", ["officer", "supplier", "plain"])
def test_only_admins_create_organisations(make_org, make_user, who):
    agency, supplier_org = make_org(), make_org(OrganisationKind.SUPPLIER)
    actor = {
        "officer": lambda: make_user((Role.OFFICER, agency)),
        "supplier": lambda: make_user((Role.SUPPLIER, supplier_org)),
        "plain": lambda: make_user(),
    }[who]()
    before_orgs, before_entries = Organisation.objects.count(), LedgerEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_organisation(code="x", kind="agency", name_vi="X", name_en="X", actor=actor)
    assert Organisation.objects.count() == before_orgs
    assert LedgerEntry.objects.count() == before_entries


def test_bad_organisation_input_is_refused_with_the_field(make_org):
    make_org(code="taken")
    with pytest.raises(InvalidInput) as exc:
        services.create_organisation(
            code="taken", kind="agency", name_vi="A", name_en="A", actor=None
        )
    assert exc.value.field == "code"
    with pytest.raises(InvalidInput) as exc:
        services.create_organisation(code="new", kind="bank", name_vi="A", name_en="A", actor=None)
    assert exc.value.field == "kind"


def test_roles_must_fit_the_kind_of_organisation(make_org, make_user):
    supplier_org = make_org(OrganisationKind.SUPPLIER)
    oversight = make_org(OrganisationKind.OVERSIGHT)
    user = make_user()
    with pytest.raises(InvalidInput, match="cannot give"):
        services.grant_membership(supplier_org, user=user, role=Role.OFFICER, actor=None)
    with pytest.raises(InvalidInput, match="cannot give"):
        services.grant_membership(oversight, user=user, role=Role.SUPPLIER, actor=None)
    services.grant_membership(oversight, user=user, role=Role.CUSTODIAN, actor=None)
    assert last_entry()["kind"] == "ROLE_GRANTED"
    assert last_entry()["payload"] == {"user": str(user.public_id), "role": "custodian"}


def test_granting_twice_conflicts_and_revoke_then_regrant_works(make_org, make_user):
    agency = make_org()
    user = make_user((Role.EVALUATOR, agency))
    with pytest.raises(Conflict):
        services.grant_membership(agency, user=user, role=Role.EVALUATOR, actor=None)
    membership = Membership.objects.get(user=user)
    services.revoke_membership(membership, actor=None)
    assert last_entry()["kind"] == "ROLE_REVOKED"
    with pytest.raises(Conflict):
        services.revoke_membership(membership, actor=None)
    services.grant_membership(agency, user=user, role=Role.EVALUATOR, actor=None)
    assert Membership.objects.get(user=user).is_active


def test_weak_passwords_are_refused_and_no_account_is_made():
    with pytest.raises(InvalidInput) as exc:
        services.create_user(username="weak", password="12345678", actor=None)
    assert exc.value.field == "password"
    assert not LedgerEntry.objects.filter(kind="ACCOUNT_CREATED").exists()


def test_passwords_are_hashed_with_argon2(make_user):
    user = make_user()
    assert user.password.startswith("argon2")


def test_membership_selector_hides_other_organisations(make_org, make_user):
    agency, other = make_org(), make_org()
    member = make_user((Role.OFFICER, agency))
    outsider = make_user((Role.OFFICER, other))
    admin = make_user(admin=True)
    assert [m.user for m in selectors.memberships_visible_to(member, agency)] == [member]
    assert selectors.memberships_visible_to(admin, agency).count() == 1
    with pytest.raises(NotFound):
        selectors.memberships_visible_to(outsider, agency)
    with pytest.raises(NotFound):
        selectors.organisation_by_code("missing")
    with pytest.raises(NotFound):
        selectors.membership_for_admin(member, Membership.objects.get(user=member).pk)
