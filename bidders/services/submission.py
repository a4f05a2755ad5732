"""Submitting, replacing and withdrawing sealed bids, with their receipts.

The server never sees a bid's content: it streams the envelope to private storage, checks its
structure without any key (``envelope.validate_at_submission``), checks who may bid, and then,
in one transaction holding the tender row under a shared lock (``hold_tender``: submissions
run side by side, the closing waits for every one in flight), reads the database clock, checks
it against the deadline and records the bid, its sealed statement and its signed receipt, in
one commit. No bid is accepted at or after the deadline, whatever the client claims and however
long its upload took: only the clock read in that transaction counts, and it is the bid's
time.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from bidders.models import Bid, BidStatus, envelope_path
from bidders.selectors import may_bid
from procurement import sealedlog, workdays
from procurement.clock import db_now
from procurement.crypto import envelope
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import record_event
from procurement.models import Organisation, Role, User
from procurement.permissions import has_role
from procurement.sealedlog import record_sealed
from tenders.methods import admits
from tenders.models import RosterSeat, Tender, TenderStatus
from tenders.services.lifecycle import hold_tender

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
    except BaseException:
        handle.close()
        os.unlink(handle.name)
        raise
    handle.seek(0)
    return SpooledEnvelope(handle), digest.hexdigest(), size


def discard(spooled: SpooledEnvelope) -> None:
    spooled.close()
    if os.path.exists(spooled.file.name):
        os.unlink(spooled.file.name)


def _organisation(actor: User | None, code: str) -> Organisation:
    """The supplier the envelope names, if ``actor`` represents it (one query)."""
    organisation = Organisation.objects.filter(
        code=code,
        memberships__user=actor,
        memberships__role=Role.SUPPLIER,
        memberships__is_active=True,
    ).first()
    if organisation is None:
        raise PermissionDenied(_("The envelope names a bidder you do not represent."))
    return organisation


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
        # (Looked up by its primary key first: a fresh envelope costs one narrow query.)
        known = None
        known_pk = Bid.objects.filter(envelope_sha256=sha256).values_list("pk", flat=True).first()
        if known_pk is not None:
            known = Bid.objects.select_related("tender", "supplier").get(pk=known_pk)
        if known is not None and _is_retry(known, tender, actor):
            return _original(known, spooled)
        if tender.status != TenderStatus.PUBLISHED:
            raise Conflict(_closed_message())
        return _accept(tender, actor, spooled, sha256, size, supersedes, known=known is not None)
    finally:
        discard(spooled)


def _is_retry(bid: Bid, tender: Tender, actor: User) -> bool:
    """This exact envelope is already ``bid``, on this tender, of a supplier ``actor``
    represents: a retry (after a lost answer, even after the deadline)."""
    return bid.tender_id == tender.pk and has_role(actor, Role.SUPPLIER, bid.supplier)


def _original(bid: Bid, spooled) -> Bid:
    """The original bid and receipt for a retry; its stored copy is restored if the platform
    lost or damaged it (the bytes are the ones whose SHA-256 the ledger recorded, so the copy
    is provably the original)."""
    if bid.status in (BidStatus.WITHDRAWN, BidStatus.SUPERSEDED):
        raise Conflict(_("This envelope was withdrawn or replaced; seal a new one."))
    if bid.status == BidStatus.SUBMITTED and not _stored_intact(bid):
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
        if bid.status != BidStatus.SUBMITTED or _stored_intact(bid):
            return
        name = bid.envelope.name or envelope_path(bid, "envelope.epb1")
        storage = bid.envelope.storage
        if storage.exists(name):
            storage.delete(name)  # damaged: the original bytes replace it
        spooled.seek(0)
        saved = storage.save(name, spooled)
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


def _accept(tender, actor, spooled, sha256, size, supersedes, *, known: bool) -> Bid:
    """``known``: an envelope with these very bytes is already recorded (someone else's, or
    on another tender)."""
    try:
        header = envelope.read_header(spooled)
        organisation = _organisation(actor, header.core["bidder"])
        spooled.seek(0)
        envelope.validate_at_submission(
            spooled,
            size=size,
            tender=tender.reference,
            keyset=tender.keyset_hash,
            k=tender.threshold,
            n=_roster_size(tender.pk, tender.keyset_hash),
            bidder=organisation.code,
        )
        bid_id = uuid.UUID(header.core["bid"])
    except envelope.EnvelopeError as exc:
        raise InvalidInput(
            _("The envelope was refused (%(reason)s): %(detail)s")
            % {"reason": exc.reason, "detail": exc},
            field="envelope",
        ) from None
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(_("The envelope's bid id is not a UUID."), field="envelope") from None
    # One query for both: is this bid id taken, and how many envelopes has the supplier sent.
    ids = list(
        Bid.objects.filter(
            Q(public_id=bid_id) | Q(tender=tender, supplier=organisation)
        ).values_list("public_id", flat=True)[: settings.BID_ENVELOPES_PER_TENDER + 1]
    )
    if known or bid_id in ids:
        raise Conflict(_("This envelope has already been submitted; seal a new one."))
    sent = len(ids)
    if sent >= settings.BID_ENVELOPES_PER_TENDER:
        raise Conflict(
            _("Your organisation has sent %(n)d envelopes to this tender, the most allowed.")
            % {"n": settings.BID_ENVELOPES_PER_TENDER}
        )
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
    # Who may bid is checked before the tender is held: the standing of a supplier does not
    # change within the milliseconds to the commit (a debarment takes effect from a day).
    if not may_bid(organisation, workdays.local_date(db_now())):
        raise PermissionDenied(_("This supplier is not approved or is debarred."))
    if not admits(tender, [organisation.pk]):
        raise PermissionDenied(_uninvited())
    bid.envelope.save("envelope.epb1", spooled, save=False)
    try:
        with transaction.atomic():
            # Under the shared lock only the deadline, the bid's own row and its statement:
            # submissions run side by side, and the closing waits for them all.
            gate = hold_tender(tender)
            now = gate.now
            if gate.status != TenderStatus.PUBLISHED or now >= gate.submission_deadline:
                raise Conflict(_closed_message())
            if gate.keyset_hash != bid.keyset_hash:  # pragma: no cover - fixed at publication
                raise InvalidInput(_("The envelope is sealed to another key set."))
            old = _live_bid(tender, organisation, supersedes)
            if old is not None:
                old.status = BidStatus.SUPERSEDED
                old.save(update_fields=["status"])
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
                at=now,  # the clock read under the lock, before the deadline: the bid's time
            )
            bid.supersedes = old
            bid.submitted_at = statement.recorded_at
            bid.statement = statement
            bid.receipt = _receipt(bid)  # in the same commit as the bid
            bid.save()
    except IntegrityError:
        _discard_unless_recorded(bid)
        raise Conflict(_("This envelope has already been submitted; seal a new one.")) from None
    except BaseException:
        _discard_unless_recorded(bid)
        raise
    return bid if bid.receipt is not None else with_receipt(bid)


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


def _live_bid(tender: Tender, organisation: Organisation, supersedes: str | None) -> Bid | None:
    live = (
        Bid.objects.select_for_update(of=("self",))
        .filter(tender=tender, supplier=organisation, status=BidStatus.SUBMITTED)
        .only("id", "public_id", "status")
        .first()
    )
    if supersedes is None:
        if live is not None:
            raise Conflict(
                _("You already have a bid on this tender: replace it or withdraw it first.")
            )
        return None
    if live is None or str(live.public_id) != str(supersedes):
        raise Conflict(_("Only your current bid on this tender can be replaced."))
    return live


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
