"""Command-line sealer (minhbach-seal): seals a bid on the supplier's own machine, in exactly
the format the browser produces (EPB1, docs/envelope.md), and checks envelopes as the server
will. Needs Python 3.11+, ``cryptography`` and ``pyshamir``; no Django.

From the tender page to a submitted bid::

    # 1. the key-set document the tender page links to ("signed key statements (JSON)")
    curl -o keyset.json https://portal.example/api/v1/tenders/MB-2026-000042/roster/
    # 2. the custodians' identity keys, pinned from a source you trust (not only that page)
    # 3. seal: tender, deadline, k and the key-set hash come from the verified document
    python -m procurement.crypto.sealer --keyset keyset.json --identities identities.json \\
        --bidder cong-ty-song-hong --price price.json --docs ho-so.zip --out bid.epb1
    # 4. upload bid.epb1 (POST /api/v1/tenders/<ref>/bids/) and keep the receipt

Check an envelope as the server will, without any key (exit status 1 and the reason code if
it would be refused)::

    python -m procurement.crypto.sealer --check bid.epb1 --keyset keyset.json \\
        --identities identities.json --bidder cong-ty-song-hong
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from procurement.crypto import envelope, keystatement, pricesheet

# The opening's rule for a price: one module for both (procurement/crypto/pricesheet.py).
PRICE_RE = pricesheet.PRICE_RE


class SealerError(ValueError):
    """Something the supplier must fix before a bid can be sealed."""


@dataclass(frozen=True)
class Target:
    """What a bid is sealed to: the tender, the deadline the statements are signed for, k, and
    the verified key set."""

    tender: str
    deadline: str
    k: int
    keyset: keystatement.KeySet


def load_identities(path: Path) -> dict[str, Ed25519PublicKey]:
    """Pinned identity keys: ``{"custodian code": "base64 raw Ed25519 key"}``, or the list the
    platform serves at /api/v1/custodians/ (``[{"code", "public_key", ...}]``)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(raw, list):
        try:
            raw = {item["code"]: item["public_key"] for item in raw}
        except (KeyError, TypeError) as exc:
            raise SealerError(f"{path}: each custodian needs a code and a public_key") from exc
    if not isinstance(raw, dict):
        raise SealerError(f"{path}: identities must be a JSON object or the custodians list")
    keys = {}
    for custodian, key in raw.items():
        try:
            keys[custodian] = Ed25519PublicKey.from_public_bytes(
                base64.b64decode(key, validate=True)
            )
        except (TypeError, ValueError, binascii.Error) as exc:
            raise SealerError(f"{path}: the identity key of {custodian} is not valid") from exc
    return keys


def resolve_target(
    document: object,
    identities: dict[str, Ed25519PublicKey],
    *,
    tender: str | None = None,
    deadline: str | None = None,
    k: int | None = None,
) -> Target:
    """Verify the key set and settle tender, deadline and k.

    ``document`` is the key-set document the tender page links to (an object with ``tender``,
    ``deadline``, ``threshold``, ``keyset_hash`` and ``roster``), or a bare list of signed
    statements (then tender, deadline and k must be given). Values given on the command line
    must agree with the document's.
    """
    if isinstance(document, dict) and isinstance(document.get("roster"), list):
        roster = document["roster"]
        signed = []
        for place, seat in enumerate(roster, start=1):
            if not isinstance(seat, dict) or not {"statement", "signature"} <= set(seat):
                raise SealerError(f"roster place {place} has no signed statement")
            custodian = seat.get("custodian")
            pinned = identities.get(custodian) if isinstance(custodian, str) else None
            named = seat.get("identity_key")
            if pinned is not None and named is not None:
                ours = base64.b64encode(pinned.public_bytes_raw()).decode()
                if named != ours:
                    raise SealerError(
                        f"the key-set document names another identity key for "
                        f"{seat.get('custodian')} than the one you pinned: refused"
                    )
            signed.append({"statement": seat["statement"], "signature": seat["signature"]})
        given = {"tender": tender, "deadline": deadline, "threshold": k}
        for name, value in given.items():
            if value is not None and value != document.get(name):
                hint = (
                    " (the statements keep the deadline they were signed for; an amendment "
                    "that moves the submission deadline does not change it: leave --deadline "
                    "out)"
                    if name == "deadline"
                    else ""
                )
                raise SealerError(
                    f"--{'k' if name == 'threshold' else name} {value} differs from the "
                    f"key-set document's {name} {document.get(name)!r}{hint}"
                )
        tender, deadline, k = (
            document.get("tender"),
            document.get("deadline"),
            document.get("threshold"),
        )
        expected_hash = document.get("keyset_hash")
    elif isinstance(document, list):
        signed, expected_hash = document, None
    else:
        raise SealerError(
            "--keyset must be the key-set document the tender page links to, or a list of "
            "signed statements"
        )
    if not isinstance(tender, str) or not isinstance(deadline, str) or type(k) is not int:
        raise SealerError("give --tender, --deadline and --k (the key set does not name them)")
    keyset = keystatement.verify_keyset(
        signed, identities=identities, tender=tender, deadline=deadline, n=len(signed)
    )
    if expected_hash is not None and expected_hash != keyset.keyset_hash:
        raise SealerError(
            f"the statements hash to {keyset.keyset_hash}, the document says {expected_hash}"
        )
    return Target(tender=tender, deadline=deadline, k=k, keyset=keyset)


def check_price_sheet(raw: bytes, *, currency: str | None = None) -> Decimal:
    """The price sheet's format, by the opening's own rule (procurement/crypto/pricesheet.py);
    return the total. Whether the lots are the tender's is checked at the opening."""
    if len(raw) > envelope.MAX_PRICE_LEN:
        raise SealerError(f"the price sheet is over {envelope.MAX_PRICE_LEN} bytes")
    try:
        return pricesheet.parse(raw, currency=currency)[1]
    except pricesheet.PriceSheetError as exc:
        raise SealerError(str(exc)) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minhbach-seal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--keyset",
        type=Path,
        required=True,
        help="the key-set document the tender page links to (or a list of signed statements)",
    )
    parser.add_argument(
        "--identities",
        type=Path,
        required=True,
        help='pinned custodian identity keys: {"code": "base64 Ed25519 key"}',
    )
    parser.add_argument("--bidder", required=True, help="your organisation's code")
    parser.add_argument("--tender", help="the tender reference (default: the document's)")
    parser.add_argument(
        "--deadline",
        help="the deadline the key statements are signed for, UTC ISO 8601 (default: the "
        "document's 'deadline', which an amendment does not change)",
    )
    parser.add_argument("--k", type=int, help="the tender's threshold (default: the document's)")
    parser.add_argument("--bid", help="a new lowercase UUID for this bid (default: a random one)")
    parser.add_argument("--price", type=Path, help="the price sheet (JSON)")
    parser.add_argument("--currency", help="refuse a price sheet in another currency")
    parser.add_argument("--docs", type=Path, help="the documents (one file, e.g. a ZIP)")
    parser.add_argument("--out", type=Path, help="where to write the envelope")
    parser.add_argument(
        "--chunk",
        type=int,
        default=envelope.DEFAULT_CHUNK,
        help=f"piece size in bytes, {envelope.MIN_CHUNK} to {envelope.MAX_CHUNK} "
        f"(default {envelope.DEFAULT_CHUNK})",
    )
    parser.add_argument(
        "--check",
        type=Path,
        metavar="ENVELOPE",
        help="check an envelope as the server will, instead of sealing",
    )
    return parser


def _check(args, target: Target) -> int:
    size = args.check.stat().st_size
    with args.check.open("rb") as stream:
        try:
            header = envelope.validate_at_submission(
                stream,
                size=size,
                tender=target.tender,
                keyset=target.keyset.keyset_hash,
                k=target.k,
                n=len(target.keyset.public_keys),
                bidder=args.bidder,
            )
        except envelope.EnvelopeError as exc:
            print(f"refused ({exc.reason}): {exc}", file=sys.stderr)
            return 1
    print(f"ok bid={header.core['bid']} h={header.h.hex()} dek_commit={header.core['dek_commit']}")
    return 0


def _seal(args, target: Target) -> str:
    """Seal to ``args.out`` and check the result as the server will; remove a partial or
    refused envelope. Returns the line to print."""
    bid = args.bid or str(uuid.uuid4())
    price = args.price.read_bytes()
    check_price_sheet(price, currency=args.currency)
    docs_len = args.docs.stat().st_size
    policy = {
        "tender": target.tender,
        "keyset": target.keyset.keyset_hash,
        "k": target.k,
        "n": len(target.keyset.public_keys),
        "bidder": args.bidder,
    }
    try:
        with args.docs.open("rb") as docs, args.out.open("wb") as out:
            digest = envelope.seal(
                out,
                bid=bid,
                public_keys=target.keyset.public_keys,
                price=price,
                docs=docs,
                docs_len=docs_len,
                chunk=args.chunk,
                **{name: policy[name] for name in ("tender", "keyset", "k", "bidder")},
            )
        with args.out.open("rb") as stream:  # the server's own check, before you upload
            header = envelope.validate_at_submission(stream, size=args.out.stat().st_size, **policy)
    except BaseException:
        args.out.unlink(missing_ok=True)
        raise
    return (
        f"sealed {args.out} sha256={digest} bid={bid} h={header.h.hex()} "
        f"dek_commit={header.core['dek_commit']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.check is None and None in (args.price, args.docs, args.out):
        parser.error("sealing needs --price, --docs and --out (or use --check ENVELOPE)")
    failed = "not checked" if args.check is not None else "not sealed"
    try:
        target = resolve_target(
            json.loads(args.keyset.read_text(encoding="utf-8")),
            load_identities(args.identities),
            tender=args.tender,
            deadline=args.deadline,
            k=args.k,
        )
        if args.check is not None:
            return _check(args, target)
        print(_seal(args, target))
    except envelope.EnvelopeError as exc:
        print(f"{failed} ({exc.reason}): {exc}", file=sys.stderr)
        return 1
    except (keystatement.KeySetError, SealerError, ValueError, OSError) as exc:
        print(f"{failed}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
