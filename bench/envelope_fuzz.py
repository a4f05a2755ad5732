"""Fuzzing the EPB1 parser with hypothesis: 100,000 inputs (mutated vectors, framed cores with
arbitrary field values, raw bytes) through ``envelope.validate_at_submission``; a crash is any
exception other than EnvelopeError. Then a differential run: the same inputs through the
browser's validator (Node) must give the same answer, input by input.

    .venv/bin/python bench/envelope_fuzz.py [--examples 100000] [--differential 20000]

No Django, no database. Prints the counts; exits 1 if anything crashed or differed.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.procurement.envelope_fuzz import POLICY, check, inputs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--differential", type=int, default=20_000)
    args = parser.parse_args()
    reasons: collections.Counter[str] = collections.Counter()
    crashes: list[tuple[bytes, str]] = []
    kept: list[bytes] = []

    @settings(
        max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(inputs)
    def run(data: bytes) -> None:
        try:
            reasons[check(data)] += 1
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            crashes.append((data, f"{type(exc).__name__}: {exc}"))
        if len(kept) < args.differential:
            kept.append(data)

    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    total = sum(reasons.values()) + len(crashes)
    print(f"inputs: {total} in {elapsed:.1f} s ({total / elapsed:,.0f}/s)")
    print(f"crashes (exceptions other than EnvelopeError): {len(crashes)}")
    for data, error in crashes[:10]:
        print(f"  {error} on {data[:60]!r}")
    print("answers:", dict(sorted(reasons.items(), key=lambda item: -item[1])))
    differ = 0
    node = shutil.which("node")
    if node and kept:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as batch:
            json.dump(
                {"policy": POLICY, "inputs": [base64.b64encode(d).decode() for d in kept]}, batch
            )
        result = subprocess.run(
            [node, str(ROOT / "tests" / "js" / "epb1_reasons.mjs"), batch.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        Path(batch.name).unlink()
        theirs = json.loads(result.stdout)
        for data, theirs_one in zip(kept, theirs, strict=True):
            ours = check(data)
            if ours != theirs_one:
                differ += 1
                if differ <= 10:
                    print(f"  differs: python {ours}, javascript {theirs_one} on {data[:80]!r}")
        print(f"differential (Python vs JavaScript): {len(kept)} inputs, {differ} differ")
    elif not node:
        print("differential skipped: node is not installed")
    return 1 if crashes or differ else 0


if __name__ == "__main__":
    sys.exit(main())
