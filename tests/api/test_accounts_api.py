"""Accounts API: tokens, the error format, and the role matrix of every write endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from procurement import ledger
from procurement.models import LedgerEntry, Membership, Organisation, OrganisationKind, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_org, make_user):
    agency = make_org()
    supplier_org = make_org(OrganisationKind.SUPPLIER)
    oversight = make_org(OrganisationKind.OVERSIGHT)
    return {
        "agency": agency,
        "oversight": oversight,
        "admin": make_user(admin=True),
        "officer": make_user((Role.OFFICER, agency)),
        "supplier": make_user((Role.SUPPLIER, supplier_org)),
        "auditor": make_user((Role.AUDITOR, oversight)),
        "plain": make_user(),
    }


def snapshot() -> tuple[int, int, int]:
    return Organisation.objects.count(), Membership.objects.count(), LedgerEntry.objects.count()


def client_for(who, people, api, api_as):
    return api if who == "anonymous" else api_as(people[who])


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("plain", 403), ("supplier", 403), ("officer", 403), ("admin", 201)],
)
def test_register_organisation_role_matrix(people, api, api_as, who, status):
    before = snapshot()
    response = client_for(who, people, api, api_as).post(
        reverse("api:organisations"),
        {"code": "so-xay-dung", "kind": "agency", "name_vi": "Sở Xây dựng", "name_en": "DoC"},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["code"] == "so-xay-dung"
        ledger.drain()  # the deferred entry: appended after a commit, which a test never makes
        assert LedgerEntry.objects.order_by("-seq").first().kind == "ORGANISATION_REGISTERED"
    else:
        assert snapshot() == before
        assert set(response.json()["error"]) == {"code", "message", "field", "details"}


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("plain", 403), ("officer", 403), ("auditor", 403), ("admin", 201)],
)
def test_grant_role_matrix(people, api, api_as, make_user, who, status):
    newcomer = make_user()
    before = snapshot()
    response = client_for(who, people, api, api_as).post(
        reverse("api:memberships", args=[people["agency"].code]),
        {"user": str(newcomer.public_id), "role": "evaluator"},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert Membership.objects.get(user=newcomer).role == "evaluator"
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("plain", 404), ("officer", 404), ("auditor", 404), ("admin", 200)],
)
def test_revoke_role_matrix(people, api, api_as, who, status):
    membership = Membership.objects.get(user=people["officer"])
    before = snapshot()
    response = client_for(who, people, api, api_as).post(
        reverse("api:membership-revoke", args=[membership.pk])
    )
    assert response.status_code == status, response.content
    membership.refresh_from_db()
    assert membership.is_active is (status != 200)
    if status != 200:
        assert snapshot() == before


def test_invalid_input_gets_a_clear_error_and_nothing_is_written(people, api_as):
    before = snapshot()
    response = api_as(people["admin"]).post(
        reverse("api:organisations"),
        {"code": "bad code!", "kind": "bank", "name_vi": "", "name_en": "X"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] in {"code", "kind", "name_vi"}
    assert snapshot() == before


def test_grant_a_role_the_kind_cannot_give_is_a_400(people, api_as, make_user):
    response = api_as(people["admin"]).post(
        reverse("api:memberships", args=[people["oversight"].code]),
        {"user": str(make_user().public_id), "role": "officer"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "role"


def test_token_login_me_and_logout(people, api):
    response = api.post(
        reverse("api:login"),
        {"username": people["officer"].username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get(reverse("api:me")).json()
    assert me["username"] == people["officer"].username
    assert me["memberships"][0]["role"] == "officer"
    assert api.post(reverse("api:logout")).status_code == 204
    assert api.get(reverse("api:me")).status_code == 401


def test_a_token_is_checked_in_one_query_and_an_expired_one_is_refused_and_deleted(
    people, api, django_assert_num_queries
):
    import datetime as dt

    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.test import APIRequestFactory

    from procurement.auth import TokenAuthentication

    user = people["officer"]
    stale, stale_token = AuthToken.objects.create(user)
    AuthToken.objects.filter(pk=stale.pk).update(expiry=timezone.now() - dt.timedelta(hours=1))
    _, token = AuthToken.objects.create(user)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
    with django_assert_num_queries(1):  # the token and its user; not every other token
        assert TokenAuthentication().authenticate(request)[0] == user
    api.credentials(HTTP_AUTHORIZATION=f"Token {stale_token}")
    assert api.get(reverse("api:me")).status_code == 401
    assert not AuthToken.objects.filter(pk=stale.pk).exists()
    # A sign-in deletes the user's other expired tokens.
    other, _ = AuthToken.objects.create(user)
    AuthToken.objects.filter(pk=other.pk).update(expiry=timezone.now() - dt.timedelta(hours=1))
    api.credentials()
    response = api.post(
        reverse("api:login"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert not AuthToken.objects.filter(pk=other.pk).exists()


def test_wrong_password_is_refused_and_repeated_failures_lock_out(people, api):
    url = reverse("api:login")
    username = people["officer"].username
    response = api.post(
        url, {"username": username, "password": "wrong"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Wrong username or password")
    for _ in range(4):
        api.post(url, {"username": username, "password": "wrong"}, format="json")
    # Locked now: even the right password is refused until the cool-off ends.
    response = api.post(
        url, {"username": username, "password": PASSWORD}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert response.json()["error"]["message"].startswith("Too many failed sign-ins")


def test_organisations_are_public_and_filterable(people, api):
    rows = api.get(reverse("api:organisations"), {"kind": "oversight"}).json()["results"]
    assert [r["code"] for r in rows] == [people["oversight"].code]
    assert api.get(reverse("api:organisation", args=["missing"])).status_code == 404


def test_membership_lists_are_visible_to_members_only(people, api_as):
    url = reverse("api:memberships", args=[people["agency"].code])
    assert api_as(people["officer"]).get(url).status_code == 200
    assert api_as(people["supplier"]).get(url).status_code == 404


def test_openapi_schema_and_docs_are_served(api):
    schema = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/ledger/proof/inclusion/" in paths
    assert "/api/v1/organisations/" in paths
    assert api.get(reverse("api:docs")).status_code == 200


def test_the_authenticated_user_and_token_are_the_rows_as_the_orm_reads_them(people, api):
    from knox.models import AuthToken
    from rest_framework.test import APIRequestFactory

    from procurement.auth import TokenAuthentication
    from procurement.models import User

    user = people["officer"]
    user.last_login = user.date_joined  # a time on the user too, converted as the ORM would
    user.save(update_fields=["last_login"])
    stored, token = AuthToken.objects.create(user)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
    found_user, found_token = TokenAuthentication().authenticate(request)
    fresh_user = User.objects.get(pk=user.pk)
    fresh_token = AuthToken.objects.get(pk=stored.pk)
    for field in User._meta.concrete_fields:
        assert getattr(found_user, field.attname) == getattr(fresh_user, field.attname), field
    for field in AuthToken._meta.concrete_fields:
        assert getattr(found_token, field.attname) == getattr(fresh_token, field.attname), field
    assert found_token.user is found_user and not found_user._state.adding
    # A token that is not UTF-8 is refused as any wrong token is.
    api.credentials(HTTP_AUTHORIZATION=b"Token \xff\xfe")
    assert api.get(reverse("api:me")).status_code == 401
