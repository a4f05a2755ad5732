"""Standalone verifier of the Minh Bạch public ledger. Needs Python 3.11 and ``cryptography``.

It trusts nothing the server says. It downloads the signed checkpoints, then every entry in bulk
(binary pages of leaf hashes and public contents, ``procurement.crypto.entrypages``), checks that
each published entry hashes to its leaf, is canonical JSON and carries its sequence number,
recomputes the RFC 9162 tree in one pass keeping only its right edge, and compares the root at
every signed size with the checkpoint signed for it (Ed25519, against the pinned log key). A
recomputed tree needs no consistency proof between checkpoints: every signed root is checked
against the same leaves.

With ``--state`` it acts as a witness: it saves the newest checkpoint it accepted together with
the right edge of the tree at that size (O(log n) hashes), and the next run downloads only the
checkpoints and entries after it, continues the tree from the saved edge, and so proves that the
new checkpoints extend the old one; it also checks the server's consistency proof between them.
A log that does not extend the saved checkpoint is refused, even one re-signed with the log's
own key. ``--receipt`` checks an inclusion proof offline.

    python -m procurement.crypto.verifier --url https://portal.example --key 'origin+1a2b3c4d+AQ…'
    python -m procurement.crypto.verifier --url … --key … --state witness.json
    python -m procurement.crypto.verifier --file ledger.json --key …
    python -m procurement.crypto.verifier --receipt receipt.json --key …

HTTP 429 and 503 answers are retried after their ``Retry-After`` (a few times per request, and
at most ``--max-wait`` seconds in all). The verdict says exactly what is covered: the entries up
to the newest checkpoint that verifies; entries downloaded beyond it are checked against their
leaf hashes but no signature vouches for them yet.

Exit status: 0 the log (or receipt) verifies; 1 a mismatch was found; 2 it could not be checked.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import gzip
import hashlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from procurement.crypto import entrykinds, entrypages, rfc9162, sealedproof, signednote

PAGE = 1000  # checkpoints per request (the server's maximum)
BULK = 10_000  # entries per bulk request (the server's maximum)
STATE_VERSION = 2
SHOWN_FAILURES = 50


class Unavailable(Exception):
    """The log could not be fetched or read (not a verdict on its honesty)."""


@dataclass
class Report:
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verdict: str = ""  # what verifies, said exactly (set by verify)

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
        for message in self.failures[:SHOWN_FAILURES]:
            print(f"FAIL  {message}", file=out)
        if len(self.failures) > SHOWN_FAILURES:
            print(f"FAIL  … and {len(self.failures) - SHOWN_FAILURES} more", file=out)


def _progress_to_stderr(enabled: bool) -> Callable[[str], None]:
    def show(message: str) -> None:
        if enabled:
            print(f"\r{message}\033[K", end="", file=sys.stderr, flush=True)

    return show


# --- Sources --------------------------------------------------------------------------------


def retry_delay(header: str | None, attempt: int) -> float:
    """Seconds to wait before retrying: ``Retry-After`` (seconds or an HTTP date), else a
    doubling backoff."""
    if header:
        header = header.strip()
        if header.isdigit():
            return float(header)
        try:
            moment = email.utils.parsedate_to_datetime(header)
            return max(0.0, moment.timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    return float(min(2**attempt, 60))


class HttpSource:
    """The portal's public ledger API. Counts its requests (``requests``) and the seconds it
    waited on the server's say-so (``waited``)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 60.0,
        *,
        max_retries: int = 8,
        max_wait: float = 600.0,
        progress: Callable[[str], None] = lambda message: None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base = base_url.rstrip("/") + "/api/v1/ledger/"
        if not self.base.startswith(("http://", "https://")):
            raise Unavailable(f"not an http(s) URL: {base_url}")
        self.timeout = timeout
        self.max_retries, self.max_wait = max_retries, max_wait
        self.progress, self.sleep = progress, sleep or time.sleep
        self.requests, self.waited = 0, 0.0

    def fetch(self, path: str, **params) -> bytes:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            headers={
                "Accept": f"application/json, {entrypages.MEDIA_TYPE}",
                "Accept-Encoding": "gzip",
                "User-Agent": "minhbach-verify/2",
            },
        )
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    data = response.read()
                    if response.headers.get("Content-Encoding") == "gzip":
                        data = gzip.decompress(data)
                    return data
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 503) or attempt == self.max_retries:
                    detail = exc.read(500).decode("utf-8", "replace")
                    raise Unavailable(f"{url}: HTTP {exc.code} {detail}") from exc
                delay = retry_delay(exc.headers.get("Retry-After"), attempt)
                if self.waited + delay > self.max_wait:
                    raise Unavailable(
                        f"{url}: HTTP {exc.code}; the server asks to wait {delay:.0f} s more, "
                        f"beyond --max-wait {self.max_wait:.0f} s in all"
                    ) from exc
                self.progress(f"HTTP {exc.code}: waiting {delay:.0f} s as the server asks")
                self.sleep(delay)
                self.waited += delay
            except (urllib.error.URLError, TimeoutError, OSError, EOFError, zlib.error) as exc:
                raise Unavailable(f"{url}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params) -> Any:  # decoded JSON
        try:
            return json.loads(self.fetch(path, **params))
        except ValueError as exc:
            raise Unavailable(f"{path}: the answer is not JSON ({exc})") from exc

    def key(self) -> dict:
        return self.get("key/")

    def starts_at(self, start: int) -> bool:
        return True

    def checkpoint_notes(self, at_least: int) -> list[str]:
        """Every signed note of size ≥ ``at_least``, newest first, a thousand per request."""
        notes: list[str] = []
        params: dict = {"after": at_least - 1} if at_least > 0 else {}
        while True:
            page = self.get("checkpoints/", **params)
            notes.extend(item["note"] for item in page)
            if len(page) < PAGE:
                return notes
            params["before"] = page[-1]["tree_size"]

    def pages(self, start: int) -> Iterator[entrypages.Page]:
        position = start
        while True:
            try:
                page = entrypages.decode_page(
                    self.fetch("entries/bulk/", start=position, end=position + BULK)
                )
            except entrypages.PageError as exc:
                raise Unavailable(f"entries from {position}: {exc}") from exc
            yield page
            if page.start != position or page.end >= page.tree_size:
                return
            if not page.records:
                raise Unavailable(f"the server sent no entry from {position} of {page.tree_size}")
            position = page.end
            self.progress(f"entries {position}/{page.tree_size} ({self.requests} requests)")

    def page_at(self, start: int, end: int) -> entrypages.Page | None:
        try:
            return entrypages.decode_page(self.fetch("entries/bulk/", start=start, end=end))
        except entrypages.PageError as exc:
            raise Unavailable(f"entries from {start}: {exc}") from exc

    def consistency(self, first: int, second: int) -> list[bytes] | None:
        data = self.get("proof/consistency/", first=first, second=second)
        return [base64.b64decode(p) for p in data["path"]]

    def bundle(self) -> dict:
        """The whole log as a JSON bundle (the ``--save`` / ``--file`` format)."""
        notes = self.checkpoint_notes(0)
        key = self.key()
        return {
            "origin": key["origin"],
            "verifier_key": key["verifier_key"],
            "start": 0,
            "entries": [entry for page in self.pages(0) for entry in bundle_entries(page)],
            "checkpoints": notes,
        }


def bundle_entries(page: entrypages.Page) -> list[dict]:
    return [
        {"seq": page.start + i, "leaf_hash": leaf.hex(), "entry": raw and raw.decode("utf-8")}
        for i, (leaf, raw) in enumerate(page.records)
    ]


class BundleSource:
    """A log saved as JSON: ``{"origin", "verifier_key", "start"?, "entries": [{"seq",
    "leaf_hash" (hex), "entry" (text or null while sealed)}], "checkpoints": [note, …]}``."""

    def __init__(self, bundle: dict) -> None:
        self.bundle = bundle
        self.start = bundle.get("start", 0)

    def key(self) -> dict:
        return {"origin": self.bundle.get("origin"), "verifier_key": self.bundle["verifier_key"]}

    def starts_at(self, start: int) -> bool:
        return start == self.start

    def checkpoint_notes(self, at_least: int) -> list[str]:
        return list(self.bundle["checkpoints"])

    def pages(self, start: int) -> Iterator[entrypages.Page]:
        if start != self.start:
            raise Unavailable(f"the saved log starts at entry {self.start}, not {start}")
        items = self.bundle["entries"]
        size = self.start + len(items)
        records: list[tuple[bytes, bytes | None]] = []
        first = self.start
        for item in items:
            seq = item.get("seq")
            if seq != first + len(records):  # a gap: end the page here, the check reports it
                yield entrypages.Page(first, size, records)
                records, first = [], seq if isinstance(seq, int) else -1
            try:
                leaf = bytes.fromhex(item["leaf_hash"])
            except (TypeError, ValueError) as exc:
                raise Unavailable(f"entry {seq}: the leaf hash is not hex") from exc
            text = item.get("entry")
            records.append((leaf, None if text is None else text.encode("utf-8")))
        yield entrypages.Page(first, size, records)

    def page_at(self, start: int, end: int) -> entrypages.Page | None:
        items = self.bundle["entries"]
        if not self.start <= start < self.start + len(items):
            return None
        chunk = items[start - self.start : end - self.start]
        records = [
            (bytes.fromhex(i["leaf_hash"]), i["entry"] and i["entry"].encode()) for i in chunk
        ]
        return entrypages.Page(start, self.start + len(items), records)

    def consistency(self, first: int, second: int) -> list[bytes] | None:
        return None  # a saved log carries no proofs; the recomputed tree is the check


# --- Checks ---------------------------------------------------------------------------------


def _no_float(text: str) -> None:
    raise ValueError(f"{text} is not an integer")


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
# The same bytes as procurement.crypto.canonical for anything JSON can decode to.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fast_canonical() -> Callable[[bytes, int], bool]:
    """``content_problem(seq, raw) is None``, for the common case, a million times per run:
    true if ``raw`` is canonical JSON, an object, carrying the sequence number ``seq``.

    Calls CPython's C scanner and encoder directly: through ``json``'s Python wrappers the
    same check costs a third more. Elsewhere it falls back to the wrappers."""
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    # Set by JSONDecoder.__init__ (the C scanner), not declared in typeshed.
    scan = _DECODER.scan_once  # type: ignore[attr-defined]
    if make_encoder is None:  # pragma: no cover - not CPython

        def chunks(document: object, _level: int) -> list[str]:
            return [_ENCODER.encode(document)]

    else:
        chunks = make_encoder(
            None, None, json.encoder.encode_basestring, None, ":", ",", True, False, True
        )

    def check(raw: bytes, seq: int) -> bool:
        try:
            text = raw.decode()
            document, end = scan(text, 0)
        except (ValueError, StopIteration):
            return False
        return (
            end == len(text)
            and type(document) is dict
            and type(claimed := document.get("seq")) is int
            and claimed == seq
            and "".join(chunks(document, 0)) == text
        )

    return check


_canonical = _fast_canonical()


def content_problem(seq: int, raw: bytes) -> str | None:
    """Why a published entry is not well formed (None if it is): canonical JSON, an object,
    carrying its own sequence number. Its leaf hash is checked by the caller."""
    try:
        text = raw.decode("utf-8")
        document, end = _DECODER.raw_decode(text)
    except ValueError as exc:
        return f"content is not canonical JSON ({exc})"
    if end != len(text) or _ENCODER.encode(document) != text:
        return "content is not canonical JSON"
    if type(document) is not dict:
        return "content is not a JSON object"
    claimed = document.get("seq")
    if type(claimed) is not int or claimed != seq:
        return f"content claims sequence {claimed}"
    return None


REVEALED_KEYS = {"statement", "batch_seq", "slot", "path"}


class Recomputation:
    """One pass over the entries: content checks, and the tree continued from ``frontier``
    with its root recorded at each size in ``wanted`` and its right edge kept at ``keep``."""

    def __init__(
        self, frontier: rfc9162.Frontier, wanted: set[int], keep: int | None, report: Report
    ) -> None:
        self.start = frontier.size
        self.size, self.hashes = frontier.size, list(frontier.hashes)
        self.wanted, self.keep, self.report = wanted, keep, report
        self.roots: dict[int, bytes] = {}
        self.edge: rfc9162.Frontier | None = None
        self.sealed = self.published = 0
        self.sealed_leaves: dict[int, bytes] = {}  # to check their content once published
        self.first_entry: bytes | None = None
        self.served = frontier.size  # the log's size as the source last said
        self.broken = False
        # Sealed batches seen in this run, and the revealed statements checked against them
        # (or not: their batch came before this run's start).
        self.batches: dict[int, dict] = {}
        self.reveals_checked = self.reveals_unchecked = 0
        self._mark()

    def _batch_or_reveal(self, seq: int, raw: bytes) -> None:
        """A SEALED_BATCH entry is remembered; a revealed statement must be in the batch it
        names, a batch logged before it (procurement/crypto/sealedproof.py)."""
        document = json.loads(raw)
        payload = document.get("payload")
        if document.get("kind") == entrykinds.SEALED_BATCH:
            self.batches[seq] = document
            return
        if not isinstance(payload, dict) or set(payload) != REVEALED_KEYS:
            return
        batch_seq = payload["batch_seq"]
        if type(batch_seq) is not int or not 0 <= batch_seq < seq:
            self.report.fail(f"entry {seq}: its sealed batch {batch_seq!r} is not before it")
            return
        batch = self.batches.get(batch_seq)
        if batch is None:
            if batch_seq >= self.start:
                self.report.fail(f"entry {seq}: entry {batch_seq} is not a sealed batch")
            else:
                self.reveals_unchecked += 1
            return
        try:
            path = [bytes.fromhex(p) for p in payload["path"]]
            sealedproof.check_batch_membership(
                payload["statement"].encode("utf-8"), payload["slot"], path, batch
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.report.fail(f"entry {seq}: revealed statement not proven sealed: {exc}")
            return
        self.reveals_checked += 1

    def _mark(self) -> None:
        frontier = rfc9162.Frontier(self.size, self.hashes)
        if self.size in self.wanted:
            self.roots[self.size] = frontier.root()
        if self.size == self.keep:
            self.edge = frontier.copy()

    def add(self, page: entrypages.Page) -> None:
        self.served = page.tree_size
        if page.start != self.size:
            self.report.fail(
                f"the entries jump from sequence {self.size} to {page.start}: a gap; "
                "nothing after it can be checked"
            )
            self.broken = True
            return
        if self.size == 0 and page.records:
            self.first_entry = page.records[0][1]
        # The hot loop of a million-entry run: locals only, the frontier append inlined.
        sha256, hashes, wanted, keep = hashlib.sha256, self.hashes, self.wanted, self.keep
        canonical, sealed_leaves = _canonical, self.sealed_leaves
        size, sealed, published, fail = self.size, self.sealed, self.published, self.report.fail
        for leaf, raw in page.records:
            if raw is None:
                sealed += 1
                sealed_leaves[size] = leaf
            elif sha256(b"\x00" + raw).digest() != leaf:
                fail(f"entry {size}: its content does not hash to its leaf hash")
            else:
                if canonical(raw, size):
                    published += 1
                    if b'"batch_seq":' in raw or b'"SEALED_BATCH"' in raw:
                        self._batch_or_reveal(size, raw)
                else:
                    problem = content_problem(size, raw) or "content is not canonical JSON"
                    fail(f"entry {size}: {problem}")
            current, index = leaf, size
            while index & 1:
                current = sha256(b"\x01" + hashes.pop() + current).digest()
                index >>= 1
            hashes.append(current)
            size += 1
            if size in wanted or size == keep:
                self.size = size
                self._mark()
        self.size, self.sealed, self.published = size, sealed, published


@dataclass
class State:
    """What a witness remembers: the newest checkpoint it accepted, the tree's right edge at
    that size (absent in version 1 files, which then make a full run), and the leaf hashes of
    the entries below it that were still sealed, to check their content once published."""

    verifier_key: str
    size: int
    root: bytes
    edge: list[bytes] | None
    sealed: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text())
            edge = data.get("edge")
            return cls(
                data["verifier_key"],
                int(data["size"]),
                base64.b64decode(data["root"], validate=True),
                None if edge is None else [base64.b64decode(h, validate=True) for h in edge],
                {int(seq): bytes.fromhex(leaf) for seq, leaf in data.get("sealed", [])},
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise Unavailable(f"the state file {path} cannot be read: {exc}") from exc

    def save(self, path: Path, origin: str, note: str) -> None:
        data = {
            "version": STATE_VERSION,
            "verifier_key": self.verifier_key,
            "origin": origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "edge": [base64.b64encode(h).decode() for h in self.edge or []],
            "checkpoint": note,
            "sealed": [[seq, leaf.hex()] for seq, leaf in sorted(self.sealed.items())],
        }
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data))  # one line: the sealed list can be long
        temporary.replace(path)


def check_genesis(first_entry: bytes | None, vkey: str, report: Report) -> None:
    if first_entry is None:
        return
    try:
        document = json.loads(first_entry)
    except ValueError:
        return  # reported with the other contents
    if not isinstance(document, dict) or document.get("kind") != entrykinds.GENESIS:
        report.fail("entry 0 is not the genesis entry")
    elif document.get("payload", {}).get("verifier_key") != vkey:
        report.fail("the genesis entry names a different log key")
    else:
        report.ok("genesis entry names the pinned log key")


def _open_checkpoints(
    notes: list[str], verifier: signednote.Verifier, origin: str, start: int, report: Report
) -> dict[int, list[tuple[signednote.Checkpoint, str]]]:
    by_size: dict[int, list[tuple[signednote.Checkpoint, str]]] = {}
    for note in notes:
        try:
            checkpoint = signednote.open_checkpoint(note, verifier, origin)
        except signednote.NoteError as exc:
            report.fail(f"checkpoint signature: {exc}")
            continue
        if checkpoint.size >= start:  # older ones were checked by the run that saved the state
            by_size.setdefault(checkpoint.size, []).append((checkpoint, note))
    return by_size


def check_opened(
    source: HttpSource | BundleSource, pending: dict[int, bytes], report: Report
) -> dict[int, bytes]:
    """Entries that were sealed when the state was saved: those published since must hash to
    the leaf accepted then. Returns the ones still sealed. Fetches only the pages holding them."""
    still: dict[int, bytes] = {}
    opened, positions, i = 0, sorted(pending), 0
    while i < len(positions):
        page = source.page_at(positions[i], min(positions[i] + BULK, positions[-1] + 1))
        if page is None:
            still.update((seq, pending[seq]) for seq in positions[i:])
            report.warnings.append(
                f"{len(positions) - i} entries sealed at the last run are not in this copy: "
                "their content is not checked yet"
            )
            break
        if page.start != positions[i] or not page.records:
            raise Unavailable(f"the server sent no entry from {positions[i]}")
        for seq, (leaf, raw) in enumerate(page.records, start=page.start):
            expected = pending.get(seq)
            if expected is None:
                continue
            if leaf != expected:
                report.fail(
                    f"entry {seq}: the log now gives another leaf hash than the one accepted "
                    "while it was sealed"
                )
            elif raw is None:
                still[seq] = expected
            elif hashlib.sha256(b"\x00" + raw).digest() != expected:
                report.fail(
                    f"entry {seq}: its content, published since the last run, does not hash "
                    "to the leaf accepted while it was sealed"
                )
            elif problem := content_problem(seq, raw):
                report.fail(f"entry {seq}: {problem}")
            else:
                opened += 1
        while i < len(positions) and positions[i] < page.end:
            i += 1
    report.ok(
        f"{opened} entries sealed at the last run are published now and hash to the leaves "
        f"accepted then; {len(still)} still sealed"
    )
    return still


def verify(
    source: HttpSource | BundleSource,
    vkey: str | None,
    state_path: Path | None = None,
    *,
    save: dict | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Verify the log ``source`` serves; fill ``save``, if given, with what was downloaded
    (a bundle that ``--file`` reads back)."""
    report = Report()
    key = source.key()
    if vkey is None:
        vkey = key["verifier_key"]
        report.warnings.append(
            "no --key given: trusting the key the log itself names; pin it for a real check"
        )
    try:
        verifier = signednote.parse_verifier_key(vkey)
    except signednote.NoteError as exc:
        report.fail(str(exc))
        return report
    if key.get("verifier_key") not in (None, vkey):
        report.fail("the log presents a different key from the pinned one")
    origin = key.get("origin") or verifier.name

    state = State.load(state_path) if state_path is not None and state_path.exists() else None
    if state is not None and state.verifier_key != vkey:
        report.fail("the log key differs from the one pinned in the state file")
        return report
    frontier = rfc9162.Frontier()
    if state is not None and state.edge is not None and source.starts_at(state.size):
        try:
            frontier = rfc9162.Frontier(state.size, state.edge)
        except ValueError as exc:
            raise Unavailable(f"the state file is damaged: {exc}") from exc
        if frontier.root() != state.root:
            raise Unavailable("the state file is damaged: its right edge does not give its root")
    elif not source.starts_at(0):
        raise Unavailable("the saved log does not start at entry 0 nor where the state ends")
    start = frontier.size
    resumed = state is not None and start == state.size and start > 0

    progress("checkpoints…")
    notes = source.checkpoint_notes(start)
    by_size = _open_checkpoints(notes, verifier, origin, start, report)
    if save is not None:
        save.update(origin=origin, verifier_key=key["verifier_key"], start=start)
        save.update(entries=[], checkpoints=notes)
    wanted = set(by_size)
    if state is not None and not resumed:
        wanted.add(state.size)
    keep = max(by_size, default=None)
    run = Recomputation(frontier, wanted, keep, report)
    for page in source.pages(start):
        run.add(page)
        if save is not None:
            save["entries"].extend(bundle_entries(page))
        if run.broken:
            break
    progress("")
    size = run.size

    if not resumed:
        check_genesis(run.first_entry, vkey, report)
    report.ok(
        f"{size - start} entries downloaded from entry {start}: {run.published} published "
        "ones hash to their leaves and are canonical, "
        f"{run.sealed} still sealed (leaf hash only)"
    )
    if run.reveals_checked or run.reveals_unchecked:
        report.ok(
            f"{run.reveals_checked} revealed bid statements are each in the sealed batch they "
            "name, logged before them"
            + (
                f"; {run.reveals_unchecked} name a batch before this run's start (a run from "
                "scratch checks them)"
                if run.reveals_unchecked
                else ""
            )
        )

    accepted: list[tuple[signednote.Checkpoint, str]] = []
    for checkpoint_size in sorted(by_size):
        for checkpoint, note in by_size[checkpoint_size]:
            if checkpoint_size > size:
                report.fail(
                    f"checkpoint at size {checkpoint_size} is beyond the log ({size} entries "
                    "served): the log was cut short"
                )
            elif run.roots.get(checkpoint_size) != checkpoint.root:
                report.fail(
                    f"checkpoint at size {checkpoint_size}: "
                    + (
                        f"the tree accepted earlier at size {start} extended by the entries "
                        "published since gives another root"
                        if resumed
                        else "the published leaves give another root"
                    )
                )
            else:
                accepted.append((checkpoint, note))
    report.ok(
        f"{len(accepted)} of {sum(map(len, by_size.values()))} signed checkpoints match the tree"
        + (f" (sizes {start} to {size})" if resumed else "")
    )

    if state is not None:
        _check_state(state, resumed, source, run, accepted, by_size, report)
    still_sealed: dict[int, bytes] = {}
    # A shrunk log is refused above.
    if resumed and state is not None and state.sealed and run.served >= state.size:
        still_sealed = check_opened(source, state.sealed, report)
    if not accepted:
        report.fail("no checkpoint signed by the log key covers this log")
        return report

    newest, note = accepted[-1]
    beyond = size - newest.size
    report.verdict = f"{newest.size} entries covered by the newest verified checkpoint" + (
        f" ({newest.size - start} new since the state)" if resumed else ""
    )
    if beyond:
        report.warnings.append(
            f"{beyond} entries downloaded beyond the newest checkpoint (sequence {newest.size} "
            f"to {size - 1}) are not yet covered by a signed checkpoint: their contents match "
            "their leaf hashes, but nothing signed vouches for those leaves yet"
        )
        report.verdict += f"; {beyond} more downloaded, not yet covered by a checkpoint"
    if state_path is not None and not report.failures:
        edge = run.edge if newest.size == keep else None
        if edge is None:  # pragma: no cover - the newest signed size is the one kept
            raise Unavailable("the tree's edge at the newest checkpoint was not kept")
        still_sealed.update((s, leaf) for s, leaf in run.sealed_leaves.items() if s < newest.size)
        State(vkey, newest.size, newest.root, edge.hashes, still_sealed).save(
            state_path, origin, note
        )
        report.ok(f"state saved at size {newest.size}")
    return report


def _check_state(state, resumed, source, run, accepted, by_size, report) -> None:
    """Witness mode: the log must extend the checkpoint this verifier accepted last time."""
    earlier = f"the checkpoint at size {state.size} accepted earlier"
    if min(run.size, run.served) < state.size:
        report.fail(
            f"the log shrank: it had {state.size} entries when last verified, "
            f"now {min(run.size, run.served)}"
        )
        return
    rewritten = (
        f"the first {state.size} entries changed since the checkpoint accepted earlier "
        "(the log was rewritten)"
    )
    if not resumed:
        if run.roots.get(state.size) != state.root:
            report.fail(rewritten)
        else:
            report.ok(f"the log extends {earlier}")
        return
    signed = [c for size in sorted(by_size) for c, _note in by_size[size] if size <= run.size]
    if not signed:
        report.fail(f"the log presents neither {earlier} nor a later one")
        return
    newest = signed[-1]
    if newest.size == state.size:
        if newest.root != state.root:
            report.fail(f"the log now signs another root for size {state.size}: {rewritten}")
        else:
            report.ok(f"the log still presents {earlier}; nothing newer is signed yet")
        return
    proof = source.consistency(state.size, newest.size)
    if proof is not None:
        try:
            rfc9162.verify_consistency(state.size, newest.size, state.root, newest.root, proof)
        except rfc9162.NotAPrefix:
            report.fail(
                f"{rewritten}: the consistency proof to size {newest.size} does not lead to "
                "the root accepted earlier"
            )
            return
        except rfc9162.ProofError as exc:
            report.fail(
                f"the server's consistency proof {state.size} → {newest.size} does not verify "
                f"({exc})"
            )
            return
        report.ok(f"server's consistency proof {state.size} → {newest.size} verifies")
    if accepted and accepted[-1][0].size > state.size:
        report.ok(
            f"the log extends {earlier}: the root at size {accepted[-1][0].size} was "
            "recomputed from the saved right edge and the entries published since"
        )


def check_receipt(
    receipt: dict,
    verifier: signednote.Verifier,
    origin: str | None,
    report: Report,
    receipt_verifier: signednote.Verifier | None = None,
):
    if isinstance(receipt, dict) and receipt.get("v") == 2:  # a sealed statement's receipt
        sealedproof.check_sealed_receipt(receipt, verifier, origin, report, receipt_verifier)
        return
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


def verify_log(bundle: dict, vkey: str | None, state: Path | None = None) -> Report:
    """Verify a log held in memory as a JSON bundle (see ``BundleSource``)."""
    return verify(BundleSource(bundle), vkey, state)


# --- Command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="minhbach-verify", description="Verify the Minh Bạch public ledger."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="portal base URL, e.g. https://portal.example")
    where.add_argument("--file", type=Path, help="a ledger bundle saved as JSON (--save)")
    where.add_argument("--receipt", type=Path, help="a receipt or entry proof (JSON)")
    parser.add_argument("--key", help="the log's verifier key (origin+keyid+base64), pinned")
    parser.add_argument("--receipt-key", help="the receipt key (verifier-key form), pinned")
    parser.add_argument(
        "--state",
        type=Path,
        help="witness state file: read, then updated; later runs fetch only what is new",
    )
    parser.add_argument("--save", type=Path, help="also save what was downloaded here (JSON)")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=600.0,
        help="seconds the server may make us wait in all (HTTP 429/503 Retry-After)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    progress = _progress_to_stderr(not args.quiet and sys.stderr.isatty())

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
            if args.url:
                source: HttpSource | BundleSource = HttpSource(
                    args.url, max_wait=args.max_wait, progress=progress
                )
            else:
                source = BundleSource(json.loads(args.file.read_text()))
            saved: dict | None = {} if args.save else None
            report = verify(source, args.key, args.state, save=saved, progress=progress)
            if args.save:
                args.save.write_text(json.dumps(saved, ensure_ascii=False))
            what = "the log"
            if isinstance(source, HttpSource):
                report.ok(f"{source.requests} requests, {source.waited:.0f} s waited on 429/503")
    except (Unavailable, OSError, ValueError, KeyError) as exc:
        print(f"VERDICT: could not check: {exc}")
        return 2
    report.print()
    if report.failures:
        print(f"VERDICT: {what} does NOT verify ({len(report.failures)} problem(s))")
        return 1
    print(f"VERDICT: {what} verifies" + (f": {report.verdict}" if report.verdict else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
