"""Record the hashes of the sealing and custody JavaScript in the public ledger (a deployment
step; idempotent: nothing is written when the files have not changed)."""

from django.core.management.base import BaseCommand

from procurement import code_release


class Command(BaseCommand):
    help = "Record the SHA-256 of the front-end code that handles plaintext bids and keys."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--release", default="", help="the release (version or commit)")

    def handle(self, *args, release: str, **options) -> None:
        seq, recorded = code_release.record(release)
        latest = code_release.latest()
        assert latest is not None  # just recorded, or already there
        digest = latest[1]["bundle_sha256"]
        verb = "recorded" if recorded else "unchanged, already"
        self.stdout.write(f"Front-end bundle {digest} {verb} in ledger entry #{seq}.")
