"""Suppliers: their registration and review, and the public debarment list."""

from __future__ import annotations

from django.conf import settings
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
