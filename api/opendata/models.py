"""Open data's one table: the OCDS releases, a projection of the ledger (``projector``)."""

from __future__ import annotations

from django.db import models

from tenders.models import Tender


class OcdsRelease(models.Model):
    """One OCDS release per public, ledger-recorded change of a tender; written by the projector
    after its ledger entry commits, in ledger order, and rebuilt identically from the ledger.
    The table keeps the name it had when the tenders app owned it."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="releases")
    ocid = models.CharField(max_length=64, db_index=True)
    release_id = models.CharField(max_length=128, unique=True)
    date = models.DateTimeField()
    tag = models.JSONField()
    ledger_seq = models.BigIntegerField(unique=True)
    data = models.JSONField()

    class Meta:
        db_table = "tenders_ocdsrelease"
        ordering = ["ledger_seq"]

    def __str__(self) -> str:
        return self.release_id
