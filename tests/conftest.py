"""Shared fixtures: small factories for organisations and users, API clients, and the
PostgreSQL switch that lets the suite flush ledger tables between transactional tests."""

from __future__ import annotations

import itertools
import os

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.db.backends.signals import connection_created
from django.utils import translation
from rest_framework.test import APIClient

from procurement import services
from procurement.crypto import entrykinds
from procurement.models import Organisation, OrganisationKind, User

pytest_plugins = ["tests.tenders.fixtures", "tests.bidders.sealing"]

PASSWORD = "Correct-Horse-42"


def register_test_kinds() -> None:
    """Entry kinds that exist only in the tests of the ledger itself (the platform's own are
    declared in procurement/crypto/entrykinds.py, and record_event refuses any other)."""
    for name, optional, visibility in [
        ("TEST_EVENT", ["i", "n"], "public"),
        ("OPEN_EVENT", ["x", "title"], "public"),
        ("TEST_SEALED", ["bidder"], "public"),  # a legacy sealed ledger entry (sealed_until)
    ]:
        if name not in entrykinds.KINDS:
            entrykinds.register(
                entrykinds.EntryKind(
                    name, "tests", "test", frozenset(), frozenset(optional), visibility, ""
                )
            )


register_test_kinds()
_counter = itertools.count(1)


def _maintenance_mode(sender, connection, **kwargs):
    # Lets a superuser session TRUNCATE ledger tables (pytest-django flushes them after
    # transactional tests). UPDATE and DELETE stay refused; see migration 0002.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET minhbach.ledger_maintenance = 'on'")


connection_created.connect(_maintenance_mode)


@pytest.fixture(scope="session", autouse=True)
def _require_configured_services():
    if os.environ.get("REQUIRE_POSTGRES") and connection.vendor != "postgresql":
        pytest.exit("REQUIRE_POSTGRES is set but the suite is not running on PostgreSQL", 3)


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """The production hasher with a small memory cost: same algorithm, quicker tests."""

    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.conftest.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_folders(settings, tmp_path):
    # Sealed envelopes and demo custodians' key folders go to this test's own folder.
    settings.SEALED_ROOT = tmp_path / "sealed"
    settings.DEMO_CUSTODIANS_DIR = tmp_path / "custodians"


@pytest.fixture(autouse=True)
def _release_window_already_over(settings):
    # Most tests release k keys and expect the opening at once, as after a release window that
    # has ended; tests of the window itself (tests/evaluation/test_opening_trust.py) set their own.
    settings.CUSTODIAN_RELEASE_WINDOW_SECONDS = 0
    # Likewise most tests close a tender just after its deadline; tests of the settle time
    # after it (tests/bidders/test_submission.py) set their own.
    settings.SUBMISSION_SETTLE_SECONDS = 0


@pytest.fixture(autouse=True)
def _english_outside_requests():
    # Services speak the active language; tests match their English messages. Requests still
    # pick their own language through LocaleMiddleware.
    with translation.override("en"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _own_redis_database(worker_id):
    """Each xdist worker its own Redis database: the cache is cleared around every test, and
    one worker's clear must not wipe the counters a test on another worker is counting."""
    url = os.environ.get("REDIS_URL")
    if not url or worker_id == "master":
        yield
        return
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import override_settings

    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - int(worker_id.removeprefix("gw"))
    if database < 0:
        raise pytest.UsageError(f"REDIS_URL's database leaves none for xdist worker {worker_id}")
    own = parts._replace(path=f"/{database}").geturl()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": own}}
    os.environ["REDIS_URL"] = own
    with override_settings(CACHES=caches):
        yield
    os.environ["REDIS_URL"] = url


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_org(db):
    def make(kind: str = OrganisationKind.AGENCY, **fields) -> Organisation:
        n = next(_counter)
        defaults = {
            "code": f"org-{n}",
            "kind": kind,
            "name_vi": f"Tổ chức {n}",
            "name_en": f"Organisation {n}",
        }
        defaults.update(fields)
        return services.create_organisation(actor=None, **defaults)

    return make


@pytest.fixture
def make_user(db):
    def make(*roles: tuple[str, Organisation] | str, admin: bool = False, **fields) -> User:
        n = next(_counter)
        user = services.create_user(
            username=fields.pop("username", f"user{n}"),
            password=PASSWORD,
            is_platform_admin=admin,
            actor=None,
            **fields,
        )
        for role, organisation in roles:
            services.grant_membership(organisation, user=user, role=role, actor=None)
        return user

    return make


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as():
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
