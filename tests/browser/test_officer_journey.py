"""Headless Chromium (Debian's, never a downloaded one) driving the portal as people do:
an officer signs in, drafts and publishes a tender; the public finds it, switches language and
sees the countdown run under the page's Content-Security-Policy with no console errors."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenders.models import Tender
from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but Debian's chromium is not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stray_connections():
    """After the live server stops, end database sessions its request threads left open
    (kept-alive browser connections outlive the server's own cleanup), so the test database
    can be dropped at the end of the run."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Bangkok")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def test_officer_publishes_and_the_public_sees_it(
    stray_connections, live_server, page, officer, agency, vn
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.goto(f"{live_server.url}/workspace/new/")
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=25)).replace(second=0)
    page.select_option("#id_regime", str(vn.pk))
    page.fill("#id_title", "Mua sắm bàn ghế học sinh")
    page.select_option("#id_category", "goods")
    page.fill("#id_classification_code", "39000000-2")
    page.fill("#id_estimated_value", "900000000")
    page.fill("#id_bid_security_amount", "10000000")
    page.fill("#id_submission_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_opening_time", (deadline + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_contact_name", "Nguyễn Văn An")
    page.fill("#id_contact_email", "an@example.gov.vn")
    page.fill("#id_lot_title", "Bàn ghế")
    page.fill("#id_items", "Bộ bàn ghế học sinh; 300; bộ; 39000000-2")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/workspace/MB-*/")
    page.click("form[action$='/publish/'] button")
    page.wait_for_selector(".messages")
    assert "Gói thầu đã được đăng tải." in page.inner_text(".messages"), page.inner_text("main")
    tender = Tender.objects.get()
    assert tender.status == "published"

    # The public page: found by search, countdown running, no CSP or script errors.
    page.goto(f"{live_server.url}/tenders/?q=bàn ghế")
    page.click(f"text={tender.reference}")
    # Locators, not wait_for_function: the page's CSP forbids the eval that polling uses.
    expect(page.locator("[data-left]")).to_contain_text("ngày", timeout=10_000)
    assert page.inner_text("[data-local]")  # the deadline in the viewer's own time zone
    page.click("button[lang=en]")
    page.wait_for_selector("text=Submission deadline")
    assert page.console_errors == []
    response = page.request.get(page.url)
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
