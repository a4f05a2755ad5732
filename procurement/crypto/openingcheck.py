"""Re-check a tender's opening from its public record, with no trust in the platform.

After the opening the platform publishes, for every bid, the envelope's core exactly as sealed
and its sealed key shares, and, in the ledger entry ``TENDER_OPENED``, the custodians' released
per-tender private keys that decided the opening (keys released late are published in
``LATE_RELEASE_CHECKED``). With them anyone can, for every bid:

1. check each published key against the public key its custodian signed before publication;
2. check the core's SHA-256 (h) and read its ``k`` and ``dek_commit``;
3. open every share sealed to a published key, check that all of them lie on one polynomial and
   give the committed data key — or that they do not, for a bid ruled invalid for its shares;
4. derive the price key from the data key and compare it with the published one, and decrypt
   the published price ciphertext to the published price sheet.

Pure: ``cryptography``, ``pyshamir`` and the standard library (docs/envelope.md, "Checking an
opening"). Run ``python -m procurement.crypto.openingcheck --url <portal> --tender <reference>``
or ``--file opening.json`` (the JSON of ``GET /api/v1/tenders/<reference>/opening/``); exit
status 0 = every bid re-checks, 1 = a mismatch, 2 = could not check.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.crypto import envelope

# Reasons under which the opening ruled a bid invalid for its shares; anything else (a broken
# piece, a bad price sheet) happened after the data key was recovered.
SHARE_REASONS = ("share", "shares", "commit", "threshold")


@dataclass
class OpeningReport:
    bids_checked: int = 0
    shares_opened: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _keys(items: list[dict], report: OpeningReport) -> dict[int, X25519PrivateKey]:
    keys = {}
    for item in items:
        try:
            key = X25519PrivateKey.from_private_bytes(base64.b64decode(item["private_key"]))
            public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        except (KeyError, ValueError, TypeError) as exc:
            report.problems.append(f"custodian key {item.get('index')}: unreadable ({exc})")
            continue
        if public != item.get("pk"):
            report.problems.append(
                f"custodian key {item.get('index')}: not the private half of the published key"
            )
            continue
        keys[int(item["index"])] = key
    return keys


def _header(bid: dict) -> envelope.Header:
    core_bytes = base64.b64decode(bid["core"], validate=True)
    return envelope.Header(
        core=json.loads(core_bytes),
        core_bytes=core_bytes,
        h=hashlib.sha256(core_bytes).digest(),
        sealed_shares=[base64.b64decode(s, validate=True) for s in bid["sealed_shares"]],
        price_offset=0,
        docs_offset=0,
        total_len=0,
    )


def _check_bid(bid: dict, keys: dict, late: list[dict], report: OpeningReport) -> None:
    name = f"bid {bid.get('bid')}"
    try:
        header = _header(bid)
    except (KeyError, ValueError, TypeError) as exc:
        report.problems.append(f"{name}: the published core or shares are unreadable ({exc})")
        return
    if bid.get("core_sha256") not in (None, header.h.hex()):
        report.problems.append(f"{name}: the core's SHA-256 is not the published h")
    report.bids_checked += 1
    report.shares_opened += len(keys)
    status, reason = bid.get("status"), bid.get("reason", "")
    try:
        dek = envelope.recover_dek(header, keys)
    except envelope.EnvelopeError as exc:
        if status != "invalid":
            report.problems.append(f"{name}: ruled {status}, but its shares fail: {exc}")
        elif not any(word in reason for word in SHARE_REASONS) and "could not" not in reason:
            report.problems.append(f"{name}: invalid for '{reason}', but its shares fail: {exc}")
        return
    if status == "invalid" and any(word in reason for word in SHARE_REASONS):
        report.problems.append(f"{name}: ruled invalid for its shares, but they all agree")
    if bid.get("price_key"):
        price_key = envelope.part_key(dek, header.h, b"price")
        if price_key.hex() != bid["price_key"]:
            report.problems.append(f"{name}: the published price key is not the one derived")
        elif bid.get("price_ct") is not None:
            plain = envelope.decrypt_price(
                price_key,
                header.h,
                base64.b64decode(bid["price_ct"]),
                bid["price_len"],
                bid["chunk"],
            )
            if hashlib.sha256(plain).hexdigest() != bid.get("price_sha256"):
                report.problems.append(f"{name}: the price ciphertext is not the price read out")
    for item in late:
        late_keys = _keys([item], report)
        if not late_keys or status != "opened":
            continue
        try:
            envelope.recover_dek(header, {**keys, **late_keys})
            agrees = True
        except envelope.EnvelopeError:
            agrees = False
        named = bid.get("bid") in item.get("disagreeing_bids", [])
        if agrees == named:
            report.problems.append(
                f"{name}: the late key {item['index']} check was published wrongly"
            )


def check_opening(record: dict) -> OpeningReport:
    """Re-check every decided bid of a published opening record."""
    report = OpeningReport()
    if not record.get("opened_at"):
        report.problems.append("the tender has not been opened")
        return report
    keys = _keys(record.get("keys", []), report)
    if len(keys) < int(record.get("threshold") or 0):
        report.problems.append(f"{len(keys)} keys published, {record.get('threshold')} needed")
    for bid in record.get("bids", []):
        if bid.get("status") in ("opened", "invalid") and "sealed_shares" in bid:
            _check_bid(bid, keys, record.get("late_keys", []), report)
    return report


def fetch_record(url: str, tender: str) -> dict:
    address = f"{url.rstrip('/')}/api/v1/tenders/{urllib.parse.quote(tender, safe='')}/opening/"
    if not address.startswith(("http://", "https://")):
        raise ValueError("the portal's address must start with http:// or https://")
    with urllib.request.urlopen(address, timeout=60) as answer:  # noqa: S310 - checked above
        return json.load(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="openingcheck",
        description="Re-check a tender's opening from its public record: every released "
        "custodian key, every sealed share, every data key commitment and every price.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="the opening record saved as JSON")
    source.add_argument("--url", help="the portal's address, e.g. https://portal.example")
    parser.add_argument("--tender", help="the tender's reference (with --url)")
    args = parser.parse_args(argv)
    try:
        if args.file:
            with open(args.file, encoding="utf-8") as handle:
                record = json.load(handle)
        else:
            if not args.tender:
                parser.error("--url needs --tender")
            record = fetch_record(args.url, args.tender)
    except (OSError, ValueError) as exc:
        print(f"could not check: {exc}", file=sys.stderr)
        return 2
    report = check_opening(record)
    for problem in report.problems:
        print(f"MISMATCH: {problem}")
    print(
        f"{report.bids_checked} bids re-checked with {len(record.get('keys', []))} published "
        f"keys ({report.shares_opened} shares opened): "
        + ("every outcome verifies" if report.ok else f"{len(report.problems)} problems")
    )
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
