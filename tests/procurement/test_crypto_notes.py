"""C2SP signed notes and checkpoints, and canonical JSON. Pure: no database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from procurement.crypto import signednote
from procurement.crypto.canonical import CanonicalJSONError, canonical_json

SEED = bytes(range(32))


def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


def test_key_id_and_verifier_key_follow_the_c2sp_definition():
    private = key()
    raw = private.public_key().public_bytes_raw()
    expected_id = hashlib.sha256(b"example.com/log\n\x01" + raw).digest()[:4]
    vkey = signednote.verifier_key("example.com/log", private.public_key())
    name, hex_id, blob = vkey.split("+", 2)
    assert name == "example.com/log"
    assert bytes.fromhex(hex_id) == expected_id
    assert base64.b64decode(blob) == b"\x01" + raw
    parsed = signednote.parse_verifier_key(vkey)
    assert parsed.key_id == expected_id


def test_checkpoint_round_trip():
    body = signednote.Checkpoint("example.com/log", 42, bytes(range(32))).body()
    assert body == f"example.com/log\n42\n{base64.b64encode(bytes(range(32))).decode()}\n"
    note = signednote.sign_note(body, "example.com/log", key())
    assert note.startswith(body + "\n\u2014 example.com/log ")
    verifier = signednote.parse_verifier_key(
        signednote.verifier_key("example.com/log", key().public_key())
    )
    checkpoint = signednote.open_checkpoint(note, verifier, "example.com/log")
    assert (checkpoint.size, checkpoint.root) == (42, bytes(range(32)))


def test_tampered_or_foreign_notes_are_refused():
    body = signednote.Checkpoint("example.com/log", 42, bytes(32)).body()
    note = signednote.sign_note(body, "example.com/log", key())
    verifier = signednote.parse_verifier_key(
        signednote.verifier_key("example.com/log", key().public_key())
    )
    with pytest.raises(signednote.NoteError, match="does not verify"):
        signednote.open_note(note.replace("\n42\n", "\n43\n"), verifier)
    other = Ed25519PrivateKey.generate()
    foreign = signednote.sign_note(body, "example.com/log", other)
    with pytest.raises(signednote.NoteError, match="not signed by"):
        signednote.open_note(foreign, verifier)
    with pytest.raises(signednote.NoteError, match="for log"):
        signednote.open_checkpoint(note, verifier, "another.example/log")
    with pytest.raises(signednote.NoteError, match="no signature"):
        signednote.open_note(body, verifier)


def test_witness_cosignatures_are_skipped_not_rejected():
    body = signednote.Checkpoint("example.com/log", 1, bytes(32)).body()
    note = signednote.sign_note(body, "example.com/log", key())
    witness_line = signednote.sign_note(body, "witness.example", Ed25519PrivateKey.generate())
    cosigned = note + witness_line.split("\n\n", 1)[1]
    verifier = signednote.parse_verifier_key(
        signednote.verifier_key("example.com/log", key().public_key())
    )
    assert signednote.open_note(cosigned, verifier) == body


def test_malformed_verifier_keys_are_refused():
    good = signednote.verifier_key("example.com/log", key().public_key())
    name, hex_id, blob = good.split("+", 2)
    with pytest.raises(signednote.NoteError, match="does not match"):
        signednote.parse_verifier_key(f"other.example+{hex_id}+{blob}")
    with pytest.raises(signednote.NoteError, match="malformed"):
        signednote.parse_verifier_key("nonsense")


def test_canonical_json_is_sorted_compact_utf8_and_float_free():
    value = {"b": 1, "a": "Sở Giao thông", "m": Decimal("1500000000.00"), "n": None}
    assert canonical_json(value) == (
        '{"a":"Sở Giao thông","b":1,"m":"1500000000.00","n":null}'.encode()
    )
    moment = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert canonical_json({"t": moment}) == b'{"t":"2026-11-22T09:00:00Z"}'
    with pytest.raises(CanonicalJSONError, match="floats"):
        canonical_json({"price": 1.5})
    with pytest.raises(CanonicalJSONError, match="naive"):
        canonical_json({"t": dt.datetime(2026, 1, 1)})  # noqa: DTZ001
    with pytest.raises(CanonicalJSONError, match="not a string"):
        canonical_json({1: "x"})
    with pytest.raises(CanonicalJSONError, match=r"\$\.lots\[1\]\.price: floats"):
        canonical_json({"lots": [{"price": "1"}, {"price": 2.5}]})  # named where, however deep


class _Text(str):
    pass


def test_canonical_json_fast_path_gives_the_bytes_of_the_full_normalisation():
    """Plain dicts, lists and scalars skip the per-value path bookkeeping; every other type
    (str subclasses, tuples, decimals, datetimes, UUIDs, dates) still goes through the full
    normalisation, with the same bytes."""
    import json
    import uuid

    from procurement.crypto.canonical import _normalise

    moment = dt.datetime(2026, 12, 8, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    value = {
        "s": _Text("Hà Nội"), "t": ("a", 1, True, None), "d": Decimal("12.50"), "m": moment,
        "u": uuid.UUID(int=7), "day": moment.date(), "nested": [{"x": [1, {"y": "\u0000"}]}],
    }  # fmt: skip
    full = json.dumps(
        _normalise(value, "$"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert canonical_json(value) == full
    import enum
    from collections import OrderedDict

    class Level(enum.IntEnum):
        HIGH = 3

    odd = OrderedDict([(_Text("k"), Level.HIGH), ("t", (1, "x"))])
    assert canonical_json(odd) == b'{"k":3,"t":[1,"x"]}'  # the full walk's answer for each
    with pytest.raises(CanonicalJSONError, match=r"\$\.t\[1\]: floats"):
        canonical_json({"t": ("x", 1.5)})
