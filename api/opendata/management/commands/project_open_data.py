"""Catch the OCDS releases up with the ledger, as the beat does."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from api.opendata import projector


class Command(BaseCommand):
    help = "Project the ledger entries after the watermark into OCDS releases."

    def handle(self, *args, **options) -> None:
        read = projector.project()
        self.stdout.write(f"{read} ledger entries read; watermark at {projector.watermark()}.")
