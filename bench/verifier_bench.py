"""Verifier benchmark: a long-lived ledger verified from scratch, then incrementally.

    .venv/bin/python bench/verifier_bench.py [--entries 1000000] [--checkpoints 10000] \
        [--new 10000]

Builds, in memory and without Django, a synthetic log in the wire format the portal serves
(binary entry pages of ``procurement.crypto.entrypages``, checkpoints signed with a fresh Ed25519
key, JSON answers as ``api/views/ledger.py`` gives them): entries of the size the platform
writes (~400 bytes of canonical JSON; one in five of the newest 50,000 still sealed, as bids
before their deadline), with checkpoints at evenly spaced sizes. The verifier runs against it
through ``HttpSource`` with only ``fetch`` replaced by a dictionary lookup, so everything after
the network is measured: page decoding, content checks, the tree, signatures, state. Then
``--new`` entries (a checkpoint every hundred) are appended, the bids sealed more than 50,000
entries ago are opened, and a run resumes from the saved state: it fetches the new entries and
the pages holding the entries it saw sealed.

Times are CPU seconds of this process (``time.process_time``). Baselines, measured in the same
run on the same bytes: bare SHA-256 of every entry (the least any verifier must do), the
RFC 9162 tree alone, and Ed25519 alone. Gunzipping the pages, as a client does when the server
compresses them, is measured apart: it is part of the download.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import sys
import tempfile
import time
from functools import cache, partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from procurement.crypto import entrypages, rfc9162, signednote, verifier  # noqa: E402
from procurement.crypto.canonical import canonical_json  # noqa: E402

ORIGIN = "bench.example/ledger"


class SyntheticLog:
    """Bids stay sealed until their deadline: one entry in five among the newest ``window``
    is sealed; older ones have been opened (published) by the time the log grows past them."""

    def __init__(self, checkpoint_every: int, window: int = 50_000) -> None:
        self.signer = Ed25519PrivateKey.generate()
        self.vkey = signednote.verifier_key(ORIGIN, self.signer.public_key())
        self.checkpoint_every = checkpoint_every
        self.frontier = rfc9162.Frontier()
        self.leaves = bytearray()  # every leaf hash, 32 bytes each, for consistency proofs
        self.pages: dict[int, bytes] = {}
        self.notes: dict[int, str] = {}
        self.proofs: dict[tuple[int, int], list[bytes]] = {}  # computed before timing
        self.bytes_of_entries = 0
        self.window = window
        self.sealed_raw: dict[int, bytes] = {}  # entries the server keeps back for now

    @property
    def size(self) -> int:
        return self.frontier.size

    def entry(self, seq: int) -> bytes:
        if seq == 0:
            payload = {"platform": "Minh Bạch", "origin": ORIGIN, "verifier_key": self.vkey}
            kind, subject, actor = "GENESIS", "ledger", None
        else:
            payload = {
                "bid": f"b-{seq:07d}",
                "bidder": f"S-{seq % 997}",
                "envelope_sha256": hashlib.sha256(str(seq).encode()).hexdigest(),
                "envelope_size": 3_159_300 + seq,
                "suite": "EPB1-X25519-HKDF-SHA256-AES-256-GCM",
            }
            kind, subject = "BID_SUBMITTED", f"tender:T-2026-{seq % 5000:04d}"
            actor = f"user:6f1c1a52-3c1e-4d7e-9a57-{seq % 1000:012d}"
        document = {
            "v": 1,
            "seq": seq,
            "time": f"2026-{1 + seq % 12:02d}-01T08:00:00.{seq % 1000000:06d}Z",
            "kind": kind,
            "subject": subject,
            "actor": actor,
            "sealed_until": None,
            "payload": payload,
        }
        return canonical_json(document)

    def grow(self, count: int) -> None:
        """Append ``count`` entries as pages of at most ``verifier.BULK``, signing on the way."""
        end = self.size + count
        while self.size < end:
            start = self.size
            records = []
            for seq in range(start, min(end, start + verifier.BULK)):
                raw = self.entry(seq)
                leaf = rfc9162.leaf_hash(raw)
                self.bytes_of_entries += len(raw)
                if seq % 5 == 4 and seq >= end - self.window:
                    self.sealed_raw[seq] = raw
                    raw = None
                records.append((leaf, raw))
                self.frontier.append(leaf)
                self.leaves += leaf
                if self.size % self.checkpoint_every == 0:
                    self.sign()
            self.pages[start] = entrypages.encode_page(start, end, records)
        if self.size not in self.notes:
            self.sign()
        # Every page says where the log ends now, as the server would; bids past their
        # deadline are opened.
        opened = {seq for seq in self.sealed_raw if seq < end - self.window}
        for start, page in self.pages.items():
            decoded = entrypages.decode_page(page)
            if decoded.tree_size != end:
                records = [
                    (leaf, self.sealed_raw[seq] if seq in opened else raw)
                    for seq, (leaf, raw) in enumerate(decoded.records, start=start)
                ]
                self.pages[start] = entrypages.encode_page(start, end, records)
        for seq in opened:
            del self.sealed_raw[seq]

    def sign(self) -> None:
        body = signednote.Checkpoint(ORIGIN, self.size, self.frontier.root()).body()
        self.notes[self.size] = signednote.sign_note(body, ORIGIN, self.signer)

    def consistency(self, first: int, second: int) -> list[bytes]:
        @cache
        def node(level: int, index: int) -> bytes:
            if level == 0:
                return bytes(self.leaves[32 * index : 32 * index + 32])
            return rfc9162.node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))

        return rfc9162.consistency_proof(node, first, second)


class MemorySource(verifier.HttpSource):
    """The verifier's HTTP source with the network replaced by the synthetic log."""

    def __init__(self, log: SyntheticLog) -> None:
        super().__init__("http://bench.invalid")
        self.log = log
        self.serving = 0.0

    def fetch(self, path: str, **params) -> bytes:
        self.requests += 1
        if path == "key/":
            return json.dumps({"origin": ORIGIN, "verifier_key": self.log.vkey}).encode()
        if path == "checkpoints/":
            sizes = sorted(self.log.notes, reverse=True)
            sizes = [s for s in sizes if s < params.get("before", s + 1)]
            sizes = [s for s in sizes if s > params.get("after", -1)][: verifier.PAGE]
            rows = [{"tree_size": s, "note": self.log.notes[s]} for s in sizes]
            return json.dumps(rows).encode()
        if path == "entries/bulk/":
            start, end = params["start"], params["end"]
            if start in self.log.pages:
                return self.log.pages[start]
            # A page from elsewhere (entries sealed at the last run): the server's work, timed
            # apart and not counted as the verifier's.
            began = time.process_time()
            base = start - start % verifier.BULK
            page = entrypages.decode_page(self.log.pages[base])
            records = page.records[start - base : end - base]
            data = entrypages.encode_page(start, page.tree_size, records)
            self.serving += time.process_time() - began
            return data
        if path == "proof/consistency/":
            first, second = params["first"], params["second"]
            proof = self.log.proofs.get((first, second)) or self.log.consistency(first, second)
            return json.dumps({"path": [base64.b64encode(p).decode() for p in proof]}).encode()
        raise verifier.Unavailable(path)


def sha_only(contents: list[bytes]) -> None:
    for raw in contents:
        hashlib.sha256(b"\x00" + raw).digest()


def tree_only(leaves: list[bytes]) -> bytes:
    frontier = rfc9162.Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def open_all(vkey: str, notes: list[str]) -> None:
    key = signednote.parse_verifier_key(vkey)
    for note in notes:
        signednote.open_checkpoint(note, key, ORIGIN)


def gunzip_all(pages: list[bytes]) -> None:
    for page in pages:
        gzip.decompress(page)


def cpu(function):
    start = time.process_time()
    result = function()
    return result, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=10_000)
    args = parser.parse_args()

    log = SyntheticLog(checkpoint_every=max(1, args.entries // args.checkpoints))
    _, build = cpu(lambda: log.grow(args.entries))
    n, signed = log.size, len(log.notes)
    print(
        f"Verifier benchmark: {n:,} entries ({len(log.sealed_raw):,} sealed), "
        f"{signed:,} checkpoints"
    )
    print(
        f"(built in {build:.1f} s; {log.bytes_of_entries / n:.0f} bytes per entry; "
        f"{sum(map(len, log.pages.values())) / 2**20:,.0f} MiB in {len(log.pages)} pages)\n"
    )

    pages = [entrypages.decode_page(page) for page in log.pages.values()]
    contents = [raw for page in pages for _leaf, raw in page.records if raw is not None]
    leaves = [leaf for page in pages for leaf, _raw in page.records]

    _, sha = cpu(partial(sha_only, contents))
    _, tree = cpu(partial(tree_only, leaves))
    _, signatures = cpu(partial(open_all, log.vkey, list(log.notes.values())))
    pages = contents = leaves = []
    zipped = [gzip.compress(page, compresslevel=1, mtime=0) for page in log.pages.values()]
    _, gunzip = cpu(partial(gunzip_all, zipped))
    wire = sum(map(len, zipped)) / 2**20
    zipped = []

    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "witness.json"
        source = MemorySource(log)
        report, scratch = cpu(lambda: verifier.verify(source, log.vkey, state))
        if report.failures:
            raise SystemExit(f"the synthetic log did not verify: {report.failures[:3]}")
        scratch_requests = source.requests
        scratch -= source.serving
        state_bytes = state.stat().st_size
        pending = len(json.loads(state.read_text())["sealed"])

        before = log.size
        log.checkpoint_every = 100
        log.grow(args.new)
        log.proofs[(before, log.size)] = log.consistency(before, log.size)
        source = MemorySource(log)
        report, incremental = cpu(lambda: verifier.verify(source, log.vkey, state))
        if report.failures:
            raise SystemExit(f"the incremental run did not verify: {report.failures[:3]}")
        incremental -= source.serving
        incremental_requests = source.requests
        new_signed = len([s for s in log.notes if s > before])
        opened = next(line for line in report.checks if "sealed at the last run" in line)

    print(f"{'CPU seconds':<70} {'s':>7} {'vs SHA-256':>11}")
    rows = [
        (f"bare SHA-256 of the {n:,} entries (baseline)", sha),
        (f"RFC 9162 tree of {n:,} leaves, right edge only", tree),
        (f"Ed25519: opening the {signed:,} signed checkpoints", signatures),
        (f"verifier from scratch ({scratch_requests} requests)", scratch),
        (
            f"verifier incremental: +{args.new:,} entries, +{new_signed} checkpoints "
            f"({incremental_requests} req.)",
            incremental,
        ),
    ]
    for label, seconds in rows:
        print(f"  {label:<68} {seconds:>7.2f} {seconds / sha:>10.1f}×")
    label = f"gunzip of the pages ({wire:,.0f} MiB on the wire), part of the download"
    print(f"  {label:<68} {gunzip:>7.2f}")
    print(f"\nstate file after the first run: {state_bytes:,} bytes ({pending:,} sealed entries)")
    print(f"incremental run: {opened}")
    print(f"verdict: {report.verdict}")


if __name__ == "__main__":
    main()
