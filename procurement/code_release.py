"""The code that sees a bid's plaintext before sealing is the JavaScript this platform serves
(sealing.md §9: the main residual risk). Each deployment records the SHA-256 of every such file
in the public ledger (``CODE_RELEASE``), so anyone can compare what their browser ran with what
was published, and a silent change of the sealing code leaves a trace."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction

from procurement.crypto.canonical import canonical_json
from procurement.ledger import record_event
from procurement.models import LedgerEntry

SUBJECT = "platform:frontend"
# Every script on the pages that handle plaintext bids or custodians' keys.
FILES = [
    "js/epb1.js",
    "js/bid.js",
    "js/custody.js",
    "js/ledgercheck.js",
    "vendor/shamir-secret-sharing/index.js",
    "vendor/shamir-secret-sharing/csprng.js",
]


def bundle() -> dict:
    files = {}
    for name in FILES:
        path = finders.find(name)
        if path is None:  # pragma: no cover - a packaging error
            raise FileNotFoundError(name)
        files[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"files": files, "bundle_sha256": hashlib.sha256(canonical_json(files)).hexdigest()}


def latest() -> tuple[int, dict] | None:
    entry = (
        LedgerEntry.objects.filter(kind="CODE_RELEASE", subject=SUBJECT).order_by("-seq").first()
    )
    if entry is None:
        return None
    return entry.seq, json.loads(bytes(entry.canonical))["payload"]


def record(version: str = "") -> tuple[int, bool]:
    """Record the current bundle if it differs from the last one recorded: (seq, recorded)."""
    current = bundle()
    with transaction.atomic():
        known = latest()
        if known is not None and known[1]["bundle_sha256"] == current["bundle_sha256"]:
            return known[0], False
        payload = {**current, "version": version or getattr(settings, "RELEASE_VERSION", "")}
        return record_event("CODE_RELEASE", SUBJECT, payload, actor=None).seq, True
