"""Builds docs/envelope-vectors.json: the EPB1 test vectors (docs/envelope.md, "Test vectors").

    .venv/bin/python -m tests.procurement.envelope_vectors > docs/envelope-vectors.json

Every key is a fixed test key, so everything deterministic (statements, signatures, key-set
hash, core, h, DEK commitment, part keys, ciphertexts, release statement) comes out the same on
every run; HPKE and the Shamir split are randomised, so the sealed shares, the shares before
HPKE and the wrapped release key differ per run, and the vector records the ones it used.
tests/procurement/test_envelope_vectors.py checks the file against this builder and runs the
negative vectors through Python, JavaScript (Node) and the command-line sealer.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.crypto import envelope, keystatement
from procurement.crypto.canonical import canonical_json

TENDER = "MB-2026-000042"
DEADLINE = "2026-12-25T03:00:00Z"  # the deadline the statements are signed for
AMENDED = "2027-01-08T03:00:00Z"  # the submission deadline after an amendment moved it
BIDDER = "cong-ty-song-hong"
BID = "3f2b8c4e-1d5a-4e7b-9c0f-6a8d2b1e4c70"
K, CHUNK = 2, 1024
CUSTODIANS = [
    ("kiem-toan-nha-nuoc", "kiem-toan-nha-nuoc"),
    ("giam-sat-cong-dong", "mat-tran-to-quoc"),
    ("so-gtvt-ha-noi", "so-gtvt-ha-noi"),
]
PRICE = b'{"currency":"VND","lots":[{"lot":1,"price":"41500000000.00"}]}'
DOCS = bytes(range(256)) * 20  # 5 KiB: five full pieces of 1 KiB
DEK = bytes(range(32))
CLOSING_SEQ = 1234


def identity(i: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([0x10 + i]) * 32)


def tender_key(i: int) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(bytes([i]) * 32)


def opening_key() -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(b"\x0f" * 32)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pem(key: X25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def statements() -> list[dict]:
    return [
        keystatement.make_statement(
            tender=TENDER, deadline=DEADLINE, custodian=code, index=i,
            public_key=tender_key(i).public_key(), identity=identity(i),
        )
        for i, (code, _org) in enumerate(CUSTODIANS, start=1)
    ]  # fmt: skip


def keyset_document(signed: list[dict]) -> dict:
    """What the tender page links to (GET /api/v1/tenders/<ref>/roster/), after an amendment
    moved the submission deadline: ``deadline`` stays the one the statements are signed for."""
    return {
        "tender": TENDER,
        "deadline": DEADLINE,
        "submission_deadline": AMENDED,
        "threshold": K,
        "n": len(signed),
        "keyset_hash": keystatement.keyset_hash(signed),
        "roster": [
            {
                "index": i, "custodian": code, "organisation": org,
                "identity_key": b64(identity(i).public_key().public_bytes_raw()),
                "is_demo": False,
                "public_key": b64(tender_key(i).public_key().public_bytes_raw()),
                "statement": item["statement"], "signature": item["signature"],
                "statement_at": "2026-12-01T02:00:00Z", "released_at": None, "release_seq": None,
            }
            for i, ((code, org), item) in enumerate(zip(CUSTODIANS, signed, strict=True), start=1)
        ],
    }  # fmt: skip


def frame(core: bytes, shares: bytes, tail: bytes) -> bytes:
    return (
        b"EPB1"
        + struct.pack(">I", len(core))
        + core
        + struct.pack(">I", len(shares))
        + shares
        + tail
    )


def negatives(blob: bytes) -> list[dict]:
    """Envelopes that differ from the valid one in one rule each, with the reason code every
    validator must give under the vector's policy (tender, keyset, k, n, bidder)."""
    header = envelope.read_header(io.BytesIO(blob))
    core, tail = dict(header.core), blob[header.price_offset :]
    shares_bytes = blob[12 + len(header.core_bytes) : header.price_offset]
    shares = [b64(s) for s in header.sealed_shares]

    def with_core(text: bytes | str, shares_json: bytes = shares_bytes) -> bytes:
        return frame(text.encode() if isinstance(text, str) else text, shares_json, tail)

    def edited(**changes) -> bytes:
        return canonical_json({**core, **changes})

    def raw_core(**changes) -> str:  # the canonical text with one value written by hand
        text = edited().decode()
        for name, written in changes.items():
            current = json.dumps(core[name])
            text = text.replace(f'"{name}":{current}', f'"{name}":{written}', 1)
        return text

    def with_shares(text: bytes | str) -> bytes:
        return frame(header.core_bytes, text.encode() if isinstance(text, str) else text, tail)

    canonical_shares = canonical_json(shares).decode()
    cases = [
        ("magic", "another magic", b"EPB2" + blob[4:]),
        ("magic", "empty body", b""),
        ("truncated", "ends inside the magic", b"EPB"),
        ("truncated", "ends inside the core", blob[:40]),
        ("truncated", "ends inside the share list", blob[: 12 + len(header.core_bytes) + 20]),
        ("core_length", "core length 0", b"EPB1" + bytes(4) + blob[8:]),
        ("core_length", "core length over 4096", b"EPB1" + struct.pack(">I", 4097) + blob[8:]),
        ("core_json", "core is a JSON list", with_core("[1,2,3]")),
        ("core_json", "core is not UTF-8", with_core(edited()[:-1] + b"\xff}")),
        ("core_json", "NaN", with_core(raw_core(k="NaN"))),
        ("core_json", "nested more than 64 deep", with_core(raw_core(k="[" * 64 + "]" * 64))),
        ("version", "v is true", with_core(raw_core(v="true"))),
        ("version", "v is 1.0", with_core(raw_core(v="1.0"))),
        ("version", "v is 2", with_core(edited(v=2))),
        ("version", "v is the string 1", with_core(edited(v="1"))),
        ("core_fields", "an extra field", with_core(edited(note="x"))),
        (
            "core_fields",
            "dek_commit missing",
            with_core(canonical_json({k: v for k, v in core.items() if k != "dek_commit"})),
        ),
        ("suite", "unknown suite", with_core(edited(suite="EPB1-RSA-512"))),
        ("field", "bid is not a UUID (b-0001)", with_core(edited(bid="b-0001"))),
        ("field", "bid UUID in upper case", with_core(edited(bid=BID.upper()))),
        ("field", "bidder not ASCII, raw UTF-8", with_core(edited(bidder="công-ty-sông-hồng"))),
        (
            "field",
            "bidder not ASCII, \\u escapes",
            with_core(raw_core(bidder='"c\\u00f4ng-ty-s\\u00f4ng-h\\u1ed3ng"')),
        ),
        ("field", "k is a string", with_core(edited(k="2"))),
        ("field", "price_len is 1.5e2", with_core(raw_core(price_len="1.5e2"))),
        ("field", "keyset in upper case", with_core(edited(keyset=core["keyset"].upper()))),
        ("field", "dek_commit too short", with_core(edited(dek_commit="ab" * 31))),
        ("field", "tender empty", with_core(edited(tender=""))),
        ("limit", "k = 1", with_core(edited(k=1))),
        ("limit", "k > n", with_core(edited(k=4))),
        ("limit", "n = 256", with_core(edited(n=256))),
        ("limit", "chunk 512", with_core(edited(chunk=512))),
        ("limit", "chunk over 4 MiB", with_core(edited(chunk=4 * 1024 * 1024 + 1))),
        ("limit", "price_len over 1 MiB", with_core(edited(price_len=1024 * 1024 + 1))),
        ("limit", "docs_len over 2^40", with_core(edited(docs_len=(1 << 40) + 1))),
        (
            "core_canonical",
            "spaces after separators",
            with_core(edited().decode().replace(",", ", ").replace(":", ": ")),
        ),
        (
            "core_canonical",
            "keys not sorted",
            with_core(json.dumps(dict(reversed(list(core.items()))), separators=(",", ":"))),
        ),
        (
            "core_canonical",
            "an ASCII letter escaped",
            with_core(edited().decode().replace(TENDER, "\\u004dB" + TENDER[2:])),
        ),
        ("core_canonical", "a duplicate key", with_core(edited().decode()[:-1] + ',"k":2}')),
        ("core_canonical", "trailing newline", with_core(edited() + b"\n")),
        ("shares_length", "share list length 0", frame(header.core_bytes, b"", tail)),
        (
            "shares_length",
            "share list length over 64 KiB",
            blob[: 8 + len(header.core_bytes)]
            + struct.pack(">I", 65537)
            + blob[12 + len(header.core_bytes) :],
        ),
        ("shares_json", "share list is an object", with_shares('{"1":"x"}')),
        ("shares_json", "share list holds numbers", with_shares("[1,2,3]")),
        ("shares_json", "share list is cut", with_shares(canonical_shares[:-1])),
        ("shares_count", "two shares for n = 3", with_shares(canonical_json(shares[:2]))),
        (
            "shares_encoding",
            "URL-safe base64",
            with_shares(
                canonical_shares.replace(shares[0], shares[0].replace("+", "-").replace("/", "_"))
                if ("+" in shares[0] or "/" in shares[0])
                else '["-_-_"]*3'
            ),
        ),
        (
            "shares_encoding",
            "unpadded base64",
            with_shares(canonical_shares.replace(shares[0], shares[0].rstrip("=") + "AA")),
        ),
        (
            "shares_encoding",
            "base64 with a line break",
            with_shares(
                canonical_shares.replace(shares[0], shares[0][:60] + "\\n" + shares[0][60:])
            ),
        ),
        (
            "shares_size",
            "a share of 80 bytes",
            with_shares(canonical_json([b64(header.sealed_shares[0][:80]), *shares[1:]])),
        ),
        (
            "shares_canonical",
            "space after a comma",
            with_shares(canonical_shares.replace(",", ", ")),
        ),
        (
            "shares_canonical",
            "'/' escaped as '\\/'",
            with_shares(canonical_shares.replace("/", "\\/"))
            if "/" in canonical_shares
            else with_shares(canonical_shares.replace("A", "\\u0041", 1)),
        ),
        ("policy", "sealed for another tender", with_core(edited(tender="MB-2026-000043"))),
        ("policy", "sealed to another key set", with_core(edited(keyset="0" * 64))),
        ("policy", "bidder chose k = 3", with_core(edited(k=3))),
        ("policy", "another bidder", with_core(edited(bidder="cong-ty-khac"))),
        ("length", "one byte short", blob[:-1]),
        ("length", "one byte extra", blob + b"\x00"),
        ("length", "a whole piece missing", blob[: -(CHUNK + envelope.TAG)]),
    ]
    return [{"name": name, "reason": reason, "envelope": b64(data)} for reason, name, data in cases]


def build() -> dict:
    signed = statements()
    keyset = keystatement.keyset_hash(signed)
    out = io.BytesIO()
    envelope.seal(
        out, tender=TENDER, keyset=keyset, bidder=BIDDER, bid=BID, k=K,
        public_keys=[tender_key(i).public_key() for i in (1, 2, 3)], price=PRICE,
        docs=io.BytesIO(DOCS), docs_len=len(DOCS), chunk=CHUNK, dek=DEK,
    )  # fmt: skip
    blob = out.getvalue()
    header = envelope.read_header(io.BytesIO(blob))
    suite = envelope.SUITES[envelope.SUITE_X25519]
    shares = [
        suite.decrypt(sealed, tender_key(i), info=envelope.share_info(header.h, i))
        for i, sealed in enumerate(header.sealed_shares, start=1)
    ]
    release = keystatement.make_release(
        tender=TENDER, custodian=CUSTODIANS[0][0], index=1, private_key=tender_key(1),
        closing_seq=CLOSING_SEQ, opening_public_key=opening_key().public_key(),
        identity=identity(1),
    )  # fmt: skip
    return {
        "format": "EPB1 v1",
        "about": "Test keys only; built by tests/procurement/envelope_vectors.py",
        "suite": envelope.SUITE_X25519,
        "tender": TENDER,
        "deadline": DEADLINE,
        "bidder": BIDDER,
        "bid": BID,
        "k": K,
        "n": len(CUSTODIANS),
        "chunk": CHUNK,
        "identity_keys": {
            code: {
                "private_seed": identity(i).private_bytes_raw().hex(),
                "public_key": b64(identity(i).public_key().public_bytes_raw()),
            }
            for i, (code, _org) in enumerate(CUSTODIANS, start=1)
        },  # fmt: skip
        "identities_file": {
            code: b64(identity(i).public_key().public_bytes_raw())
            for i, (code, _org) in enumerate(CUSTODIANS, start=1)
        },
        "custodian_keys": {str(i): pem(tender_key(i)) for i in (1, 2, 3)},
        "custodian_private_raw": {
            str(i): tender_key(i).private_bytes_raw().hex() for i in (1, 2, 3)
        },
        "statements": signed,
        "keyset": keyset,
        "keyset_document": keyset_document(signed),
        "dek": DEK.hex(),
        "dek_commit": envelope.dek_commitment(DEK),
        "core": header.core_bytes.decode(),
        "h": header.h.hex(),
        "shares": [s.hex() for s in shares],
        "share_info": [envelope.share_info(header.h, i).hex() for i in (1, 2, 3)],
        "sealed_shares": [b64(s) for s in header.sealed_shares],
        "price_key": envelope.part_key(DEK, header.h, b"price").hex(),
        "docs_key": envelope.part_key(DEK, header.h, b"docs").hex(),
        "price": PRICE.decode(),
        "price_sha256": hashlib.sha256(PRICE).hexdigest(),
        "price_ct": b64(blob[header.price_offset : header.docs_offset]),
        "docs": b64(DOCS),
        "docs_sha256": hashlib.sha256(DOCS).hexdigest(),
        "envelope_sha256": hashlib.sha256(blob).hexdigest(),
        "envelope": b64(blob),
        "release": {
            "opening_private_raw": opening_key().private_bytes_raw().hex(),
            "opening_public_key": b64(opening_key().public_key().public_bytes_raw()),
            "closing_seq": CLOSING_SEQ,
            "wrap_info": (b"EPB1/release" + TENDER.encode() + b"\x01").hex(),
            **release,
        },
        "negative": negatives(blob),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
