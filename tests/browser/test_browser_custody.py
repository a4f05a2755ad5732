"""A custodian keeps its keys in the browser: creates its identity there, gives its key
statement, saves an encrypted backup, restores it in a fresh browser, and releases its key
after the deadline once the closing verifies against the signed log; the bids then open."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from playwright.sync_api import expect

from bidders.services import submission
from evaluation import tasks as evaluation_tasks
from evaluation.services import closing, release
from procurement.clock import db_now
from procurement.models import CustodianIdentity, LedgerEntry, Role
from tenders import services as tender_services
from tenders.services import custody
from tests.bidders.sealing import price_sheet, seal_bid
from tests.conftest import PASSWORD
from tests.tenders.fixtures import LOTS, tender_fields

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")


def test_a_custodian_keeps_its_keys_in_the_browser(
    live_server, browser, page, make_user, agency, officer, drill,
    custodians, make_bidder, settings, tmp_path,
):  # fmt: skip
    settings.CUSTODIAN_GRACE_SECONDS = 1
    oversight = custodians[1].identity.organisation
    person = make_user((Role.CUSTODIAN, oversight))
    sign_in(page, live_server, person)
    page.goto(f"{live_server.url}/workspace/custody/")
    page.click("#custody-create-button")
    expect(page.locator("#custody-status")).to_have_class("ok", timeout=15_000)
    identity = CustodianIdentity.objects.get(user=person)
    expect(page.locator("#custody-identity")).to_have_text(identity.code)

    deadline = db_now() + dt.timedelta(seconds=30)
    tender = tender_services.create_tender(
        agency, actor=officer, regime=drill, lots=LOTS,
        **tender_fields(submission_deadline=deadline, opening_time=deadline),
    )  # fmt: skip
    codes = [custodians[0].identity.code, identity.code, custodians[2].identity.code]
    custody.set_roster(tender, actor=officer, custodians=codes, threshold=2)
    custodians[0].give_statement(tender)
    custodians[2].give_statement(tender)
    page.goto(f"{live_server.url}/workspace/custody/")
    page.click("button[data-action=statement]")
    expect(page.locator("#custody-status")).to_have_class("ok", timeout=15_000)
    assert tender.roster.get(index=2).statement
    tender = tender_services.publish_tender(tender, actor=officer)

    # An encrypted backup, restored in a fresh browser with empty storage.
    page.fill("#custody-passphrase", "mật khẩu sao lưu dài")
    with page.expect_download() as download:
        page.click("#custody-backup-button")
    backup = tmp_path / "backup.json"
    download.value.save_as(backup)
    assert b"PRIVATE" not in backup.read_bytes()
    fresh_context = browser.new_context(locale="vi-VN")
    fresh = fresh_context.new_page()
    sign_in(fresh, live_server, person)
    fresh.goto(f"{live_server.url}/workspace/custody/")
    fresh.fill("#custody-passphrase", "mật khẩu sao lưu dài")
    fresh.set_input_files("#custody-file", str(backup))
    fresh.click("#custody-restore-button")
    expect(fresh.locator("#custody-identity")).to_have_text(identity.code, timeout=15_000)

    user, org = make_bidder()
    body = seal_bid(tender, org.code, price=price_sheet(tender, "555000000"))
    submission.submit_bid(tender, actor=user, stream=io.BytesIO(body))
    while db_now() < tender.submission_deadline + dt.timedelta(seconds=1.2):
        time.sleep(0.3)
    assert closing.close_tender(tender)

    fresh.goto(f"{live_server.url}/workspace/custody/")
    fresh.click("button[data-action=release]")
    expect(fresh.locator("#custody-status")).to_have_class("ok", timeout=20_000)
    released = LedgerEntry.objects.filter(kind="KEY_RELEASED", subject=tender.ledger_subject)
    assert released.count() == 1
    release.release_key(tender, actor=custodians[0].user, signed=custodians[0].release(tender))
    evaluation_tasks.open_ready_tenders()
    tender.refresh_from_db()
    assert tender.status == "opened"
    fresh_context.close()
