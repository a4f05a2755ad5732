"""The whole sealed-bid journey in headless Chromium: a supplier seals and submits in the
browser (WebCrypto under the page's strict CSP), another with the command-line sealer; the
tender closes at its deadline; custodians release; the platform opens; the public opening
record shows the prices sealed in the browser and on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from django.urls import reverse
from knox.models import AuthToken
from playwright.sync_api import expect

from bidders.models import Bid
from evaluation import tasks as evaluation_tasks
from evaluation.services import release
from procurement.clock import db_now
from tests.bidders.sealing import MARKER
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_seal_in_the_browser_and_with_the_cli_then_close_release_and_open(
    live_server,
    page,
    make_drill_tender,
    make_bidder,
    custodians,
    tmp_path,
):
    tender = make_drill_tender(seconds=60)
    user, org = make_bidder()
    cli_user, cli_org = make_bidder()

    # 1. In the browser: sign in, seal 50 MiB of documents and a price (streamed piece by
    #    piece, uploaded with a progress bar), submit, get the receipt.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.goto(f"{live_server.url}/tenders/{tender.reference}/bid/")
    page.fill("#lot-1", "12345678900")
    head = b"HO SO DE XUAT KY THUAT " + MARKER
    documents = head + os.urandom(50 * 1024 * 1024 - len(head))
    (tmp_path / "ho-so.zip").write_bytes(documents)
    page.set_input_files("#docs", str(tmp_path / "ho-so.zip"))
    page.click("#seal")
    expect(page.locator("#result")).to_be_visible(timeout=120_000)
    expect(page.locator("#progress")).to_have_attribute("value", "100")
    expect(page.locator("#r-check")).to_have_class("ok")
    assert page.console_errors == []
    browser_bid = Bid.objects.get(supplier=org)
    assert browser_bid.envelope_size > len(documents)
    with browser_bid.envelope.open("rb") as stored:
        assert MARKER not in stored.read()  # sealed before it left the browser

    # 2. On the command line: the sealer verifies the published key set and seals; the
    #    envelope goes up through the API with the supplier's token.
    keyset = json.loads(
        urllib.request.urlopen(  # noqa: S310 - the test's own live server
            f"{live_server.url}{reverse('api:tender-roster', args=[tender.reference])}"
        ).read()
    )
    (tmp_path / "keyset.json").write_text(
        json.dumps(
            [{"statement": s["statement"], "signature": s["signature"]} for s in keyset["roster"]]
        )
    )
    (tmp_path / "identities.json").write_text(
        json.dumps({s["custodian"]: s["identity_key"] for s in keyset["roster"]})
    )
    (tmp_path / "price.json").write_text(
        json.dumps({"currency": tender.currency, "lots": [{"lot": 1, "price": "11999000000.50"}]})
    )
    (tmp_path / "docs.zip").write_bytes(b"CLI " + MARKER)
    sealed = subprocess.run(
        [sys.executable, "-m", "procurement.crypto.sealer",
         "--keyset", str(tmp_path / "keyset.json"),
         "--identities", str(tmp_path / "identities.json"), "--tender", tender.reference,
         "--deadline", keyset["deadline"], "--bidder", cli_org.code,
         "--bid", "6d3c6a52-0d0e-4a0f-9a51-3c2b1f1b7a10", "--k", str(keyset["threshold"]),
         "--price", str(tmp_path / "price.json"), "--docs", str(tmp_path / "docs.zip"),
         "--out", str(tmp_path / "bid.epb1")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "sealed" in sealed.stdout
    _, token = AuthToken.objects.create(cli_user)
    request = urllib.request.Request(  # noqa: S310
        f"{live_server.url}/api/v1/tenders/{tender.reference}/bids/",
        data=(tmp_path / "bid.epb1").read_bytes(),
        headers={"Content-Type": "application/octet-stream", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 201
        receipt = json.load(response)["receipt"]
    statement = json.loads(receipt["statement"])
    assert statement["kind"] == "BID_SUBMITTED" and statement["payload"]["bidder"] == cli_org.code
    assert statement["time"] > browser_bid.submitted_at.isoformat().replace("+00:00", "Z")

    # 3. The deadline passes; the beat scan closes; two custodians release; the worker opens.
    while db_now() < tender.submission_deadline:
        time.sleep(0.5)
    assert evaluation_tasks.close_due_tenders() == 1
    tender.refresh_from_db()
    for custodian in custodians[:2]:
        release.release_key(tender, actor=custodian.user, signed=custodian.release(tender))
    evaluation_tasks.open_ready_tenders()
    tender.refresh_from_db()
    assert tender.status == "opened"

    # 4. The public opening record, in the browser.
    page.goto(f"{live_server.url}/tenders/{tender.reference}/")
    record = page.locator("#custody")
    expect(record).to_contain_text("12345678900.00")
    expect(record).to_contain_text("11999000000.50")
    assert page.console_errors == []
