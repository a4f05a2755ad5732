"""A contracting process as it stood at a ledger entry, for the release of that entry.

A release must not depend on when it is built: the projector builds it right after the entry's
transaction commits, a rebuild builds it again months later, and both must give the same bytes.
So everything that can change after an entry is read as of it, from the tender's own ledger
entries up to it (the status, the deadlines, which documents stand, closing, opening, each
bid's outcome, which result stands, awards cancelled, contracts closed, every step of each
complaint), or from rows that carry the ledger sequence number of the entry that made them
(amendments, awards, contracts and their amendments, examinations, complaints). Rows that never
change once public (lots and items, documents, attachments, the bids' sealed facts) are read as
they are. The organisations' public details (name, tax code, province) are read as of the
entry too: the changes recorded after it are undone from the previous values their
``ORGANISATION_UPDATED`` entries published.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from procurement.crypto import entrykinds
from procurement.models import LedgerEntry, Organisation
from tenders.models import Tender, TenderStatus

S = TenderStatus
# The kinds that move a tender to a status of their own, and those whose payload names the
# status when they move it (the first examination or clarification starts the evaluation; the
# result; a re-evaluation; the contract that completes the awards): the registry declares both.
STATUS_OF_KIND = {
    name: S(kind.moves_status)
    for name, kind in entrykinds.KINDS.items()
    if kind.moves_status and kind.moves_status != entrykinds.PAYLOAD
}
STATUS_IN_PAYLOAD = {
    name for name, kind in entrykinds.KINDS.items() if kind.moves_status == entrykinds.PAYLOAD
}
DEADLINES = ("submission_deadline", "enquiry_end", "opening_time")
READ = {
    *STATUS_OF_KIND,
    *STATUS_IN_PAYLOAD,
    "TENDER_AMENDED",
    "QUESTION_ASKED",
    "BID_OPENED",
    "BID_INVALID",
    "BID_UNREADABLE",
    "BID_PRICE_OPENED",
    "EXAMINATION_RECORDED",
    "CLARIFICATION_REQUESTED",
    "TENDER_AWARDED",
    "TENDER_UNSUCCESSFUL",
    "TENDER_REEVALUATION",
    "COMPLAINT_FILED",
    "COMPLAINT_ANSWERED",
    "COMPLAINT_ESCALATED",
    "COMPLAINT_DECIDED",
    "COMPLAINT_WITHDRAWN",
    "COMPLAINT_DEADLINE_MISSED",
    "COMPLAINT_CLOSED",
    "CONTRACT_SIGNED",
    "CONTRACT_COMPLETED",
    "CONTRACT_TERMINATED",
}


@dataclass(frozen=True)
class Step:
    seq: int
    time: dt.datetime
    kind: str
    payload: dict


@dataclass
class History:
    """The tender's entries of the kinds above, up to and including ``seq``."""

    seq: int
    time: dt.datetime
    steps: list[Step] = field(default_factory=list)
    # Organisation subject -> payloads of its ORGANISATION_UPDATED entries after ``seq``, latest
    # first (read once, when the release first names an organisation).
    _later_updates: dict[str, list[dict]] | None = field(default=None, repr=False)

    def organisation(self, organisation: Organisation) -> Organisation:
        """``organisation`` with its public details as they stood at ``seq``: every change
        recorded after it undone from the previous values its entry published."""
        if self._later_updates is None:
            self._later_updates = {}
            rows = (
                LedgerEntry.objects.filter(kind="ORGANISATION_UPDATED", seq__gt=self.seq)
                .order_by("-seq")
                .values_list("subject", "canonical")
            )
            for subject, canonical in rows:
                payload = json.loads(bytes(canonical))["payload"]
                self._later_updates.setdefault(subject, []).append(payload)
        later = self._later_updates.get(organisation.ledger_subject)
        if not later:
            return organisation
        then = copy.copy(organisation)
        for payload in later:
            for name, old in payload["previous"].items():
                setattr(then, name, old)
        return then

    def of(self, *kinds: str) -> list[Step]:
        return [s for s in self.steps if s.kind in kinds]

    def last(self, *kinds: str) -> Step | None:
        found = self.of(*kinds)
        return found[-1] if found else None

    def status(self) -> str:
        status = S.DRAFT
        for step in self.steps:
            if step.kind in STATUS_OF_KIND:
                status = STATUS_OF_KIND[step.kind]
            elif step.kind in STATUS_IN_PAYLOAD and "status" in step.payload:
                status = step.payload["status"]
        return status

    def bids(self, *kinds: str) -> set[str]:
        return {s.payload["bid"] for s in self.of(*kinds)}

    def priced(self) -> set[str]:
        """Bids whose price is public: opened with it (one envelope) or in the financial
        opening (two envelopes)."""
        return {s.payload["bid"] for s in self.of("BID_OPENED") if "price_total" in s.payload} | (
            self.bids("BID_PRICE_OPENED")
        )

    def reevaluated_after(self, seq: int) -> bool:
        """Whether an upheld complaint sent the tender back to evaluation after ``seq``."""
        return any(s.seq > seq for s in self.of("TENDER_REEVALUATION"))

    def complaint_steps(self, number: int) -> dict[str, Step]:
        """The last step of each kind for complaint ``number``."""
        return {s.kind: s for s in self.steps if s.kind.startswith("COMPLAINT_")
                and s.payload.get("number") == number}  # fmt: skip

    def contract_step(self, contract: str, *kinds: str) -> Step | None:
        found = [s for s in self.of(*kinds) if s.payload.get("contract") == contract]
        return found[-1] if found else None


def history(tender: Tender, entry: LedgerEntry) -> History:
    rows = (
        LedgerEntry.objects.filter(subject=tender.ledger_subject, seq__lte=entry.seq, kind__in=READ)
        .order_by("seq")
        .values_list("seq", "recorded_at", "kind", "canonical")
    )
    steps = [
        Step(seq, time, kind, json.loads(bytes(canonical))["payload"])
        for seq, time, kind, canonical in rows
    ]
    return History(entry.seq, entry.recorded_at, steps)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _parse(tender: Tender, name: str, text):
    """A field's value as an amendment recorded it (``_stringify``: ISO times, plain decimals)."""
    if text is None:
        return None
    model_field = tender._meta.get_field(name)
    if isinstance(getattr(tender, name), dt.datetime) or model_field.get_internal_type() == (
        "DateTimeField"
    ):
        return _time(str(text))
    if model_field.get_internal_type() == "DecimalField":
        return Decimal(str(text))
    return model_field.to_python(text)


def tender_as_of(tender: Tender, h: History) -> Tender:
    """A copy of ``tender`` with its mutable facts as they stood at ``h.seq`` (never saved)."""
    t = copy.copy(tender)
    t.agency = h.organisation(tender.agency)
    # Amendments after the entry are undone, latest first, from the old values they recorded.
    for amendment in tender.amendments.filter(ledger_seq__gt=h.seq).order_by("-ledger_seq"):
        for name, change in amendment.changes.items():
            if isinstance(change, dict) and "old" in change and hasattr(t, name):
                setattr(t, name, _parse(tender, name, change["old"]))
    # The deadlines as the ledger published them (and as later amendments moved them).
    for name in DEADLINES:
        published = h.last("TENDER_PUBLISHED")
        if published is None or name not in published.payload:
            continue
        value = published.payload[name]
        for step in h.of("TENDER_AMENDED"):
            change = step.payload["changes"].get(name)
            if isinstance(change, dict) and "new" in change:
                value = change["new"]
        setattr(t, name, _parse(tender, name, value))
    t.status = h.status()
    closed = h.last("TENDER_CLOSED")
    t.closing_seq = closed.seq if closed else None
    t.closed_at = _time(closed.payload["closed_at"]) if closed else None
    opened = h.last("TENDER_OPENED")
    t.opened_at = _time(opened.payload["opened_at"]) if opened else None
    cancelled = h.last("TENDER_CANCELLED")
    t.cancelled_at = cancelled.time if cancelled else None
    t.cancellation_reason = cancelled.payload["reason"] if cancelled else ""
    return t


def standing_documents(h: History) -> list[str]:
    """The ids of the documents in force: as the last publication or amendment listed them."""
    step = h.last("TENDER_PUBLISHED", "TENDER_AMENDED")
    return [d["id"] for d in step.payload.get("documents", [])] if step else []


def undo_contract_amendments(contract, amendments: Iterable, seq: int) -> None:
    """The contract's value and end as they stood at ``seq`` (later amendments undone)."""
    for m in sorted(amendments, key=lambda m: -m.ledger_seq):
        if m.ledger_seq > seq:
            contract.value, contract.end_date = m.old_value, m.old_end_date


def complaint_as_of(complaint, h: History):
    """A copy of ``complaint`` with each step shown only once its entry is at or before
    ``h.seq`` (a step's fields are written in the step's own transaction)."""
    c = copy.copy(complaint)
    steps = h.complaint_steps(c.number)
    filed = steps.get("COMPLAINT_FILED")
    answered = steps.get("COMPLAINT_ANSWERED")
    decided = steps.get("COMPLAINT_DECIDED")
    upheld_by_agency = bool(answered and answered.payload.get("upheld"))
    to_review = bool(filed and filed.payload.get("to") != "agency")
    if not answered:
        c.answer, c.answered_at, c.escalation_due = "", None, None
    if not (to_review or "COMPLAINT_ESCALATED" in steps):
        c.escalated_at, c.review_due = None, None
    if not (decided or upheld_by_agency):
        c.decision, c.remedy = "", ""
    if not (decided or upheld_by_agency or "COMPLAINT_WITHDRAWN" in steps
            or "COMPLAINT_CLOSED" in steps):  # fmt: skip
        c.decided_at = None
    missed = {s.payload.get("by") for s in h.of("COMPLAINT_DEADLINE_MISSED")
              if s.payload.get("number") == c.number}  # fmt: skip
    if "agency" not in missed:
        c.answer_missed_at = None
    if "review_body" not in missed:
        c.review_missed_at = None
    c.status = _complaint_status(c.number, h)
    return c


COMPLAINT_STATUS_OF_KIND = {
    "COMPLAINT_ESCALATED": "with_review",
    "COMPLAINT_WITHDRAWN": "withdrawn",
    "COMPLAINT_CLOSED": "dismissed",
}


def _complaint_status(number: int, h: History) -> str:
    status = ""
    for step in h.steps:
        if not step.kind.startswith("COMPLAINT_") or step.payload.get("number") != number:
            continue
        if step.kind == "COMPLAINT_FILED":
            status = "with_agency" if step.payload.get("to") == "agency" else "with_review"
        elif step.kind == "COMPLAINT_ANSWERED":
            status = "upheld" if step.payload.get("upheld") else "answered"
        elif step.kind == "COMPLAINT_DECIDED":
            status = "upheld" if step.payload.get("upheld") else "dismissed"
        else:
            status = COMPLAINT_STATUS_OF_KIND.get(step.kind, status)
    return status
