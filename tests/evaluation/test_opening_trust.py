"""A bid's outcome does not depend on which custodians release first, anyone can re-check every
released share, and storage faults never lose or wrongly invalidate a bid (issue: trust under
outside scrutiny, parts 1 and 6)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.db import OperationalError, connections
from django.urls import reverse

from bidders.models import Bid, BidStatus
from bidders.services import janitor, submission
from evaluation import tasks as evaluation_tasks
from evaluation.services import opening
from evaluation.services import release as releasing
from procurement.clock import db_now
from procurement.crypto import envelope, openingcheck
from procurement.models import LedgerEntry
from tenders.models import RosterSeat, Tender
from tests.bidders.sealing import seal_bid
from tests.bidders.test_sealed_bids import close_now, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


def with_bad_share(tender, code: str, position: int) -> bytes:
    """An envelope whose share for ``position`` was sealed for another envelope: the other
    shares open it, that one does not agree with them."""
    body = seal_bid(tender, code)
    header = envelope.read_header(io.BytesIO(body))
    other = envelope.read_header(io.BytesIO(seal_bid(tender, code)))
    shares = list(header.sealed_shares)
    shares[position - 1] = other.sealed_shares[position - 1]

    def encode(items):
        return json.dumps(
            [base64.b64encode(s).decode() for s in items], separators=(",", ":")
        ).encode()

    return body.replace(encode(header.sealed_shares), encode(shares))


def release(tender, custodian):
    return releasing.release_key(tender, actor=custodian.user, signed=custodian.release(tender))


def payload(kind: str) -> dict:
    entry = LedgerEntry.objects.filter(kind=kind).order_by("-seq").first()
    return json.loads(bytes(entry.canonical))["payload"]


def public_record(api, tender) -> dict:
    return api.get(reverse("api:tender-opening", args=[tender.reference])).json()


# --- Part 1: every release order, every bad-share position ----------------------------------


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
@pytest.mark.parametrize("bad", [1, 2, 3])
def test_the_outcome_is_the_same_whatever_the_release_order(
    api, api_as, tender, make_bidder, custodians, settings, order, bad
):
    settings.CUSTODIAN_RELEASE_WINDOW_SECONDS = 3600
    honest_user, honest = make_bidder()
    cheat_user, cheat = make_bidder()
    assert submit(api_as, honest_user, tender, seal_bid(tender, honest.code)).status_code == 201
    body = with_bad_share(tender, cheat.code, bad)
    assert submit(api_as, cheat_user, tender, body).status_code == 201
    tender = close_now(tender)
    closing = payload("TENDER_CLOSED")
    assert closing["release_window_ends"] > closing["closed_at"]
    for step, who in enumerate(order):
        release(tender, custodians[who])
        tender.refresh_from_db()
        # Within the window the opening waits for everyone: k keys alone decide nothing.
        assert opening.open_tender(tender) is (step == len(order) - 1)
    assert Bid.objects.get(supplier=honest).status == BidStatus.OPENED
    cheat_bid = Bid.objects.get(supplier=cheat)
    assert cheat_bid.status == BidStatus.INVALID
    assert f"share {bad}" in cheat_bid.invalid_reason or "agree" in cheat_bid.invalid_reason
    opened = payload("TENDER_OPENED")
    assert [k["index"] for k in opened["keys"]] == [1, 2, 3]
    assert opened["not_released"] == [] and opened["released_late"] == []
    # Anyone re-checks every share with the published keys, from the public record alone.
    report = openingcheck.check_opening(public_record(api, tender))
    assert report.ok, report.problems
    assert report.bids_checked == 2 and report.shares_opened == 6


def test_withholding_is_public_and_a_late_key_is_checked_and_published(
    api, api_as, tender, make_bidder, custodians, django_capture_on_commit_callbacks, monkeypatch
):
    """The custodian whose share is bad withholds until the window has ended (here: at once):
    the bid opens on the others' keys; the ledger names who did not release; when the key
    comes late it is published with the bids whose share it contradicts."""
    user, org = make_bidder()
    assert submit(api_as, user, tender, with_bad_share(tender, org.code, 3)).status_code == 201
    tender = close_now(tender)
    release(tender, custodians[1])
    assert not opening.open_tender(tender)  # one key: nothing opens, there is no other key
    release(tender, custodians[0])
    assert opening.open_tender(tender)
    bid = Bid.objects.get(supplier=org)
    assert bid.status == BidStatus.OPENED
    opened = payload("TENDER_OPENED")
    assert opened["released_by"] == [custodians[0].identity.code, custodians[1].identity.code]
    assert opened["not_released"] == [custodians[2].identity.code]
    page = api.get(reverse("tender", args=[tender.reference]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert f"within the release window: {custodians[2].identity.code}" in text
    assert f"openingcheck --url http://testserver --tender {tender.reference}" in text
    queued = []
    monkeypatch.setattr(evaluation_tasks.check_late_release, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        release(tender, custodians[2])  # late: queues the check
    late_seat = RosterSeat.objects.get(tender=tender, index=3)
    assert queued == [late_seat.pk]
    assert evaluation_tasks.check_late_release.apply(args=[late_seat.pk]).get()  # as a worker would
    checked = payload("LATE_RELEASE_CHECKED")
    assert checked["index"] == 3 and checked["disagreeing_bids"] == [str(bid.public_id)]
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.OPENED  # no outcome changes
    assert not opening.check_late_release(RosterSeat.objects.get(tender=tender, index=3))
    record = public_record(api, tender)
    assert [k["index"] for k in record["late_keys"]] == [3]
    assert openingcheck.check_opening(record).ok
    # A tampered record is caught: a wrong price key, or a late check that hides the bid.
    forged = json.loads(json.dumps(record))
    forged["late_keys"][0]["disagreeing_bids"] = []
    assert not openingcheck.check_opening(forged).ok
    forged = json.loads(json.dumps(record))
    forged["bids"][0]["price_key"] = "00" * 32
    assert not openingcheck.check_opening(forged).ok
    forged = json.loads(json.dumps(record))
    forged["keys"][0]["private_key"] = forged["late_keys"][0]["private_key"]
    assert not openingcheck.check_opening(forged).ok


def test_the_key_set_rule(tender, custodians, settings):
    """The rule as data: all n at once; otherwise the keys within the window once it ends; if
    fewer than k came within it, the first k after it."""
    settings.CUSTODIAN_RELEASE_WINDOW_SECONDS = 600
    tender = close_now(tender)
    for custodian in custodians:
        release(tender, custodian)
    ends = opening.release_window_end(tender)
    seats = {s.index: s for s in tender.roster.all()}

    def at(**offsets):
        for index, seconds in offsets.items():
            RosterSeat.objects.filter(pk=seats[int(index[1:])].pk).update(
                released_at=ends + dt.timedelta(seconds=seconds)
            )
        return tender

    before, after = ends - dt.timedelta(seconds=1), ends + dt.timedelta(seconds=1)
    keys = opening.opening_keys(at(s1=-300, s2=-200, s3=-100), before)
    assert keys.indices == [1, 2, 3] and keys.fixed_at == ends - dt.timedelta(seconds=100)
    assert opening.opening_keys(at(s1=-300, s2=-200, s3=+100), before) is None
    keys = opening.opening_keys(tender, after)
    assert keys.indices == [1, 2] and [s.index for s in keys.late] == [3]
    assert keys.fixed_at == ends
    keys = opening.opening_keys(at(s1=+50, s2=-200, s3=+100), after)
    assert keys.indices == [1, 2] and [s.index for s in keys.late] == [3]  # ledger order


# --- Part 6: faults lose nothing ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_envelope_is_kept_when_the_commit_outcome_is_unknown(
    api_as, make_tender, make_bidder, monkeypatch
):
    """The connection drops while committing, after the row was written: the server cannot
    know, so it must not delete the envelope; the client's retry gets the original receipt."""
    tender = make_tender(publish=True)
    user, org = make_bidder()
    body = seal_bid(tender, org.code)
    wrapper = type(connections["default"])
    real_commit = wrapper.commit

    def commit_then_fail(self):
        real_commit(self)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(wrapper, "commit", commit_then_fail)
    with pytest.raises(OperationalError):
        submission.submit_bid(tender, actor=user, stream=io.BytesIO(body))
    monkeypatch.undo()
    bid = Bid.objects.get(supplier=org)
    assert Path(bid.envelope.path).read_bytes() == body
    again = submit(api_as, user, tender, body)
    assert again.status_code == 200 and again.json()["bid"] == str(bid.public_id)
    assert again.json()["receipt"]["statement"] == bytes(bid.statement.canonical).decode()


def test_an_envelope_stays_when_the_database_cannot_say(tender, make_bidder, monkeypatch):
    user, org = make_bidder()
    body = seal_bid(tender, org.code)

    def no_database(*args, **kwargs):
        raise OperationalError("the database is down")

    def database_goes_down(*args, **kwargs):
        # From here on every query fails, the check whether the row exists included.
        monkeypatch.setattr(Bid.objects, "filter", no_database, raising=False)
        no_database()

    monkeypatch.setattr(submission, "record_sealed", database_goes_down)
    with pytest.raises(OperationalError):
        submission._accept(tender, user, *_spool(body), None, db_now(), known=False)
    monkeypatch.undo()
    assert not Bid.objects.exists()
    kept = list((Path(submission.settings.SEALED_ROOT) / "envelopes").rglob("*.epb1"))
    assert len(kept) == 1 and kept[0].read_bytes() == body  # the janitor decides later
    assert janitor.reconcile(min_age=0)["unrecorded_envelopes"] == 1
    assert not kept[0].exists()


def _spool(body: bytes):
    return submission.receive(io.BytesIO(body))


def test_a_retry_after_the_deadline_gets_the_original_receipt(api_as, tender, make_bidder):
    user, org = make_bidder()
    body = seal_bid(tender, org.code)
    first = submit(api_as, user, tender, body).json()
    close_now(tender)
    again = submit(api_as, user, tender, body)
    assert again.status_code == 200
    receipt = again.json()["receipt"]
    assert receipt["statement"] == first["receipt"]["statement"]
    assert receipt["receipt_sig"] == first["receipt"]["receipt_sig"]
    assert receipt["revealed_seq"] == Bid.objects.get(supplier=org).ledger_seq  # completed
    late = submit(api_as, user, tender, seal_bid(tender, org.code))
    assert late.status_code == 409


def test_an_unreadable_envelope_waits_can_be_restored_and_never_blocks_the_opening(
    api_as, tender, make_bidder, custodians, settings
):
    settings.OPENING_STORAGE_GRACE_SECONDS = 3600
    users = [make_bidder() for _ in range(3)]
    bodies = [seal_bid(tender, org.code) for _user, org in users]
    for (user, _org), body in zip(users, bodies, strict=True):
        assert submit(api_as, user, tender, body).status_code == 201
    lost, damaged = (Bid.objects.get(supplier=org) for _u, org in users[:2])
    os.unlink(lost.envelope.path)
    Path(damaged.envelope.path).write_bytes(bodies[1][:-10])  # a torn write
    tender = close_now(tender)
    release(tender, custodians[0])
    release(tender, custodians[1])
    assert not opening.open_tender(tender)  # the storage may come back: wait, rule nothing
    assert Bid.objects.get(pk=lost.pk).status == BidStatus.SUBMITTED
    assert Bid.objects.get(pk=damaged.pk).status == BidStatus.SUBMITTED
    assert Bid.objects.get(supplier=users[2][1]).status == BidStatus.OPENED
    # The supplier still has its envelope: the same bytes restore it (their SHA-256 is in the
    # ledger), and the next scan opens it.
    restored = submit(api_as, users[1][0], tender, bodies[1])
    assert restored.status_code == 200
    assert LedgerEntry.objects.filter(kind="ENVELOPE_RESTORED").count() == 1
    # After the grace period, the opening finishes and says publicly whose fault it was.
    settings.OPENING_STORAGE_GRACE_SECONDS = 0
    assert opening.open_tender(tender)
    assert Bid.objects.get(pk=damaged.pk).status == BidStatus.OPENED
    unread = Bid.objects.get(pk=lost.pk)
    assert unread.status == BidStatus.INVALID and "platform" in unread.invalid_reason
    assert payload("BID_UNREADABLE")["bid"] == str(lost.public_id)
    assert Tender.objects.get(pk=tender.pk).status == "opened"


def test_the_janitor_reconciles_leftovers_and_keeps_recorded_files(
    api_as, tender, make_bidder, settings
):
    user, org = make_bidder()
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    bid = Bid.objects.get(supplier=org)
    root = Path(settings.SEALED_ROOT)
    part = root / "incoming" / "killed-upload.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"half an envelope")
    orphan = (
        root / "envelopes" / str(tender.public_id) / "00000000-0000-4000-8000-000000000000.epb1"
    )
    orphan.write_bytes(b"an envelope whose transaction never committed")
    docs = root / "opened" / str(tender.public_id) / f"{bid.public_id}.bin"
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_bytes(b"plaintext documents an earlier version stored at the opening")
    assert janitor.reconcile()["partial_files"] == 0  # too young: perhaps still in flight
    old = time.time() - 2 * settings.SEALED_JANITOR_MIN_AGE_SECONDS
    for path in (part, orphan, docs, Path(bid.envelope.path)):
        os.utime(path, (old, old))
    done = janitor.reconcile()
    assert done["partial_files"] == 1
    assert done["unrecorded_envelopes"] == 1
    assert done["plaintext_documents"] == 1
    assert not part.exists() and not orphan.exists() and not docs.exists()
    assert Path(bid.envelope.path).exists()  # its row names it


def test_withdrawn_envelopes_expire_and_each_supplier_has_a_quota(
    api_as, tender, make_bidder, settings, django_capture_on_commit_callbacks
):
    settings.BID_ENVELOPES_PER_TENDER = 3
    user, org = make_bidder()
    for _ in range(2):
        bid = submit(api_as, user, tender, seal_bid(tender, org.code)).json()["bid"]
        response = api_as(user).post(reverse("api:bid-withdraw", args=[bid]))
        assert response.status_code == 200, response.json()
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    refused = submit(api_as, user, tender, seal_bid(tender, org.code))
    assert refused.status_code == 409 and "most allowed" in refused.json()["error"]["message"]
    tender = close_now(tender)
    assert janitor.expire_unopened_envelopes(db_now()) == 0  # within the retention
    Tender.objects.filter(pk=tender.pk).update(closed_at=db_now() - dt.timedelta(days=91))
    withdrawn = list(Bid.objects.filter(status=BidStatus.WITHDRAWN))
    paths = [Path(b.envelope.path) for b in withdrawn]
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are saved
        assert janitor.expire_unopened_envelopes(db_now()) == 2
    assert not any(p.exists() for p in paths)
    assert set(
        Bid.objects.filter(status=BidStatus.WITHDRAWN).values_list("envelope", flat=True)
    ) == {""}
    deleted = payload("UNOPENED_ENVELOPES_DELETED")
    assert sorted(b["bid"] for b in deleted["bids"]) == sorted(str(b.public_id) for b in withdrawn)
    live = Bid.objects.get(status=BidStatus.SUBMITTED)
    assert Path(live.envelope.path).exists()
    assert janitor.expire_unopened_envelopes(db_now()) == 0


def test_the_janitor_command_reports_what_it_did(tender, settings):
    root = Path(settings.SEALED_ROOT) / "incoming"
    root.mkdir(parents=True, exist_ok=True)
    (root / "cut.part").write_bytes(b"x")
    out = io.StringIO()
    call_command("reconcile_sealed_storage", "--min-age", "0", stdout=out)
    assert "partial files: 1" in out.getvalue()
    assert not (root / "cut.part").exists()


def test_the_opening_writes_no_plaintext_and_readers_get_the_documents_from_the_envelope(
    api_as, tender, make_bidder, custodians, monkeypatch, settings
):
    """The opening authenticates and hashes the documents but writes nothing: no file is
    opened for writing while it runs, and the documents are decrypted from the envelope,
    piece by piece, each time they are read."""
    from tests.bidders.test_sealed_bids import release_all

    user, org = make_bidder()
    docs = os.urandom(3 * 65536 + 17)  # several pieces, the last one short
    assert submit(api_as, user, tender, seal_bid(tender, org.code, docs=docs)).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians)
    written, real = [], os.open

    def watched_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR):
            written.append(str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", watched_open)
    assert opening.open_tender(tender)
    monkeypatch.setattr(os, "open", real)
    assert not [p for p in written if p.startswith(str(settings.SEALED_ROOT))]
    bid = Bid.objects.get(tender=tender)
    assert bid.status == BidStatus.OPENED and len(bid.docs_key) == 64
    assert bid.docs_sha256 == hashlib.sha256(docs).hexdigest()
    assert not (Path(settings.SEALED_ROOT) / "opened").exists()
    documents = opening.documents(bid)
    assert documents.length == len(docs) and b"".join(documents) == docs
    documents.close()


def test_an_opened_bids_lost_envelope_is_restored_by_its_supplier_and_its_documents_served(
    api_as, tender, make_bidder, custodians
):
    """After the opening the envelope is the only copy of the documents: if the platform
    loses it, the supplier's same bytes restore it (their hash is in the ledger), publicly."""
    from tests.bidders.test_sealed_bids import release_all

    user, org = make_bidder()
    body = seal_bid(tender, org.code)
    assert submit(api_as, user, tender, body).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians)
    assert opening.open_tender(tender)
    bid = Bid.objects.get(tender=tender)
    os.unlink(bid.envelope.path)
    with pytest.raises(FileNotFoundError):
        opening.documents(bid)
    assert submit(api_as, user, tender, body).status_code == 200
    documents = opening.documents(Bid.objects.get(pk=bid.pk))
    assert hashlib.sha256(b"".join(documents)).hexdigest() == bid.docs_sha256
    documents.close()
    assert payload("ENVELOPE_RESTORED") == {"bid": str(bid.public_id),
                                            "envelope_sha256": bid.envelope_sha256}  # fmt: skip


def test_documents_altered_in_storage_after_the_opening_are_not_served(
    api_as, tender, make_bidder, custodians
):
    from tests.bidders.test_sealed_bids import release_all

    user, org = make_bidder()
    assert submit(api_as, user, tender, seal_bid(tender, org.code)).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians)
    assert opening.open_tender(tender)
    bid = Bid.objects.get(tender=tender)
    stored = Path(bid.envelope.path)
    body = bytearray(stored.read_bytes())
    body[-5] ^= 1  # one bit of the documents' last piece
    stored.write_bytes(bytes(body))
    documents = opening.documents(bid)
    with pytest.raises(envelope.EnvelopeError):
        b"".join(documents)
    documents.close()


def test_documents_forged_under_the_published_keys_are_not_served(
    api_as, tender, make_bidder, custodians
):
    """After the opening anyone can derive k_docs from the published keys, so a storage writer
    could re-encrypt other documents that pass every tag: the reader gets every piece but the
    last, and an error, since their hash is not the one the opening published."""
    from tests.bidders.test_sealed_bids import release_all

    user, org = make_bidder()
    docs = b"A" * 10000
    assert submit(api_as, user, tender, seal_bid(tender, org.code, docs=docs)).status_code == 201
    tender = close_now(tender)
    release_all(api_as, tender, custodians)
    assert opening.open_tender(tender)
    bid = Bid.objects.get(tender=tender)
    documents = opening.documents(bid)
    header, chunk = documents.header, documents.header.core["chunk"]
    documents.close()
    forged = bytearray(Path(bid.envelope.path).read_bytes())
    aead = AESGCM(bytes.fromhex(bid.docs_key))
    pieces = -(-len(docs) // chunk)
    for index in range(pieces):
        plain = b"B" * min(chunk, len(docs) - index * chunk)
        sealed = aead.encrypt(
            envelope._nonce(index, index == pieces - 1), plain, header.h + b"docs"
        )
        start = header.docs_offset + index * (chunk + envelope.TAG)
        forged[start : start + len(sealed)] = sealed
    Path(bid.envelope.path).write_bytes(bytes(forged))
    documents = opening.documents(bid)
    served = []
    with pytest.raises(opening.StoredEnvelopeError):
        for piece in documents:
            served.append(piece)
    documents.close()
    assert sum(map(len, served)) < len(docs)  # cut short: the last piece is never given


def test_bids_are_recorded_in_batches_and_a_failed_batch_leaves_nothing(
    api_as, tender, make_bidder, custodians, monkeypatch, settings
):
    """The opening records OPENING_BATCH bids per transaction, in ledger order; a batch whose
    transaction fails records none of its bids, and the next run opens them."""
    from tests.bidders.test_sealed_bids import release_all

    monkeypatch.setattr(opening, "OPENING_BATCH", 2)  # 5 bids: 2 + 2 + 1
    for position in range(5):
        user, org = make_bidder()
        body = with_bad_share(tender, org.code, 2) if position == 3 else seal_bid(tender, org.code)
        assert submit(api_as, user, tender, body).status_code == 201
    tender = close_now(tender)
    real, calls = opening.record_events, []

    def failing_second_batch(events):
        calls.append(len(events))
        if len(calls) == 2:
            raise OperationalError("the connection dropped")
        return real(events)

    monkeypatch.setattr(opening, "record_events", failing_second_batch)
    release_all(api_as, tender, custodians)
    with pytest.raises(OperationalError):
        opening.open_tender(tender)
    bids = list(Bid.objects.filter(tender=tender).order_by("ledger_seq"))
    assert [b.status for b in bids] == ["opened", "opened"] + ["submitted"] * 3
    assert bids[1].opening_seq == bids[0].opening_seq + 1
    assert [bool(b.docs_key) for b in bids] == [True, True, False, False, False]

    assert opening.open_tender(tender)
    bids = list(Bid.objects.filter(tender=tender).order_by("ledger_seq"))
    assert [b.status for b in bids] == ["opened"] * 3 + ["invalid", "opened"]
    assert calls == [2, 2, 2, 1]
    seqs = [b.opening_seq for b in bids]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    for bid in bids:
        entry = LedgerEntry.objects.get(seq=bid.opening_seq)
        assert entry.kind == ("BID_INVALID" if bid.status == "invalid" else "BID_OPENED")
        assert entry.recorded_at == bid.opened_at
        assert json.loads(bytes(entry.canonical))["payload"]["bid"] == str(bid.public_id)
    assert bids[3].invalid_reason == "share 2 does not open"
    assert [bool(b.docs_key) for b in bids] == [True, True, True, False, True]
