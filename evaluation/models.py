"""Evaluation and award: the committee and its conflict-of-interest declarations, the pass/fail
examination, clarifications, independent score sheets, scoring-engine runs, the report and its
approval by a second person, awards and debriefings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Declaration(models.TextChoices):
    PENDING = "pending", _("Declaration pending")
    NO_CONFLICT = "no_conflict", _("No conflict of interest")
    CONFLICT = "conflict", _("Conflict of interest declared")


class CommitteeMember(models.Model):
    """A member of a tender's evaluation committee (tổ chuyên gia). Before seeing any document
    the member declares, against the now-known list of bidders, whether it has a conflict of
    interest; a declared conflict removes it from this tender."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="committee")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_places"
    )
    is_expert = models.BooleanField(_("outside expert"), default=False)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointed_at = models.DateTimeField(_("appointed at"))
    declaration = models.CharField(
        _("declaration"), max_length=16, choices=Declaration.choices, default=Declaration.PENDING
    )
    statement = models.TextField(_("declaration statement"), blank=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        ordering = ["tender", "appointed_at"]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        constraints = [
            models.UniqueConstraint(fields=["tender", "user"], name="committee_one_place"),
            models.CheckConstraint(
                condition=Q(declaration__in=Declaration.values), name="committee_declaration_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} · {self.user}"

    @property
    def may_see_documents(self) -> bool:
        return self.removed_at is None and self.declaration == Declaration.NO_CONFLICT


# --- Examination, clarifications, scores --------------------------------------------------------
#
# While the evaluation runs, its contents are confidential (procurement-rules §1.15): the ledger
# gets a salted SHA-256 commitment of each decision at the time it is made, and the award notice
# reveals the contents and salts, so anyone can check that nothing was rewritten afterwards.


class Check(models.TextChoices):
    """The standard pass/fail checks of every bid, before the tender's own declared criteria."""

    ELIGIBILITY = "eligibility", _("Eligibility")
    BID_SECURITY = "bid_security", _("Bid security")
    VALIDITY = "validity", _("Bid validity")
    QUALIFICATION = "qualification", _("Capacity and experience")


class Examination(models.Model):
    """The committee's pass/fail examination of one opened bid: each check with its result, and
    a reason for every fail. It may be revised (after a clarification) until the report goes to
    the approver; every version is kept and committed in the ledger, the latest counts."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    bid = models.ForeignKey("bidders.Bid", on_delete=models.PROTECT, related_name="examinations")
    checks = models.JSONField()  # [{"check": "eligibility" | "criterion:3", "passed", "reason"}]
    # Corrections and deviation pricing for ranking only (procurement-rules E6–E7), per lot:
    # {"1": {"amount": "-1500000.00", "reason": "…"}}; the evaluated price is the offered price
    # plus the amount. The award and the contract keep the offered price.
    adjustments = models.JSONField(default=dict, blank=True)
    passed = models.BooleanField()
    reason = models.TextField(blank=True)  # the fails' reasons, joined
    version = models.PositiveSmallIntegerField(default=1)
    salt = models.CharField(max_length=32, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["tender", "bid__ledger_seq", "version"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "version"], name="examination_version"),
        ]

    def __str__(self) -> str:
        return f"{self.bid_id} examination v{self.version}"


class ClarificationKind(models.TextChoices):
    CLARIFICATION = "clarification", _("Clarification of the bid")
    ABNORMALLY_LOW = "abnormally_low", _("Explanation of an abnormally low price")


class Clarification(models.Model):
    """A request to one bidder, answered in writing within the set time. It may not change the
    substance or the price of the bid. Only the committee, auditors and that bidder see it."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    bid = models.ForeignKey("bidders.Bid", on_delete=models.PROTECT, related_name="clarifications")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=ClarificationKind.choices)
    question = models.TextField(_("request"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField(_("answer due by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)  # the deadline passed unanswered
    salt = models.CharField(max_length=32, editable=False)
    request_seq = models.BigIntegerField()
    answer_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="clarification_number"),
        ]

    def __str__(self) -> str:
        return f"clarification {self.number}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.missed_at is None


class ScoreSheet(models.Model):
    """One member's independent scores: {bid: {criterion number: points 0–100}} for every bid
    that passed the examination. Final once submitted (unless a revised examination changes
    which bids passed, which supersedes every sheet); hidden from the other members until all
    of them have submitted."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="sheets")
    scores = models.JSONField()
    salt = models.CharField(max_length=32, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    submitted_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()
    # Set when a revised examination changes which bids passed: the members score again.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(superseded_at__isnull=True), name="sheet_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"scores of {self.member_id}"


class EvaluationRun(models.Model):
    """One run of the scoring engine: its full record (inputs and outputs, per lot) and the
    record's SHA-256, committed in the ledger when made and published with the award."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    record = models.JSONField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="run_number")]

    def __str__(self) -> str:
        return f"run {self.number}"


# --- Report, approval, award ---------------------------------------------------------------------


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    RETURNED = "returned", _("Sent back to the committee")
    APPROVED = "approved", _("Approved and published")
    SUPERSEDED = "superseded", _("Approved, then reopened by an upheld complaint")


class Report(models.Model):
    """The committee's evaluation report: a run, a summary, and the proposed award per lot (or
    none: the tender is unsuccessful). An approver who was never on the committee approves it,
    which publishes the result, or sends it back with reasons."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("summary"))
    proposals = models.JSONField()  # [{"lot", "bid", "supplier", "value"}]; [] = unsuccessful
    salt = models.CharField(max_length=32, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decision_salt = models.CharField(max_length=32, blank=True, editable=False)
    ledger_seq = models.BigIntegerField()
    decision_seq = models.BigIntegerField(null=True, blank=True)
    standstill_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "number"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="report_number")]

    def __str__(self) -> str:
        return f"report {self.number}"


class AwardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class Award(models.Model):
    """The award of one lot to one bid, published with the approved report."""

    public_id = models.UUIDField(unique=True, editable=False)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="awards")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="awards")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="+")
    bid = models.ForeignKey("bidders.Bid", on_delete=models.PROTECT, related_name="awards")
    supplier = models.ForeignKey(
        "procurement.Organisation", on_delete=models.PROTECT, related_name="awards"
    )
    value = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)
    date = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=AwardStatus.choices, default=AwardStatus.ACTIVE
    )
    cancelled_reason = models.TextField(blank=True)
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["tender", "lot__number"]
        constraints = [models.UniqueConstraint(fields=["report", "lot"], name="award_one_per_lot")]

    def __str__(self) -> str:
        return f"award {self.public_id}"


class Debrief(models.Model):
    """A bidder's request to know why it lost; the agency answers within the regime's time."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(default=0)
    salt = models.CharField(max_length=32, blank=True, editable=False)  # of its ledger commitment
    supplier = models.ForeignKey(
        "procurement.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)  # found late by the beat (public)

    class Meta:
        ordering = ["tender", "asked_at"]

    def __str__(self) -> str:
        return f"debriefing {self.pk}"


# --- Complaints ---------------------------------------------------------------------------------


class ComplaintSubject(models.TextChoices):
    DOCUMENTS = "documents", _("The bidding documents")
    PROCESS = "process", _("The conduct of the procedure")
    RESULT = "result", _("The result")


class ComplaintStatus(models.TextChoices):
    WITH_AGENCY = "with_agency", _("With the procuring agency")
    ANSWERED = "answered", _("Answered by the agency")
    WITH_REVIEW = "with_review", _("With the review body")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Remedy(models.TextChoices):
    NONE = "", _("None")
    RE_EVALUATION = "re_evaluation", _("Re-evaluation")
    CANCELLATION = "cancellation", _("Cancellation of the tender")
    CORRECTION = "correction", _("Correction of the documents or procedure")


# Open complaints about these subjects suspend these steps.
SUSPENDS = {
    ComplaintSubject.DOCUMENTS: "award",
    ComplaintSubject.PROCESS: "award",
    ComplaintSubject.RESULT: "contract",
}


class Complaint(models.Model):
    """A complaint (kiến nghị) by a supplier against a decision, public on the platform. The
    agency answers first, within the regime's working days; the complainant may escalate to the
    review body, which decides. While open, it suspends the step it concerns (SUSPENDS)."""

    public_id = models.UUIDField(unique=True, editable=False)
    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="complaints"
    )
    number = models.PositiveSmallIntegerField()
    complainant = models.ForeignKey(
        "procurement.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("about"), max_length=16, choices=ComplaintSubject.choices)
    text = models.TextField(_("complaint"))
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ComplaintStatus.choices)
    answer_due = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_due = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)
    remedy = models.CharField(max_length=16, choices=Remedy.choices, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Deadlines the agency or the review body let pass, found by the beat scan (public).
    answer_missed_at = models.DateTimeField(null=True, blank=True)
    review_missed_at = models.DateTimeField(null=True, blank=True)
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="complaint_number"),
        ]

    def __str__(self) -> str:
        return f"complaint {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in (
            ComplaintStatus.WITH_AGENCY, ComplaintStatus.ANSWERED, ComplaintStatus.WITH_REVIEW
        )  # fmt: skip


# --- Contracts ----------------------------------------------------------------------------------


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Signed, in performance")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


class Contract(models.Model):
    """The contract signed on an award: parties, value, period, the signed documents' hashes,
    later amendments, and completion or termination. Public."""

    public_id = models.UUIDField(unique=True, editable=False)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="contracts")
    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="contract")
    supplier = models.ForeignKey(
        "procurement.Organisation", on_delete=models.PROTECT, related_name="contracts"
    )
    title = models.CharField(_("title"), max_length=300)
    value = models.DecimalField(_("contract value"), max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)
    signed_on = models.DateField(_("signed on"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    status = models.CharField(
        max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()
    closed_on = models.DateField(null=True, blank=True)
    closing_reason = models.TextField(blank=True)
    paid = models.DecimalField(
        _("amount paid"), max_digits=20, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["tender", "signed_on"]

    def __str__(self) -> str:
        return f"contract {self.public_id}"


class ContractAmendment(models.Model):
    """A published change of value or end date, with its reason."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveSmallIntegerField()
    reason = models.TextField(_("reason"))
    old_value = models.DecimalField(max_digits=20, decimal_places=2)
    new_value = models.DecimalField(max_digits=20, decimal_places=2)
    old_end_date = models.DateField()
    new_end_date = models.DateField()
    amended_on = models.DateTimeField()
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="contract_amendment_number"
            ),
        ]

    def __str__(self) -> str:
        return f"amendment {self.number}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.tender.public_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A public file attached to a complaint, its answer or decision, or a contract (signed
    copy, amendment), kept with its SHA-256 (which the ledger entry carries)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    title = models.CharField(max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complaint__isnull=False, contract__isnull=True)
                | Q(complaint__isnull=True, contract__isnull=False),
                name="attachment_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.filename
