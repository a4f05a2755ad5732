"""Opening throughput: a closed tender's sealed bids opened by the opening worker (shares,
key commitment, price and documents decrypted and hashed, results recorded in the ledger).

    .venv/bin/python bench/opening_bench.py [--bids 20] [--mb 5]

Runs on the configured database (DATABASE_URL, else SQLite) in a throwaway test database.
Printed: bids per second and MB per second of envelope, beside the same-run baseline of raw
AES-256-GCM decryption plus SHA-256 over the same number of bytes in the same piece size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.site.settings")
os.environ.setdefault("DEMO_CUSTODIANS", "0")
# The bench closes the tender as soon as its deadline has passed (no bid is in flight).
os.environ.setdefault("SUBMISSION_SETTLE_SECONDS", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=20)
    parser.add_argument("--mb", type=float, default=5.0)
    args = parser.parse_args()
    settings.SEALED_ROOT = Path(tempfile.mkdtemp(prefix="minhbach-opening-"))
    old = setup_databases(verbosity=0, interactive=False)
    try:
        run(args.bids, int(args.mb * 1024 * 1024))
    finally:
        teardown_databases(old, verbosity=0)


def run(count: int, docs_len: int) -> None:
    import base64
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from surge_bench import Setup

    from bidders.models import Bid
    from bidders.sealing import seal_for
    from bidders.services import submission
    from evaluation.services import closing, opening, release
    from procurement.clock import db_now
    from procurement.crypto import envelope, keystatement

    setup = Setup(count)
    tender = setup.tender(seconds=3 + count * 0.5)
    print(f"Sealing and submitting {count} bids of {docs_len / 2**20:.1f} MiB …")
    docs = os.urandom(docs_len)
    from procurement.models import User

    for n, (code, _token) in enumerate(setup.suppliers):
        price = json.dumps({"currency": "VND", "lots": [{"lot": 1, "price": str(10**9 + n)}]})
        body = seal_for(tender, code, price=price.encode(), docs=docs)
        user = User.objects.get(username=f"supplier{n}")
        submission.submit_bid(tender, actor=user, stream=io.BytesIO(body))
    while db_now() < tender.submission_deadline:
        time.sleep(0.1)
    closing.close_tender(tender)
    tender.refresh_from_db()
    opening_key = X25519PublicKey.from_public_bytes(base64.b64decode(tender.opening_public_key))
    releases = []
    for index, (user, identity, key, keys) in enumerate(setup.custodians, start=1):
        signed = keystatement.make_release(
            tender=tender.reference, custodian=identity.code, index=index,
            private_key=keys[tender.reference], closing_seq=tender.closing_seq,
            opening_public_key=opening_key, identity=key,
        )  # fmt: skip
        releases.append((user, signed))
    total = sum(Bid.objects.filter(tender=tender).values_list("envelope_size", flat=True))
    for user, signed in releases[:-1]:
        release.release_key(tender, actor=user, signed=signed)

    # The last custodian's release starts the opening at once (all n are in, so the release
    # window need not end; Celery is eager here, so it runs inside this call).
    started = time.perf_counter()
    release.release_key(tender, actor=releases[-1][0], signed=releases[-1][1])
    tender.refresh_from_db()
    if tender.status != "opened":
        opening.open_tender(tender)
    seconds = time.perf_counter() - started
    opened = Bid.objects.filter(tender=tender, status="opened").count()
    print(f"\nOpening: {opened}/{count} bids opened in {seconds:.2f} s — "
          f"{count / seconds:.1f} bids/s, {total / seconds / 2**20:.0f} MiB/s of envelope "
          f"(including the ledger entries; the documents are hashed, not stored: they stay "
          f"sealed at rest)")  # fmt: skip

    # Baseline: AES-256-GCM decryption and SHA-256 of the same bytes, same piece size.
    chunk = envelope.DEFAULT_CHUNK
    aead = AESGCM(os.urandom(32))
    piece = aead.encrypt(b"\x00" * 12, os.urandom(chunk), b"aad")
    pieces = total // (chunk + envelope.TAG)
    started = time.perf_counter()
    digest = hashlib.sha256()
    for _ in range(pieces):
        plain = aead.decrypt(b"\x00" * 12, piece, b"aad")
        digest.update(plain)
    baseline = time.perf_counter() - started
    print(f"Baseline, raw AES-256-GCM + SHA-256 over {total / 2**20:.0f} MiB: "
          f"{total / baseline / 2**20:.0f} MiB/s; the opening runs at "
          f"{baseline / seconds:.2f}× that rate")  # fmt: skip


if __name__ == "__main__":
    main()
