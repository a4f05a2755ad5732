"""A draft is not public: its page answers 404 to everyone but its agency (and its seated
custodians), so its history stays out of the public ledger too until it is published.

While a tender is a draft, ``record`` keeps each step (TENDER_DRAFTED, TENDER_DRAFT_UPDATED,
ROSTER_SET, KEY_STATEMENT) as a private ``DraftEvent`` instead of a ledger entry. ``disclose``
appends them, in the order they happened, as entries of their own kinds in the transaction that
publishes the tender (or cancels the draft, which makes its page public), just before that
entry. Each payload is the one the step would have recorded, plus ``draft_time``: when the
platform recorded the step. The entry's own ``time`` is when the log learned of it, so the log
never claims to have witnessed what it did not; what it commits to at publication (content
hash, key set) is checked against the published tender as before.
"""

from __future__ import annotations

import json
from typing import Any

from procurement.clock import db_now
from procurement.crypto import entrykinds
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import LedgerError
from procurement.ledger import record_event
from procurement.models import LedgerEntry, User
from tenders.models import DraftEvent, Tender, TenderStatus


def record(kind: str, tender: Tender, payload: dict, *, actor: User | None) -> LedgerEntry | None:
    """Record a step on ``tender``: privately while it is a draft (returns None), in the
    ledger otherwise. Must run in the caller's transaction, like ``record_event``."""
    if tender.status != TenderStatus.DRAFT:
        return record_event(kind, tender, payload, actor=actor)
    # Checked now, as record_event would, not at publication: a bad step must not block it.
    declared = entrykinds.KINDS.get(kind)
    if declared is None or declared.visibility != "draft":
        raise LedgerError(f"{kind} is not a draft step (procurement/crypto/entrykinds.py)")
    try:
        declared.check({**payload, "draft_time": None})
    except entrykinds.EntryKindError as exc:
        raise LedgerError(str(exc)) from None
    DraftEvent.objects.create(
        tender=tender,
        kind=kind,
        payload=canonical_json(payload).decode(),
        actor=actor,
        recorded_at=db_now(),
    )
    return None


def disclose(tender: Tender) -> int:
    """Append the draft's kept steps to the ledger, in order; returns how many."""
    events = list(
        DraftEvent.objects.select_for_update(of=("self",))
        .filter(tender=tender, ledger_seq__isnull=True)
        .select_related("actor")
        .order_by("pk")
    )
    for event in events:
        payload: dict[str, Any] = json.loads(event.payload)
        payload["draft_time"] = event.recorded_at
        entry = record_event(event.kind, tender, payload, actor=event.actor)
        event.ledger_seq = entry.seq
        event.save(update_fields=["ledger_seq"])
    return len(events)
