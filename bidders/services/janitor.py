"""The sealed storage's janitor: reconciles files with the database after crashes, and
applies the retention of envelopes that were never to be opened.

What a killed process can leave behind, and what happens to it (each only once it is older than
SEALED_JANITOR_MIN_AGE_SECONDS, far longer than any transaction or upload in flight):

- ``incoming/*.part``: an upload cut short. Removed.
- ``envelopes/<tender>/<bid>.epb1`` that no bid row names: a submission whose transaction did
  not commit. Removed only after the database has answered that no row names it (a database
  error stops the janitor; it never guesses).
- ``opened/<tender>/<bid>.bin``: documents decrypted by an earlier version, which wrote them to
  storage at the opening. Removed: the documents stay encrypted at rest in their envelope now,
  and readers get them decrypted from it (``evaluation.services.opening.documents``).

Withdrawn and replaced envelopes are never opened; their files are deleted
UNOPENED_ENVELOPE_RETENTION_DAYS after the tender closed (their SHA-256 stays in the ledger),
and the deletion is itself a public ledger entry per tender.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from bidders.models import Bid, BidStatus
from procurement.clock import db_now
from procurement.ledger import record_event
from tenders.models import Tender

log = logging.getLogger(__name__)


def _old_files(folder: Path, pattern: str, min_age: float):
    if not folder.is_dir():
        return
    cutoff = time.time() - min_age
    for path in folder.glob(pattern):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                yield path
        except FileNotFoundError:  # removed meanwhile
            continue


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _orphans(root: Path, folder: str, field: str, min_age: float) -> int:
    """Files under ``root/folder/<tender>/`` that no bid row names in ``field``."""
    removed = 0
    for tender_dir in sorted((root / folder).glob("*")) if (root / folder).is_dir() else []:
        files = list(_old_files(tender_dir, "*", min_age))
        if not files:
            continue
        named = set(
            Bid.objects.filter(tender__public_id=tender_dir.name).values_list(field, flat=True)
        ) if _is_uuid(tender_dir.name) else set()  # fmt: skip
        for path in files:
            if f"{folder}/{tender_dir.name}/{path.name}" not in named:
                removed += _unlink(path)
                log.warning("janitor: removed %s/%s/%s (no bid row)", folder, tender_dir.name,
                            path.name)  # fmt: skip
    return removed


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def expire_unopened_envelopes(moment: dt.datetime) -> int:
    """Delete the files of withdrawn and replaced envelopes past their retention."""
    cutoff = moment - dt.timedelta(days=settings.UNOPENED_ENVELOPE_RETENTION_DAYS)
    expired = (
        Bid.objects.filter(
            status__in=(BidStatus.WITHDRAWN, BidStatus.SUPERSEDED),
            tender__closed_at__lt=cutoff,
        )
        .exclude(envelope="")
        .order_by("tender_id", "ledger_seq")
    )
    removed = 0
    for tender_id in sorted(set(expired.values_list("tender_id", flat=True)))[:100]:
        with transaction.atomic():
            tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender_id)
            bids = list(expired.select_for_update(of=("self",)).filter(tender=tender))
            if not bids:
                continue
            record_event(
                "UNOPENED_ENVELOPES_DELETED",
                tender,
                {
                    "bids": [
                        {"bid": str(b.public_id), "envelope_sha256": b.envelope_sha256}
                        for b in bids
                    ],
                    "retention_days": settings.UNOPENED_ENVELOPE_RETENTION_DAYS,
                },
                actor=None,
            )
            for bid in bids:
                name = bid.envelope.name
                Bid.objects.filter(pk=bid.pk).update(envelope="")
                # Deleted after the commit: a rolled-back run must leave the file in place.
                transaction.on_commit(lambda name=name: _delete_stored(name))
                removed += 1
    return removed


def _delete_stored(name: str) -> None:
    _unlink(Path(settings.SEALED_ROOT) / name)


def reconcile(*, min_age: float | None = None) -> dict:
    """One pass of the janitor; returns what it did, by kind."""
    min_age = settings.SEALED_JANITOR_MIN_AGE_SECONDS if min_age is None else min_age
    root = Path(settings.SEALED_ROOT)
    parts = sum(_unlink(p) for p in _old_files(root / "incoming", "*.part", min_age))
    done = {
        "partial_files": parts,
        "unrecorded_envelopes": _orphans(root, "envelopes", "envelope", min_age),
        "plaintext_documents": sum(_unlink(p) for p in _old_files(root / "opened", "*/*", min_age)),
        "expired_unopened_envelopes": expire_unopened_envelopes(db_now()),
    }
    if any(done.values()):
        log.info("sealed-storage janitor: %s", done)
    return done
