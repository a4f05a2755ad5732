"""Closing: at the deadline, the sealed bid statements become public ledger entries, the bid
set is fixed (its Merkle root), and the opening key pair is made that custodians wrap their
released keys to. It lives with the evaluation because it reads the bids.
"""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.db import transaction

from bidders.models import Bid, BidStatus
from bidders.services.submission import reveal_bids
from procurement.clock import db_now
from procurement.crypto import keystatement, rfc9162
from procurement.crypto.canonical import canonical_json
from procurement.ledger import make_checkpoint, record_event
from procurement.models import User
from tenders.models import (
    Tender,
    TenderStatus,
)
from tenders.services.lifecycle import change_status, lock_tender, settled

S = TenderStatus


def close_tender(tender: Tender, *, actor: User | None = None) -> bool:
    """Close one tender whose deadline, and the settle time after it, have passed (by the
    database clock). Idempotent.

    The row lock serialises this against submissions, so the bid set written here is exactly
    the set accepted: each live bid's ledger index, envelope hash and key commitment, with
    their Merkle root. A key pair for this opening is made, and its public half published, so
    custodians can wrap their released keys to it.
    """
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        if tender.status != S.PUBLISHED or now < settled(tender.submission_deadline):
            return False
        change_status(tender, S.CLOSED)
        reveal_bids(tender)  # the sealed statements become public entries before the closing
        bids = bid_set(tender)
        opening_key = X25519PrivateKey.generate()
        tender.opening_private_key = opening_key.private_bytes_raw()
        tender.opening_public_key = keystatement.public_key_b64(opening_key.public_key())
        tender.bid_set_root = bid_set_root(bids)
        tender.closed_at = now
        entry = record_event(
            "TENDER_CLOSED",
            tender,
            {
                "submission_deadline": tender.submission_deadline,
                "closed_at": now,
                "bids": bids,
                "bid_count": len(bids),
                "bid_set_root": tender.bid_set_root,
                "keyset_hash": tender.keyset_hash,
                "threshold": tender.threshold,
                "opening_public_key": tender.opening_public_key,
                # Keys released until then decide every bid together (docs/envelope.md).
                "release_window_ends": now
                + dt.timedelta(seconds=settings.CUSTODIAN_RELEASE_WINDOW_SECONDS),
            },
            actor=actor,
        )
        tender.closing_seq = entry.seq
        tender.save(
            update_fields=[
                "status", "closed_at", "opening_private_key", "opening_public_key",
                "bid_set_root", "closing_seq",
            ]
        )  # fmt: skip
        # Sign a checkpoint covering the closing, which custodians verify before releasing.
        transaction.on_commit(make_checkpoint)
    return True


def bid_set(tender: Tender) -> list[dict]:
    rows = Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).order_by("ledger_seq")
    return [
        {
            "seq": b.ledger_seq,
            "bid": str(b.public_id),
            "envelope_sha256": b.envelope_sha256,
            "dek_commit": b.dek_commit,
        }
        for b in rows
    ]


def bid_set_root(bids: list[dict]) -> str:
    """RFC 9162 Merkle root over the canonical JSON of each bid-set item, in ledger order."""
    return rfc9162.root_of([canonical_json(item) for item in bids]).hex()


def due_for_closing(moment: dt.datetime):
    ready = moment - dt.timedelta(seconds=settings.SUBMISSION_SETTLE_SECONDS)
    return Tender.objects.filter(status=S.PUBLISHED, submission_deadline__lte=ready).values_list(
        "pk", flat=True
    )
