"""The submission's hand-written statements against the rules they restate: the supplier's
standing read in one query (``_standing``) must agree with ``may_bid``, the invitation list
and ``has_role`` for every state a supplier can be in; the live bid read under the lock and
the guarded replacement must refuse what the ORM path refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import pytest

from bidders.models import Bid, BidStatus, Debarment, SupplierStatus
from bidders.selectors import may_bid
from bidders.services import submission
from evaluation.services import closing
from procurement import ledger, prepared, workdays
from procurement.clock import db_now
from procurement.exceptions import Conflict
from procurement.models import Membership, Role, SealedStatement
from procurement.permissions import has_role
from tenders.models import Invitation, Tender
from tests.bidders.sealing import seal_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    return make_tender(publish=True)


def _debar(org, admin, starts: int, ends: int) -> None:
    today = workdays.local_date(db_now())
    Debarment.objects.create(
        organisation=org,
        starts_on=today + dt.timedelta(days=starts),
        ends_on=today + dt.timedelta(days=ends),
        reason="Gian lận",
        decided_by=admin,
        created_at=db_now(),
        ledger_seq=0,
    )


STATES = [
    "approved",
    "pending",
    "suspended",
    "rejected",
    "debarred today",
    "debarred until yesterday",
    "debarred from tomorrow",
    "invited",
    "membership revoked",
    "another organisation's envelope",
    "officer, not supplier",
]


@pytest.mark.parametrize("state", STATES)
def test_the_standing_query_agrees_with_the_rules(state, tender, make_bidder, make_user):
    user, org = make_bidder()
    admin = make_user(admin=True)
    code = org.code
    profile = org.supplier_profile
    if state in ("pending", "suspended", "rejected"):
        profile.status = {"pending": SupplierStatus.PENDING, "suspended": SupplierStatus.SUSPENDED,
                          "rejected": SupplierStatus.REJECTED}[state]  # fmt: skip
        profile.save(update_fields=["status"])
    elif state == "debarred today":
        _debar(org, admin, 0, 30)
    elif state == "debarred until yesterday":
        _debar(org, admin, -30, -1)
    elif state == "debarred from tomorrow":
        _debar(org, admin, 1, 30)
    elif state == "invited":
        Invitation.objects.create(tender=tender, supplier=org)
    elif state == "membership revoked":
        Membership.objects.filter(user=user, organisation=org).update(is_active=False)
    elif state == "another organisation's envelope":
        code = make_bidder()[1].code
    elif state == "officer, not supplier":
        Membership.objects.filter(user=user, organisation=org).update(role=Role.OFFICER)

    standing = submission._standing(tender, user, code, uuid.uuid4())

    represents = org.code == code and has_role(user, Role.SUPPLIER, org)
    assert (standing.organisation_id == org.pk) is represents
    if standing.organisation_id is not None:
        assert standing.eligible is may_bid(org, workdays.local_date(db_now()))
        assert standing.invited is tender.invitations.filter(supplier=org).exists()
        assert standing.sent == 0 and standing.taken is False
    assert state != "approved" or (standing.eligible and represents)


def test_the_standing_counts_envelopes_and_sees_a_taken_bid_id(tender, make_bidder):
    user, org = make_bidder()
    first = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    standing = submission._standing(tender, user, org.code, first.public_id)
    assert standing.sent == 1 and standing.taken is True
    assert submission._standing(tender, user, org.code, uuid.uuid4()).taken is False


def test_a_replacement_that_lost_the_race_is_refused_with_nothing_written(
    tender, make_bidder, settings
):
    """The live bid is read under the shared lock without a row lock; the replacement's guarded
    UPDATE is what decides. If the bid was replaced meanwhile, nothing of this one remains."""
    user, org = make_bidder()
    first = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    real = submission._supersede

    def meanwhile(old):
        Bid.objects.filter(pk=old.pk).update(status=BidStatus.WITHDRAWN)  # another request won
        return real(old)

    submission._supersede = meanwhile
    try:
        with pytest.raises(Conflict, match="current bid"):
            submission.submit_bid(
                tender,
                actor=user,
                stream=_stream(seal_bid(tender, org.code)),
                supersedes=str(first.public_id),
            )
    finally:
        submission._supersede = real
    # Nothing of the refused bid remains: no row, no statement, no stored file (the simulated
    # concurrent change was made in this transaction, so it rolled back with it).
    assert list(Bid.objects.values_list("pk", flat=True)) == [first.pk]
    assert SealedStatement.objects.filter(kind="BID_SUBMITTED").count() == 1
    stored = [p for p in Path(settings.SEALED_ROOT).rglob("*.epb1")]
    assert len(stored) == 1


def test_supersedes_must_name_the_live_bid(tender, make_bidder):
    user, org = make_bidder()
    first = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    for wrong in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(Conflict, match="current bid"):
            submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)),
                                  supersedes=wrong)  # fmt: skip
    with pytest.raises(Conflict, match="already have a bid"):
        submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    again = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)),
                                  supersedes=str(first.public_id).upper())  # fmt: skip
    assert again.supersedes_id == first.pk
    assert Bid.objects.get(pk=first.pk).status == BidStatus.SUPERSEDED


def test_prepared_statements_number_their_placeholders():
    assert prepared.numbered("SELECT %s, %s FROM t WHERE a = %s") == (
        "SELECT $1, $2 FROM t WHERE a = $3"
    )
    with pytest.raises(ValueError):
        prepared.numbered("SELECT %s WHERE a LIKE 'x%'")


def _stream(body: bytes):
    import io

    return io.BytesIO(body)


# --- The arrival rule: on time is when the last byte arrived -------------------------------


def _deadline_passes_while_checking(monkeypatch, tender, *, by: dt.timedelta = dt.timedelta(0)):
    """The deadline passes after the envelope has arrived, while the server checks it (or the
    request waits its turn): moved into the past, ``by`` earlier still, in the database."""
    real = submission._standing

    def slow(*args, **kwargs):
        answer = real(*args, **kwargs)
        Tender.objects.filter(pk=tender.pk).update(
            submission_deadline=db_now() - dt.timedelta(microseconds=1) - by
        )
        return answer

    monkeypatch.setattr(submission, "_standing", slow)


def test_a_bid_that_arrived_before_the_deadline_is_recorded_after_it(
    tender, make_bidder, monkeypatch, settings
):
    settings.SUBMISSION_SETTLE_SECONDS = 60
    user, org = make_bidder()
    _deadline_passes_while_checking(monkeypatch, tender)
    bid = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    tender.refresh_from_db()
    recorded = db_now()
    # Its time is its arrival, before the deadline; it was recorded after the deadline.
    assert bid.submitted_at < tender.submission_deadline < recorded
    statement = json.loads(bytes(bid.statement.canonical))
    assert statement["time"] == ledger._iso(bid.submitted_at)
    assert bid.receipt["statement"] == bytes(bid.statement.canonical).decode()


def test_past_the_settle_time_an_on_time_bid_is_refused_with_nothing_written(
    tender, make_bidder, monkeypatch, settings
):
    settings.SUBMISSION_SETTLE_SECONDS = 60
    user, org = make_bidder()
    _deadline_passes_while_checking(monkeypatch, tender, by=dt.timedelta(seconds=61))
    with pytest.raises(Conflict, match="deadline has passed"):
        submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    assert not Bid.objects.exists() and not SealedStatement.objects.exists()
    assert not list(Path(settings.SEALED_ROOT).rglob("*.epb1"))


def test_the_closing_waits_for_the_settle_time(tender, make_bidder, settings):
    settings.SUBMISSION_SETTLE_SECONDS = 60
    user, org = make_bidder()
    submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=db_now() - dt.timedelta(seconds=1)
    )
    assert list(closing.due_for_closing(db_now())) == []
    assert closing.close_tender(tender) is False
    # A bid that arrives now is late, however soon the closing comes.
    with pytest.raises(Conflict, match="deadline has passed"):
        submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=db_now() - dt.timedelta(seconds=61)
    )
    assert list(closing.due_for_closing(db_now())) == [tender.pk]
    assert closing.close_tender(tender) is True
    tender.refresh_from_db()
    assert (
        tender.status == "closed"
        and tender.closed_at >= tender.submission_deadline + dt.timedelta(seconds=60)
    )


def test_the_envelope_is_on_disk_before_the_bid_is_acknowledged(tender, make_bidder, monkeypatch):
    """The receipt promises a stored envelope: its bytes and its name in the folder are
    fsynced before the commit."""
    synced, real = [], os.fsync

    def fsync(descriptor):
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        return real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    user, org = make_bidder()
    bid = submission.submit_bid(tender, actor=user, stream=_stream(seal_bid(tender, org.code)))
    stored = Path(bid.envelope.path)
    assert any(name.endswith(".part") for name in synced)  # the bytes, before the rename
    assert str(stored.parent) in synced  # the rename into the folder
