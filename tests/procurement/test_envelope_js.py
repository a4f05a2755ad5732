"""The browser's EPB1 code (procurement/static/js/epb1.js), run by Node's WebCrypto, against
the Python reference: it reproduces the published vector's header and ciphertexts from the
same key, and its envelope opens with the Python code."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from procurement.crypto import envelope

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "docs" / "envelope-vectors.json"


@pytest.fixture(scope="module")
def sealed_by_js() -> dict:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("node is required for the JavaScript envelope tests")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, str(ROOT / "tests" / "js" / "epb1_vector.mjs"), str(VECTORS)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_javascript_seal_matches_the_vector_and_opens_in_python(sealed_by_js):
    vector = json.loads(VECTORS.read_text())
    ours = base64.b64decode(sealed_by_js["envelope"])
    reference = base64.b64decode(vector["envelope"])
    assert sealed_by_js["h"] == vector["h"]
    js_header = envelope.read_header(io.BytesIO(ours))
    py_header = envelope.read_header(io.BytesIO(reference))
    assert js_header.core_bytes == py_header.core_bytes
    # Same key and header: the price and document ciphertexts are identical byte for byte
    # (only the HPKE-sealed shares differ, by their random ephemeral keys and Shamir draws).
    assert ours[js_header.price_offset :] == reference[py_header.price_offset :]
    assert len(ours) - js_header.price_offset == len(reference) - py_header.price_offset
    keys = {
        int(i): load_pem_private_key(pem.encode(), password=None)
        for i, pem in vector["custodian_keys"].items()
    }
    for subset in ({1: keys[1], 2: keys[2]}, {2: keys[2], 3: keys[3]}, {1: keys[1], 3: keys[3]}):
        docs = io.BytesIO()
        opened = envelope.open_envelope(io.BytesIO(ours), subset, docs)
        assert opened.price == vector["price"].encode()
        assert docs.getvalue() == base64.b64decode(vector["docs"])
        assert opened.dek.hex() == vector["dek"]
    envelope.validate_at_submission(
        io.BytesIO(ours), size=len(ours), tender=vector["tender"], keyset=vector["keyset"],
        k=vector["k"], n=vector["n"], bidder=vector["bidder"],
    )  # fmt: skip


def test_vendored_shamir_is_the_npm_release():
    """The vendored copy is npm's shamir-secret-sharing 0.0.4 with only its import path
    rewritten (package.json pins it; `make vendor-check` compares against a fresh install)."""
    vendored = ROOT / "procurement" / "static" / "vendor" / "shamir-secret-sharing"
    text = (vendored / "index.js").read_text()
    assert text.startswith("import { getRandomBytes } from './csprng.js';")
    assert "export async function split" in text and "export async function combine" in text
    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"]["shamir-secret-sharing"] == "0.0.4"
