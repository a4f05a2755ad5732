"""The portal: pages render in both languages, sign-in works and locks out, headers are set."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from procurement import ledger
from procurement.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_home_speaks_vietnamese_by_default_and_english_on_request(client, make_org):
    make_org()
    page = client.get(reverse("home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Mua sắm công minh bạch" in text
    assert '<html lang="vi">' in text
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Transparent public procurement" in english.content.decode()


def test_language_switcher_sets_the_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/ledger/"})
    assert response.status_code == 302
    page = client.get(reverse("ledger"))
    assert "Public ledger" in page.content.decode()
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Sổ cái công khai" in client.get(reverse("ledger")).content.decode()


def test_ledger_page_lists_entries_and_redacts_sealed_ones(client, make_org):
    import datetime as dt

    make_org(code="so-xay-dung")
    with transaction.atomic():
        sealed = ledger.record_event(
            "TEST_SEALED",
            "tender:T-9",
            {"bidder": "secret-bidder"},
            actor=None,
            sealed_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        )
    ledger.make_checkpoint()
    text = client.get(reverse("ledger"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "organisation:so-xay-dung" in text
    assert "secret-bidder" not in text and "tender:T-9" not in text
    assert "Sealed until the deadline" in text
    entry_page = client.get(reverse("ledger-entry", args=[sealed.seq])).content.decode()
    assert "secret-bidder" not in entry_page
    assert bytes(sealed.leaf_hash).hex() in entry_page
    assert client.get(reverse("ledger-entry", args=[999])).status_code == 404


def test_entry_page_shows_a_proof_that_verifies(client, make_org):
    from procurement.crypto import rfc9162

    make_org()
    ledger.drain()  # the deferred entry, appended after a commit (never in a test)
    checkpoint = ledger.make_checkpoint()
    page = client.get(reverse("ledger-entry", args=[1]))
    proof = page.context["proof"]
    entry = page.context["entry"]
    rfc9162.verify_inclusion(
        1,
        checkpoint.tree_size,
        bytes.fromhex(entry.leaf_hash),
        [bytes.fromhex(h) for h in proof],
        bytes(checkpoint.root_hash),
    )


def test_sign_in_and_out(client, make_org, make_user):
    user = make_user((Role.OFFICER, make_org()))
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert str(user) in client.get(reverse("home")).content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).context["user"].is_anonymous


def test_failed_sign_ins_lock_the_account_for_this_address(client, make_user):
    user = make_user()
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert client.get(reverse("home")).context["user"].is_anonymous


def test_security_headers_and_csp(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'nonce'" not in csp  # the placeholder must never reach a browser
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_is_for_platform_admins_only(client, make_user, make_org):
    officer = make_user((Role.OFFICER, make_org()))
    client.force_login(officer)
    assert client.get("/admin/").status_code == 302
    client.force_login(make_user(admin=True))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/procurement/ledgerentry/").status_code == 200
    assert client.get("/admin/procurement/ledgerentry/add/").status_code == 403


def test_ledger_pages_walk_the_whole_log_newest_first(client, make_org):
    for _ in range(60):
        make_org()
    ledger.drain()  # deferred entries, appended after a commit (never in a test)
    first = client.get(reverse("ledger"))
    seqs = [e.seq for e in first.context["entries"]]
    assert seqs == list(range(60, 10, -1))
    second = client.get(reverse("ledger"), {"page": 2})
    assert [e.seq for e in second.context["entries"]] == list(range(10, -1, -1))
    assert client.get(reverse("ledger"), {"page": "x"}).context["page"].number == 1
    subject = first.context["entries"][0].subject
    by_subject = client.get(reverse("ledger"), {"subject": subject})
    assert [e.seq for e in by_subject.context["entries"]] == [60]
