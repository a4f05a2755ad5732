"""The EPB1 sealed-bid envelope: round trips, the server's structural checks, and the attacks
that must fail (wrong policy, flipped, truncated or reordered pieces, inconsistent shares,
too few keys). Pure: no database."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from pathlib import Path

import pyshamir
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.crypto import envelope
from procurement.crypto.envelope import EnvelopeError

CHUNK = 4096
PRICE = json.dumps({"total": "1250000000", "currency": "VND"}).encode()
MARKER = b"BID-PLAINTEXT-MARKER-7f3a"
VECTORS = Path(__file__).resolve().parents[2] / "docs" / "envelope-vectors.json"


@pytest.fixture(scope="module")
def custodians() -> list[X25519PrivateKey]:
    return [X25519PrivateKey.generate() for _ in range(5)]


def seal(custodians, *, price=PRICE, docs=MARKER * 3000, k=3, **overrides) -> bytes:
    out = io.BytesIO()
    arguments = {
        "tender": "MB-2026-000001",
        "keyset": "ab" * 32,
        "bidder": "cong-ty-song-hong",
        "bid": "0b6f3c1e-8d2a-4f4e-9c3b-5a7d2e1f0a90",
        "k": k,
        "public_keys": [c.public_key() for c in custodians],
        "price": price,
        "docs": io.BytesIO(docs),
        "docs_len": len(docs),
        "chunk": CHUNK,
    }
    arguments.update(overrides)
    envelope.seal(out, **arguments)
    return out.getvalue()


def validate(blob: bytes, **overrides):
    expected = {
        "tender": "MB-2026-000001",
        "keyset": "ab" * 32,
        "k": 3,
        "n": 5,
        "bidder": "cong-ty-song-hong",
    }
    expected.update(overrides)
    return envelope.validate_at_submission(io.BytesIO(blob), size=len(blob), **expected)


def open_with(blob: bytes, custodians, indices) -> tuple[envelope.Opened, bytes]:
    docs = io.BytesIO()
    keys = {i: custodians[i - 1] for i in indices}
    return envelope.open_envelope(io.BytesIO(blob), keys, docs), docs.getvalue()


def test_round_trip_with_any_k_custodians(custodians):
    docs = MARKER * 3000  # several pieces, the last one short
    blob = seal(custodians, docs=docs)
    header = validate(blob)
    assert header.total_len == len(blob)
    for subset in ((1, 2, 3), (2, 4, 5), (1, 3, 5, 4)):
        opened, plain = open_with(blob, custodians, subset)
        assert opened.price == PRICE
        assert plain == docs
        assert opened.docs_sha256 == hashlib.sha256(docs).hexdigest()


def test_empty_documents_and_exact_multiple_of_the_chunk(custodians):
    for docs in (b"", b"x" * (2 * CHUNK)):
        blob = seal(custodians, docs=docs)
        validate(blob)
        assert open_with(blob, custodians, (1, 2, 3))[1] == docs


def test_no_plaintext_in_the_envelope(custodians):
    blob = seal(custodians, price=MARKER, docs=MARKER * 10)
    assert MARKER not in blob
    assert b"1250000000" not in seal(custodians)


def test_the_published_price_key_lets_anyone_check_the_price(custodians):
    blob = seal(custodians)
    opened, _ = open_with(blob, custodians, (1, 2, 3))
    header = envelope.read_header(io.BytesIO(blob))
    price_ct = blob[header.price_offset : header.docs_offset]
    assert envelope.decrypt_price(opened.price_key, header.h, price_ct, len(PRICE), CHUNK) == PRICE


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"k": 2}, "policy"),
        ({"keyset": "cd" * 32}, "policy"),
        ({"tender": "MB-2026-000002"}, "policy"),
        ({"bidder": "someone-else"}, "policy"),
        ({"n": 4}, "policy"),
    ],
)
def test_the_tender_policy_decides_not_the_bidder(custodians, overrides, reason):
    blob = seal(custodians)
    with pytest.raises(EnvelopeError) as exc:
        validate(blob, **overrides)
    assert exc.value.reason == reason


def test_a_one_of_n_envelope_cannot_be_made():
    keys = [X25519PrivateKey.generate().public_key() for _ in range(3)]
    with pytest.raises(EnvelopeError, match="1 < k"):
        envelope.seal(
            io.BytesIO(), tender="t", keyset="k", bidder="b", bid="1", k=1, public_keys=keys,
            price=b"", docs=io.BytesIO(b""), docs_len=0,
        )  # fmt: skip


def test_structural_damage_is_refused_at_submission(custodians):
    blob = seal(custodians)
    with pytest.raises(EnvelopeError) as exc:
        validate(blob[:-1])
    assert exc.value.reason == "length"
    with pytest.raises(EnvelopeError) as exc:
        validate(blob + b"\x00")
    assert exc.value.reason == "length"
    with pytest.raises(EnvelopeError) as exc:
        validate(b"EPB2" + blob[4:])
    assert exc.value.reason == "magic"
    # A header edited to a non-canonical form, or with an unknown suite.
    header = envelope.read_header(io.BytesIO(blob))
    core = dict(header.core, suite="EPB1-RSA-512")
    forged = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    rebuilt = b"EPB1" + len(forged).to_bytes(4, "big") + forged + blob[8 + len(header.core_bytes) :]
    with pytest.raises(EnvelopeError) as exc:
        validate(rebuilt)
    assert exc.value.reason == "suite"


def test_a_flipped_byte_anywhere_after_the_header_fails_at_opening(custodians):
    blob = seal(custodians)
    header = envelope.read_header(io.BytesIO(blob))
    for position in (header.price_offset + 3, header.docs_offset + 5, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        with pytest.raises(EnvelopeError) as exc:
            open_with(bytes(damaged), custodians, (1, 2, 3))
        assert exc.value.reason == "aead"


def test_a_changed_header_breaks_every_share(custodians):
    blob = seal(custodians)
    header = envelope.read_header(io.BytesIO(blob))
    core = dict(header.core, bid="ffffffff-8d2a-4f4e-9c3b-5a7d2e1f0a90")  # same length
    forged = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    rebuilt = blob[:8] + forged + blob[8 + len(header.core_bytes) :]
    validate(rebuilt)  # structurally fine...
    with pytest.raises(EnvelopeError) as exc:  # ...but no share opens under the new header
        open_with(rebuilt, custodians, (1, 2, 3))
    assert exc.value.reason == "share"


def test_reordered_or_dropped_pieces_fail(custodians):
    blob = seal(custodians, docs=os.urandom(3 * CHUNK))
    header = envelope.read_header(io.BytesIO(blob))
    piece = CHUNK + 16
    start = header.docs_offset
    first, second = blob[start : start + piece], blob[start + piece : start + 2 * piece]
    swapped = blob[:start] + second + first + blob[start + 2 * piece :]
    with pytest.raises(EnvelopeError) as exc:
        open_with(swapped, custodians, (1, 2, 3))
    assert exc.value.reason == "aead"
    # Dropping the last piece and relabelling the length cannot pass as a shorter bid either.
    with pytest.raises(EnvelopeError):
        open_with(blob[: len(blob) - piece], custodians, (1, 2, 3))


def test_inconsistent_shares_are_caught_by_the_commitment(custodians):
    """A bidder who seals a share of another key to one custodian cannot make two subsets of
    custodians read two different bids: any subset with the odd share fails."""
    blob = seal(custodians)
    header = envelope.read_header(io.BytesIO(blob))
    other = pyshamir.split(os.urandom(32), 5, 3)
    suite = envelope.SUITES[envelope.SUITE_X25519]
    odd = suite.encrypt(
        bytes(other[4]), custodians[4].public_key(), info=envelope.share_info(header.h, 5)
    )
    shares = [base64.b64encode(s).decode() for s in header.sealed_shares[:4]]
    shares.append(base64.b64encode(odd).decode())
    shares_json = json.dumps(shares, separators=(",", ":")).encode()
    old_len = int.from_bytes(blob[8 + len(header.core_bytes) : 12 + len(header.core_bytes)], "big")
    rebuilt = (
        blob[: 8 + len(header.core_bytes)]
        + len(shares_json).to_bytes(4, "big")
        + shares_json
        + blob[12 + len(header.core_bytes) + old_len :]
    )
    validate(rebuilt)
    assert open_with(rebuilt, custodians, (1, 2, 3))[0].price == PRICE
    with pytest.raises(EnvelopeError) as exc:
        open_with(rebuilt, custodians, (1, 2, 5))
    assert exc.value.reason in {"commitment", "share"}


def test_fewer_than_k_keys_open_nothing(custodians):
    blob = seal(custodians)
    with pytest.raises(EnvelopeError) as exc:
        open_with(blob, custodians, (1, 2))
    assert exc.value.reason == "threshold"
    stranger = X25519PrivateKey.generate()
    with pytest.raises(EnvelopeError) as exc:
        envelope.open_envelope(
            io.BytesIO(blob), {1: stranger, 2: custodians[1], 3: custodians[2]}, io.BytesIO()
        )
    assert exc.value.reason == "share"


def test_the_published_vector_opens(tmp_path):
    """docs/envelope-vectors.json: a fixed envelope, the custodians' keys and the expected
    plaintext, which every implementation (Python, the browser's JavaScript) must reproduce."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    vector = json.loads(VECTORS.read_text())
    blob = base64.b64decode(vector["envelope"])
    assert hashlib.sha256(blob).hexdigest() == vector["envelope_sha256"]
    keys = {
        int(i): load_pem_private_key(pem.encode(), password=None)
        for i, pem in vector["custodian_keys"].items()
    }
    header = validate(
        blob, tender=vector["tender"], keyset=vector["keyset"], k=vector["k"], n=vector["n"],
        bidder=vector["bidder"],
    )  # fmt: skip
    docs = io.BytesIO()
    opened = envelope.open_envelope(io.BytesIO(blob), keys, docs)
    assert opened.price == vector["price"].encode()
    assert docs.getvalue() == base64.b64decode(vector["docs"])
    assert opened.dek.hex() == vector["dek"]
    assert header.h.hex() == vector["h"]
