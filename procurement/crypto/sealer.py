"""Command-line sealer: seals a bid on the supplier's own machine, in exactly the format the
browser produces (EPB1). Needs Python 3.11, ``cryptography`` and ``pyshamir``; no Django.

    python -m procurement.crypto.sealer --keyset keyset.json --identities identities.json \\
        --tender MB-2026-000042 --deadline 2026-12-25T03:00:00Z --bidder cong-ty-song-hong \\
        --bid b-0001 --k 3 --price price.json --docs ho-so.zip --out bid.epb1

``keyset.json`` is the tender's list of signed key statements (from the tender page or the
API); ``identities.json`` maps each custodian to its Ed25519 identity key (base64, raw 32 bytes),
pinned from a source you trust. The sealer refuses a key set it cannot verify. It prints the
envelope's SHA-256, which the receipt will carry.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from procurement.crypto import envelope, keystatement


def load_identities(path: Path) -> dict[str, Ed25519PublicKey]:
    raw = json.loads(path.read_text())
    return {
        custodian: Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True))
        for custodian, key in raw.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minhbach-seal", description=__doc__.splitlines()[0])
    parser.add_argument("--keyset", type=Path, required=True)
    parser.add_argument("--identities", type=Path, required=True)
    parser.add_argument("--tender", required=True)
    parser.add_argument("--deadline", required=True, help="the tender's deadline, UTC ISO 8601")
    parser.add_argument("--bidder", required=True, help="your organisation's code")
    parser.add_argument("--bid", required=True, help="your own id for this bid")
    parser.add_argument("--k", type=int, required=True, help="the tender's threshold")
    parser.add_argument("--price", type=Path, required=True, help="the price sheet (JSON)")
    parser.add_argument("--docs", type=Path, required=True, help="the documents (one file)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chunk", type=int, default=envelope.DEFAULT_CHUNK)
    args = parser.parse_args(argv)
    try:
        signed = json.loads(args.keyset.read_text())
        keyset = keystatement.verify_keyset(
            signed,
            identities=load_identities(args.identities),
            tender=args.tender,
            deadline=args.deadline,
            n=len(signed),
        )
        price = args.price.read_bytes()
        json.loads(price)  # a price sheet is JSON; refuse to seal anything else by mistake
        with args.docs.open("rb") as docs, args.out.open("wb") as out:
            digest = envelope.seal(
                out,
                tender=args.tender,
                keyset=keyset.keyset_hash,
                bidder=args.bidder,
                bid=args.bid,
                k=args.k,
                public_keys=keyset.public_keys,
                price=price,
                docs=docs,
                docs_len=args.docs.stat().st_size,
                chunk=args.chunk,
            )
    except (keystatement.KeySetError, envelope.EnvelopeError, ValueError, OSError) as exc:
        print(f"not sealed: {exc}", file=sys.stderr)
        return 1
    print(f"sealed {args.out} sha256={digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
