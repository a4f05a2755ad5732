"""Reconcile the sealed storage with the database now (the beat does it every 15 minutes):
after a crash or a restore, before the workers start again."""

from django.core.management.base import BaseCommand

from bidders.services import janitor


class Command(BaseCommand):
    help = (
        "Remove what killed processes left in the sealed storage (partial uploads and "
        "envelopes no bid row names, documents an earlier version decrypted to storage) and "
        "delete withdrawn or replaced envelopes past their retention. Never touches a file a "
        "bid row names."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=float,
            default=None,
            help="only leftovers older than this many seconds (default: "
            "SEALED_JANITOR_MIN_AGE_SECONDS; 0 only when no upload is running)",
        )

    def handle(self, *args, min_age=None, **options):
        done = janitor.reconcile(min_age=min_age)
        for what, count in done.items():
            self.stdout.write(f"{what.replace('_', ' ')}: {count}")
