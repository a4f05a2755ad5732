"""Catch the OCDS releases up with the ledger, as the beat does; or rebuild them all."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from api.opendata import projector


class Command(BaseCommand):
    help = (
        "Project the ledger entries after the watermark into OCDS releases; with --rebuild, "
        "throw the releases away and project the whole ledger again (the same bytes)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="rebuild every release from the ledger"
        )

    def handle(self, *args, rebuild: bool, **options) -> None:
        read = projector.rebuild() if rebuild else projector.project()
        self.stdout.write(f"{read} ledger entries read; watermark at {projector.watermark()}.")
