"""Submitting, replacing and withdrawing sealed bids, with their receipts.

The server never sees a bid's content: it streams the envelope to private storage, checks its
structure without any key (``envelope.validate_at_submission``), checks who may bid, and then,
in one transaction holding the tender row under a shared lock (``hold_tender``: submissions
run side by side, the closing waits for every one in flight), records the bid, its sealed
statement and its signed receipt, in one commit.

The arrival rule (docs/envelope.md): a bid is on time if the database clock read once its
envelope has fully arrived (``_arrival``) is before the deadline; that reading is the bid's
time, whatever the client claims. It is recorded even if the deadline passes meanwhile, up to
SUBMISSION_SETTLE_SECONDS after it (``settled``); the closing waits as long.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from bidders.models import (
    Bid,
    BidStatus,
    Debarment,
    SupplierProfile,
    SupplierStatus,
    envelope_path,
)
from procurement import prepared, rows, sealedlog, workdays
from procurement.clock import db_now
from procurement.crypto import envelope
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import record_event
from procurement.models import Membership, Organisation, Role, User
from procurement.permissions import has_role
from procurement.sealedlog import record_sealed
from tenders.methods import RULES
from tenders.models import Invitation, RosterSeat, Tender, TenderStatus
from tenders.services.lifecycle import hold_tender, settled

READ_PIECE = 1024 * 1024
log = logging.getLogger(__name__)


class SpooledEnvelope(File):
    """The uploaded envelope in a temporary file on the sealed storage's disk; storage moves it
    into place rather than copying it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def receive(stream: BinaryIO, *, limit: int | None = None) -> tuple[SpooledEnvelope, str, int]:
    """Copy ``stream`` to a temporary file piece by piece (never the whole body in memory),
    hashing as it goes; refuse more than ``limit`` bytes."""
    limit = settings.BID_MAX_BYTES if limit is None else limit
    if stream is None:
        raise InvalidInput(_("Send the sealed envelope as the request body."), field="envelope")
    incoming = Path(settings.SEALED_ROOT) / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=incoming, suffix=".part", delete=False)  # noqa: SIM115
    digest, size = hashlib.sha256(), 0
    try:
        while piece := stream.read(READ_PIECE):
            size += len(piece)
            if size > limit:
                raise InvalidInput(
                    _("The envelope is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                    field="envelope",
                )
            digest.update(piece)
            handle.write(piece)
        handle.flush()
        # On disk before the bid can be acknowledged: a receipt promises a stored envelope.
        # (Paid per bid, the writes also never pile up in the page cache to be flushed at
        # once, stalling the database's commits behind them.)
        os.fsync(handle.fileno())
    except BaseException:
        handle.close()
        os.unlink(handle.name)
        raise
    handle.seek(0)
    return SpooledEnvelope(handle), digest.hexdigest(), size


def sync_folder(folder: Path) -> None:
    """Make the names in ``folder`` durable (a file renamed into it survives a crash)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def discard(spooled: SpooledEnvelope) -> None:
    spooled.close()
    if os.path.exists(spooled.file.name):
        os.unlink(spooled.file.name)


class Standing(NamedTuple):
    """What a submission must know about its supplier before holding the tender (one query)."""

    organisation_id: int | None  # the supplier the envelope names, if the actor represents it
    eligible: bool  # approved and not debarred today (``bidders.selectors.may_bid``)
    invited: bool  # on the tender's invitation list (consulted only if its method invites)
    sent: int  # envelopes it has sent to this tender (counted up to the limit + 1)
    taken: bool  # the envelope's bid id is already recorded


@functools.cache
def _standing_sql(postgres: bool) -> str:
    today = "(clock_timestamp() AT TIME ZONE %s)::date" if postgres else "%s"
    t = {m.__name__: m._meta.db_table for m in (Organisation, Membership, SupplierProfile,
                                                 Debarment, Invitation, Bid)}  # fmt: skip
    return (
        f"SELECT o.id,"  # noqa: S608 - table names from the models, values as parameters
        f" EXISTS (SELECT 1 FROM {t['SupplierProfile']} p"
        f"  WHERE p.organisation_id = o.id AND p.status = %s)"
        f" AND NOT EXISTS (SELECT 1 FROM {t['Debarment']} d"
        f"  WHERE d.organisation_id = o.id AND d.starts_on <= {today} AND d.ends_on >= {today}),"
        f" EXISTS (SELECT 1 FROM {t['Invitation']} i"
        f"  WHERE i.tender_id = %s AND i.supplier_id = o.id),"
        f" (SELECT COUNT(*) FROM (SELECT 1 FROM {t['Bid']} b"
        f"  WHERE b.tender_id = %s AND b.supplier_id = o.id LIMIT %s) s),"
        f" EXISTS (SELECT 1 FROM {t['Bid']} b WHERE b.public_id = %s)"
        f" FROM {t['Organisation']} o WHERE o.code = %s AND EXISTS (SELECT 1 FROM"
        f" {t['Membership']} m WHERE m.organisation_id = o.id AND m.user_id = %s"
        f" AND m.role = %s AND m.is_active)"
    )


def _standing(tender: Tender, actor: User, code: str, bid_id: uuid.UUID) -> Standing:
    """One hand-written statement for what five ORM queries used to read (each would cost more
    to compile than to run). ``may_bid`` and ``tenders.methods.admits`` state the same rules;
    tests/bidders/test_submission.py checks that both give the same answers."""
    postgres = connection.vendor == "postgresql"
    # The day by the database clock in the regime's zone (SQLite: this process's clock is the
    # database's).
    day = settings.TIME_ZONE if postgres else workdays.local_date(db_now()).isoformat()
    public_id = str(bid_id) if postgres else bid_id.hex
    params = [SupplierStatus.APPROVED.value, day, day, tender.pk, tender.pk,
              settings.BID_ENVELOPES_PER_TENDER + 1, public_id, code, actor.pk,
              Role.SUPPLIER.value]  # fmt: skip
    with connection.cursor() as cursor:
        prepared.execute(cursor, "mb_bid_standing", _standing_sql(postgres), params)
        row = cursor.fetchone()
    if row is None:
        return Standing(None, False, False, 0, False)
    return Standing(row[0], bool(row[1]), bool(row[2]), row[3], bool(row[4]))


def _uninvited() -> str:
    return _("This tender is open only to the suppliers it invited; this supplier is not one.")


@functools.lru_cache(maxsize=4096)
def _roster_size(tender_pk: int, keyset_hash: str) -> int:
    """How many custodians hold the tender's key: fixed at publication together with the key
    set, so read once per process and key set (a draft has no key set and takes no bids)."""
    return RosterSeat.objects.filter(tender_id=tender_pk).count()


def _closed_message() -> str:
    return _("The submission deadline has passed: no bid is accepted at or after it.")


def submit_bid(
    tender: Tender, *, actor: User | None, stream: BinaryIO, supersedes: str | None = None
) -> Bid:
    """Accept a sealed envelope for ``tender`` from a supplier; return the bid with its receipt.

    ``supersedes`` names the submitter's own live bid that this one replaces.
    """
    if actor is None or not has_role(actor, Role.SUPPLIER):
        raise PermissionDenied(_("Only a supplier's representative can submit a bid."))
    if tender.status != TenderStatus.PUBLISHED and not bids_of(actor).filter(tender=tender):
        raise Conflict(_closed_message())  # nothing to retry: refused before reading the body
    spooled, sha256, size = receive(stream)
    try:
        # The same envelope again from its supplier (a retry after a lost answer, even after
        # the deadline): the original bid and receipt, nothing new.
        # (Only its primary key is read with the arrival clock: a fresh envelope costs no more.)
        known = None
        arrived, known_pk = _arrival(sha256)
        if known_pk is not None:
            known = Bid.objects.select_related("tender", "supplier").get(pk=known_pk)
        if known is not None and _is_retry(known, tender, actor):
            return _original(known, spooled)
        if tender.status != TenderStatus.PUBLISHED:
            raise Conflict(_closed_message())
        if arrived >= tender.submission_deadline:
            raise Conflict(_closed_message())
        return _accept(
            tender, actor, spooled, sha256, size, supersedes, arrived, known=known is not None
        )
    finally:
        discard(spooled)


def _arrival(sha256: str) -> tuple[dt.datetime, int | None]:
    """The database clock now that the whole envelope has arrived (the bid's time), and the
    primary key of a bid already recorded with this envelope, in one statement."""
    postgres = connection.vendor == "postgresql"
    # SQLite has no server clock: this process's clock is the database's (``db_now``).
    clock = "clock_timestamp()" if postgres else "NULL"
    sql = f"SELECT {clock}, (SELECT id FROM {Bid._meta.db_table} WHERE envelope_sha256 = %s)"  # noqa: S608
    with connection.cursor() as cursor:
        prepared.execute(cursor, "mb_bid_arrival", sql, [sha256])
        now, pk = cursor.fetchone()
    return (now.astimezone(dt.UTC) if postgres else db_now()), pk


def _is_retry(bid: Bid, tender: Tender, actor: User) -> bool:
    """This exact envelope is already ``bid``, on this tender, of a supplier ``actor``
    represents: a retry (after a lost answer, even after the deadline)."""
    return bid.tender_id == tender.pk and has_role(actor, Role.SUPPLIER, bid.supplier)


# Bids whose stored envelope is still needed: to open it, or to read its opened documents.
_KEPT = (BidStatus.SUBMITTED, BidStatus.OPENED)


def _original(bid: Bid, spooled) -> Bid:
    """The original bid and receipt for a retry; its stored copy is restored if the platform
    lost or damaged it (the bytes are the ones whose SHA-256 the ledger recorded, so the copy
    is provably the original): before the opening, and after it too, since an opened bid's
    documents are read from its envelope."""
    if bid.status in (BidStatus.WITHDRAWN, BidStatus.SUPERSEDED):
        raise Conflict(_("This envelope was withdrawn or replaced; seal a new one."))
    if bid.status in _KEPT and not _stored_intact(bid):
        _restore(bid, spooled)
    bid = ensure_receipt(bid)
    bid.resubmitted = True
    return bid


def _stored_intact(bid: Bid) -> bool:
    digest = hashlib.sha256()
    try:
        with bid.envelope.open("rb") as stream:
            while piece := stream.read(READ_PIECE):
                digest.update(piece)
    except (OSError, ValueError):
        return False
    return digest.hexdigest() == bid.envelope_sha256


def _restore(bid: Bid, spooled) -> None:
    with transaction.atomic():
        # The tender first, then the bid (the services' order): closing cannot slip in between
        # reading closing_seq and recording the entry sealed or public.
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=bid.tender_id)
        bid = Bid.objects.select_for_update(of=("self",)).get(pk=bid.pk)
        if bid.status not in _KEPT or _stored_intact(bid):
            return
        name = bid.envelope.name or envelope_path(bid, "envelope.epb1")
        storage = bid.envelope.storage
        if storage.exists(name):
            storage.delete(name)  # damaged: the original bytes replace it
        spooled.seek(0)
        saved = storage.save(name, spooled)
        sync_folder(Path(storage.path(saved)).parent)
        Bid.objects.filter(pk=bid.pk).update(envelope=saved)
        restored = {"bid": str(bid.public_id), "envelope_sha256": bid.envelope_sha256}
        if tender.closing_seq is None:  # before closing, as sealed as the bid itself
            record_sealed(
                "ENVELOPE_RESTORED",
                tender,
                restored,
                actor=None,
                sealed_until=tender.submission_deadline,
            )
        else:
            record_event("ENVELOPE_RESTORED", tender, restored, actor=None)
    log.warning("bid %s: stored envelope restored from its supplier's copy", bid.public_id)


def _accept(tender, actor, spooled, sha256, size, supersedes, arrived, *, known: bool) -> Bid:
    """``arrived``: the database clock when the envelope's last byte had arrived, before the
    deadline. ``known``: an envelope with these very bytes is already recorded (someone
    else's, or on another tender)."""
    try:
        header = envelope.read_header(spooled)
        bid_id = uuid.UUID(header.core["bid"])
        code = header.core["bidder"]
    except envelope.EnvelopeError as exc:
        raise _refused(exc) from None
    except (ValueError, TypeError, AttributeError, KeyError):
        raise InvalidInput(_("The envelope's bid id is not a UUID."), field="envelope") from None
    standing = _standing(tender, actor, str(code), bid_id)
    if standing.organisation_id is None:
        raise PermissionDenied(_("The envelope names a bidder you do not represent."))
    try:
        envelope.check_policy(
            header,
            size=size,
            tender=tender.reference,
            keyset=tender.keyset_hash,
            k=tender.threshold,
            n=_roster_size(tender.pk, tender.keyset_hash),
            bidder=code,
        )
    except envelope.EnvelopeError as exc:
        raise _refused(exc) from None
    if known or standing.taken:
        raise Conflict(_("This envelope has already been submitted; seal a new one."))
    if standing.sent >= settings.BID_ENVELOPES_PER_TENDER:
        raise Conflict(
            _("Your organisation has sent %(n)d envelopes to this tender, the most allowed.")
            % {"n": settings.BID_ENVELOPES_PER_TENDER}
        )
    # Who may bid is checked before the tender is held: the standing of a supplier does not
    # change within the milliseconds to the commit (a debarment takes effect from a day).
    if not standing.eligible:
        raise PermissionDenied(_("This supplier is not approved or is debarred."))
    if RULES[tender.method].invites and not standing.invited:
        raise PermissionDenied(_uninvited())
    organisation = Organisation(pk=standing.organisation_id, code=code)
    bid = Bid(
        public_id=bid_id,
        tender=tender,
        supplier=organisation,
        submitted_by=actor,
        envelope_sha256=sha256,
        envelope_size=size,
        suite=header.core["suite"],
        keyset_hash=header.core["keyset"],
        dek_commit=header.core["dek_commit"],
        core_sha256=header.h.hex(),
    )
    # Move the file into place before taking the lock, so the lock is held for milliseconds.
    spooled.seek(0)
    bid.envelope.save("envelope.epb1", spooled, save=False)
    sync_folder(Path(bid.envelope.path).parent)  # the rename into place is durable too
    try:
        with transaction.atomic():
            # Under the shared lock only the deadline, the bid's own row and its statement:
            # submissions run side by side, and the closing waits for them all. The supplier's
            # live bid is read in the same statement.
            gate = hold_tender(
                tender, *_LIVE_BID, params=[organisation.pk, organisation.pk], name="mb_bid_gate"
            )
            if gate.status != TenderStatus.PUBLISHED or arrived >= gate.submission_deadline:
                raise Conflict(_closed_message())
            if gate.now >= settled(gate.submission_deadline):
                # On time, but not recorded within the settle time: the platform's fault.
                log.error("bid %s arrived before the deadline but could not be recorded within "
                          "SUBMISSION_SETTLE_SECONDS", bid_id)  # fmt: skip
                raise Conflict(_closed_message())
            if gate.keyset_hash != bid.keyset_hash:  # pragma: no cover - fixed at publication
                raise InvalidInput(_("The envelope is sealed to another key set."))
            old = _replaced(gate.also, supersedes)
            statement = record_sealed(
                "BID_SUBMITTED",
                tender,
                {
                    "bid": str(bid_id),
                    "bidder": organisation.code,
                    "envelope_sha256": sha256,
                    "envelope_size": size,
                    "suite": bid.suite,
                    "keyset": bid.keyset_hash,
                    "dek_commit": bid.dek_commit,
                    "supersedes": str(old.public_id) if old else None,
                },
                actor=actor,
                sealed_until=gate.submission_deadline,
                at=arrived,  # when its last byte arrived, before the deadline: the bid's time
            )
            if old is not None and not _supersede(old):
                # Replaced or withdrawn meanwhile by another request of the same supplier.
                raise Conflict(_("Only your current bid on this tender can be replaced."))
            bid.supersedes = old
            bid.submitted_at = statement.recorded_at
            bid.statement = statement
            bid.receipt = _receipt(bid)  # in the same commit as the bid
            rows.insert(bid)
    except IntegrityError:
        _discard_unless_recorded(bid)
        raise Conflict(_("This envelope has already been submitted; seal a new one.")) from None
    except BaseException:
        _discard_unless_recorded(bid)
        raise
    return bid if bid.receipt is not None else with_receipt(bid)


def _refused(exc: envelope.EnvelopeError) -> InvalidInput:
    return InvalidInput(
        _("The envelope was refused (%(reason)s): %(detail)s")
        % {"reason": exc.reason, "detail": exc},
        field="envelope",
    )


def _receipt(bid: Bid) -> dict | None:
    """The signed receipt, made inside the acceptance; if signing fails the bid still stands
    and its receipt is made when it is next asked for (``ensure_receipt``)."""
    try:
        return sealedlog.sealed_receipt(bid.statement)
    except Exception:  # noqa: BLE001 - the accepted bid must not be reported as failed
        log.exception("receipt for bid %s could not be made now", bid.public_id)
        return None


def _discard_unless_recorded(bid: Bid) -> None:
    """After a failed acceptance, delete the stored envelope only once the database has said
    that no row names it. An error from the commit itself leaves the outcome unknown (the row
    may exist): the file stays, and the janitor reconciles it later."""
    try:
        recorded = Bid.objects.filter(envelope=bid.envelope.name).exists()
    except DatabaseError:
        log.warning("bid %s: outcome unknown, envelope kept for reconciliation", bid.public_id)
        return
    if not recorded:
        bid.envelope.delete(save=False)


def with_receipt(bid: Bid) -> Bid:
    """Attach the signed receipt (the signed statement: the platform's promise to merge it into
    the log by the next cadence). The bid is already recorded: if signing fails now, the bid
    stands and its receipt is made when it is next asked for."""
    try:
        bid.receipt = sealedlog.sealed_receipt(bid.statement)
    except Exception:  # noqa: BLE001 - the accepted bid must not be reported as failed
        log.exception("receipt for bid %s could not be made now", bid.public_id)
        return bid
    Bid.objects.filter(pk=bid.pk).update(receipt=bid.receipt)
    return bid


def ensure_receipt(bid: Bid) -> Bid:
    """The bid with its receipt, completed with the batch proof once the cadence has merged
    its statement and a checkpoint covers it."""
    if bid.statement_id is None:  # a bid recorded before sealed statements: as it was
        return bid
    if bid.receipt is None:
        return with_receipt(bid)
    completed = sealedlog.complete_receipt(bid.statement, bid.receipt)
    if completed != bid.receipt:
        bid.receipt = completed
        Bid.objects.filter(pk=bid.pk).update(receipt=completed)
    if bid.withdrawal_statement_id is not None and bid.withdrawal_receipt is not None:
        done = sealedlog.complete_receipt(bid.withdrawal_statement, bid.withdrawal_receipt)
        if done != bid.withdrawal_receipt:
            bid.withdrawal_receipt = done
            Bid.objects.filter(pk=bid.pk).update(withdrawal_receipt=done)
    return bid


def reveal_bids(tender: Tender) -> None:
    """At closing: make the tender's sealed statements public entries (in statement order) and
    note each bid's and withdrawal's entry. Runs in the closing's transaction."""
    revealed = sealedlog.reveal_sealed(tender)
    if not revealed:
        return
    for bid in Bid.objects.filter(tender=tender).only(
        "pk", "statement_id", "withdrawal_statement_id"
    ):
        fields = {}
        if bid.statement_id in revealed:
            fields["ledger_seq"] = revealed[bid.statement_id].seq
        if bid.withdrawal_statement_id in revealed:
            fields["withdrawal_seq"] = revealed[bid.withdrawal_statement_id].seq
        if fields:
            Bid.objects.filter(pk=bid.pk).update(**fields)


def _live_bid_columns() -> tuple[str]:
    """The supplier's live bid on the held tender (id and public id, NULL if none), as the two
    scalar subqueries ``hold_tender`` reads in its one statement; params: the supplier twice."""
    table = Bid._meta.db_table
    live = (
        f"FROM {table} b WHERE b.tender_id = t.id AND b.supplier_id = %s"
        f" AND b.status = '{BidStatus.SUBMITTED.value}'"
    )
    return (f"(SELECT b.id {live}), (SELECT b.public_id {live})",)


_LIVE_BID = _live_bid_columns()


def _replaced(live: tuple, supersedes: str | None) -> Bid | None:
    """The live bid that ``supersedes`` names, from the ids read under the lock (the partial
    unique index allows one live bid per supplier and tender)."""
    live_pk, live_public = live
    if supersedes is None:
        if live_pk is not None:
            raise Conflict(
                _("You already have a bid on this tender: replace it or withdraw it first.")
            )
        return None
    live_id = uuid.UUID(str(live_public)) if live_pk is not None else None
    if live_id is None or str(live_id) != _uuid_text(supersedes):
        raise Conflict(_("Only your current bid on this tender can be replaced."))
    return Bid(pk=live_pk, public_id=live_id, status=BidStatus.SUBMITTED)


def _supersede(old: Bid) -> bool:
    """Mark the live bid ``old`` superseded, if it still is live (the row lock of the UPDATE
    makes a concurrent replacement by the same supplier wait, then find it no longer live)."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "mb_bid_supersede",
            f"UPDATE {Bid._meta.db_table} SET status = %s WHERE id = %s AND status = %s",  # noqa: S608
            [BidStatus.SUPERSEDED.value, old.pk, BidStatus.SUBMITTED.value],
        )
        return cursor.rowcount == 1


def _uuid_text(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def withdraw_bid(bid: Bid, *, actor: User | None) -> Bid:
    """Withdraw a live bid before the deadline. The envelope is kept but never opened."""
    if not has_role(actor, Role.SUPPLIER, bid.supplier):
        raise NotFound(_("No such bid."))
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=bid.tender_id)
        now = db_now()
        if tender.status != TenderStatus.PUBLISHED or now >= tender.submission_deadline:
            raise Conflict(_("The submission deadline has passed: bids can no longer change."))
        bid = Bid.objects.select_for_update(of=("self",)).get(pk=bid.pk)
        if bid.status != BidStatus.SUBMITTED:
            raise Conflict(_("Only a current bid can be withdrawn."))
        statement = record_sealed(
            "BID_WITHDRAWN",
            tender,
            {"bid": str(bid.public_id), "bidder": bid.supplier.code, "supersedes": None},
            actor=actor,
            sealed_until=tender.submission_deadline,
        )
        if statement.recorded_at >= tender.submission_deadline:
            raise Conflict(_("The submission deadline has passed: bids can no longer change."))
        bid.status = BidStatus.WITHDRAWN
        bid.withdrawn_at = now
        bid.withdrawal_statement = statement
        bid.save(update_fields=["status", "withdrawn_at", "withdrawal_statement"])
    bid.withdrawal_receipt = sealedlog.sealed_receipt(statement)
    Bid.objects.filter(pk=bid.pk).update(withdrawal_receipt=bid.withdrawal_receipt)
    return bid


def bid_for_supplier(user: User | None, bid_id) -> Bid:
    """A bid, only for the representatives of its supplier (404 for everyone else)."""
    try:
        bid = Bid.objects.select_related("tender", "supplier").get(public_id=bid_id)
    except (Bid.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(_("No such bid.")) from None
    if not has_role(user, Role.SUPPLIER, bid.supplier):
        raise NotFound(_("No such bid."))
    return bid


def bids_of(user: User | None):
    """The bids of every supplier the user represents, newest first."""
    return (
        Bid.objects.filter(
            supplier__memberships__user=user,
            supplier__memberships__role=Role.SUPPLIER,
            supplier__memberships__is_active=True,
        )
        .select_related("tender", "supplier")
        .order_by("-submitted_at")
        .distinct()
    )
