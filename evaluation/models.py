"""Evaluation: the committee of each tender and its members' conflict-of-interest declarations.
Scoring, ranking and award come next (issue 5)."""

from __future__ import annotations

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
