"""The run command's parts: production settings refuse to start without secrets and pass the
deploy check; demo data loads twice; `serve` serves the portal with beat running in-process."""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from procurement.models import LedgerEntry, Membership, Organisation, OrganisationKind, Role, User

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "LEDGER_", "REDIS_URL"))
}


def manage(*args: str, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def production_env(**overrides: str) -> dict:
    env = {
        **CLEAN_ENV,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "muasamcong.example.gov.vn",
        "DATABASE_URL": "postgres://minhbach@127.0.0.1:5432/minhbach",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "LEDGER_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "RECEIPT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "LEDGER_SIGNING_KEY",
        "RECEIPT_SIGNING_KEY",
    ],
)
def test_production_refuses_to_start_without_each_secret(missing):
    result = manage("check", env=production_env(**{missing: ""}))
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = manage("check", env=production_env(DJANGO_SECRET_KEY="short"))
    assert result.returncode != 0
    assert "at least 50" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_demo_data_loads_twice_without_duplicates():
    call_command("load_demo", stdout=io.StringIO())
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        LedgerEntry.objects.count(),
    )
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    again = (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        LedgerEntry.objects.count(),
    )
    assert again == counts
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    custodian_orgs = Organisation.objects.filter(memberships__role="custodian").distinct()
    assert custodian_orgs.count() >= 3
    assert "MinhBach@demo2026" in out.getvalue()
    assert User.objects.get(username="admin").is_platform_admin


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_the_portal_with_beat_in_process(tmp_path):
    env = {
        **CLEAN_ENV,
        "MINHBACH_VAR_DIR": str(tmp_path),
        "LEDGER_BATCH_SECONDS": "1",
    }
    assert manage("migrate", "--noinput", env=env).returncode == 0
    assert manage("load_demo", env=env).returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        home = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:  # noqa: S310
                    home = response.read().decode()
                break
            except OSError:
                time.sleep(0.25)
        assert home is not None and "Minh Bạch" in home
        # Beat fires the ledger's cadence in-process: a sealed batch and a checkpoint each
        # tick, so a new entry is covered by a checkpoint by itself.
        url = base + "/api/v1/ledger/checkpoint/"

        def checkpoint_size() -> int:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                return json.load(response)["tree_size"]

        added = manage("shell", "-c", ADD_ENTRY, env=env)
        assert added.returncode == 0, added.stderr
        seq = int(added.stdout.split()[-1])
        size = None
        for _ in range(60):
            size = checkpoint_size()
            if size > seq + 1:  # the entry, and a batch after it
                break
            time.sleep(0.5)
        assert size > seq + 1
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Embedded beat started" in output


ADD_ENTRY = (
    "from django.db import transaction\n"
    "from procurement import ledger\n"
    "from tests.conftest import register_test_kinds\n"
    "register_test_kinds()\n"
    "with transaction.atomic():\n"
    "    entry = ledger.record_event('TEST_EVENT', 'test:serve', {}, actor=None)\n"
    "print(entry.seq)\n"
)


@pytest.mark.django_db
def test_code_release_is_recorded_once_per_change(tmp_path, settings):
    from procurement import code_release

    out = io.StringIO()
    call_command("record_code_release", "--release", "v1", stdout=out)
    assert "recorded in ledger entry" in out.getvalue()
    seq, payload = code_release.latest()
    assert set(payload["files"]) == set(code_release.FILES)
    assert payload["version"] == "v1"
    call_command("record_code_release", stdout=out)
    assert code_release.latest()[0] == seq  # unchanged files: nothing new
    # A changed sealing script is a new, public entry.
    static = tmp_path / "static"
    for name in code_release.FILES:
        target = static / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"// changed\n")
    settings.STATICFILES_DIRS = [static]
    from django.contrib.staticfiles import finders

    finders.get_finder.cache_clear()
    try:
        new_seq, recorded = code_release.record("v2")
    finally:
        finders.get_finder.cache_clear()
    assert recorded and new_seq > seq
