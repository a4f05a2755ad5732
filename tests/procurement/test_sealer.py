"""Custodians' signed key statements, the key set, and the command-line sealer (no Django)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.crypto import envelope, keystatement
from procurement.crypto.keystatement import KeySetError

ROOT = Path(__file__).resolve().parents[2]
TENDER, DEADLINE = "MB-2026-000042", "2026-12-25T03:00:00Z"
BID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
NAMES = ["kiem-toan-nha-nuoc", "giam-sat-cong-dong", "so-gtvt-ha-noi"]


@pytest.fixture(scope="module")
def roster():
    identities = {name: Ed25519PrivateKey.generate() for name in NAMES}
    tender_keys = [X25519PrivateKey.generate() for _ in NAMES]
    signed = [
        keystatement.make_statement(
            tender=TENDER, deadline=DEADLINE, custodian=name, index=i,
            public_key=tender_keys[i - 1].public_key(), identity=identities[name],
        )
        for i, name in enumerate(NAMES, start=1)
    ]  # fmt: skip
    return identities, tender_keys, signed


def raw_b64(public_key) -> str:
    return base64.b64encode(public_key.public_bytes_raw()).decode()


def pinned(identities):
    return {name: key.public_key() for name, key in identities.items()}


def test_a_verified_key_set_gives_the_keys_in_roster_order(roster):
    identities, tender_keys, signed = roster
    keyset = keystatement.verify_keyset(
        signed, identities=pinned(identities), tender=TENDER, deadline=DEADLINE, n=3
    )
    assert keyset.custodians == NAMES
    assert [k.public_bytes_raw() for k in keyset.public_keys] == [
        k.public_key().public_bytes_raw() for k in tender_keys
    ]
    assert keyset.keyset_hash == keystatement.keyset_hash(signed)


def test_key_sets_that_must_be_refused(roster):
    identities, _, signed = roster
    ids = pinned(identities)
    cases = {
        "for a roster of 4": (signed, {"n": 4}),
        "for tender": (signed, {"tender": "MB-2026-000043"}),
        "for deadline": (signed, {"deadline": "2026-12-26T03:00:00Z"}),
        "claims roster place": (list(reversed(signed)), {}),
    }
    for message, (statements, overrides) in cases.items():
        arguments = {"identities": ids, "tender": TENDER, "deadline": DEADLINE, "n": 3}
        arguments.update(overrides)
        with pytest.raises(KeySetError, match=message):
            keystatement.verify_keyset(statements, **arguments)
    forged = [
        dict(signed[0], statement=signed[0]["statement"].replace(TENDER, "MB-2026-000999")),
        *signed[1:],
    ]  # noqa: E501
    with pytest.raises(KeySetError, match="not signed by"):
        keystatement.verify_keyset(forged, identities=ids, tender=TENDER, deadline=DEADLINE, n=3)
    impostor = {**ids, NAMES[0]: Ed25519PrivateKey.generate().public_key()}
    with pytest.raises(KeySetError, match="not signed by"):
        keystatement.verify_keyset(
            signed, identities=impostor, tender=TENDER, deadline=DEADLINE, n=3
        )  # noqa: E501


def test_a_custodian_that_is_not_a_name_is_refused_as_unknown(roster):
    # Given a signed, canonical statement whose custodian is a list or an object (not a name)
    identities, tender_keys, _ = roster
    for custodian in (["kiem-toan-nha-nuoc"], {"code": "kiem-toan-nha-nuoc"}):
        statement = keystatement.make_statement(
            tender=TENDER, deadline=DEADLINE, custodian=custodian, index=1,
            public_key=tender_keys[0].public_key(), identity=identities[NAMES[0]],
        )  # fmt: skip
        # When it is checked, directly or as a key-set document's roster place in the sealer
        # Then it is an unknown custodian (it used to escape as a TypeError: unhashable)
        with pytest.raises(KeySetError, match="unknown custodian"):
            keystatement.verify_statement(
                statement, identities=pinned(identities), tender=TENDER, deadline=DEADLINE,
                index=1,
            )  # fmt: skip
        from procurement.crypto import sealer

        document = {"tender": TENDER, "deadline": DEADLINE, "threshold": 1,
                    "roster": [dict(statement, custodian=custodian)]}  # fmt: skip
        with pytest.raises(KeySetError, match="unknown custodian"):
            sealer.resolve_target(document, pinned(identities))


def test_the_cli_sealer_seals_what_the_custodians_can_open(roster, tmp_path):
    identities, tender_keys, signed = roster
    (tmp_path / "keyset.json").write_text(json.dumps(signed))
    (tmp_path / "identities.json").write_text(
        json.dumps(
            {
                n: base64.b64encode(k.public_key().public_bytes_raw()).decode()
                for n, k in identities.items()
            }
        )  # noqa: E501
    )
    price = json.dumps({"currency": "VND", "lots": [{"lot": 1, "price": "4200000000"}]}).encode()
    (tmp_path / "price.json").write_bytes(price)
    docs = b"PK\x03\x04" + b"technical proposal " * 5000
    (tmp_path / "docs.zip").write_bytes(docs)
    command = [
        sys.executable, "-c",
        "import sys; from procurement.crypto.sealer import main; code = main(sys.argv[1:]); "
        "assert not [m for m in sys.modules if m.startswith('django')]; sys.exit(code)",
        "--keyset", "keyset.json", "--identities", "identities.json", "--tender", TENDER,
        "--deadline", DEADLINE, "--bidder", "cong-ty-song-hong", "--bid", BID, "--k", "2",
        "--price", "price.json", "--docs", "docs.zip", "--out", "bid.epb1",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sha256=" in result.stdout
    blob = (tmp_path / "bid.epb1").read_bytes()
    header = envelope.validate_at_submission(
        io.BytesIO(blob), size=len(blob), tender=TENDER,
        keyset=keystatement.keyset_hash(signed), k=2, n=3, bidder="cong-ty-song-hong",
    )  # fmt: skip
    assert header.bid == BID
    out = io.BytesIO()
    opened = envelope.open_envelope(io.BytesIO(blob), {1: tender_keys[0], 3: tender_keys[2]}, out)
    assert opened.price == price and out.getvalue() == docs


def test_the_cli_sealer_refuses_an_unverified_key_set(roster, tmp_path):
    identities, _, signed = roster
    (tmp_path / "keyset.json").write_text(json.dumps(signed))
    others = {
        n: base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
        for n in NAMES
    }  # noqa: E501
    (tmp_path / "identities.json").write_text(json.dumps(others))
    (tmp_path / "price.json").write_text("{}")
    (tmp_path / "docs.zip").write_bytes(b"x")
    from procurement.crypto import sealer

    code = sealer.main([
        "--keyset", str(tmp_path / "keyset.json"),
        "--identities", str(tmp_path / "identities.json"),
        "--tender", TENDER, "--deadline", DEADLINE, "--bidder", "b", "--bid", "1", "--k", "2",
        "--price", str(tmp_path / "price.json"), "--docs", str(tmp_path / "docs.zip"),
        "--out", str(tmp_path / "bid.epb1"),
    ])  # fmt: skip
    assert code == 1
    assert not (tmp_path / "bid.epb1").exists()
