"""Tenders: the legal regime they are published under, their lots, items, criteria and
documents, and the public history of amendments and clarifications."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from procurement.models import Organisation

MONEY = {"max_digits": 20, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}

# The size of one tender, checked by the services (the authority), the API's input serializers
# (before any nested validation) and the web form. A large hospital drug package lists a few
# hundred lots of one or two items each; anything bigger is split into several packages.
# Each item is part of the content hash, the OCDS releases and every bid's price sheet, so an
# unbounded list would let one request load the platform (one made 20,000 items).
MAX_LOTS = 500
MAX_ITEMS = 2_000  # over all the lots of a tender
MAX_CRITERIA = 50


class LegalRegime(models.Model):
    """The rules a tender is published under, as data. Vietnamese rules and a generic
    UNCITRAL / WTO-GPA preset ship as presets (migration 0002); numbers are days unless named
    working days."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    holiday_calendar = models.CharField(
        _("holiday calendar"), max_length=8, blank=True, help_text=_("ISO country code.")
    )
    domestic_currency = models.CharField(
        _("currency of domestic bidding"),
        max_length=3,
        blank=True,
        help_text=_("Domestic tenders must be in this currency; blank allows any."),
    )
    # Minimum bid-preparation time, publication to deadline (calendar days).
    prep_days = models.PositiveSmallIntegerField(_("preparation days, domestic"))
    prep_days_small = models.PositiveSmallIntegerField(_("preparation days, small package"))
    prep_days_international = models.PositiveSmallIntegerField(_("preparation days, international"))
    prep_days_international_small = models.PositiveSmallIntegerField(
        _("preparation days, international small package")
    )
    shopping_prep_working_days = models.PositiveSmallIntegerField(
        _("competitive shopping: preparation working days")
    )
    # What counts as a small package.
    small_goods_max = models.DecimalField(_("small package ceiling, goods and services"), **MONEY)
    small_works_max = models.DecimalField(_("small package ceiling, works and mixed"), **MONEY)
    # Amendments must be published this long before the deadline, or the deadline moves.
    amendment_days = models.PositiveSmallIntegerField(_("amendment cut-off (days)"))
    amendment_working_days_small = models.PositiveSmallIntegerField(
        _("amendment cut-off, small package (working days)")
    )
    # Clarifications: questions up to N working days before the deadline; answers at least M.
    question_working_days = models.PositiveSmallIntegerField(_("question cut-off (working days)"))
    question_working_days_international = models.PositiveSmallIntegerField(
        _("question cut-off, international (working days)")
    )
    answer_working_days = models.PositiveSmallIntegerField(_("answer deadline (working days)"))
    # Bid security as a share of the estimated value.
    security_min_pct_small = models.DecimalField(_("bid security min %, small"), **PERCENT)
    security_max_pct_small = models.DecimalField(_("bid security max %, small"), **PERCENT)
    security_min_pct = models.DecimalField(_("bid security min %"), **PERCENT)
    security_max_pct = models.DecimalField(_("bid security max %"), **PERCENT)
    # After the award (procurement-rules §1.10–1.12): the standstill in which complaints about
    # the result may be filed and no contract signed, and the complaint timetable.
    standstill = models.DurationField(
        _("standstill and complaint window"), default=dt.timedelta(days=10)
    )
    clarification_working_days = models.PositiveSmallIntegerField(
        _("time for a bidder to answer a clarification (working days)"), default=3
    )
    debrief_working_days = models.PositiveSmallIntegerField(
        _("time to answer a debriefing request (working days)"), default=2
    )
    complaint_answer_working_days = models.PositiveSmallIntegerField(
        _("time for the agency to answer a complaint (working days)"), default=7
    )
    escalation_working_days = models.PositiveSmallIntegerField(
        _("time to escalate a complaint to the review body (working days)"), default=5
    )
    review_days = models.PositiveSmallIntegerField(
        _("time for the review body to decide (days)"), default=30
    )
    # [{"code", "vi", "en"}]: the grounds on which a tender may be cancelled under this regime.
    cancellation_grounds = models.JSONField(_("grounds for cancellation"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("legal regime")
        verbose_name_plural = _("legal regimes")

    def __str__(self) -> str:
        return self.name_en

    def name_for(self, language: str | None) -> str:
        return self.name_en if language == "en" else self.name_vi

    def cancellation_ground(self, code: str) -> dict | None:
        return next((g for g in self.cancellation_grounds if g.get("code") == code), None)

    def ground_label(self, code: str, language: str | None) -> str:
        ground = self.cancellation_ground(code)
        if ground is None:
            return code
        return ground["en"] if language == "en" else ground["vi"]


class TenderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Open for bids")
    CLOSED = "closed", _("Closed")
    OPENED = "opened", _("Bids opened")
    EVALUATING = "evaluating", _("Under evaluation")
    AWARDED = "awarded", _("Awarded")
    CONTRACTED = "contracted", _("Contract signed")
    CANCELLED = "cancelled", _("Cancelled")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")


S = TenderStatus
# The one transition table. Every move is a service and a ledger entry.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.OPENED, S.CANCELLED, S.UNSUCCESSFUL}),
    S.OPENED: frozenset({S.EVALUATING, S.CANCELLED, S.UNSUCCESSFUL}),
    S.EVALUATING: frozenset({S.AWARDED, S.CANCELLED, S.UNSUCCESSFUL}),
    # An upheld complaint can send an awarded (or unsuccessful) tender back to evaluation, or
    # cancel it; once the contract is signed, the tender's own lifecycle is over.
    S.AWARDED: frozenset({S.CONTRACTED, S.EVALUATING, S.CANCELLED}),
    S.CONTRACTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.UNSUCCESSFUL: frozenset({S.EVALUATING, S.CANCELLED}),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


# Once bids are opened, cancelling throws away known prices: an officer proposes it with a legal
# ground and an approver of the agency, never the proposer, decides (four eyes).
FOUR_EYES_CANCELLATION = frozenset({S.OPENED, S.EVALUATING, S.AWARDED, S.UNSUCCESSFUL})
# A cancellation's public reason: long enough to say something, with words in it (not "0").
MIN_REASON_CHARS = 20
MIN_REASON_LETTERS = 10


class Category(models.TextChoices):
    GOODS = "goods", _("Goods")
    WORKS = "works", _("Works")
    CONSULTING = "consulting", _("Consulting services")
    NON_CONSULTING = "non_consulting", _("Non-consulting services")
    MIXED = "mixed", _("Mixed")


class Method(models.TextChoices):
    OPEN = "open", _("Open bidding")
    RESTRICTED = "restricted", _("Restricted bidding")
    DIRECT = "direct", _("Direct contracting")
    SHOPPING = "shopping", _("Competitive shopping")


class EnvelopeProcedure(models.TextChoices):
    ONE = "one_envelope", _("Single stage, one envelope")
    TWO = "two_envelopes", _("Single stage, two envelopes")


class PriceFormula(models.TextChoices):
    PROPORTIONAL = "proportional", _("Proportional (max × lowest ÷ price)")
    LINEAR = "linear", _("Linear between the lowest and the highest price")


class EvaluationMethod(models.TextChoices):
    LOWEST_PRICE = "lowest_price", _("Lowest price")
    LOWEST_EVALUATED = "lowest_evaluated", _("Lowest evaluated price")
    COMBINED = "combined", _("Combined technical and price")
    TECHNICAL = "technical", _("Technical score")


class ClassificationScheme(models.TextChoices):
    CPV = "CPV", "CPV"
    UNSPSC = "UNSPSC", "UNSPSC"


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))


class Tender(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    # The OCDS identifier, fixed at creation even if the platform's prefix changes later.
    ocid = models.CharField(max_length=64, unique=True, editable=False)
    agency = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tenders", verbose_name=_("agency")
    )
    regime = models.ForeignKey(
        LegalRegime, on_delete=models.PROTECT, related_name="tenders", verbose_name=_("regime")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TenderStatus.choices, default=S.DRAFT
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    classification_scheme = models.CharField(
        _("classification scheme"),
        max_length=8,
        choices=ClassificationScheme.choices,
        default=ClassificationScheme.CPV,
    )
    classification_code = models.CharField(_("classification code"), max_length=16)
    estimated_value = models.DecimalField(
        _("estimated value"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="VND", validators=[currency_validator]
    )
    method = models.CharField(
        _("procurement method"), max_length=16, choices=Method.choices, default=Method.OPEN
    )
    method_rationale = models.TextField(_("why not open bidding"), blank=True)
    envelope_procedure = models.CharField(
        _("envelope procedure"),
        max_length=16,
        choices=EnvelopeProcedure.choices,
        default=EnvelopeProcedure.ONE,
    )
    evaluation_method = models.CharField(
        _("evaluation method"),
        max_length=20,
        choices=EvaluationMethod.choices,
        default=EvaluationMethod.LOWEST_PRICE,
    )
    price_weight = models.PositiveSmallIntegerField(
        _("price weight (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    price_formula = models.CharField(
        _("price score formula"), max_length=16, choices=PriceFormula.choices,
        default=PriceFormula.PROPORTIONAL,
    )  # fmt: skip
    technical_pass_mark = models.PositiveSmallIntegerField(
        _("technical pass mark (points of 100)"), default=70, validators=[MaxValueValidator(100)]
    )
    # The declared abnormally-low rule: a price below this share of the estimate, or this far
    # below the mean of the other bids, must be explained before a decision.
    abnormal_share_pct = models.PositiveSmallIntegerField(
        _("abnormally low below (per cent of the estimate)"), default=80,
        validators=[MaxValueValidator(100)],
    )  # fmt: skip
    abnormal_gap_pct = models.PositiveSmallIntegerField(
        _("abnormally low: more than this % below the mean of the others"), default=20,
        validators=[MaxValueValidator(100)],
    )  # fmt: skip
    is_international = models.BooleanField(_("international bidding"), default=False)
    bid_security_amount = models.DecimalField(
        _("bid security"), default=Decimal("0"), validators=[MinValueValidator(0)], **MONEY
    )
    bid_validity_days = models.PositiveSmallIntegerField(
        _("bid validity (days)"), default=90, validators=[MinValueValidator(1)]
    )
    enquiry_end = models.DateTimeField(_("questions until"), null=True, blank=True)
    submission_deadline = models.DateTimeField(_("submission deadline"))
    opening_time = models.DateTimeField(_("opening time"))
    province = models.CharField(_("province or city"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    cancellation_ground = models.CharField(
        _("legal ground for cancellation"), max_length=40, blank=True
    )
    # SHA-256 of the canonical public content as last published or amended (in the ledger).
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    # Custody: bids are sealed to the roster's per-tender keys; any ``threshold`` of them open.
    threshold = models.PositiveSmallIntegerField(
        _("keys needed to open (k)"), default=3, validators=[MinValueValidator(2)]
    )
    keyset_hash = models.CharField(_("key set hash"), max_length=64, blank=True, editable=False)
    # The deadline the key statements were signed for (the deadline at publication). A later
    # extension keeps the key set; sealers verify the statements against this one.
    keyset_deadline = models.DateTimeField(null=True, blank=True, editable=False)
    # At closing the platform makes a key pair for this opening; custodians wrap their released
    # keys to its public half, so nothing between them and the opening worker sees the keys.
    opening_public_key = models.CharField(max_length=64, blank=True, editable=False)
    opening_private_key = models.BinaryField(null=True, blank=True, editable=False)
    bid_set_root = models.CharField(max_length=64, blank=True, editable=False)
    closing_seq = models.BigIntegerField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(_("bids opened at"), null=True, blank=True)
    financial_opened_at = models.DateTimeField(
        _("financial parts opened at"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        indexes = [
            models.Index(fields=["status", "submission_deadline"], name="tender_status_deadline"),
            models.Index(fields=["status", "published_at", "id"], name="tender_status_published"),
            models.Index(fields=["agency", "status"], name="tender_agency_status"),
            # varchar_pattern_ops (PostgreSQL) serves the CPV prefix filter (LIKE 'code%').
            models.Index(
                fields=["classification_code"],
                name="tender_classification",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["published_at", "id"], name="tender_published_at"),
            models.Index(fields=["province", "published_at"], name="tender_province"),
            models.Index(fields=["category", "estimated_value"], name="tender_category_value"),
            models.Index(fields=["estimated_value"], name="tender_value"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TenderStatus.values), name="tender_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(opening_time__gte=models.F("submission_deadline")),
                name="tender_opening_after_deadline",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gt=0), name="tender_value_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status=S.CANCELLED) | ~Q(cancellation_reason=""),
                name="tender_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def ledger_subject(self) -> str:
        return f"tender:{self.reference}"

    @property
    def cancellation_ground_label(self) -> str:
        if not self.cancellation_ground:
            return ""
        return self.regime.ground_label(self.cancellation_ground, get_language())

    def accepts_questions_at(self, moment: dt.datetime) -> bool:
        return (
            self.status == S.PUBLISHED
            and self.enquiry_end is not None
            and moment < self.enquiry_end
        )

    def is_open_at(self, moment: dt.datetime) -> bool:
        return self.status == S.PUBLISHED and moment < self.submission_deadline

    @property
    def is_small(self) -> bool:
        ceiling = (
            self.regime.small_works_max
            if self.category in (Category.WORKS, Category.MIXED)
            else self.regime.small_goods_max
        )
        return self.estimated_value <= ceiling


class RosterSeat(models.Model):
    """One custodian's place in a tender's roster, with their signed per-tender key statement
    and, after closing, their key release."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="roster")
    index = models.PositiveSmallIntegerField(_("place"))
    custodian = models.ForeignKey(
        "procurement.CustodianIdentity", on_delete=models.PROTECT, related_name="seats"
    )
    statement = models.TextField(blank=True)
    signature = models.CharField(max_length=100, blank=True)
    public_key = models.CharField(max_length=64, blank=True)
    statement_at = models.DateTimeField(null=True, blank=True)
    release_statement = models.TextField(blank=True)
    release_signature = models.CharField(max_length=100, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "index"]
        verbose_name = _("custodian seat")
        verbose_name_plural = _("custodian seats")
        constraints = [
            models.UniqueConstraint(fields=["tender", "index"], name="seat_unique_index"),
            models.UniqueConstraint(fields=["tender", "custodian"], name="seat_unique_custodian"),
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} #{self.index} {self.custodian.code}"

    @property
    def signed(self) -> dict:
        return {"statement": self.statement, "signature": self.signature}


class Lot(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField(_("lot number"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    estimated_value = models.DecimalField(
        _("estimated value"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="lot_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference}/{self.number} {self.title}"


class Item(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("item number"))
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"), max_digits=16, decimal_places=3, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=40)
    classification_code = models.CharField(_("classification code"), max_length=16)

    class Meta:
        ordering = ["lot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "number"], name="item_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.description


class CriterionKind(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    SCORED = "scored", _("Scored")


class Criterion(models.Model):
    """An evaluation criterion, declared before publication with its weight."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(_("criterion"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=CriterionKind.choices)
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="criterion_number_unique"),
            models.CheckConstraint(
                condition=(Q(kind="scored") & Q(weight__isnull=False))
                | (Q(kind="pass_fail") & Q(weight__isnull=True)),
                name="criterion_weight_iff_scored",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """A supplier a restricted or direct tender invites: only those may bid or ask (the method's
    rule, ``tenders.methods``). Set on the draft, fixed and published at publication."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="invitations")
    supplier = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("supplier"),
    )

    class Meta:
        ordering = ["tender", "supplier__code"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="invitation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} → {self.supplier_id}"


def document_path(instance: TenderDocument, filename: str) -> str:
    # Server-generated path: the uploaded name is kept as data, never used on disk.
    return f"tenders/{instance.tender.public_id}/{uuid.uuid4().hex}"


class TenderDocument(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=document_path, max_length=300)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    class Meta:
        ordering = ["tender", "uploaded_at"]

    def __str__(self) -> str:
        return self.title


class Amendment(models.Model):
    """A change to a published tender: what changed, why, and any forced deadline extension."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveSmallIntegerField()
    rationale = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"))  # {field: {"old": ..., "new": ...}} as strings
    deadline_extended = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="amendment_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} amendment {self.number}"


class DraftEvent(models.Model):
    """A step on a draft (created, edited, its roster, a custodian's key statement) kept out of
    the public ledger while the tender is a draft, whose page is not public either. Publication
    (or cancelling the draft, which makes its page public) appends them to the ledger in order,
    each as the entry it would have been, with ``draft_time``; ``ledger_seq`` is then set."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="draft_events")
    kind = models.CharField(max_length=40)
    payload = models.TextField()  # canonical JSON
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "pk"]

    def __str__(self) -> str:
        return f"{self.tender.reference} {self.kind}"


class Question(models.Model):
    """A clarification request. Who asked is never public; the answer goes to everybody."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(_("question"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    # The ledger gets a salted commitment to the text when asked (a bare hash of a short text
    # can be confirmed by guessing); the salt is published with the answer.
    salt = models.CharField(max_length=32, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="question_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} Q{self.number}"


class CancellationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CancellationProposal(models.Model):
    """An officer's proposal to cancel a tender after its opening, with the legal ground and the
    reason; an approver of the agency (never the proposer) approves or rejects it. Both steps are
    public ledger entries."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="cancellations")
    number = models.PositiveSmallIntegerField()
    ground = models.CharField(_("legal ground"), max_length=40)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        max_length=16, choices=CancellationStatus.choices, default=CancellationStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    proposal_seq = models.BigIntegerField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decision_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "number"]
        verbose_name = _("cancellation proposal")
        verbose_name_plural = _("cancellation proposals")
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="cancellation_number_unique"),
            models.UniqueConstraint(
                fields=["tender"],
                condition=Q(status="proposed"),
                name="cancellation_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CancellationStatus.values), name="cancellation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="cancellation_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} cancellation {self.number}"


def new_ocid(reference: str) -> str:
    """The Open Contracting ID of a tender: the publisher's registered prefix and the reference."""
    return f"{settings.OCDS_OCID_PREFIX}-{reference}"
