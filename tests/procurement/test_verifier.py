"""The standalone verifier against a running portal: it accepts the honest log, and rejects a
tampered bundle, a forged checkpoint, a rewritten history and a tampered receipt."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import transaction

from procurement import ledger
from procurement.crypto import rfc9162, signednote, verifier
from procurement.crypto.canonical import canonical_json
from procurement.keys import ledger_key_name, ledger_verifier_key

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
    assert "server's consistency proofs verified" in out
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert len(bundle["entries"]) == ledger.tree_size()


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
