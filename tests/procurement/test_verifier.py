"""The standalone verifier against a running portal: it accepts the honest log, and rejects a
tampered bundle, a forged checkpoint, a rewritten history and a tampered receipt. On a long log
it needs a few requests, not one per checkpoint, and a witness resumes from its state; against a
scripted server on 127.0.0.1 it waits out throttling, fetches only what is new, reports exactly
what a checkpoint covers, and catches truncation, tampering and rewritten history."""

from __future__ import annotations

import base64
import copy
import http.server
import io
import json
import re
import subprocess
import sys
import threading
import urllib.parse
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import transaction

from procurement import ledger
from procurement.crypto import entrypages, rfc9162, signednote, verifier
from procurement.crypto.canonical import canonical_json
from procurement.keys import ledger_key_name, ledger_verifier_key
from procurement.models import LedgerEntry

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = verifier.main(list(args))
    return code, out.getvalue()


@pytest.fixture
def demo_log(transactional_db):
    call_command("load_demo", stdout=io.StringIO())
    with transaction.atomic():
        ledger.record_event("TEST_EVENT", "test:after-demo", {"n": 1}, actor=None)
    ledger.make_checkpoint()
    return ledger_verifier_key()


def test_verifier_accepts_the_demo_ledger_over_http(live_server, demo_log, tmp_path):
    code, out = run("--url", live_server.url, "--key", demo_log, "--save", str(tmp_path / "b.json"))
    assert code == 0, out
    assert "VERDICT: the log" in out and "verifies" in out
    assert "genesis entry names the pinned log key" in out
    matched = re.search(r"(\d+) of (\d+) signed checkpoints match the tree", out)
    assert matched and matched.group(1) == matched.group(2) and int(matched.group(1)) >= 2
    size = ledger.tree_size()
    assert f"VERDICT: the log verifies: {size} entries covered by the newest verified" in out
    assert "3 requests, 0 s waited" in out  # key, checkpoints, one bulk page
    # The demo's drill tenders were closed: each revealed bid is proven in an earlier batch.
    revealed = re.search(r"(\d+) revealed bid statements are each in the sealed batch", out)
    assert revealed and int(revealed.group(1)) >= 3
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert len(bundle["entries"]) == size
    code, out = run("--file", str(tmp_path / "b.json"), "--key", demo_log)
    assert code == 0, out


def test_a_bid_revealed_without_its_sealed_batch_is_caught(live_server, demo_log):
    """An operator who adds a bid at closing that was never in a sealed batch (a late bid
    dressed as an early one) makes an entry the verifier refuses."""
    batch = LedgerEntry.objects.filter(kind="SEALED_BATCH").order_by("seq").first()
    statement = canonical_json(
        {"v": 1, "kind": "BID_SUBMITTED", "subject": "tender:LATE", "time": "2026-01-01T00:00:00Z",
         "actor": None, "sealed_until": None, "payload": {"bid": "late"}}
    ).decode()  # fmt: skip
    with transaction.atomic():
        ledger.record_event(
            "BID_SUBMITTED",
            "tender:LATE",
            {"statement": statement, "batch_seq": batch.seq, "slot": 3, "path": ["00" * 32] * 10},
            actor=None,
        )
    ledger.make_checkpoint()
    code, out = run("--url", live_server.url, "--key", demo_log)
    assert code == 1, out
    assert "revealed statement not proven sealed" in out


def test_downloaded_verifier_runs_without_django(live_server, demo_log, client, tmp_path):
    response = client.get("/ledger/minhbach-verify.pyz")
    assert response["Content-Disposition"] == 'attachment; filename="minhbach-verify.pyz"'
    archive = tmp_path / "minhbach-verify.pyz"
    archive.write_bytes(response.content)
    names = zipfile.ZipFile(archive).namelist()
    assert "procurement/crypto/verifier.py" in names
    assert not any("django" in n or n.endswith("settings.py") for n in names)
    result = subprocess.run(
        [sys.executable, "-I", str(archive), "--url", live_server.url, "--key", demo_log],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERDICT" in result.stdout
    # And the module imports nothing of Django.
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import procurement.crypto.verifier; "
            "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


@pytest.fixture
def bundle(live_server, demo_log) -> dict:
    return verifier.HttpSource(live_server.url).bundle()


def forge(text: str) -> str:
    """The same entry with one more payload field, still perfectly canonical JSON."""
    document = json.loads(text)
    document["payload"]["name_en"] = "Forged Company"
    return canonical_json(document).decode()


def check_file(bundle: dict, key: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    return run("--file", str(path), "--key", key, *extra)


def test_a_saved_bundle_verifies_offline(bundle, demo_log, tmp_path):
    code, out = check_file(bundle, demo_log, tmp_path)
    assert code == 0, out


def test_rewritten_entry_content_is_caught(bundle, demo_log, tmp_path):
    forged = copy.deepcopy(bundle)
    forged["entries"][3]["entry"] = forge(forged["entries"][3]["entry"])
    code, out = check_file(forged, demo_log, tmp_path)
    assert code == 1
    assert "entry 3: its content does not hash to its leaf hash" in out


def test_rewritten_leaf_is_caught_by_the_signed_checkpoints(bundle, demo_log, tmp_path):
    forged = copy.deepcopy(bundle)
    text = forge(forged["entries"][3]["entry"])
    forged["entries"][3] = {
        "seq": 3,
        "entry": text,
        "leaf_hash": rfc9162.leaf_hash(text.encode()).hex(),
    }
    code, out = check_file(forged, demo_log, tmp_path)
    assert code == 1
    assert "the published leaves give another root" in out


def test_dropped_entry_and_foreign_checkpoint_are_caught(bundle, demo_log, tmp_path):
    dropped = copy.deepcopy(bundle)
    del dropped["entries"][5]
    code, out = check_file(dropped, demo_log, tmp_path)
    assert code == 1 and "a gap" in out

    forged = copy.deepcopy(bundle)
    impostor = Ed25519PrivateKey.generate()
    body = signednote.Checkpoint(ledger_key_name(), 1, bytes(32)).body()
    forged["checkpoints"].append(signednote.sign_note(body, ledger_key_name(), impostor))
    code, out = check_file(forged, demo_log, tmp_path)
    assert code == 1 and "checkpoint signature" in out


def test_wrong_pinned_key_fails(bundle, tmp_path):
    other = signednote.verifier_key(ledger_key_name(), Ed25519PrivateKey.generate().public_key())
    code, out = check_file(bundle, other, tmp_path)
    assert code == 1
    assert "different key" in out


def test_receipt_style_entry_proof_verifies_offline(live_server, demo_log, client, tmp_path):
    data = client.get("/api/v1/ledger/entries/2/proof/").json()
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(data))
    code, out = run("--receipt", str(path), "--key", demo_log)
    assert code == 0, out
    assert "entry 2 (ORGANISATION_REGISTERED) is included in the signed tree" in out
    data["entry"] = forge(data["entry"])
    path.write_text(json.dumps(data))
    code, out = run("--receipt", str(path), "--key", demo_log)
    assert code == 1
    assert "does not lead to the expected root" in out


def test_unreachable_portal_is_not_a_verdict_on_honesty():
    code, out = run("--url", "http://127.0.0.1:9", "--key", "x+00000000+AA==")
    assert code == 2
    assert "could not check" in out


# --- A long-lived log over the real API: bulk pages, no throttling, incremental runs --------


def grow(entries: int, *, checkpoint_every: int) -> None:
    """Append entries, signing a checkpoint every ``checkpoint_every`` of them."""
    for n in range(entries):
        with transaction.atomic():
            ledger.record_event("TEST_EVENT", "test:grow", {"n": n}, actor=None)
        if (n + 1) % checkpoint_every == 0:
            ledger.make_checkpoint()


@pytest.fixture
def long_log(transactional_db):
    grow(650, checkpoint_every=1)
    return ledger_verifier_key()


def test_more_checkpoints_than_the_anonymous_throttle_verify_in_a_few_requests(
    live_server, long_log, tmp_path
):
    # One consistency proof per pair of checkpoints was 650 requests, over 600/minute.
    state = tmp_path / "witness.json"
    source = verifier.HttpSource(live_server.url)
    report = verifier.verify(source, long_log, state)
    assert report.failures == []
    assert "650 of 650 signed checkpoints match the tree" in report.checks
    assert report.verdict == "651 entries covered by the newest verified checkpoint"
    assert source.requests == 3 and source.waited == 0
    assert json.loads(state.read_text())["size"] == 651

    # An incremental run downloads the new checkpoints and entries only.
    grow(30, checkpoint_every=10)
    source = verifier.HttpSource(live_server.url)
    report = verifier.verify(source, long_log, state)
    assert report.failures == []
    assert (
        "30 entries downloaded from entry 651: 30 published ones hash to their leaves"
        in (report.checks[0])
    )
    assert "4 of 4 signed checkpoints match the tree (sizes 651 to 681)" in report.checks
    assert "server's consistency proof 651 → 681 verifies" in report.checks
    assert report.verdict == (
        "681 entries covered by the newest verified checkpoint (30 new since the state)"
    )
    assert source.requests == 4  # key, checkpoints after 650, one bulk page, one proof
    assert json.loads(state.read_text())["size"] == 681


# --- A scripted server on 127.0.0.1: throttling, truncation, tampering ---------------------


class FakeLog:
    """A log served like the portal's ledger API, without Django, so a test can script what the
    server answers: throttling, short pages, forged entries, rewritten history."""

    origin = "fake.example/ledger"

    def __init__(self) -> None:
        self.signer = Ed25519PrivateKey.generate()
        self.vkey = signednote.verifier_key(self.origin, self.signer.public_key())
        self.entries: list[bytes] = []
        self.leaves: list[bytes] = []
        self.sealed: set[int] = set()
        self.notes: dict[int, str] = {}
        self.page_limit = verifier.BULK
        self.answers: list[tuple[int, str | None]] = []  # given before serving anything
        self.requests: list[str] = []

    def append(self, count: int, *, checkpoint_every: int | None = None) -> None:
        for _ in range(count):
            seq = len(self.entries)
            genesis = seq == 0
            document = {
                "v": 1,
                "seq": seq,
                "kind": "GENESIS" if genesis else "TEST_EVENT",
                "subject": "ledger" if genesis else "test:fake",
                "payload": {"verifier_key": self.vkey} if genesis else {"n": seq},
            }
            self.entries.append(canonical_json(document))
            self.leaves.append(rfc9162.leaf_hash(self.entries[-1]))
            if checkpoint_every and len(self.entries) % checkpoint_every == 0:
                self.sign()

    def rewrite(self, seq: int) -> None:
        self.entries[seq] = forge(self.entries[seq].decode()).encode()
        self.leaves[seq] = rfc9162.leaf_hash(self.entries[seq])

    def tree(self, size: int) -> rfc9162.MemoryTree:
        tree = rfc9162.MemoryTree()
        for leaf in self.leaves[:size]:
            tree.append(leaf)
        return tree

    def sign(self, size: int | None = None) -> None:
        size = len(self.entries) if size is None else size
        body = signednote.Checkpoint(self.origin, size, self.tree(size).root()).body()
        self.notes[size] = signednote.sign_note(body, self.origin, self.signer)

    def resign_all(self) -> None:
        for size in list(self.notes):
            self.sign(size)

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        self.requests.append(path + "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items())))
        if self.answers:
            status, retry_after = self.answers.pop(0)
            return status, {"Retry-After": retry_after} if retry_after else {}, b"{}"
        number = {k: int(v) for k, v in query.items()}
        if path == "key/":
            return self.json({"origin": self.origin, "verifier_key": self.vkey})
        if path == "checkpoints/":
            sizes = sorted(self.notes, reverse=True)
            sizes = [s for s in sizes if s < number.get("before", s + 1)]
            sizes = [s for s in sizes if s > number.get("after", -1)][: verifier.PAGE]
            return self.json([{"tree_size": s, "note": self.notes[s]} for s in sizes])
        if path == "entries/bulk/":
            start = number["start"]
            end = min(number["end"], len(self.entries), start + self.page_limit)
            records = [
                (self.leaves[seq], None if seq in self.sealed else self.entries[seq])
                for seq in range(start, end)
            ]
            page = entrypages.encode_page(start, len(self.entries), records)
            return 200, {"Content-Type": entrypages.MEDIA_TYPE}, page
        if path == "proof/consistency/":
            first, second = number["first"], number["second"]
            proof = rfc9162.consistency_proof(self.tree(second).node, first, second)
            return self.json({"path": [base64.b64encode(p).decode() for p in proof]})
        return 404, {}, b"{}"

    @staticmethod
    def json(data) -> tuple[int, dict, bytes]:
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


@pytest.fixture
def fake():
    log = FakeLog()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server protocol
            url = urllib.parse.urlsplit(self.path)
            prefix = "/api/v1/ledger/"
            query = dict(urllib.parse.parse_qsl(url.query))
            status, headers, body = log.answer(url.path.removeprefix(prefix), query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield log
    server.shutdown()
    server.server_close()


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(verifier.time, "sleep", slept.append)
    return slept


def check(fake: FakeLog, *extra: str) -> tuple[int, str]:
    fake.requests.clear()
    return run("--url", fake.url, "--key", fake.vkey, *extra)


def test_throttled_requests_are_retried_after_the_time_the_server_asks(fake, waits):
    fake.append(300, checkpoint_every=100)
    fake.answers = [(429, "2"), (503, "1"), (429, None)]
    code, out = check(fake)
    assert code == 0, out
    assert waits == [2.0, 1.0, 4.0]  # Retry-After, else 2**attempt s (the third attempt)
    assert fake.requests[:4] == ["key/?"] * 4
    assert "7 s waited on 429/503" in out


def test_a_server_asking_to_wait_longer_than_allowed_means_could_not_check(fake, waits):
    fake.append(10, checkpoint_every=10)
    fake.answers = [(429, "30"), (429, "40")]
    code, out = check(fake, "--max-wait", "60")
    assert code == 2
    assert "the server asks to wait 40 s more, beyond --max-wait 60 s in all" in out
    assert waits == [30.0]


def test_incremental_run_fetches_only_what_is_new(fake, tmp_path):
    fake.page_limit = 100  # the page bound, as the server's byte limit would cut it
    fake.append(1000, checkpoint_every=50)
    state = tmp_path / "witness.json"
    code, out = check(fake, "--state", str(state))
    assert code == 0, out
    assert fake.requests == [
        "key/?",
        "checkpoints/?",
        *[f"entries/bulk/?end={s + verifier.BULK}&start={s}" for s in range(0, 1000, 100)],
    ]
    assert "20 of 20 signed checkpoints match the tree" in out

    fake.append(250, checkpoint_every=100)
    fake.append(7)
    code, out = check(fake, "--state", str(state))
    assert code == 0, out
    assert fake.requests == [
        "key/?",
        "checkpoints/?after=999",
        *[f"entries/bulk/?end={s + verifier.BULK}&start={s}" for s in (1000, 1100, 1200)],
        "proof/consistency/?first=1000&second=1200",
    ]
    assert "257 entries downloaded from entry 1000" in out
    assert "3 of 3 signed checkpoints match the tree (sizes 1000 to 1257)" in out
    assert (
        "VERDICT: the log verifies: 1200 entries covered by the newest verified checkpoint "
        "(200 new since the state); 57 more downloaded, not yet covered by a checkpoint"
    ) in out
    saved = json.loads(state.read_text())
    assert (saved["size"], len(saved["edge"])) == (1200, (1200).bit_count())

    # Nothing new: one page of the unsigned tail, no proof needed.
    code, out = check(fake, "--state", str(state))
    assert code == 0, out
    assert "the log still presents the checkpoint at size 1200 accepted earlier" in out
    assert fake.requests[-1] == f"entries/bulk/?end={1200 + verifier.BULK}&start=1200"


def test_entries_sealed_at_the_last_run_are_checked_when_they_open(fake, tmp_path):
    fake.append(300, checkpoint_every=100)
    fake.sealed = {10, 150, 250, 299}
    state = tmp_path / "witness.json"
    code, out = check(fake, "--state", str(state))
    assert code == 0, out
    assert "296 published ones hash to their leaves and are canonical, 4 still sealed" in out
    sealed = json.loads(state.read_text())["sealed"]
    assert sealed == [[seq, fake.leaves[seq].hex()] for seq in (10, 150, 250, 299)]

    fake.sealed = {250}  # three bids opened; more entries came
    fake.append(50, checkpoint_every=50)
    code, out = check(fake, "--state", str(state))
    assert code == 0, out
    assert (
        "3 entries sealed at the last run are published now and hash to the leaves accepted "
        "then; 1 still sealed"
    ) in out
    assert fake.requests[-1] == "entries/bulk/?end=300&start=10"  # one page holds all four
    assert [seq for seq, _leaf in json.loads(state.read_text())["sealed"]] == [250]

    fake.sealed = set()  # the last one opens with other content than was sealed
    fake.entries[250] = forge(fake.entries[250].decode()).encode()
    code, out = check(fake, "--state", str(state))
    assert code == 1
    assert (
        "entry 250: its content, published since the last run, does not hash to the leaf "
        "accepted while it was sealed"
    ) in out


def test_a_copy_saved_by_a_resumed_run_verifies_offline_against_the_same_state(fake, tmp_path):
    fake.append(200, checkpoint_every=100)
    state, copy_of_state = tmp_path / "witness.json", tmp_path / "witness-copy.json"
    assert check(fake, "--state", str(state))[0] == 0
    copy_of_state.write_bytes(state.read_bytes())
    fake.append(100, checkpoint_every=100)
    saved = tmp_path / "new.json"
    code, out = check(fake, "--state", str(state), "--save", str(saved))
    assert code == 0, out
    bundle = json.loads(saved.read_text())
    assert (bundle["start"], len(bundle["entries"])) == (200, 100)

    code, out = run("--file", str(saved), "--key", fake.vkey, "--state", str(copy_of_state))
    assert code == 0, out
    assert "100 entries downloaded from entry 200" in out
    code, out = run("--file", str(saved), "--key", fake.vkey)  # no state: nothing to start from
    assert code == 2
    assert "the saved log does not start at entry 0 nor where the state ends" in out


def test_the_verdict_says_how_much_a_signed_checkpoint_covers(fake):
    fake.append(104, checkpoint_every=52)
    fake.append(21)
    code, out = check(fake)
    assert code == 0, out
    assert (
        "VERDICT: the log verifies: 104 entries covered by the newest verified checkpoint; "
        "21 more downloaded, not yet covered by a checkpoint"
    ) in out
    assert "warn  21 entries downloaded beyond the newest checkpoint (sequence 104 to 124)" in out
    assert "125 entries downloaded from entry 0: 125 published ones" in out


def test_a_log_cut_short_of_its_checkpoint_or_of_the_witness_is_caught(fake, tmp_path):
    fake.append(104, checkpoint_every=52)
    state = tmp_path / "witness.json"
    assert check(fake, "--state", str(state))[0] == 0

    del fake.entries[90:], fake.leaves[90:]  # the server now serves 90 entries...
    code, out = check(fake)
    assert code == 1
    assert "checkpoint at size 104 is beyond the log (90 entries served)" in out

    del fake.notes[104]  # ...and no longer shows the checkpoint: only a witness notices
    code, out = check(fake)
    assert code == 0 and "90 entries downloaded" in out and "52 entries covered" in out
    code, out = check(fake, "--state", str(state))
    assert code == 1
    assert "the log shrank: it had 104 entries when last verified, now 90" in out


def test_tampered_entries_and_checkpoints_are_caught_over_http(fake):
    fake.append(200, checkpoint_every=100)
    honest = list(fake.entries), list(fake.leaves), dict(fake.notes)

    fake.entries[7] = forge(fake.entries[7].decode()).encode()
    code, out = check(fake)
    assert code == 1 and "entry 7: its content does not hash to its leaf hash" in out

    fake.entries, fake.leaves = list(honest[0]), list(honest[1])
    fake.rewrite(150)  # content and leaf changed together: only the signed root tells
    code, out = check(fake)
    assert code == 1 and "checkpoint at size 200: the published leaves give another root" in out
    assert "1 of 2 signed checkpoints match the tree" in out

    fake.entries, fake.leaves = list(honest[0]), list(honest[1])
    impostor = Ed25519PrivateKey.generate()
    body = signednote.Checkpoint(fake.origin, 200, fake.tree(200).root()).body()
    fake.notes[200] = signednote.sign_note(body, fake.origin, impostor)
    code, out = check(fake)
    assert code == 1 and "checkpoint signature: note is not signed by fake.example/ledger" in out


def test_rewritten_history_is_refused_by_a_witness_resuming_from_its_state(fake, tmp_path):
    fake.append(300, checkpoint_every=100)
    state = tmp_path / "witness.json"
    assert check(fake, "--state", str(state))[0] == 0

    fake.rewrite(2)  # the operator rewrites an old entry and re-signs every checkpoint
    fake.resign_all()
    code, out = check(fake)
    assert code == 0, out  # a verifier with no memory is fooled...
    code, out = check(fake, "--state", str(state))
    assert code == 1  # ...a witness is not, even before the log grows
    assert (
        "the log now signs another root for size 300: the first 300 entries changed since "
        "the checkpoint accepted earlier (the log was rewritten)"
    ) in out

    fake.append(100, checkpoint_every=100)
    code, out = check(fake, "--state", str(state))
    assert code == 1
    assert (
        "checkpoint at size 400: the tree accepted earlier at size 300 extended by the entries "
        "published since gives another root"
    ) in out
    assert (
        "(the log was rewritten): the consistency proof to size 400 does not lead to the root "
        "accepted earlier"
    ) in out
    assert json.loads(state.read_text())["size"] == 300  # a refused log is not remembered


def test_a_forged_new_entry_is_caught_by_an_incremental_run(fake, tmp_path):
    fake.append(100, checkpoint_every=100)
    state = tmp_path / "witness.json"
    assert check(fake, "--state", str(state))[0] == 0
    fake.append(100, checkpoint_every=100)
    fake.leaves[150] = rfc9162.leaf_hash(b"something else")  # served leaf != signed one
    fake.entries[150] = b"something else"
    code, out = check(fake, "--state", str(state))
    assert code == 1
    assert "entry 150: content is not canonical JSON" in out
    assert "checkpoint at size 200: the tree accepted earlier at size 100" in out
    assert "the server's consistency proof 100 → 200 does not verify" in out
    assert "rewritten" not in out


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"kind":"X","seq":5}', None),
        (b'{"seq":5,"kind":"X"}', "content is not canonical JSON"),
        (b'{"kind": "X","seq":5}', "content is not canonical JSON"),
        (b'{"kind":"X","n":1.5,"seq":5}', "content is not canonical JSON (1.5 is not an integer)"),
        (b'{"kind":"X","seq":6}', "content claims sequence 6"),
        (b'{"kind":"X","seq":true}', "content claims sequence True"),
        (b"[5]", "content is not a JSON object"),
        (b'{"kind":"X","seq":5}{}', "content is not canonical JSON"),
        (b"\xff", "content is not canonical JSON ('utf-8' codec can't decode byte 0xff"),
    ],
)
def test_content_checks(raw, problem):
    found = verifier.content_problem(5, raw)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
    # The verifier's fast path over a page says the same.
    report = verifier.Report()
    run = verifier.Recomputation(rfc9162.Frontier(5, [bytes(32)] * 2), set(), None, report)
    run.add(entrypages.Page(5, 6, [(rfc9162.leaf_hash(raw), raw)]))
    assert report.failures == ([] if problem is None else [f"entry 5: {found}"])
    assert run.published == (problem is None)


def test_entry_pages_round_trip_and_reject_damage():
    records = [(bytes([i]) * 32, None if i % 3 else f'{{"seq":{i}}}'.encode()) for i in range(7)]
    data = entrypages.encode_page(40, 99, records)
    page = entrypages.decode_page(data)
    assert (page.start, page.tree_size, page.end, page.records) == (40, 99, 47, records)
    with pytest.raises(entrypages.PageError, match="truncated"):
        entrypages.decode_page(data[:-1])
    with pytest.raises(entrypages.PageError, match="after its last record"):
        entrypages.decode_page(data + b"\0")
    with pytest.raises(entrypages.PageError, match="bad magic"):
        entrypages.decode_page(b"XXXX" + data[4:])
