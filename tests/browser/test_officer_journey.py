"""Headless Chromium (Debian's, never a downloaded one) driving the portal as people do:
an officer signs in, drafts and publishes a tender; the public finds it, switches language and
sees the countdown run under the page's Content-Security-Policy with no console errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenders.models import Tender
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_publishes_and_the_public_sees_it(
    live_server, page, officer, agency, vn, custodians
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
    # The roster: three custodians from two organisations, two keys open the bids.
    for custodian in custodians:
        page.check(f"input[name=custodians][value='{custodian.identity.code}']")
    page.fill("#id_threshold", "2")
    page.click("form[action$='/roster/'] button")
    page.wait_for_selector(".messages")
    tender = Tender.objects.get()
    for custodian in custodians:  # each on its own side (here: the test's custodians)
        custodian.give_statement(tender)
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
