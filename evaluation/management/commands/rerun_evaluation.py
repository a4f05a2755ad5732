"""Re-run a published evaluation: from the database (a tender reference) or from a record file
downloaded from /api/v1/tenders/<ref>/evaluation/. Exits 1 when any lot's recomputed ranking
differs from the published one, or when the record's hash is not the one in the ledger."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from evaluation import scoring
from evaluation.publication import public_evaluation
from evaluation.services.award import record_sha256
from procurement.models import LedgerEntry
from tenders.models import Tender


class Command(BaseCommand):
    help = "Re-run the scoring engine on a published evaluation record and compare."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference", nargs="?", help="a tender reference (MB-…)")
        parser.add_argument("--file", help="a record JSON file instead of the database")

    def handle(self, *args, reference=None, file=None, **options) -> None:
        if bool(reference) == bool(file):
            raise CommandError("Give a tender reference or --file, not both.")
        ledger_hash = None
        if file:
            with open(file, encoding="utf-8") as fh:
                data = json.load(fh)
            record = data.get("record", data)
        else:
            tender = Tender.objects.filter(reference=reference).first()
            published = public_evaluation(tender) if tender else None
            if published is None:
                raise CommandError(f"No published evaluation for {reference}.")
            record = published["record"]
            entry = LedgerEntry.objects.get(seq=published["record_ledger_seq"])
            ledger_hash = json.loads(bytes(entry.canonical))["payload"]["record_sha256"]
        try:
            lines = scoring.rerun(record)
        except (scoring.ScoringError, KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"The record cannot be re-run: {exc}") from exc
        digest = record_sha256(record)
        self.stdout.write(f"engine {record['engine']}, record sha256 {digest}")
        ok = True
        if ledger_hash is not None:
            same = ledger_hash == digest
            ok &= same
            self.stdout.write(f"ledger entry: {'MATCHES' if same else 'DIFFERS'} ({ledger_hash})")
        for line in lines:
            ok &= line["matches"]
            ranking = ", ".join(f"{r['rank']}. {r['bid']}" for r in line["result"] if r["rank"])
            verdict = "MATCHES" if line["matches"] else "DIFFERS"
            self.stdout.write(f"lot {line['lot']}: {verdict}  {ranking or '(no responsive bid)'}")
        if not ok:
            raise CommandError("The published evaluation does not re-run to the same result.")
