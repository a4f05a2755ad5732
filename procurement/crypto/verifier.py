"""Standalone verifier of the Minh Bạch public ledger. Needs Python 3.11 and ``cryptography``.

It trusts nothing the server says: it fetches (or reads) every leaf hash and every entry that is
no longer sealed, recomputes the RFC 9162 tree, checks that each published entry hashes to its
leaf, checks every signed checkpoint against the pinned log key and the recomputed roots, and
checks the server's consistency proofs between checkpoints. With ``--state`` it remembers the last
checkpoint it accepted, as a witness does, and refuses any later log that does not extend it,
even one re-signed with the log's own key. ``--receipt`` checks an inclusion proof offline.

    python -m procurement.crypto.verifier --url https://portal.example --key 'origin+1a2b3c4d+AQ…'
    python -m procurement.crypto.verifier --file ledger.json --key …
    python -m procurement.crypto.verifier --receipt receipt.json --key …

Exit status: 0 the log (or receipt) verifies; 1 a mismatch was found; 2 it could not be checked.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature

from procurement.crypto import rfc9162, signednote
from procurement.crypto.canonical import canonical_json

PAGE = 1000


class Unavailable(Exception):
    """The log could not be fetched or read (not a verdict on its honesty)."""


@dataclass
class Report:
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.checks.append(message)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def print(self, out=None) -> None:
        out = out or sys.stdout
        for message in self.checks:
            print(f"ok    {message}", file=out)
        for message in self.warnings:
            print(f"warn  {message}", file=out)
        for message in self.failures:
            print(f"FAIL  {message}", file=out)


# --- Sources --------------------------------------------------------------------------------


class HttpSource:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/") + "/api/v1/ledger/"
        self.timeout = timeout

    def get(self, path: str, **params) -> object:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        if not url.startswith(("http://", "https://")):
            raise Unavailable(f"not an http(s) URL: {url}")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                return json.load(response)
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise Unavailable(f"{url}: {exc}") from exc

    def bundle(self) -> dict:
        key = self.get("key/")
        entries: list[dict] = []
        while True:
            page = self.get("entries/", start=len(entries), end=len(entries) + PAGE)
            entries.extend(page)
            if len(page) < PAGE:
                break
        checkpoints: list[dict] = []
        params: dict = {}
        while True:
            page = self.get("checkpoints/", **params)
            checkpoints.extend(page)
            if len(page) < PAGE:
                break
            params = {"before": page[-1]["tree_size"]}
        return {
            "origin": key["origin"],
            "verifier_key": key["verifier_key"],
            "entries": [
                {"seq": e["seq"], "leaf_hash": e["leaf_hash"], "entry": e["entry"]} for e in entries
            ],
            "checkpoints": [c["note"] for c in checkpoints],
        }

    def consistency(self, first: int, second: int) -> list[bytes]:
        data = self.get("proof/consistency/", first=first, second=second)
        return [base64.b64decode(p) for p in data["path"]]


# --- Checks ---------------------------------------------------------------------------------


def check_entries(bundle: dict, report: Report) -> rfc9162.MemoryTree:
    tree = rfc9162.MemoryTree()
    sealed = 0
    for position, item in enumerate(bundle["entries"]):
        seq = item.get("seq")
        if seq != position:
            report.fail(f"entry at position {position} has sequence number {seq}: a gap")
            break
        try:
            leaf = bytes.fromhex(item["leaf_hash"])
        except (TypeError, ValueError):
            report.fail(f"entry {seq}: leaf hash is not hex")
            break
        text = item.get("entry")
        if text is None:
            sealed += 1
        else:
            raw = text.encode("utf-8")
            if rfc9162.leaf_hash(raw) != leaf:
                report.fail(f"entry {seq}: its content does not hash to its leaf hash")
            else:
                try:
                    document = json.loads(raw)
                    if canonical_json(document) != raw:
                        report.fail(f"entry {seq}: content is not canonical JSON")
                    elif document.get("seq") != seq:
                        report.fail(f"entry {seq}: content claims sequence {document.get('seq')}")
                except (ValueError, AttributeError):
                    report.fail(f"entry {seq}: content is not JSON")
        tree.append(leaf)
    report.ok(f"{tree.size} leaves recomputed ({sealed} still sealed: leaf hash only)")
    return tree


def check_genesis(bundle: dict, vkey: str, report: Report) -> None:
    entries = bundle["entries"]
    if not entries or entries[0].get("entry") is None:
        return
    document = json.loads(entries[0]["entry"])
    if document.get("kind") != "GENESIS":
        report.fail("entry 0 is not the genesis entry")
    elif document.get("payload", {}).get("verifier_key") != vkey:
        report.fail("the genesis entry names a different log key")
    else:
        report.ok("genesis entry names the pinned log key")


def check_checkpoints(
    bundle: dict,
    verifier: signednote.Verifier,
    origin: str,
    tree: rfc9162.MemoryTree,
    report: Report,
    source: HttpSource | None,
) -> list[signednote.Checkpoint]:
    accepted: list[signednote.Checkpoint] = []
    for note in bundle["checkpoints"]:
        try:
            checkpoint = signednote.open_checkpoint(note, verifier, origin)
        except signednote.NoteError as exc:
            report.fail(f"checkpoint signature: {exc}")
            continue
        if checkpoint.size > tree.size:
            report.fail(f"checkpoint at size {checkpoint.size} is beyond the log ({tree.size})")
            continue
        if tree.root(checkpoint.size) != checkpoint.root:
            report.fail(
                f"checkpoint at size {checkpoint.size}: the published leaves give another root"
            )
            continue
        accepted.append(checkpoint)
    accepted.sort(key=lambda c: c.size)
    report.ok(f"{len(accepted)} of {len(bundle['checkpoints'])} signed checkpoints match the tree")
    if source is not None:
        for older, newer in zip(accepted, accepted[1:], strict=False):
            try:
                proof = source.consistency(older.size, newer.size)
                rfc9162.verify_consistency(older.size, newer.size, older.root, newer.root, proof)
            except rfc9162.ProofError as exc:
                report.fail(f"consistency {older.size} → {newer.size}: {exc}")
        if len(accepted) > 1:
            report.ok(f"server's consistency proofs verified across {len(accepted)} checkpoints")
    return accepted


def check_state(
    state_path: Path | None,
    tree: rfc9162.MemoryTree,
    latest: signednote.Checkpoint | None,
    vkey: str,
    report: Report,
) -> None:
    """Witness mode: the log must extend the checkpoint this verifier accepted last time."""
    if state_path is None:
        return
    if state_path.exists():
        state = json.loads(state_path.read_text())
        if state.get("verifier_key") != vkey:
            report.fail("the log key differs from the one pinned in the state file")
            return
        size, root = state["size"], base64.b64decode(state["root"])
        if size > tree.size:
            report.fail(
                f"the log shrank: it had {size} entries when last verified, now {tree.size}"
            )
            return
        if tree.root(size) != root:
            report.fail(
                f"the first {size} entries changed since the checkpoint accepted earlier "
                "(the log was rewritten)"
            )
            return
        report.ok(f"the log extends the checkpoint at size {size} accepted earlier")
    if latest is not None and not report.failures:
        state_path.write_text(
            json.dumps(
                {
                    "verifier_key": vkey,
                    "size": latest.size,
                    "root": base64.b64encode(latest.root).decode(),
                },
                indent=2,
            )
        )


def check_receipt(
    receipt: dict,
    verifier: signednote.Verifier,
    origin: str | None,
    report: Report,
    receipt_verifier: signednote.Verifier | None = None,
):
    try:
        if receipt_verifier is not None:
            signature = base64.b64decode(receipt["receipt_sig"], validate=True)
            try:
                receipt_verifier.public_key.verify(signature, receipt["entry"].encode("utf-8"))
            except InvalidSignature:
                report.fail("the receipt signature is not the platform's receipt key's")
                return
            report.ok(f"receipt is signed by {receipt_verifier.name}")
        checkpoint = signednote.open_checkpoint(receipt["checkpoint"], verifier, origin)
        report.ok(f"receipt's checkpoint is signed by {verifier.name} (size {checkpoint.size})")
        raw = receipt["entry"].encode("utf-8")
        document = json.loads(raw)
        seq = receipt["seq"]
        if document.get("seq") != seq:
            report.fail(f"receipt entry claims sequence {document.get('seq')}, not {seq}")
            return
        path = [base64.b64decode(p) for p in receipt["inclusion_proof"]]
        rfc9162.verify_inclusion(
            seq, checkpoint.size, rfc9162.leaf_hash(raw), path, checkpoint.root
        )
        report.ok(f"entry {seq} ({document.get('kind')}) is included in the signed tree")
    except (KeyError, TypeError, ValueError) as exc:
        # ProofError and NoteError are ValueErrors: a receipt that does not verify.
        report.fail(f"receipt: {exc}")


# --- Command line ---------------------------------------------------------------------------


def verify_log(
    bundle: dict, vkey: str | None, state: Path | None, source: HttpSource | None
) -> Report:
    report = Report()
    if vkey is None:
        vkey = bundle["verifier_key"]
        report.warnings.append(
            "no --key given: trusting the key the log itself names; pin it for a real check"
        )
    try:
        verifier = signednote.parse_verifier_key(vkey)
    except signednote.NoteError as exc:
        report.fail(str(exc))
        return report
    if bundle.get("verifier_key") not in (None, vkey):
        report.fail("the log presents a different key from the pinned one")
    origin = bundle.get("origin") or verifier.name
    tree = check_entries(bundle, report)
    check_genesis(bundle, vkey, report)
    accepted = check_checkpoints(bundle, verifier, origin, tree, report, source)
    if not accepted:
        report.fail("no checkpoint signed by the log key covers this log")
    check_state(state, tree, accepted[-1] if accepted else None, vkey, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="minhbach-verify", description="Verify the Minh Bạch public ledger."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="portal base URL, e.g. https://portal.example")
    where.add_argument("--file", type=Path, help="a ledger bundle saved as JSON")
    where.add_argument("--receipt", type=Path, help="a receipt or entry proof (JSON)")
    parser.add_argument("--key", help="the log's verifier key (origin+keyid+base64), pinned")
    parser.add_argument("--receipt-key", help="the receipt key (verifier-key form), pinned")
    parser.add_argument("--state", type=Path, help="witness state file (read, then updated)")
    parser.add_argument("--save", type=Path, help="also save the fetched bundle here")
    args = parser.parse_args(argv)

    try:
        if args.receipt:
            receipt = json.loads(args.receipt.read_text())
            if not args.key:
                print("a receipt can only be checked against a pinned --key", file=sys.stderr)
                return 2
            report = Report()
            receipt_key = (
                signednote.parse_verifier_key(args.receipt_key) if args.receipt_key else None
            )
            check_receipt(
                receipt, signednote.parse_verifier_key(args.key), None, report, receipt_key
            )
            what = "the receipt"
        else:
            source = HttpSource(args.url) if args.url else None
            bundle = source.bundle() if source else json.loads(args.file.read_text())
            if args.save:
                args.save.write_text(json.dumps(bundle, ensure_ascii=False))
            report = verify_log(bundle, args.key, args.state, source)
            what = f"the log ({len(bundle['entries'])} entries)"
    except (Unavailable, OSError, ValueError, KeyError) as exc:
        print(f"VERDICT: could not check: {exc}")
        return 2
    report.print()
    if report.failures:
        print(f"VERDICT: {what} does NOT verify ({len(report.failures)} problem(s))")
        return 1
    print(f"VERDICT: {what} verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
