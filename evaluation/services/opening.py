"""Opening sealed bids once k custodians have released their keys (a Celery worker's job).

For every bid in the tender's closing set: open k sealed shares, combine them, check the key
commitment, decrypt and authenticate the price sheet and the documents piece by piece, and
record the bid as opened (with its price, the price key and the hashes) or invalid (with the
reason). The price key and the price ciphertext are public afterwards, so anyone can re-check
each read-out price; the documents stay encrypted at rest in the envelope, decrypted for
each authorised reader (``documents``): the tender's evaluators and auditors.

Two-envelope tenders open in two steps: the technical documents first; the price sheets only
later, and only for the bids the evaluation finds technically compliant.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bidders.models import Bid, BidStatus, closing_set
from procurement import rows
from procurement.clock import db_now
from procurement.crypto import envelope, keystatement, pricesheet
from procurement.exceptions import Conflict, InvalidInput, NotFound
from procurement.ledger import Event, get_entry, make_checkpoint, record_event, record_events
from procurement.models import LedgerEntry, Role, User
from procurement.permissions import require_role
from tenders.models import EnvelopeProcedure, RosterSeat, Tender, TenderStatus
from tenders.services.lifecycle import change_status

log = logging.getLogger(__name__)
S = TenderStatus


PriceSheetError = pricesheet.PriceSheetError


def parse_price_sheet(
    raw: bytes, tender: Tender, *, lots: set[int] | None = None
) -> tuple[dict, Decimal]:
    """The price sheet under the tender's currency and lots (procurement/crypto/pricesheet.py;
    ``lots``: the tender's lot numbers, if the caller has read them already). Anything a bidder
    writes in its own price sheet can only make its own bid invalid."""
    if lots is None:
        lots = lot_numbers(tender)
    return pricesheet.parse(raw, currency=tender.currency, lots=lots)


def lot_numbers(tender: Tender) -> set[int]:
    return set(tender.lots.values_list("number", flat=True))


def ready_to_open(tender: Tender) -> bool:
    return tender.status == S.CLOSED and opening_keys(tender, db_now()) is not None


class StoredEnvelopeError(OSError):
    """The stored envelope is missing or is not the bytes the ledger recorded: the platform's
    fault, never the bid's."""


class _HashingReader:
    """Reads the stored envelope once, for decryption and for its SHA-256 together: the
    file must be exactly the envelope the ledger recorded (``check``), or the platform's
    storage damaged it and no ruling on the bid may follow."""

    def __init__(self, stream) -> None:
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data

    def check(self, bid: Bid) -> None:
        while self.read(1024 * 1024):  # what decryption did not need, e.g. unread documents
            pass
        if self.digest.hexdigest() != bid.envelope_sha256:
            raise StoredEnvelopeError(f"bid {bid.public_id}: the stored envelope is damaged")


def _open_one(bid: Bid, keys: dict, *, with_price: bool, with_docs: bool) -> dict:
    """Decrypt one envelope outside any transaction, reading it once; return what to record.
    A failure counts against the bid only if the stored bytes are the recorded ones."""
    with bid.envelope.open("rb") as stored:
        stream = _HashingReader(stored)
        try:
            result = _decrypt(stream, keys, with_price=with_price, with_docs=with_docs)
        except envelope.EnvelopeError:
            stream.check(bid)  # damaged storage is an OSError, retried; else the bid's fault
            raise
        stream.check(bid)
    return result


def _decrypt(stream, keys: dict, *, with_price: bool, with_docs: bool) -> dict:
    header = envelope.read_header(stream)
    dek = envelope.recover_dek(header, keys)
    chunk = header.core["chunk"]
    price_ct = stream.read(header.docs_offset - header.price_offset)
    result: dict = {"dek_commit": header.core["dek_commit"]}
    if with_price:  # a two-envelope tender's prices stay sealed at the technical opening
        price_key = envelope.part_key(dek, header.h, b"price")
        price_len = header.core["price_len"]
        price = envelope.decrypt_price(price_key, header.h, price_ct, price_len, chunk)
        result["price_key"] = price_key.hex()
        result["price"] = price
        result["price_sha256"] = hashlib.sha256(price).hexdigest()
    if with_docs:
        # Authenticated and hashed piece by piece, and not written anywhere: the documents stay
        # encrypted at rest in the envelope; readers get them through ``documents``.
        docs_key = envelope.part_key(dek, header.h, b"docs")
        digest = hashlib.sha256()
        for piece in envelope.decrypt_part(
            docs_key, header.h, b"docs", stream, header.core["docs_len"], chunk
        ):
            digest.update(piece)
        if stream.read(1):
            raise envelope.EnvelopeError("length", "bytes after the end of the envelope")
        result["docs_key"] = docs_key.hex()
        result["docs_sha256"] = digest.hexdigest()
    return result


def open_tender(tender: Tender) -> bool:
    """Open every bid of a closed tender once its key set is final (``opening_keys``).
    Idempotent; returns whether the tender moved to "opened". Fewer than k keys: nothing
    happens (there is no fallback key). A bid whose stored envelope cannot be read is tried
    again by each scan for OPENING_STORAGE_GRACE_SECONDS, then recorded as unreadable."""
    tender = Tender.objects.get(pk=tender.pk)
    if tender.status != S.CLOSED:
        return False
    keyset = opening_keys(tender, db_now())
    if keyset is None:
        return False
    keys = released_keys(tender, keyset.indices)
    two_envelope = tender.envelope_procedure == EnvelopeProcedure.TWO
    bids = list(
        Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).order_by("ledger_seq")
    )
    outcomes = _decrypted(bids, keys, with_price=not two_envelope)
    _record_in_batches(tender, outcomes, with_price=not two_envelope)
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if tender.status != S.CLOSED:
            return False
        now = db_now()
        unread = list(Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED))
        if unread:
            grace = dt.timedelta(seconds=settings.OPENING_STORAGE_GRACE_SECONDS)
            if now < keyset.fixed_at + grace:
                return False  # storage trouble: the next scan tries again
            for bid in unread:
                _record_unreadable(tender, bid)
        change_status(tender, S.OPENED)
        tender.opened_at = now
        tender.save(update_fields=["status", "opened_at"])
        record = opening_record(tender)
        opening_key = opening_private_key(tender)
        released = {seat.index for seat in keyset.seats} | {seat.index for seat in keyset.late}
        record_event(
            "TENDER_OPENED",
            tender,
            {
                "opened_at": now,
                "stage": "technical" if two_envelope else "all",
                "released_by": [seat.custodian.code for seat in keyset.seats],
                "release_window_ends": keyset.window_ends,
                "key_set_fixed_at": keyset.fixed_at,
                # Every key that decided, published so that anyone can re-open every share.
                "keys": [published_key(seat, opening_key) for seat in keyset.seats],
                "released_late": [seat.custodian.code for seat in keyset.late],
                "not_released": [
                    seat.custodian.code
                    for seat in tender.roster.select_related("custodian").order_by("index")
                    if seat.index not in released
                ],
                "bids": [
                    {k: b[k] for k in ("bid", "seq", "status", "price_total") if k in b}
                    for b in record["bids"]
                ],
            },
            actor=None,
        )
        transaction.on_commit(make_checkpoint)
        # Keys that came after the set was fixed but before this ran: checked once committed,
        # here on the worker (a failure is logged; it changes no outcome).
        for seat in keyset.late:
            transaction.on_commit(lambda seat=seat: check_late_release(seat), robust=True)
    return True


def check_late_release(seat: RosterSeat) -> bool:
    """A key released after the opening's key set was fixed: publish it, and name every opened
    bid whose share at this place disagrees with the others (that bid would have been invalid
    had this custodian released in time: evidence against the bidder and the custodian). It
    changes no outcome. Idempotent; returns whether it recorded the check."""
    tender = seat.tender
    if tender.opened_at is None or seat.released_at is None:
        return False
    keyset = opening_keys(tender, db_now())
    if keyset is None or seat.index in keyset.indices:
        return False
    if _late_checked(tender, seat.index):
        return False
    keys = released_keys(tender, [*keyset.indices, seat.index])
    disagreeing = []
    for bid in closing_set(tender).filter(status=BidStatus.OPENED).order_by("ledger_seq"):
        try:
            with bid.envelope.open("rb") as stream:
                envelope.recover_dek(envelope.read_header(stream), keys)
        except envelope.EnvelopeError:
            disagreeing.append(str(bid.public_id))
    with transaction.atomic():
        Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if _late_checked(tender, seat.index):
            return False
        record_event(
            "LATE_RELEASE_CHECKED",
            tender,
            {
                "index": seat.index,
                "custodian": seat.custodian.code,
                "key": published_key(seat, opening_private_key(tender)),
                "disagreeing_bids": disagreeing,
            },
            actor=None,
        )
    return True


def _late_checked(tender: Tender, index: int) -> bool:
    entries = LedgerEntry.objects.filter(kind="LATE_RELEASE_CHECKED", subject=tender.ledger_subject)
    return any(json.loads(bytes(e.canonical))["payload"]["index"] == index for e in entries)


def _decrypted(bids: list[Bid], keys: dict, *, with_price: bool):
    """Each bid with the outcome of its decryption (what ``_open_one`` returned, or the
    exception it raised), in the order given. Up to OPENING_THREADS bids are read and
    decrypted at once (no database work: hashing and file reads release the interpreter's
    lock, so threads use every core); the caller records them one by one."""

    def attempt(bid: Bid):
        try:
            return bid, _open_one(bid, keys, with_price=with_price, with_docs=True)
        except Exception as exc:  # noqa: BLE001 - recorded by the caller, bid by bid
            return bid, exc

    threads = min(settings.OPENING_THREADS, len(bids))
    if threads <= 1:
        yield from map(attempt, bids)
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="opening") as pool:
        futures = [pool.submit(attempt, bid) for bid in bids]
        try:
            for future in futures:
                yield future.result()
        finally:  # stopped early (a recording failed): the bids not yet started are not read
            for future in futures:
                future.cancel()


# Bids recorded per transaction: one lock of their rows, one of the ledger head, one write of
# their entries and one UPDATE of the rows, where one bid at a time took about twelve statements.
OPENING_BATCH = 10


def _record_in_batches(tender: Tender, outcomes, *, with_price: bool) -> None:
    """Record the bids' openings from the outcomes of their decryption (``_decrypted``), in
    their order, ``OPENING_BATCH`` bids to a transaction."""
    batch: list = []
    lots = lot_numbers(tender) if with_price else None
    try:
        for item in outcomes:
            batch.append(item)
            if len(batch) == OPENING_BATCH:
                _record_batch(tender, batch, lots)
                batch = []
        if batch:
            _record_batch(tender, batch, lots)
    finally:
        outcomes.close()  # at once, not when collected: it stops the reads queued ahead


@dataclass
class _Ruling:
    """What one decryption outcome says about its bid: opened (``result``, with the price
    sheet and total if prices are opened now) or invalid (``reason``)."""

    pk: int
    reason: str = ""
    result: dict | None = None
    sheet: dict | None = None
    total: Decimal | None = None


def _ruling(tender: Tender, bid: Bid, outcome, lots: set[int] | None) -> _Ruling | None:
    """The ruling on one decryption outcome, or None when storage failed (not the bid's
    fault: the next scan tries again)."""
    if isinstance(outcome, OSError):
        log.error("bid %s: envelope could not be read", bid.public_id, exc_info=outcome)
        return None
    if isinstance(outcome, envelope.EnvelopeError):
        return _Ruling(bid.pk, reason=str(outcome))
    if isinstance(outcome, Exception):  # one bid's content must never stop the opening
        log.error("bid %s: unexpected failure while opening", bid.public_id, exc_info=outcome)
        return _Ruling(bid.pk, reason="the envelope could not be read as EPB1")
    sheet = total = None
    if lots is not None:  # the prices are opened now
        try:
            sheet, total = parse_price_sheet(outcome["price"], tender, lots=lots)
        except PriceSheetError as exc:
            return _Ruling(bid.pk, reason=str(exc))
    return _Ruling(bid.pk, result=outcome, sheet=sheet, total=total)


def _record_batch(tender: Tender, outcomes: list, lots: set[int] | None) -> None:
    """Record a batch of bids; ``lots``: the tender's lot numbers if prices are opened now."""
    rulings = [r for bid, outcome in outcomes if (r := _ruling(tender, bid, outcome, lots))]
    with transaction.atomic():
        locked = Bid.objects.select_for_update(of=("self",)).select_related("supplier")
        current = {bid.pk: bid for bid in locked.filter(pk__in=[r.pk for r in rulings])}
        changed, events = [], []
        for ruling in rulings:
            bid = current[ruling.pk]
            if bid.status != BidStatus.SUBMITTED:  # another run recorded it meanwhile
                continue
            if ruling.result is None:
                events.append(_invalid(tender, bid, ruling.reason))
            else:
                events.append(_opened(tender, bid, ruling))
            changed.append(bid)
        for bid, entry in zip(changed, record_events(events), strict=True):
            bid.opening_seq, bid.opened_at = entry.seq, entry.recorded_at
        rows.update(changed, OPENING_FIELDS)


OPENING_FIELDS = [
    "status", "invalid_reason", "opened_at", "opening_seq", "docs_key", "docs_sha256",
    "price_sheet", "price_total", "price_key", "price_sha256",
]  # fmt: skip


def _opened(tender: Tender, bid: Bid, ruling: _Ruling) -> Event:
    result = ruling.result
    assert result is not None  # an opened ruling
    bid.docs_sha256, bid.docs_key = result["docs_sha256"], result["docs_key"]
    payload = {"bid": str(bid.public_id), "bidder": bid.supplier.code,
               "docs_sha256": bid.docs_sha256, "dek_commit": result["dek_commit"]}  # fmt: skip
    if ruling.sheet is not None:
        _apply_price(bid, ruling.sheet, ruling.total, result, payload)
    bid.status = BidStatus.OPENED
    return Event("BID_OPENED", tender, payload)


def _invalid(tender: Tender, bid: Bid, reason: str, *, kind: str = "BID_INVALID") -> Event:
    bid.status = BidStatus.INVALID
    bid.invalid_reason = reason[:300]
    payload = {"bid": str(bid.public_id), "bidder": bid.supplier.code, "reason": bid.invalid_reason}
    return Event(kind, tender, payload)


def _apply_price(bid: Bid, sheet: dict, total: Decimal, result: dict, payload: dict) -> None:
    """Put an opened price sheet on the bid and into its ledger entry's payload."""
    bid.price_sheet, bid.price_total = sheet, total
    bid.price_key, bid.price_sha256 = result["price_key"], result["price_sha256"]
    payload.update(
        price_total=format(total, "f"), price_sha256=bid.price_sha256, price_key=bid.price_key
    )


def _record_invalid(tender: Tender, bid: Bid, reason: str, *, kind: str = "BID_INVALID") -> None:
    with transaction.atomic():
        bid = Bid.objects.select_for_update(of=("self",)).get(pk=bid.pk)
        if bid.status != BidStatus.SUBMITTED:
            return
        (entry,) = record_events([_invalid(tender, bid, reason, kind=kind)])
        bid.opening_seq, bid.opened_at = entry.seq, entry.recorded_at
        bid.save(update_fields=["status", "invalid_reason", "opening_seq", "opened_at"])


# Public and in English in the ledger, as every reason; the pages translate it.
UNREADABLE_REASON = (
    "the platform could not read the stored envelope (a fault of the platform, not of the bid)"
)


def _record_unreadable(tender: Tender, bid: Bid) -> None:
    """The opening finishes without a bid whose stored envelope stayed unreadable through the
    grace period: recorded publicly as the platform's fault (BID_UNREADABLE)."""
    log.error("bid %s: recorded as unreadable after the storage grace period", bid.public_id)
    _record_invalid(tender, bid, UNREADABLE_REASON, kind="BID_UNREADABLE")


def open_financial(
    tender: Tender, *, actor: User | None, compliant: list[str] | None = None
) -> list[Bid]:
    """Two-envelope tenders: after the technical examination, open the price sheets of the
    technically compliant bids, once, with the tender locked. Which bids are compliant comes
    from the committee's examination (and the pass mark on its scores); a ``compliant`` list,
    if given, must be exactly that. The other bids' prices are never read; a second financial
    opening is refused."""
    from evaluation.services.examination import technically_compliant  # noqa: PLC0415 - built on this

    require_role(actor, Role.OFFICER, tender.agency)
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if tender.envelope_procedure != EnvelopeProcedure.TWO:
            raise Conflict(_("This tender opens prices together with the documents."))
        if tender.status not in (S.OPENED, S.EVALUATING):
            raise Conflict(_("The technical parts have not been opened yet."))
        if tender.financial_opened_at is not None:
            raise Conflict(_("The financial parts of this tender have already been opened."))
        bids = {
            str(b.public_id): b
            for b in Bid.objects.select_for_update(of=("self",)).filter(
                tender=tender, status=BidStatus.OPENED
            )
        }
        expected = technically_compliant(tender)
        if compliant is None:
            compliant = expected
        unknown = [c for c in compliant if c not in bids]
        if unknown or len(set(compliant)) != len(compliant):
            raise InvalidInput(_("Name opened bids of this tender."), field="compliant")
        if sorted(compliant) != sorted(expected):
            raise InvalidInput(
                _("The compliant bids are those that passed the technical evaluation."),
                field="compliant",
            )
        keyset = opening_keys(tender, db_now())
        keys = released_keys(tender, keyset.indices)  # the technical opening's set
        opened, lots = [], lot_numbers(tender)
        for bid_id in compliant:
            bid = bids[bid_id]
            payload = {"bid": bid_id, "bidder": bid.supplier.code, "stage": "financial"}
            try:
                result = _open_one(bid, keys, with_price=True, with_docs=False)
                sheet, total = parse_price_sheet(result["price"], tender, lots=lots)
            except Exception as exc:  # noqa: BLE001 - the bid's own fault, recorded as such
                known = isinstance(exc, envelope.EnvelopeError | PriceSheetError)
                reason = str(exc) if known else "the envelope could not be read as EPB1"
                payload["reason"] = reason
                bid.status, bid.invalid_reason = BidStatus.INVALID, reason[:300]
                record_event("BID_INVALID", tender, payload, actor=actor)
            else:
                _apply_price(bid, sheet, total, result, payload)
                record_event("BID_PRICE_OPENED", tender, payload, actor=actor)
            bid.save()
            opened.append(bid)
        tender.financial_opened_at = db_now()
        tender.save(update_fields=["financial_opened_at"])
        record_event(
            "FINANCIAL_OPENING",
            tender,
            {"compliant": compliant, "not_compliant": sorted(set(bids) - set(compliant))},
            actor=actor,
        )
    return opened


def record_rows(tender: Tender):
    """The closing set's rows as the opening record reads them: with their supplier, without
    the receipts (kilobytes of JSON per bid that the record does not show)."""
    return closing_set(tender).select_related("supplier").defer("receipt", "withdrawal_receipt")


def record_page(ids) -> list[dict]:
    """A page of the opening record as the tender page shows it (``ids``: the page of the
    closing set's ids, a subquery): each bid's ledger index, bidder, submission time and
    status (with an invalid one's reason) and, as opening_record() has them, its price and
    price key once read out. Read as values: the page has no use for 50 bids' every column.
    The bids are found by id alone, so the database joins the suppliers of this page, not of
    every bid before picking it."""
    rows = (
        Bid.objects.filter(pk__in=ids)
        .order_by("ledger_seq")
        .values_list("ledger_seq", "supplier__name_vi", "submitted_at", "status",
                     "invalid_reason", "price_total", "price_key")
    )  # fmt: skip
    return [
        {"seq": seq, "bidder_name": name, "submitted_at": submitted_at.isoformat()[:19],
         "status": status, "reason": reason if status == BidStatus.INVALID else "",
         "price_total": format(total, "f") if key else None, "price_key": key}
        for seq, name, submitted_at, status, reason, total, key in rows
    ]  # fmt: skip


def opening_record(tender: Tender, *, with_ciphertexts: bool = False) -> dict:
    """The public opening record: every bid in the closing set with its submission time,
    validity, price and the price key (the tender page shows a page of it: record_page).
    ``with_ciphertexts`` adds each price ciphertext (read from the stored envelope) for
    anyone's re-check: the JSON record, not every page view."""
    bids = []
    for bid in record_rows(tender):
        item = {
            "bid": str(bid.public_id),
            "seq": bid.ledger_seq,
            "bidder": bid.supplier.code,
            "bidder_name": bid.supplier.name_vi,
            "submitted_at": bid.submitted_at.isoformat(),
            "envelope_sha256": bid.envelope_sha256,
            "status": bid.status,
            "opening_seq": bid.opening_seq,
        }
        if bid.status == BidStatus.INVALID:
            item["reason"] = bid.invalid_reason
        if bid.price_key:
            item.update(
                price_total=format(bid.price_total, "f"),
                price_sheet=bid.price_sheet,
                price_key=bid.price_key,
                price_sha256=bid.price_sha256,
                core_sha256=bid.core_sha256,
            )
        if with_ciphertexts and tender.opened_at and bid.invalid_reason != UNREADABLE_REASON:
            item.update(public_parts(bid, with_price=bool(bid.price_key)))
        if bid.docs_sha256:
            item["docs_sha256"] = bid.docs_sha256
        bids.append(item)
    return {
        "tender": tender.reference,
        "closing_seq": tender.closing_seq,
        "bid_set_root": tender.bid_set_root,
        "opened_at": tender.opened_at.isoformat() if tender.opened_at else None,
        "bids": bids,
    }


def public_parts(bid: Bid, *, with_price: bool) -> dict:
    """What anyone needs, with the published custodian keys, to re-open every share of a bid
    and re-derive its key (the core exactly as sealed and the sealed shares) and, once its
    price is read out, to re-check it (the price ciphertext): one read of the envelope."""
    with bid.envelope.open("rb") as stream:
        header = envelope.read_header(stream)
        parts = {
            "core": base64.b64encode(header.core_bytes).decode(),
            "sealed_shares": [base64.b64encode(share).decode() for share in header.sealed_shares],
        }
        if with_price:
            price_ct = stream.read(header.docs_offset - header.price_offset)
            parts.update(
                price_ct=base64.b64encode(price_ct).decode(),
                price_len=header.core["price_len"],
                chunk=header.core["chunk"],
            )
    return parts


class Documents:
    """An opened bid's documents, decrypted from its stored envelope piece by piece as they are
    read. Each piece is authenticated, and the last one is held back until the SHA-256 of the
    whole equals ``docs_sha256`` (published in BID_OPENED): after the opening the keys are
    public, so authentication alone would not stop a forgery written to the storage; the
    reader then gets a body cut short of its length, never bytes that are not the bidder's.
    ``close`` closes the file, read or not (the response calls it)."""

    def __init__(self, bid: Bid) -> None:
        self.bid = bid
        self.stream = bid.envelope.open("rb")
        try:
            self.header = envelope.read_header(self.stream)
            self.stream.seek(self.header.docs_offset)
        except BaseException:
            self.stream.close()
            raise
        self.length = self.header.core["docs_len"]

    def __iter__(self) -> Iterator[bytes]:
        digest, held = hashlib.sha256(), b""
        pieces = envelope.decrypt_part(
            bytes.fromhex(self.bid.docs_key), self.header.h, b"docs", self.stream, self.length,
            self.header.core["chunk"],
        )  # fmt: skip
        for piece in pieces:
            if held:
                yield held
            digest.update(piece)
            held = piece
        if digest.hexdigest() != self.bid.docs_sha256:
            log.error("bid %s: the stored documents differ from those opened", self.bid.public_id)
            raise StoredEnvelopeError(f"bid {self.bid.public_id}: the documents differ")
        if held:
            yield held

    def close(self) -> None:
        self.stream.close()


def documents(bid: Bid) -> Documents:
    """An opened bid's documents (``length`` bytes), for a reader the caller has authorised."""
    if not bid.docs_key:
        raise NotFound(_("No such bid."))
    return Documents(bid)


def published_keys(tender: Tender) -> dict:
    """The custodian keys the opening published (TENDER_OPENED) and those released late
    (LATE_RELEASE_CHECKED), for anyone's re-check of every share."""
    entries = LedgerEntry.objects.filter(
        kind__in=("TENDER_OPENED", "LATE_RELEASE_CHECKED"), subject=tender.ledger_subject
    ).order_by("seq")
    record: dict = {"keys": [], "late_keys": []}
    for entry in entries:
        payload = json.loads(bytes(entry.canonical))["payload"]
        if entry.kind == "TENDER_OPENED":
            record.update(
                keys=payload.get("keys", []),
                release_window_ends=payload.get("release_window_ends"),
                released_late=payload.get("released_late", []),
                not_released=payload.get("not_released", []),
                opened_seq=entry.seq,
            )
        else:
            record["late_keys"].append(
                {
                    **payload["key"],
                    "disagreeing_bids": payload["disagreeing_bids"],
                    "checked_seq": entry.seq,
                }  # fmt: skip
            )
    return record


# --- Which released keys decide the opening -----------------------------------------------


@dataclass(frozen=True)
class OpeningKeys:
    """The released keys that decide every bid of a tender together, and when they became final.

    The set depends on which custodians released and when, never on the order of releases: all
    n as soon as all are in; otherwise, once the published release window has ended, every key
    released within it (k or more); if fewer than k were in by then, the first k released
    after it (those absent are public in the ledger: they did not release in time)."""

    seats: list[RosterSeat]
    fixed_at: dt.datetime
    window_ends: dt.datetime
    late: list[RosterSeat]  # released, but after the set was fixed: checked, not used

    @property
    def indices(self) -> list[int]:
        return [seat.index for seat in self.seats]


def release_window_end(tender: Tender) -> dt.datetime:
    """The end of the release window, as the closing entry published it."""
    payload = json.loads(bytes(get_entry(tender.closing_seq).canonical))["payload"]
    ends = payload.get("release_window_ends")
    if ends is None:  # closed before the window was published: the first k keys decided
        return tender.closed_at
    return dt.datetime.fromisoformat(ends.replace("Z", "+00:00"))


def opening_keys(tender: Tender, moment: dt.datetime) -> OpeningKeys | None:
    """The key set the opening uses at ``moment``, or None while it must still wait."""
    if tender.closing_seq is None:
        return None
    released = list(tender.roster.filter(released_at__isnull=False).order_by("release_seq"))
    if len(released) < tender.threshold:
        return None
    ends = release_window_end(tender)
    within = [seat for seat in released if seat.released_at <= ends]
    if len(within) == tender.roster.count():
        chosen, fixed_at = within, max(seat.released_at for seat in within)
    elif moment < ends:
        return None  # the window is open and someone has not released yet: wait for them
    elif len(within) >= tender.threshold:
        chosen, fixed_at = within, ends
    else:
        chosen = released[: tender.threshold]
        fixed_at = chosen[-1].released_at
    used = {seat.pk for seat in chosen}
    return OpeningKeys(
        seats=sorted(chosen, key=lambda seat: seat.index),
        fixed_at=fixed_at,
        window_ends=ends,
        late=[seat for seat in released if seat.pk not in used],
    )


def published_key(seat: RosterSeat, opening: X25519PrivateKey) -> dict:
    """A released key as the opening publishes it, for anyone to re-check every share."""
    key = keystatement.unwrap_released(
        bytes(seat.wrapped_key),
        tender=seat.tender.reference,
        index=seat.index,
        opening_private_key=opening,
    )
    return {
        "index": seat.index,
        "custodian": seat.custodian.code,
        "pk": seat.public_key,
        "private_key": base64.b64encode(key.private_bytes_raw()).decode(),
        "release_seq": seat.release_seq,
    }


def opening_private_key(tender: Tender) -> X25519PrivateKey:
    if not tender.opening_private_key:
        raise NotFound(_("This tender has no opening key yet."))
    return X25519PrivateKey.from_private_bytes(bytes(tender.opening_private_key))


def released_keys(tender: Tender, indices: list[int] | None = None) -> dict[int, X25519PrivateKey]:
    """The released per-tender keys by roster place, unwrapped (the opening worker only):
    those of ``indices`` (the opening's key set), or every released one."""
    opening = opening_private_key(tender)
    seats = tender.roster.filter(released_at__isnull=False).order_by("index")
    if indices is not None:
        seats = seats.filter(index__in=indices)
    return {
        seat.index: keystatement.unwrap_released(
            bytes(seat.wrapped_key),
            tender=tender.reference,
            index=seat.index,
            opening_private_key=opening,
        )
        for seat in seats
    }
