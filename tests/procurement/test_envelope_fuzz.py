"""Fuzzing the EPB1 parser: whatever the bytes, the server's check raises EnvelopeError (with
one of the documented reason codes) or accepts, never another exception; and the browser's
validator gives the same answer for the same bytes. A few hundred inputs here; the 100,000-input
run is bench/envelope_fuzz.py."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.procurement.envelope_fuzz import POLICY, check, inputs
from tests.procurement.test_envelope_vectors import REASONS

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@FAST
@given(inputs)
def test_the_parser_raises_only_envelope_error(data):
    assert check(data) in REASONS | {"ok"}


def test_python_and_javascript_agree_on_fuzzed_envelopes(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    seen: list[bytes] = []

    @FAST
    @given(inputs)
    def collect(data):
        seen.append(data)

    collect()
    assert len(seen) >= 300
    ours = [check(data) for data in seen]
    batch = tmp_path / "inputs.json"
    batch.write_text(
        json.dumps({"policy": POLICY, "inputs": [base64.b64encode(d).decode() for d in seen]})
    )
    result = subprocess.run(
        [node, str(ROOT / "tests" / "js" / "epb1_reasons.mjs"), str(batch)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    theirs = json.loads(result.stdout)
    differ = [(d[:80], a, b) for d, a, b in zip(seen, ours, theirs, strict=True) if a != b]
    assert differ == []
    assert len(set(ours)) > 5  # the inputs reach past the magic
