"""The ledger's vocabulary: every kind of entry, declared once.

Each kind says which floor of the code records it, what its subject is, which payload fields
it carries (always, or sometimes), and how the public sees it:

- ``public``: readable by anyone from the moment it is appended;
- ``sealed``: first a sealed statement (``procurement.sealedlog``), signed and receipted at once
  but kept private until the tender's deadline; at closing it becomes an entry whose payload is
  ``{"statement", "batch_seq", "slot", "path"}`` (``fields`` here are the statement's payload).
  ``ENVELOPE_RESTORED`` is sealed only before the deadline; after it, it is a public entry with
  the statement's fields;
- ``draft``: part of a draft's private history, appended to the ledger when the tender is
  published (or a draft is cancelled), with a ``draft_time`` field saying when it happened.

``procurement.ledger.record_event`` refuses a kind that is not here, and a payload whose fields
are not the declared ones; ``docs/ledger-entries.md`` is generated from this table
(``python -m procurement.crypto.entrykinds``) and a test keeps it in step. Like the rest of this
package it imports no Django: the verifier and the custodian agent read it too.

To add a kind: one ``_kind(...)`` line below, in its floor's section (docs/architecture.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FLOORS = ("procurement", "tenders", "bidders", "evaluation")
VISIBILITY = ("public", "sealed", "draft")
# The envelope a sealed statement is revealed in (procurement.sealedlog.reveal_sealed).
REVEALED_FIELDS = frozenset({"statement", "batch_seq", "slot", "path"})
PAYLOAD = "payload"
# Sealed kinds that, once the tender has closed, are recorded as public entries directly.
PUBLIC_AFTER_CLOSING = frozenset({"ENVELOPE_RESTORED"})


class EntryKindError(ValueError):
    """An entry whose kind is not declared, or whose payload does not fit its declaration."""


@dataclass(frozen=True)
class EntryKind:
    name: str
    floor: str  # the package whose services record it
    subject: str  # the subject's prefix: "tender" for "tender:<reference>"
    fields: frozenset[str]  # always in the payload
    optional: frozenset[str]  # in the payload of some entries
    visibility: str
    summary: str  # what happened, in one English sentence (the docs' table)
    # The tender status the entry moves its tender to: a status, PAYLOAD (the payload's
    # "status" field, when it has one) or "" (none). Open data's as-of builder reads it.
    moves_status: str = ""

    def check_public(self, payload: Mapping) -> None:
        """Refuse appending a sealed kind as a public entry, except as its revealed envelope
        (at closing) or as a kind declared public once the tender has closed."""
        if (
            self.visibility == "sealed"
            and set(payload) != REVEALED_FIELDS
            and self.name not in PUBLIC_AFTER_CLOSING
        ):
            raise EntryKindError(
                f"{self.name} is sealed: it is recorded as a sealed statement "
                "(procurement.sealedlog.record_sealed) and revealed at closing"
            )

    def check(self, payload: Mapping) -> None:
        """Refuse a payload that misses a field or carries one not declared."""
        keys = set(payload)
        if self.visibility == "sealed" and keys == REVEALED_FIELDS:
            return
        missing = self.fields - keys
        unknown = keys - self.fields - self.optional
        if missing or unknown:
            raise EntryKindError(
                f"{self.name} payload: missing {sorted(missing)}, undeclared {sorted(unknown)}"
            )


KINDS: dict[str, EntryKind] = {}


def _kind(
    name: str,
    floor: str,
    subject: str,
    fields: Iterable[str],
    summary: str,
    *,
    optional: Iterable[str] = (),
    visibility: str = "public",
    moves_status: str = "",
) -> str:
    register(
        EntryKind(
            name, floor, subject, frozenset(fields), frozenset(optional), visibility, summary,
            moves_status,
        )
    )  # fmt: skip
    return name


def register(kind: EntryKind) -> None:
    """Declare a kind (this module's table; a test suite may add its own)."""
    if kind.name in KINDS:
        raise EntryKindError(f"entry kind {kind.name} is declared twice")
    if kind.visibility not in VISIBILITY:
        raise EntryKindError(f"{kind.name}: visibility must be one of {VISIBILITY}")
    KINDS[kind.name] = kind


def check(kind: str, payload: Mapping) -> EntryKind:
    """The declaration of ``kind``, after checking ``payload`` against it."""
    declared = KINDS.get(kind)
    if declared is None:
        raise EntryKindError(f"unknown entry kind {kind!r} (declare it in {__name__})")
    declared.check(payload)
    return declared


# --- The kernel: the ledger itself, accounts and organisations --------------------------------

GENESIS = _kind(
    "GENESIS",
    "procurement",
    "ledger",
    ["origin", "platform", "verifier_key"],
    "The first entry: the log's origin and the key that signs its checkpoints.",
)
SEALED_BATCH = _kind(
    "SEALED_BATCH",
    "procurement",
    "ledger",
    ["depth", "root"],
    "One tick of the ledger's cadence: the Merkle root of the sealed statements of the last "
    "interval, at random slots among pads (the same shape whether or not bids came).",
)
CODE_RELEASE = _kind(
    "CODE_RELEASE",
    "procurement",
    "platform",
    ["version", "bundle_sha256", "files"],
    "The platform's source code now running, by the hash of each file.",
)
ACCOUNT_CREATED = _kind(
    "ACCOUNT_CREATED",
    "procurement",
    "user",
    ["platform_admin"],
    "An account was created.",
)
ACCOUNT_STANDING_CHANGED = _kind(
    "ACCOUNT_STANDING_CHANGED",
    "procurement",
    "user",
    ["is_staff", "is_superuser"],
    "An account's platform-administration rights changed.",
)
ORGANISATION_REGISTERED = _kind(
    "ORGANISATION_REGISTERED",
    "procurement",
    "organisation",
    ["code", "kind", "name_vi", "name_en", "tax_code", "province"],
    "An organisation (agency, supplier or oversight body) was registered.",
)
ORGANISATION_UPDATED = _kind(
    "ORGANISATION_UPDATED",
    "procurement",
    "organisation",
    ["changed", "previous"],
    "An organisation's public details changed: the new values (`changed`) and the ones they "
    "replaced (`previous`), field by field.",
)
ROLE_GRANTED = _kind(
    "ROLE_GRANTED",
    "procurement",
    "organisation",
    ["user", "role"],
    "A person was given a role in an organisation.",
)
ROLE_REVOKED = _kind(
    "ROLE_REVOKED",
    "procurement",
    "organisation",
    ["user", "role"],
    "A person's role in an organisation was revoked.",
)

# --- Tenders: drafting, publication, amendments, questions, custody ---------------------------

TENDER_DRAFTED = _kind(
    "TENDER_DRAFTED",
    "tenders",
    "tender",
    ["agency", "content_sha256", "draft_time"],
    "A draft was created (disclosed at publication).",
    visibility="draft",
)
TENDER_DRAFT_UPDATED = _kind(
    "TENDER_DRAFT_UPDATED",
    "tenders",
    "tender",
    ["content_sha256", "draft_time"],
    "A draft's content or documents changed (disclosed at publication).",
    optional=["document_sha256"],
    visibility="draft",
)
ROSTER_SET = _kind(
    "ROSTER_SET",
    "tenders",
    "tender",
    ["custodians", "threshold", "draft_time"],
    "The custodians of the tender's bids and the threshold k of n were set.",
    visibility="draft",
)
KEY_STATEMENT = _kind(
    "KEY_STATEMENT",
    "tenders",
    "tender",
    ["custodian", "index", "statement", "signature", "draft_time"],
    "A custodian's signed statement of its per-tender public key.",
    visibility="draft",
)
CUSTODIAN_REGISTERED = _kind(
    "CUSTODIAN_REGISTERED",
    "tenders",
    "custodian",
    ["identity_key", "organisation", "demo", "replaces"],
    "A custodian registered (or replaced) its identity key.",
)
TENDER_PUBLISHED = _kind(
    "TENDER_PUBLISHED",
    "tenders",
    "tender",
    [
        "content_sha256",
        "submission_deadline",
        "opening_time",
        "enquiry_end",
        "documents",
        "regime",
        "threshold",
        "custodians",
        "keyset_hash",
    ],
    "The tender was published: its content hash, deadlines, documents, regime and the key set "
    "its bids are sealed to.",
    optional=["invited"],
    moves_status="published",
)
TENDER_AMENDED = _kind(
    "TENDER_AMENDED",
    "tenders",
    "tender",
    ["amendment", "rationale", "changes", "deadline_extended", "content_sha256", "documents"],
    "The published tender was amended (a late one extends the deadline).",
)
QUESTION_ASKED = _kind(
    "QUESTION_ASKED",
    "tenders",
    "tender",
    ["question", "text_commitment"],
    "A supplier asked a question (a salted commitment to its text; the asker is not named).",
)
QUESTION_ANSWERED = _kind(
    "QUESTION_ANSWERED",
    "tenders",
    "tender",
    ["question", "text", "salt", "answer"],
    "The agency answered a question publicly (the text and salt reveal the commitment).",
)

# --- Bidders: suppliers and sealed bids --------------------------------------------------------

SUPPLIER_REGISTERED = _kind(
    "SUPPLIER_REGISTERED",
    "bidders",
    "organisation",
    ["tax_code", "classifications", "user"],
    "A supplier applied for registration.",
)
SUPPLIER_APPROVED = _kind(
    "SUPPLIER_APPROVED",
    "bidders",
    "organisation",
    ["note"],
    "A supplier was approved.",
)
SUPPLIER_REJECTED = _kind(
    "SUPPLIER_REJECTED",
    "bidders",
    "organisation",
    ["reason"],
    "A supplier was rejected.",
)
SUPPLIER_SUSPENDED = _kind(
    "SUPPLIER_SUSPENDED",
    "bidders",
    "organisation",
    ["reason"],
    "A supplier was suspended.",
)
SUPPLIER_DEBARRED = _kind(
    "SUPPLIER_DEBARRED",
    "bidders",
    "organisation",
    ["from", "until", "reason", "legal_basis"],
    "A supplier was debarred for a period, on a legal basis.",
)
BID_SUBMITTED = _kind(
    "BID_SUBMITTED",
    "bidders",
    "tender",
    [
        "bid",
        "bidder",
        "envelope_sha256",
        "envelope_size",
        "suite",
        "keyset",
        "dek_commit",
        "supersedes",
    ],
    "A sealed bid was submitted (or replaced one): its envelope's hash and key commitment.",
    visibility="sealed",
)
BID_WITHDRAWN = _kind(
    "BID_WITHDRAWN",
    "bidders",
    "tender",
    ["bid", "bidder", "supersedes"],
    "A bid was withdrawn before the deadline.",
    visibility="sealed",
)
ENVELOPE_RESTORED = _kind(
    "ENVELOPE_RESTORED",
    "bidders",
    "tender",
    ["bid", "envelope_sha256"],
    "A lost copy of a sealed envelope was restored from the supplier's retry (same hash).",
    visibility="sealed",
)
UNOPENED_ENVELOPES_DELETED = _kind(
    "UNOPENED_ENVELOPES_DELETED",
    "bidders",
    "tender",
    ["bids", "retention_days"],
    "Envelopes never to be opened (withdrawn, replaced, cancelled tender) were deleted after "
    "their retention.",
)

# --- Evaluation: closing, release, opening, examination, award, complaints, contracts ---------

TENDER_CLOSED = _kind(
    "TENDER_CLOSED",
    "evaluation",
    "tender",
    [
        "submission_deadline",
        "closed_at",
        "bids",
        "bid_count",
        "bid_set_root",
        "keyset_hash",
        "threshold",
        "opening_public_key",
        "release_window_ends",
    ],
    "The deadline passed: the bid set (its Merkle root) and the opening's public key.",
    moves_status="closed",
)
KEY_RELEASED = _kind(
    "KEY_RELEASED",
    "evaluation",
    "tender",
    ["custodian", "index", "pk", "statement", "signature"],
    "A custodian released its per-tender key after closing (wrapped to the opening key).",
)
TENDER_OPENED = _kind(
    "TENDER_OPENED",
    "evaluation",
    "tender",
    [
        "opened_at",
        "stage",
        "bids",
        "keys",
        "released_by",
        "not_released",
        "released_late",
        "key_set_fixed_at",
        "release_window_ends",
    ],
    "The bids were opened with the released keys, which are published to re-check every share.",
    optional=["status"],
    moves_status="opened",
)
BID_OPENED = _kind(
    "BID_OPENED",
    "evaluation",
    "tender",
    ["bid", "bidder", "dek_commit", "docs_sha256"],
    "A bid opened: its documents' hashes, and its price with the price key (one envelope).",
    optional=["price_key", "price_sha256", "price_total"],
)
BID_INVALID = _kind(
    "BID_INVALID",
    "evaluation",
    "tender",
    ["bid", "bidder", "reason"],
    "A bid could not be opened as sealed (the reason says why).",
)
BID_UNREADABLE = _kind(
    "BID_UNREADABLE",
    "evaluation",
    "tender",
    ["bid", "bidder", "reason"],
    "A bid's stored envelope could not be read within the grace period.",
)
LATE_RELEASE_CHECKED = _kind(
    "LATE_RELEASE_CHECKED",
    "evaluation",
    "tender",
    ["custodian", "index", "key", "disagreeing_bids"],
    "A key released after the key set was fixed, published and checked against every bid.",
)
FINANCIAL_OPENING = _kind(
    "FINANCIAL_OPENING",
    "evaluation",
    "tender",
    ["compliant", "not_compliant"],
    "Two envelopes: the price sheets of the technically compliant bids are opened.",
)
BID_PRICE_OPENED = _kind(
    "BID_PRICE_OPENED",
    "evaluation",
    "tender",
    ["bid", "bidder", "stage", "price_key", "price_sha256", "price_total"],
    "A technically compliant bid's price, with its price key.",
)
COMMITTEE_APPOINTED = _kind(
    "COMMITTEE_APPOINTED",
    "evaluation",
    "tender",
    ["member", "expert"],
    "A member (or expert) was appointed to the evaluation committee.",
)
CONFLICT_DECLARED = _kind(
    "CONFLICT_DECLARED",
    "evaluation",
    "tender",
    ["member", "conflict", "bidders", "removed"],
    "A committee member declared a conflict of interest, or none, against the bidders.",
)
DOCUMENTS_ACCESSED = _kind(
    "DOCUMENTS_ACCESSED",
    "evaluation",
    "tender",
    ["bid", "as", "docs_sha256"],
    "Someone read an opened bid's documents.",
)
EXAMINATION_RECORDED = _kind(
    "EXAMINATION_RECORDED",
    "evaluation",
    "tender",
    ["version", "commitment"],
    "The committee recorded an examination of a bid (a commitment, revealed at the award).",
    optional=["status", "scores_reset"],
    moves_status=PAYLOAD,
)
CLARIFICATION_REQUESTED = _kind(
    "CLARIFICATION_REQUESTED",
    "evaluation",
    "tender",
    ["number", "commitment", "due_at"],
    "The committee asked a bidder to clarify its bid (a commitment).",
    optional=["status"],
    moves_status=PAYLOAD,
)
CLARIFICATION_ANSWERED = _kind(
    "CLARIFICATION_ANSWERED",
    "evaluation",
    "tender",
    ["number", "commitment"],
    "A bidder answered a clarification (a commitment).",
)
CLARIFICATION_MISSED = _kind(
    "CLARIFICATION_MISSED",
    "evaluation",
    "tender",
    ["number"],
    "A clarification's deadline passed unanswered.",
)
SCORES_SUBMITTED = _kind(
    "SCORES_SUBMITTED",
    "evaluation",
    "tender",
    ["member", "commitment"],
    "A member submitted a score sheet (a commitment; sheets are never published).",
)
EVALUATION_RUN = _kind(
    "EVALUATION_RUN",
    "evaluation",
    "tender",
    ["number", "engine", "record_sha256"],
    "The scoring engine ran on the recorded decisions (its record's hash).",
)
REPORT_SUBMITTED = _kind(
    "REPORT_SUBMITTED",
    "evaluation",
    "tender",
    ["number", "run", "record_sha256", "commitment"],
    "The committee submitted its evaluation report (a commitment).",
)
REPORT_RETURNED = _kind(
    "REPORT_RETURNED",
    "evaluation",
    "tender",
    ["number", "commitment"],
    "The approver returned the report with reasons (a commitment).",
)
TENDER_AWARDED = _kind(
    "TENDER_AWARDED",
    "evaluation",
    "tender",
    ["report", "run", "record_sha256", "report_commitment", "awards", "standstill_until", "status"],
    "The result was approved and published: the awards and the standstill's end.",
    moves_status=PAYLOAD,
)
TENDER_UNSUCCESSFUL = _kind(
    "TENDER_UNSUCCESSFUL",
    "evaluation",
    "tender",
    ["report", "run", "record_sha256", "report_commitment", "awards", "standstill_until", "status"],
    "The result was approved: no bid can be awarded.",
    moves_status=PAYLOAD,
)
DEBRIEF_REQUESTED = _kind(
    "DEBRIEF_REQUESTED",
    "evaluation",
    "tender",
    ["number", "commitment", "due_at"],
    "An unsuccessful bidder asked why (a commitment).",
)
DEBRIEF_ANSWERED = _kind(
    "DEBRIEF_ANSWERED",
    "evaluation",
    "tender",
    ["number", "late"],
    "The agency answered a debriefing request.",
)
DEBRIEF_DEADLINE_MISSED = _kind(
    "DEBRIEF_DEADLINE_MISSED",
    "evaluation",
    "tender",
    ["number"],
    "The agency missed a debriefing deadline.",
)
COMPLAINT_FILED = _kind(
    "COMPLAINT_FILED",
    "evaluation",
    "tender",
    ["number", "complaint", "complainant", "subject", "text", "to", "due_at", "suspends", "files"],
    "A complaint was filed (public from its filing).",
)
COMPLAINT_ANSWERED = _kind(
    "COMPLAINT_ANSWERED",
    "evaluation",
    "tender",
    ["number", "text", "upheld", "remedy", "late", "files", "escalation_due"],
    "The agency answered a complaint.",
)
COMPLAINT_ESCALATED = _kind(
    "COMPLAINT_ESCALATED",
    "evaluation",
    "tender",
    ["number", "review_due"],
    "A complaint went to the review body.",
)
COMPLAINT_DECIDED = _kind(
    "COMPLAINT_DECIDED",
    "evaluation",
    "tender",
    ["number", "text", "upheld", "remedy", "late", "files"],
    "The review body decided a complaint.",
)
COMPLAINT_WITHDRAWN = _kind(
    "COMPLAINT_WITHDRAWN",
    "evaluation",
    "tender",
    ["number"],
    "A complaint was withdrawn.",
)
COMPLAINT_DEADLINE_MISSED = _kind(
    "COMPLAINT_DEADLINE_MISSED",
    "evaluation",
    "tender",
    ["number", "by"],
    "The agency or the review body missed a complaint's deadline.",
)
COMPLAINT_CLOSED = _kind(
    "COMPLAINT_CLOSED",
    "evaluation",
    "tender",
    ["number", "outcome", "reason"],
    "A complaint was closed for good (say, not escalated in time).",
)
TENDER_REEVALUATION = _kind(
    "TENDER_REEVALUATION",
    "evaluation",
    "tender",
    ["complaint", "awards_cancelled", "reports_returned", "results_superseded", "scores_reset"],
    "An upheld complaint sent the tender back to evaluation, cancelling its awards.",
    optional=["status"],
    moves_status=PAYLOAD,
)
TENDER_CANCELLATION_PROPOSED = _kind(
    "TENDER_CANCELLATION_PROPOSED",
    "evaluation",
    "tender",
    ["proposal", "ground", "reason"],
    "After the opening, an officer proposed cancelling the tender (four eyes).",
)
TENDER_CANCELLATION_REJECTED = _kind(
    "TENDER_CANCELLATION_REJECTED",
    "evaluation",
    "tender",
    ["proposal", "reason"],
    "An approver rejected a proposed cancellation.",
)
TENDER_CANCELLED = _kind(
    "TENDER_CANCELLED",
    "evaluation",
    "tender",
    ["reason"],
    "The tender was cancelled, with its public reason (and legal ground).",
    optional=["ground", "proposal", "proposed_by"],
    moves_status="cancelled",
)
CONTRACT_SIGNED = _kind(
    "CONTRACT_SIGNED",
    "evaluation",
    "tender",
    [
        "contract",
        "award",
        "lot",
        "supplier",
        "value",
        "currency",
        "signed_on",
        "start",
        "end",
        "files",
    ],
    "A contract was signed for an award (with the tender's new status once every award has "
    "its contract).",
    optional=["status"],
    moves_status=PAYLOAD,
)
CONTRACT_AMENDED = _kind(
    "CONTRACT_AMENDED",
    "evaluation",
    "tender",
    ["contract", "number", "value", "end", "reason", "files"],
    "A contract was amended (value or end date, with the reason).",
)
CONTRACT_COMPLETED = _kind(
    "CONTRACT_COMPLETED",
    "evaluation",
    "tender",
    ["contract", "reason", "paid"],
    "A contract was completed, with the amount paid.",
)
CONTRACT_TERMINATED = _kind(
    "CONTRACT_TERMINATED",
    "evaluation",
    "tender",
    ["contract", "reason", "paid"],
    "A contract was terminated, with its reason.",
)


def _status(kind: EntryKind) -> str:
    if kind.moves_status == PAYLOAD:
        return "*payload*"
    return f"`{kind.moves_status}`" if kind.moves_status else ""


def markdown() -> str:
    """The table of ``docs/ledger-entries.md``."""
    lines = [
        "# Ledger entry kinds",
        "",
        "Generated from `procurement/crypto/entrykinds.py` "
        "(`python -m procurement.crypto.entrykinds > docs/ledger-entries.md`); a test keeps "
        "this file in step with it. Every entry is canonical JSON "
        '`{"v", "seq", "time", "kind", "subject", "actor", "sealed_until", "payload"}` '
        "(docs/ledger-verification.md); this table says, for each `kind`, which floor of the "
        "code records it, the prefix of its `subject`, the fields of its `payload` (those in "
        "brackets only in some entries) and how the public sees it:",
        "",
        "- **public**: readable by anyone once appended;",
        "- **sealed**: a sealed statement until the tender's deadline (signed and receipted at "
        'once); at closing it becomes an entry `{"statement", "batch_seq", "slot", "path"}` '
        "whose statement carries these fields;",
        "- **draft**: part of a draft's private history, appended when the tender is published "
        "(or a draft is cancelled), with `draft_time` saying when it happened.",
        "",
        "The last column names the tender status an entry moves its tender to (*payload*: the "
        "one its `status` field names, when it has one).",
        "",
        "| kind | floor | subject | payload | visibility | what happened | tender status |",
        "|---|---|---|---|---|---|---|",
    ]
    for floor in FLOORS:
        for kind in KINDS.values():
            if kind.floor != floor:
                continue
            fields = [f"`{f}`" for f in sorted(kind.fields)]
            fields += [f"[`{f}`]" for f in sorted(kind.optional)]
            lines.append(
                f"| `{kind.name}` | {kind.floor} | `{kind.subject}` | {', '.join(fields) or '—'} "
                f"| {kind.visibility} | {kind.summary} | {_status(kind)} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
