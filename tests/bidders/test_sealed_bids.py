"""Sealed bids end to end through the API: roster and key statements, submission with a signed
receipt, replacement and withdrawal, closing with the bid set, key release, opening and the
public opening record, and the attacks that must fail."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from django.core import management
from django.db import connection
from django.urls import reverse

from bidders.models import Bid, BidStatus
from bidders.services import registration as services
from bidders.services import submission
from evaluation.services import cancellation as cancelling
from evaluation.services import closing, opening
from procurement import ledger, sealedlog
from procurement.clock import db_now
from procurement.crypto import envelope, sealedproof, signednote
from procurement.crypto.verifier import Report, check_receipt
from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.keys import ledger_verifier_key, receipt_verifier_key
from procurement.models import LedgerEntry, OrganisationKind, Role
from tenders import services as tender_services
from tenders.models import Tender
from tenders.services import custody
from tests.bidders.sealing import MARKER, price_sheet, seal_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


def submit(api_as, user, tender, body: bytes, **headers):
    return api_as(user).post(
        reverse("api:tender-bids", args=[tender.reference]),
        data=body,
        content_type="application/octet-stream",
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )


def close_now(tender) -> Tender:
    """Move the deadline into the past (as time passing would) and let the beat scan close."""
    past = db_now() - dt.timedelta(seconds=1)
    Tender.objects.filter(pk=tender.pk).update(submission_deadline=past, opening_time=past)
    assert closing.close_tender(tender)
    tender.refresh_from_db()
    return tender


def release_all(api_as, tender, custodians, count=None):
    for custodian in custodians[:count]:
        response = api_as(custodian.user).post(
            reverse("api:tender-key-releases", args=[tender.reference]),
            custodian.release(tender),
            format="json",
        )
        assert response.status_code == 200, response.json()


# --- Custody --------------------------------------------------------------------------------


def test_publication_waits_for_every_key_statement(make_tender, officer, custodians):
    tender = make_tender(roster=False)
    custody.set_roster(
        tender, actor=officer, custodians=[c.identity.code for c in custodians], threshold=2
    )
    custodians[0].give_statement(tender)
    with pytest.raises(Conflict) as exc:
        tender_services.publish_tender(tender, actor=officer)
    assert custodians[1].identity.code in exc.value.message
    assert custodians[0].identity.code not in exc.value.message
    for custodian in custodians[1:]:
        custodian.give_statement(tender)
    tender = tender_services.publish_tender(tender, actor=officer)
    published = LedgerEntry.objects.get(kind="TENDER_PUBLISHED")
    payload = json.loads(bytes(published.canonical))["payload"]
    assert (
        payload["keyset_hash"] == tender.keyset_hash == custody.verified_keyset(tender).keyset_hash
    )
    assert payload["threshold"] == 2
    assert payload["custodians"] == [c.identity.code for c in custodians]


def test_roster_rules(make_tender, officer, custodians, make_org, make_user):
    tender = make_tender(roster=False)
    codes = [c.identity.code for c in custodians]
    for bad, threshold in [(codes, 1), (codes, 4), (codes + ["nobody"], 2)]:
        with pytest.raises(InvalidInput):
            custody.set_roster(tender, actor=officer, custodians=bad, threshold=threshold)
    # A second custodian of the same institution: that institution would hold k places.
    org = custodians[1].identity.organisation
    colleague = make_user((Role.CUSTODIAN, org))
    second = custody.register_identity(org, actor=colleague, public_key=base64.b64encode(
        bytes(range(100, 132))).decode())  # fmt: skip
    with pytest.raises(InvalidInput, match="k or more places"):
        custody.set_roster(tender, actor=officer, custodians=[*codes, second.code], threshold=2)
    with pytest.raises(InvalidInput, match="two different organisations"):
        custody.set_roster(tender, actor=officer, custodians=[codes[1], second.code], threshold=2)
    # A custodian of another agency may not sit on this agency's tender.
    other = make_org(OrganisationKind.AGENCY)
    stranger = make_user((Role.CUSTODIAN, other))
    identity = custody.register_identity(other, actor=stranger, public_key=base64.b64encode(
        bytes(range(32))).decode())  # fmt: skip
    with pytest.raises(InvalidInput, match="oversight"):
        custody.set_roster(tender, actor=officer, custodians=[*codes, identity.code], threshold=2)
    with pytest.raises(PermissionDenied):
        custody.set_roster(tender, actor=custodians[0].user, custodians=codes, threshold=2)
    custody.set_roster(tender, actor=officer, custodians=[*codes, second.code], threshold=3)
    # While its places are pending, a custodian cannot replace its identity key.
    with pytest.raises(Conflict, match="still holds places"):
        custody.register_identity(org, actor=colleague, public_key=base64.b64encode(
            bytes(range(140, 172))).decode())  # fmt: skip


def test_statements_must_verify(make_tender, officer, custodians):
    tender = make_tender(roster=False)
    custody.set_roster(
        tender, actor=officer, custodians=[c.identity.code for c in custodians], threshold=2
    )
    first, second = custodians[0], custodians[1]
    good = first.give_statement(tender).signed
    # Someone else's statement, a forged signature, or a statement from a non-custodian.
    with pytest.raises(InvalidInput, match="does not verify"):
        custody.submit_statement(tender, actor=second.user, signed=good)
    forged = {**good, "signature": base64.b64encode(bytes(64)).decode()}
    with pytest.raises(InvalidInput, match="not signed"):
        custody.submit_statement(tender, actor=first.user, signed=forged)
    with pytest.raises(PermissionDenied):
        custody.submit_statement(tender, actor=officer, signed=good)


def test_moving_a_drafts_deadline_asks_for_new_statements(make_tender, officer):
    tender = make_tender()
    assert all(s.statement for s in tender.roster.all())
    tender_services.update_draft(
        tender,
        actor=officer,
        submission_deadline=tender.submission_deadline + dt.timedelta(days=1),
        opening_time=tender.opening_time + dt.timedelta(days=1),
    )
    assert not any(s.statement for s in tender.roster.all())
    with pytest.raises(Conflict, match="Waiting for the key statements"):
        tender_services.publish_tender(tender, actor=officer)


# --- Submission and receipts ----------------------------------------------------------------


def _check(receipt) -> Report:
    report = Report()
    check_receipt(
        receipt,
        signednote.parse_verifier_key(ledger_verifier_key()),
        None,
        report,
        signednote.parse_verifier_key(receipt_verifier_key()),
    )
    return report


def test_submit_gives_a_receipt_that_verifies_offline(api_as, tender, make_bidder):
    """At once: the signed statement (a promise). After the cadence's batch and checkpoint:
    the statement's path to the batch root, the batch entry and its inclusion proof."""
    user, org = make_bidder()
    response = submit(api_as, user, tender, seal_bid(tender, org.code))
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    receipt = response.json()["receipt"]
    assert receipt["v"] == 2 and receipt["batch"] is None and receipt["checkpoint"] is None
    report = _check(receipt)
    assert not report.failures, report.failures
    assert any("not yet merged" in line for line in report.checks)
    statement = json.loads(receipt["statement"])
    assert statement["kind"] == "BID_SUBMITTED"
    assert statement["payload"]["bidder"] == org.code
    # A receipt whose statement was altered fails the signature.
    forged = {**receipt, "statement": receipt["statement"].replace(org.code, "someone-else")}
    assert _check(forged).failures
    # The cadence merges it; asking again gives the completed receipt.
    sealedlog.tick()
    bid_id = response.json()["bid"]
    completed = api_as(user).get(reverse("api:bid", args=[bid_id])).json()["receipt"]
    assert completed["batch"]["depth"] == 10 and completed["checkpoint"]
    report = _check(completed)
    assert not report.failures, report.failures
    assert any("included in the signed tree" in line for line in report.checks)
    wrong_slot = {
        **completed,
        "batch": {**completed["batch"], "slot": completed["batch"]["slot"] ^ 1},
    }
    assert _check(wrong_slot).failures
    tampered = json.loads(completed["batch"]["entry"])
    tampered["payload"]["root"] = "00" * 32
    forged = {**completed, "batch": {**completed["batch"], "entry": json.dumps(tampered)}}
    assert _check(forged).failures


def test_before_the_deadline_nobody_sees_who_bid_or_how_many(api, api_as, tender, make_bidder):
    for _ in range(2):
        user, org = make_bidder()
        assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    now = db_now()
    public = ledger.entries_for_subject(tender.ledger_subject, now)
    assert not any(e.kind == "BID_SUBMITTED" for e in public)
    rows = ledger.entries_in_range(0, ledger.tree_size(), now)
    assert not any(e.sealed for e in rows)  # not even a sealed placeholder per bid
    record = api.get(reverse("api:tender-opening", args=[tender.reference])).json()
    assert record["bids"] == [] and record["waiting_for"] == []
    page = api.get(reverse("api:ledger-entries"), {"subject": tender.ledger_subject}).json()
    assert all(e["kind"] != "BID_SUBMITTED" for e in page)


def test_replacing_and_withdrawing(api_as, tender, make_bidder):
    user, org = make_bidder()
    first = submit(api_as, user, tender, seal_bid(tender, org.code)).json()
    again = submit(api_as, user, tender, seal_bid(tender, org.code))
    assert again.status_code == 409  # one live bid per supplier: replace it explicitly
    second = submit(
        api_as, user, tender, seal_bid(tender, org.code), HTTP_X_SUPERSEDES=first["bid"]
    )
    assert second.status_code == 201, second.json()
    assert second.json()["supersedes"] == first["bid"]
    assert Bid.objects.get(public_id=first["bid"]).status == BidStatus.SUPERSEDED
    withdrawn = api_as(user).post(reverse("api:bid-withdraw", args=[second.json()["bid"]]))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    withdrawal = withdrawn.json()["withdrawal_receipt"]
    assert json.loads(withdrawal["statement"])["kind"] == "BID_WITHDRAWN"
    assert not _check(withdrawal).failures
    tender = close_now(tender)
    closing = json.loads(bytes(LedgerEntry.objects.get(kind="TENDER_CLOSED").canonical))
    assert closing["payload"]["bids"] == [] and closing["payload"]["bid_count"] == 0
    # At closing every statement became a public entry of its own, in statement order, each
    # with its proof of membership in a sealed batch logged before the closing.
    revealed = list(
        LedgerEntry.objects.filter(
            subject=tender.ledger_subject, kind__in=["BID_SUBMITTED", "BID_WITHDRAWN"]
        ).order_by("seq")
    )
    assert [e.kind for e in revealed] == ["BID_SUBMITTED", "BID_SUBMITTED", "BID_WITHDRAWN"]
    for entry in revealed:
        payload = json.loads(bytes(entry.canonical))["payload"]
        batch = ledger.get_entry(payload["batch_seq"])
        assert batch.seq < entry.seq < tender.closing_seq
        sealedproof.check_batch_membership(
            payload["statement"].encode(),
            payload["slot"],
            [bytes.fromhex(p) for p in payload["path"]],
            json.loads(bytes(batch.canonical)),
        )
    assert Bid.objects.get(public_id=first["bid"]).ledger_seq == revealed[0].seq
    assert Bid.objects.get(public_id=second.json()["bid"]).withdrawal_seq == revealed[2].seq


def test_a_supplier_cannot_read_or_list_anothers_bid(api_as, tender, make_bidder):
    user, org = make_bidder()
    other, _ = make_bidder()
    bid = submit(api_as, user, tender, seal_bid(tender, org.code)).json()["bid"]
    assert api_as(other).get(reverse("api:bid", args=[bid])).status_code == 404
    assert api_as(other).get(reverse("api:bids")).json() == []
    assert api_as(other).post(reverse("api:bid-withdraw", args=[bid])).status_code == 404
    assert [b["bid"] for b in api_as(user).get(reverse("api:bids")).json()] == [bid]
    # Nor submit in another supplier's name.
    response = submit(api_as, other, tender, seal_bid(tender, org.code))
    assert response.status_code == 403


def test_replaying_an_envelope_is_refused(api_as, tender, make_bidder):
    """Another supplier cannot replay an envelope; its own supplier sending it again (a retry
    after a lost answer) gets the original bid and receipt, and nothing new is recorded."""
    user, org = make_bidder()
    body = seal_bid(tender, org.code)
    first = submit(api_as, user, tender, body).json()
    entries = LedgerEntry.objects.count()
    again = submit(api_as, user, tender, body, HTTP_X_SUPERSEDES=first["bid"])
    assert again.status_code == 200
    assert again.json()["bid"] == first["bid"] and again.json()["receipt"] == first["receipt"]
    assert Bid.objects.count() == 1 and LedgerEntry.objects.count() == entries
    other_user, _other = make_bidder()
    entries = LedgerEntry.objects.count()
    replay = submit(api_as, other_user, tender, body)
    assert replay.status_code == 403  # the envelope names a bidder it does not represent
    assert Bid.objects.count() == 1 and LedgerEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"k": 3}, "policy"),  # the bidder may not choose its own threshold
        ({"keyset": "0" * 64}, "policy"),  # sealed to another key set
    ],
)
def test_policy_is_the_tenders_not_the_bidders(api_as, tender, make_bidder, change, reason):
    user, org = make_bidder()
    response = submit(api_as, user, tender, seal_bid(tender, org.code, **change))
    assert response.status_code == 400
    assert f"({reason})" in response.json()["error"]["message"]
    assert not Bid.objects.exists()


def test_a_threshold_of_one_cannot_even_be_sealed(tender):
    with pytest.raises(envelope.EnvelopeError):
        seal_bid(tender, "x", k=1)


@pytest.mark.parametrize("damage", ["magic", "tender", "truncate", "extend"])
def test_structurally_broken_envelopes_are_refused(api_as, tender, make_bidder, damage):
    user, org = make_bidder()
    body = bytearray(seal_bid(tender, org.code))
    if damage == "magic":
        body[1] ^= 0x01
    elif damage == "tender":
        at = bytes(body).index(tender.reference.encode())
        body[at + len(tender.reference) - 1] ^= 0x01  # another tender's reference
    elif damage == "truncate":
        del body[-5:]
    else:
        body += b"\x00"
    response = submit(api_as, user, tender, bytes(body))
    assert response.status_code == 400, response.json()
    assert not Bid.objects.exists()
    assert not list((submission.settings.SEALED_ROOT / "envelopes").glob("**/*.epb1")) if (
        submission.settings.SEALED_ROOT / "envelopes").exists() else True  # fmt: skip


def test_no_bid_at_or_after_the_deadline(api_as, tender, make_bidder):
    user, org = make_bidder()
    body = seal_bid(tender, org.code)
    Tender.objects.filter(pk=tender.pk).update(submission_deadline=db_now())
    response = submit(api_as, user, tender, body)
    assert response.status_code == 409
    assert "deadline has passed" in response.json()["error"]["message"]
    assert not Bid.objects.exists()


class SlowUpload(io.BytesIO):
    """A request that starts before the deadline and ends after it: while the last bytes are
    read, the deadline passes."""

    def __init__(self, body: bytes, tender) -> None:
        super().__init__(body)
        self.tender = tender

    def read(self, size=-1):
        data = super().read(size)
        if not data:
            Tender.objects.filter(pk=self.tender.pk).update(
                submission_deadline=db_now() - dt.timedelta(microseconds=1)
            )
        return data


def test_an_upload_that_ends_after_the_deadline_is_refused(tender, make_bidder):
    user, org = make_bidder()
    stream = SlowUpload(seal_bid(tender, org.code), tender)
    with pytest.raises(Conflict, match="deadline has passed"):
        submission.submit_bid(tender, actor=user, stream=stream)
    assert not Bid.objects.exists()
    assert not LedgerEntry.objects.filter(kind="BID_SUBMITTED").exists()


def test_unapproved_or_debarred_suppliers_cannot_bid(api_as, tender, make_bidder, make_user):
    user, org = make_bidder()
    services.debar_supplier(
        org,
        actor=make_user(admin=True),
        starts_on=db_now().date(),
        ends_on=db_now().date() + dt.timedelta(days=30),
        reason="Gian lận",
        legal_basis="Điều 16",
    )
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 403


def test_no_plaintext_in_the_database_dump_or_the_storage_before_the_deadline(
    api_as, tender, make_bidder, settings, tmp_path
):
    user, org = make_bidder()
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    dump = io.StringIO()
    management.call_command("dumpdata", stdout=dump)
    assert MARKER.decode() not in dump.getvalue()
    if connection.vendor == "postgresql":
        # Every row of every table as its administrator would read it, bytea as hex (read in
        # this test's transaction, which an outside pg_dump could not see).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - catalogue names
                for (row,) in cursor.fetchall():
                    assert MARKER.decode() not in row and MARKER.hex() not in row, table
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".epb1" for p in files)
    for path in files:
        assert MARKER not in path.read_bytes(), path


# --- Closing, release, opening --------------------------------------------------------------


def test_full_cycle_closing_release_opening_and_public_price_check(
    api, api_as, tender, make_bidder, custodians, officer
):
    bidders = [make_bidder() for _ in range(3)]
    deadline = tender.submission_deadline
    prices = ["41500000000.00", "39990000000.50", "45000000000.00"]
    for (user, org), price in zip(bidders, prices, strict=True):
        body = seal_bid(tender, org.code, price=price_sheet(tender, price))
        assert submit(api_as, user, tender, body).status_code == 201
    # A custodian cannot release before closing.
    early = api_as(custodians[0].user).post(
        reverse("api:tender-key-releases", args=[tender.reference]),
        {"statement": "{}", "signature": "AA==", "wrapped_key": "AA=="},
        format="json",
    )
    assert early.status_code == 409
    tender = close_now(tender)
    closing = json.loads(bytes(LedgerEntry.objects.get(kind="TENDER_CLOSED").canonical))
    assert closing["payload"]["bid_count"] == 3
    assert closing["payload"]["bid_set_root"] == tender.bid_set_root
    # One key is not enough: the opening waits and says for whom.
    release_all(api_as, tender, custodians, count=1)
    assert not opening.open_tender(tender)
    record = api.get(reverse("api:tender-opening", args=[tender.reference])).json()
    assert record["status"] == "closed"
    assert record["waiting_for"] == [c.identity.code for c in custodians[1:]]
    assert len(record["bids"]) == 3 and "price_total" not in record["bids"][0]
    # An officer cannot open, nor read the documents.
    officer_release = api_as(officer).post(
        reverse("api:tender-key-releases", args=[tender.reference]),
        custodians[1].release(tender),
        format="json",
    )
    assert officer_release.status_code == 403
    release_all(api_as, tender, custodians[1:], count=1)
    assert opening.open_tender(tender)
    tender.refresh_from_db()
    assert tender.status == "opened"
    record = api.get(reverse("api:tender-opening", args=[tender.reference])).json()
    assert sorted(b["price_total"] for b in record["bids"]) == sorted(p for p in prices)
    for item in record["bids"]:
        # Anyone can re-check each read-out price with the published key and ciphertext.
        plain = envelope.decrypt_price(
            bytes.fromhex(item["price_key"]),
            bytes.fromhex(item["core_sha256"]),
            base64.b64decode(item["price_ct"]),
            item["price_len"],
            item["chunk"],
        )
        assert json.loads(plain) == item["price_sheet"]
        assert item["status"] == "opened"
    kinds = list(LedgerEntry.objects.filter(subject=tender.ledger_subject).values_list(
        "kind", flat=True))  # fmt: skip
    assert kinds.count("KEY_RELEASED") == 2 and kinds.count("BID_OPENED") == 3
    assert kinds[-1] == "TENDER_OPENED"
    # From the deadline on, who bid is public in the ledger. (The test moved the deadline
    # into the past with an UPDATE; the entries keep the deadline they were sealed to.)
    public = ledger.entries_for_subject(tender.ledger_subject, deadline)
    assert sum(e.kind == "BID_SUBMITTED" for e in public) == 3


def test_broken_bids_are_recorded_invalid_with_the_reason(api_as, tender, make_bidder, custodians):
    good_user, good_org = make_bidder()
    assert submit(api_as, good_user, tender, seal_bid(tender, good_org.code)).status_code == 201
    cases = {}
    for name in ("flipped", "reordered", "inconsistent", "bad_price"):
        user, org = make_bidder()
        docs = bytes(range(256)) * 20  # several pieces of 1 KiB
        if name == "bad_price":
            body = seal_bid(
                tender,
                org.code,
                price=b'{"currency": "USD", "lots": [{"lot": 1, "price": "5"}]}',
                docs=docs,
            )
        else:
            body = bytearray(seal_bid(tender, org.code, docs=docs))
            header = envelope.read_header(io.BytesIO(bytes(body)))
            if name == "flipped":
                body[-3] ^= 0x01
            elif name == "reordered":
                start, size = header.docs_offset, 1024 + envelope.TAG
                first, second = body[start : start + size], body[start + size : start + 2 * size]
                body[start : start + 2 * size] = second + first
            else:  # replace one sealed share with a share sealed for another bid
                other = envelope.read_header(io.BytesIO(seal_bid(tender, org.code, docs=docs)))
                shares = [base64.b64encode(s).decode() for s in header.sealed_shares]
                shares[0] = base64.b64encode(other.sealed_shares[0]).decode()
                old = json.dumps(
                    [base64.b64encode(s).decode() for s in header.sealed_shares],
                    separators=(",", ":"),
                ).encode()
                new = json.dumps(shares, separators=(",", ":")).encode()
                body = bytearray(bytes(body).replace(old, new))
            body = bytes(body)
        response = submit(api_as, user, tender, body)
        assert response.status_code == 201, response.json()  # no key: cannot be told at submission
        cases[name] = response.json()["bid"]
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    assert opening.open_tender(tender)
    reasons = {name: Bid.objects.get(public_id=bid) for name, bid in cases.items()}
    assert all(b.status == BidStatus.INVALID for b in reasons.values())
    assert "authentication" in reasons["flipped"].invalid_reason
    assert "authentication" in reasons["reordered"].invalid_reason
    assert "share" in reasons["inconsistent"].invalid_reason or "committed" in (
        reasons["inconsistent"].invalid_reason)  # fmt: skip
    assert "not in VND" in reasons["bad_price"].invalid_reason
    assert Bid.objects.get(supplier=good_org).status == BidStatus.OPENED
    assert LedgerEntry.objects.filter(kind="BID_INVALID").count() == 4
    # Nothing of the broken bids' partly decrypted documents is left on disk.
    incoming = submission.settings.SEALED_ROOT / "incoming"
    assert not list(incoming.glob("*")) if incoming.exists() else True


def test_a_release_must_be_the_published_key(api_as, tender, make_bidder, custodians):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    tender = close_now(tender)
    honest = custodians[0]
    real = honest.tender_keys[tender.reference]
    honest.tender_keys[tender.reference] = X25519PrivateKey.generate()
    response = api_as(honest.user).post(
        reverse("api:tender-key-releases", args=[tender.reference]),
        honest.release(tender),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "does not verify" in response.json()["error"]["message"]
    honest.tender_keys[tender.reference] = real
    release_all(api_as, tender, custodians, count=1)
    again = api_as(honest.user).post(
        reverse("api:tender-key-releases", args=[tender.reference]),
        honest.release(tender),
        format="json",
    )
    assert again.status_code == 409


def test_two_envelopes_open_prices_only_for_compliant_bids(
    api, api_as, make_tender, make_bidder, custodians, officer, make_user
):
    tender = make_tender(publish=True, envelope_procedure="two_envelopes")
    bids = []
    for price in ("100000000.00", "90000000.00"):
        user, org = make_bidder()
        body = seal_bid(tender, org.code, price=price_sheet(tender, price))
        bids.append(submit(api_as, user, tender, body).json()["bid"])
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    assert opening.open_tender(tender)
    record = api.get(reverse("api:tender-opening", args=[tender.reference])).json()
    assert all("price_total" not in b and b["docs_sha256"] for b in record["bids"])
    assert not Bid.objects.exclude(price_key="").exists()
    # The committee examines the technical parts first: the first bid fails.
    from evaluation.services import committee
    from tests.evaluation.flow import examine

    member = make_user((Role.EVALUATOR, officer.memberships.get().organisation))
    committee.appoint(tender, actor=officer, user=member)
    committee.declare(tender, actor=member, conflict=False)
    url = reverse("api:tender-financial-opening", args=[tender.reference])
    early = api_as(officer).post(url, {}, format="json")
    assert early.status_code == 409  # every opened bid must be examined first
    examine(api_as, member, tender, bids[0], fail="qualification", reason="Thiếu kinh nghiệm")
    examine(api_as, member, tender, bids[1])
    wrong = api_as(officer).post(url, {"compliant": bids}, format="json")
    assert wrong.status_code == 400  # not the committee's list
    response = api_as(officer).post(url, {"compliant": [bids[1]]}, format="json")
    assert response.status_code == 200, response.json()
    record = api.get(reverse("api:tender-opening", args=[tender.reference])).json()
    prices = {b["bid"]: b.get("price_total") for b in record["bids"]}
    assert prices == {bids[0]: None, bids[1]: "90000000.00"}
    again = api_as(officer).post(
        reverse("api:tender-financial-opening", args=[tender.reference]),
        {"compliant": [bids[0]]},
        format="json",
    )
    assert again.status_code == 409  # once only: the non-compliant price stays sealed
    assert Bid.objects.get(public_id=bids[0]).price_key == ""


def test_role_matrix_for_custody_writes(
    api_as, make_tender, officer, custodians, make_bidder, make_user
):
    tender = make_tender(roster=False)
    supplier, _ = make_bidder()
    url = reverse("api:tender-roster", args=[tender.reference])
    body = {"custodians": [c.identity.code for c in custodians], "threshold": 2}
    for user, expected in [(supplier, 404), (custodians[0].user, 404), (officer, 200)]:
        assert api_as(user).post(url, body, format="json").status_code == expected
    assert tender.roster.count() == 3
    identity_url = reverse("api:custodians")
    key = base64.b64encode(bytes(range(1, 33))).decode()
    org = custodians[1].identity.organisation
    newcomer = make_user((Role.CUSTODIAN, org))
    data = {"organisation": org.code, "public_key": key}
    assert api_as(supplier).post(identity_url, data, format="json").status_code == 403
    assert api_as(officer).post(identity_url, data, format="json").status_code == 403
    assert api_as(newcomer).post(identity_url, data, format="json").status_code == 201
    # A custodian with a pending place keeps its key until the place is done.
    again = {"organisation": org.code, "public_key": base64.b64encode(bytes(range(2, 34))).decode()}
    assert api_as(custodians[1].user).post(identity_url, again, format="json").status_code == 409


def test_cancelled_tenders_never_open(api_as, tender, make_bidder, custodians, officer):
    user, org = make_bidder()
    submit(api_as, user, tender, seal_bid(tender, org.code))
    tender = close_now(tender)
    cancelling.cancel_tender(tender, actor=officer, reason="Hủy do thay đổi nhu cầu")
    response = api_as(custodians[0].user).post(
        reverse("api:tender-key-releases", args=[tender.reference]),
        custodians[0].release(tender),
        format="json",
    )
    assert response.status_code == 409
    assert not opening.open_tender(tender)


def test_a_moved_deadline_keeps_bids_sealed(api_as, tender, make_bidder, officer):
    user, org = make_bidder()
    submit(api_as, user, tender, seal_bid(tender, org.code))
    old = tender.submission_deadline
    tender_services.amend_tender(
        tender,
        actor=officer,
        rationale="Gia hạn",
        submission_deadline=old + dt.timedelta(days=5),
        opening_time=old + dt.timedelta(days=5, hours=1),
    )
    after_old_deadline = old + dt.timedelta(hours=1)
    sealedlog.tick()  # merged in a batch, still not public: only its closing reveals it
    entries = ledger.entries_in_range(0, ledger.tree_size(), after_old_deadline)
    assert not any(e.kind == "BID_SUBMITTED" for e in entries)
    assert not any(
        e.kind == "BID_SUBMITTED"
        for e in ledger.entries_for_subject(tender.ledger_subject, after_old_deadline)
    )


def test_bid_ids_are_uuids(api_as, tender, make_bidder):
    user, org = make_bidder()
    response = submit(api_as, user, tender, seal_bid(tender, org.code, bid="not-a-uuid"))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "sheet",
    [
        b'{"currency": "VND", "lots": [{"lot": [1], "price": "5"}]}',
        b'{"currency": "VND", "lots": [{"lot": 1, "price": "1E+100"}]}',
        b'{"currency": "VND", "lots": [{"lot": 1, "price": "1234567890123456789"}]}',
        b'{"currency": "VND", "lots": [{"lot": 1, "price": 5}]}',
        b'{"currency": "VND", "lots": [{"lot": 1, "price": "-5"}]}',
        b"[" * 100000,
    ],
)
def test_a_hostile_price_sheet_invalidates_only_its_own_bid(
    api_as, tender, make_bidder, custodians, sheet
):
    good_user, good_org = make_bidder()
    submit(api_as, good_user, tender, seal_bid(tender, good_org.code))
    user, org = make_bidder()
    assert submit(api_as, user, tender, seal_bid(tender, org.code, price=sheet)).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians, count=2)
    assert opening.open_tender(tender)
    assert Bid.objects.get(supplier=org).status == BidStatus.INVALID
    assert Bid.objects.get(supplier=good_org).status == BidStatus.OPENED


def test_a_bad_share_makes_the_bid_invalid_whoever_releases(
    api_as, tender, make_bidder, custodians, settings
):
    """Shares for the third custodian sealed for another bid: once that custodian has released
    within the window, the bid is invalid, even though the first two shares alone would open
    it (every order and position: tests/evaluation/test_opening_trust.py)."""
    settings.CUSTODIAN_RELEASE_WINDOW_SECONDS = 3600
    user, org = make_bidder()
    body = bytearray(seal_bid(tender, org.code))
    header = envelope.read_header(io.BytesIO(bytes(body)))
    other = envelope.read_header(io.BytesIO(seal_bid(tender, org.code)))
    encode = lambda shares: json.dumps(  # noqa: E731
        [base64.b64encode(s).decode() for s in shares], separators=(",", ":")
    ).encode()
    body = bytes(body).replace(
        encode(header.sealed_shares), encode([*header.sealed_shares[:2], other.sealed_shares[2]])
    )
    assert submit(api_as, user, tender, body).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians)
    assert opening.open_tender(tender)
    bid = Bid.objects.get(supplier=org)
    assert bid.status == BidStatus.INVALID and "share 3" in bid.invalid_reason
