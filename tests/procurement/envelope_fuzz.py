"""Input generators for fuzzing the EPB1 parser (tests/procurement/test_envelope_fuzz.py runs a
few hundred in the normal suite; bench/envelope_fuzz.py runs 100,000 and more).

Three families, so the inputs reach every check rather than dying at the magic: mutations of
the published valid envelope and of each negative vector (flipped, set, inserted and deleted
bytes, truncation, rewritten length fields); envelopes framed around a core whose twelve fields
take arbitrary JSON values (or a JSON-ish text with arbitrary edits); and raw bytes.
"""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path

from hypothesis import strategies as st

from procurement.crypto import envelope
from procurement.crypto.envelope import EnvelopeError

VECTOR = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "envelope-vectors.json").read_text("utf-8")
)
POLICY = {name: VECTOR[name] for name in ("tender", "keyset", "k", "n", "bidder")}
SEEDS = [base64.b64decode(VECTOR["envelope"])] + [
    base64.b64decode(case["envelope"]) for case in VECTOR["negative"]
]
VALID = SEEDS[0]
_HEADER = envelope.read_header(io.BytesIO(VALID))
CORE = dict(_HEADER.core)
SHARES = VALID[12 + len(_HEADER.core_bytes) : _HEADER.price_offset]
TAIL = VALID[_HEADER.price_offset :]


def check(data: bytes) -> str:
    """Run the server's check; return "ok" or the reason. Any other exception propagates."""
    try:
        envelope.validate_at_submission(io.BytesIO(data), size=len(data), **POLICY)
    except EnvelopeError as exc:
        return exc.reason
    return "ok"


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 3, 255, 256, 1024, 4 * 1024 * 1024, 2**40, 2**53]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from([VECTOR["bid"], VECTOR["keyset"], VECTOR["tender"], VECTOR["bidder"]]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def frame(core: bytes, shares: bytes = SHARES, tail: bytes = TAIL) -> bytes:
    return (
        b"EPB1" + struct.pack(">I", len(core)) + core + struct.pack(">I", len(shares)) + shares
        + tail
    )  # fmt: skip


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "length"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "length" and len(data) >= 8:
            where = draw(st.sampled_from([4, 8 + len(_HEADER.core_bytes)]))
            value = draw(st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 70000)))
            data[where : where + 4] = struct.pack(">I", value)
    return bytes(data)


@st.composite
def framed_core(draw) -> bytes:
    core = dict(CORE)
    for name in draw(st.lists(st.sampled_from(sorted(CORE)), max_size=3, unique=True)):
        core[name] = draw(json_value)
    if draw(st.booleans()):
        core[draw(st.text(max_size=6))] = draw(json_value)
    if draw(st.booleans()) and core:
        del core[draw(st.sampled_from(sorted(core)))]
    text = json.dumps(
        core, sort_keys=draw(st.booleans()), ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )  # fmt: skip
    raw = text.encode("utf-8", "surrogatepass")
    shares = SHARES
    if draw(st.booleans()):
        items = draw(st.lists(st.one_of(st.text(max_size=120), json_value), max_size=5))
        if draw(st.booleans()):
            items = [base64.b64encode(bytes(draw(st.binary(min_size=78, max_size=84)))).decode()
                     for _ in range(draw(st.integers(0, 4)))]  # fmt: skip
        shares = json.dumps(items, separators=draw(st.sampled_from([(",", ":"), (", ", ":")])))
        shares = shares.encode("utf-8", "surrogatepass")
    return frame(raw, shares, TAIL[: draw(st.integers(0, len(TAIL) + 2))])


inputs = st.one_of(
    mutated(),
    framed_core(),
    st.binary(max_size=200),
    st.binary(max_size=20).map(lambda tail: b"EPB1" + tail),
)
