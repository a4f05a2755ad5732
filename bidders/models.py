"""Suppliers: their registration and review, and the public debarment list."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from procurement.models import Organisation

# Vietnamese enterprise / tax code (mã số thuế): 10 digits, or 10-3 for a branch.
tax_code_validator = RegexValidator(
    r"^\d{10}(-\d{3})?$", _("A tax code has 10 digits, or 10 digits, a hyphen and 3 digits.")
)


class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


SUPPLIER_TRANSITIONS: dict[str, frozenset[str]] = {
    SupplierStatus.PENDING: frozenset({SupplierStatus.APPROVED, SupplierStatus.REJECTED}),
    SupplierStatus.APPROVED: frozenset({SupplierStatus.SUSPENDED}),
    SupplierStatus.SUSPENDED: frozenset({SupplierStatus.APPROVED}),
    SupplierStatus.REJECTED: frozenset(),
}


class SupplierProfile(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="supplier_profile"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SupplierStatus.choices, default=SupplierStatus.PENDING
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    classifications = models.JSONField(_("what it sells (CPV codes)"), default=list, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("supplier profile")
        verbose_name_plural = _("supplier profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SupplierStatus.values), name="supplier_status_valid"
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class Debarment(models.Model):
    """A public exclusion of a supplier from procurement for a period, with its reason."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="debarments"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.TextField(_("reason"))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("debarment")
        verbose_name_plural = _("debarments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="debarment_period_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} {self.starts_on}–{self.ends_on}"


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted (sealed)")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Replaced by a later bid")
    OPENED = "opened", _("Opened")
    INVALID = "invalid", _("Invalid at opening")


# The statuses of the bids in a tender's closing set, once it has closed: withdrawn and
# replaced bids never were in it.
CLOSING_SET = (BidStatus.SUBMITTED, BidStatus.OPENED, BidStatus.INVALID)


def closing_set(tender):
    """The bids in the tender's closing set, in ledger order; none before it closes (their
    number is sealed too)."""
    if tender.closing_seq is None:
        return Bid.objects.none()
    return Bid.objects.filter(
        tender=tender, status__in=CLOSING_SET, ledger_seq__lt=tender.closing_seq
    ).order_by("ledger_seq")


def envelope_path(instance: Bid, filename: str) -> str:
    return f"envelopes/{instance.tender.public_id}/{instance.public_id}.epb1"


def opened_path(instance: Bid, filename: str) -> str:
    """Where opened documents were stored before they stayed sealed at rest (migration 0002
    names it; the janitor removes what is left there)."""
    return f"opened/{instance.tender.public_id}/{instance.public_id}.bin"


class SealedStorage(FileSystemStorage):
    """Sealed envelopes: private files under ``SEALED_ROOT``, never under
    the web root and never served as they are. The location is read from the settings on each
    use, so it follows them (tests point it at a temporary folder)."""

    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):  # type: ignore[override]
        return settings.SEALED_ROOT

    @property
    def location(self):  # type: ignore[override]
        return os.path.abspath(self.base_location)


def storages_sealed() -> SealedStorage:
    return SealedStorage()


class Bid(models.Model):
    """A sealed bid: the stored envelope and what the server could check without a key. After
    opening, the read-out price, the published price key and the documents' hash."""

    public_id = models.UUIDField(unique=True, editable=False)  # the envelope's "bid"
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="bids")
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="bids")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BidStatus.choices, default=BidStatus.SUBMITTED
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    envelope = models.FileField(upload_to=envelope_path, storage=storages_sealed, max_length=200)
    envelope_sha256 = models.CharField(max_length=64, unique=True)
    envelope_size = models.PositiveBigIntegerField()
    suite = models.CharField(max_length=60)
    keyset_hash = models.CharField(max_length=64)
    dek_commit = models.CharField(max_length=64)
    core_sha256 = models.CharField(max_length=64)  # h, bound into every share and piece
    submitted_at = models.DateTimeField(_("submitted at"))
    # The sealed statement of the submission (signed at once, merged into the log by cadence);
    # its public entry's sequence number is known from closing on (procurement/sealedlog.py).
    statement = models.OneToOneField(
        "procurement.SealedStatement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    ledger_seq = models.BigIntegerField(null=True, blank=True)
    receipt = models.JSONField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_statement = models.OneToOneField(
        "procurement.SealedStatement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    withdrawal_seq = models.BigIntegerField(null=True, blank=True)
    withdrawal_receipt = models.JSONField(null=True, blank=True)
    # Opening
    opened_at = models.DateTimeField(null=True, blank=True)
    opening_seq = models.BigIntegerField(null=True, blank=True)
    invalid_reason = models.CharField(max_length=300, blank=True)
    price_sheet = models.JSONField(null=True, blank=True)
    price_total = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    price_key = models.CharField(max_length=64, blank=True)  # k_price, hex, public once opened
    price_sha256 = models.CharField(max_length=64, blank=True)
    docs_sha256 = models.CharField(max_length=64, blank=True)
    # k_docs, hex, set at opening: the documents stay encrypted at rest in the envelope and are
    # decrypted piece by piece for each authorised reader (never published, never serialised).
    docs_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["tender", "submitted_at", "pk"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        indexes = [models.Index(fields=["tender", "status"], name="bid_tender_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BidStatus.values), name="bid_status_valid"
            ),
            # One live bid per supplier and tender; a replacement supersedes the old one.
            models.UniqueConstraint(
                fields=["tender", "supplier"],
                condition=Q(status="submitted"),
                name="bid_one_live_per_supplier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender.reference} · {self.supplier.code} · {self.public_id}"

    @property
    def ledger_subject(self) -> str:
        return self.tender.ledger_subject
