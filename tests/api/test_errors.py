"""No input gets a 5xx, and every API error is the documented JSON (issue 10 §5): NULs in paths
and query strings, time-zone offsets PostgreSQL cannot hold, deep and oversized bodies, long
usernames, unmatched API paths, HEAD on portal pages, lockouts, outages and token expiry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from axes.models import AccessAttempt
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.parsers import MAX_DEPTH
from procurement.errors import RETRY_AFTER_SECONDS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "field", "details"}


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    return body["error"]


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


# --- NUL characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/tenders/T%00X/", "/api/v1/tenders/%00/bids/", "/api/v1/organisations/a%00b/"],
)
def test_a_nul_in_an_api_path_is_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/tenders/T%00X/", "/workspace/T%00X/", "/ocds/releases/ocds-x%00/"]
)
def test_a_nul_in_a_portal_or_ocds_path_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_a_nul_in_the_ledger_subject_is_a_json_400(api):
    response = api.get(reverse("api:ledger-entries"), {"subject": "tender:\x00"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("name", "params"),
    [("ledger", {"subject": "a\x00"}), ("tenders", {"q": "cầu\x00"}), ("tenders", {"x\x00": "1"})],
)
def test_a_nul_in_a_portal_query_is_a_400(client, name, params):
    assert client.get(reverse(name), params).status_code == 400


# --- Time-zone offsets ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["api:tenders", "tenders"])
def test_an_offset_beyond_postgresqls_range_is_taken_to_utc(api, tender, url):
    # +20:00 is a valid ISO 8601 offset that PostgreSQL cannot hold (its limit is ±15:59).
    deadline = tender.submission_deadline.astimezone(dt.timezone(dt.timedelta(hours=20)))
    path = reverse(url)
    included = api.get(path, {"deadline_before": deadline.isoformat()})
    excluded = api.get(path, {"deadline_before": (deadline - dt.timedelta(1)).isoformat()})
    assert included.status_code == excluded.status_code == 200
    assert tender.reference in included.content.decode()
    assert tender.reference not in excluded.content.decode()


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+24:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_a_moment_outside_the_calendar_is_invalid(api, client, value):
    response = api.get(reverse("api:tenders"), {"deadline_before": value})
    assert response.status_code == 400
    assert error_of(response)["field"] == "deadline_before"
    assert client.get(reverse("tenders"), {"deadline_before": value}).status_code == 200


@pytest.mark.parametrize("value", ["-1e999999", "1e999999", "0.001"])
def test_a_value_filter_beyond_the_columns_range_is_invalid(api, client, value):
    # PostgreSQL cannot compare a money column with -1e999999 (it was a 500).
    response = api.get(reverse("api:tenders"), {"value_max": value})
    assert response.status_code == 400
    assert error_of(response)["field"] == "value_max"
    assert client.get(reverse("tenders"), {"value_max": value}).status_code == 200


# --- Bodies ---------------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400_on_login(api, depth):
    body = '{"username": "a", "password": ' + nested(depth) + "}"
    response = api.post(reverse("api:login"), body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_deeply_nested_json_is_a_400_on_an_authenticated_endpoint(api_as, make_user):
    response = api_as(make_user(admin=True)).post(
        reverse("api:organisations"),
        nested(5_000),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == "The JSON body nests too deeply."


def test_json_nested_within_the_limit_still_parses(api):
    body = {"username": "a", "password": "b", "extra": json.loads(nested(MAX_DEPTH - 1))}
    response = api.post(reverse("api:login"), body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Wrong username or password."


def test_a_json_body_over_the_limit_is_a_json_413(api, settings):
    big = json.dumps({"username": "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "password": "b"})
    response = api.post(reverse("api:login"), big, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_a_form_body_over_the_limit_is_a_json_413(api, settings):
    big = "username=" + "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + "&password=b"
    response = api.post(reverse("api:login"), big, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_a_portal_form_over_the_limit_is_a_413(client, settings):
    big = "username=" + "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + "&password=b"
    response = client.post(reverse("login"), big, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


# --- Sign-in --------------------------------------------------------------------------------


def test_a_username_longer_than_any_account_is_a_400_and_no_lockout_record(api):
    response = api.post(
        reverse("api:login"), {"username": "u" * 300, "password": "x"}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "username"
    assert AccessAttempt.objects.count() == 0


def test_the_api_lockout_is_a_json_429_with_retry_after(api, make_user, settings):
    user = make_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(reverse("api:login"), {"username": user.username, "password": "no"}, format="json")
    response = api.post(
        reverse("api:login"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME * 3600))


def test_the_portal_lockout_is_a_429_page_with_retry_after(client, make_user, settings):
    user = make_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "no"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME * 3600))


def test_api_tokens_expire(api, make_user, settings):
    user = make_user()
    response = api.post(
        reverse("api:login"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    expiry = AuthToken.objects.get(user=user).expiry
    assert expiry - timezone.now() == pytest.approx(
        settings.REST_KNOX["TOKEN_TTL"], abs=dt.timedelta(minutes=1)
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:me")).status_code == 200
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("api:me"))
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


# --- Routing and methods --------------------------------------------------------------------


def test_an_unmatched_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "Not found.",
        "field": None,
        "details": None,
    }


def test_an_unmatched_portal_path_stays_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("name", ["home", "tenders", "ledger", "debarments", "login"])
def test_head_on_portal_pages_is_a_200(client, name):
    response = client.head(reverse(name))
    assert response.status_code == 200
    assert response.content == b""


def test_head_on_a_tender_page_is_a_200(client, tender):
    assert client.head(reverse("tender", args=[tender.reference])).status_code == 200


# --- Outages --------------------------------------------------------------------------------


def test_a_database_outage_is_a_json_503_with_retry_after_on_the_api(api, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("procurement.ledger.latest_checkpoint", down)
    response = api.get(reverse("api:ledger-checkpoint"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert error_of(response)["code"] == "unavailable"


def test_a_database_outage_is_a_503_page_with_retry_after_on_the_portal(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("procurement.ledger.latest_checkpoint", down)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_an_unexpected_error_on_the_api_is_a_json_500(api, monkeypatch):
    client = APIClient(raise_request_exception=False)

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("procurement.ledger.latest_checkpoint", broken)
    response = client.get(reverse("api:ledger-checkpoint"))
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
