"""Custodians' per-tender key statements and the key set a bid is sealed to. Pure.

A custodian generates an X25519 key pair for each tender on their own machine and signs a
statement with their long-term Ed25519 identity key::

    statement = canonical JSON {"v": 1, "suite", "tender", "deadline", "custodian", "index", "pk"}
    signed    = {"statement": <statement text>, "signature": base64 Ed25519(statement)}

``pk`` is the raw public key in base64, ``index`` the custodian's 1-based place in the tender's
roster, ``deadline`` the submission deadline in UTC (so a key cannot be reused for a moved
deadline without a new statement). The key set is the list of signed statements in index
order; ``keyset_hash`` = hex SHA-256 of its canonical JSON, and goes into the tender notice, its
ledger entry and every envelope's header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from procurement.crypto.canonical import canonical_json
from procurement.crypto.envelope import SUITE_X25519

VERSION = 1


class KeySetError(ValueError):
    """A statement or key set that does not verify."""


@dataclass(frozen=True)
class KeySet:
    public_keys: list[X25519PublicKey]
    custodians: list[str]
    keyset_hash: str


def make_statement(
    *,
    tender: str,
    deadline: str,
    custodian: str,
    index: int,
    public_key: X25519PublicKey,
    identity: Ed25519PrivateKey,
) -> dict:
    text = canonical_json(
        {
            "v": VERSION,
            "suite": SUITE_X25519,
            "tender": tender,
            "deadline": deadline,
            "custodian": custodian,
            "index": index,
            "pk": base64.b64encode(public_key.public_bytes_raw()).decode(),
        }
    ).decode()
    signature = identity.sign(text.encode())
    return {"statement": text, "signature": base64.b64encode(signature).decode()}


def keyset_hash(signed: list[dict]) -> str:
    return hashlib.sha256(canonical_json(signed)).hexdigest()


def verify_statement(
    item: dict,
    *,
    identities: dict[str, Ed25519PublicKey],
    tender: str,
    deadline: str,
    index: int,
) -> tuple[str, X25519PublicKey]:
    """Check one signed statement for roster place ``index``; return (custodian, key)."""
    try:
        text = item["statement"]
        signature = base64.b64decode(item["signature"], validate=True)
        statement = json.loads(text)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise KeySetError(f"statement {index} is malformed") from exc
    if not isinstance(statement, dict) or canonical_json(statement).decode() != text:
        raise KeySetError(f"statement {index} is not canonical JSON")
    custodian = statement.get("custodian")
    # Not a string: unknown (a list or an object would not even be a valid dict key).
    if not isinstance(custodian, str) or custodian not in identities:
        raise KeySetError(f"statement {index} is from an unknown custodian {custodian!r}")
    identity = identities[custodian]
    try:
        identity.verify(signature, text.encode())
    except InvalidSignature as exc:
        raise KeySetError(f"statement {index} is not signed by {custodian}") from exc
    expected = {"v": VERSION, "suite": SUITE_X25519, "tender": tender, "deadline": deadline}
    for name, value in expected.items():
        if statement.get(name) != value:
            raise KeySetError(f"statement {index} is for {name} {statement.get(name)!r}")
    if statement.get("index") != index:
        raise KeySetError(f"statement {index} claims roster place {statement.get('index')}")
    try:
        raw = base64.b64decode(statement["pk"], validate=True)
        return custodian, X25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise KeySetError(f"statement {index} has no valid X25519 key") from exc


def verify_keyset(
    signed: list[dict],
    *,
    identities: dict[str, Ed25519PublicKey],
    tender: str,
    deadline: str,
    n: int,
) -> KeySet:
    """Check every statement against the pinned identity keys and the tender; return the
    public keys in roster order. Raises KeySetError naming the first problem."""
    if len(signed) != n:
        raise KeySetError(f"{len(signed)} key statements for a roster of {n}")
    keys, custodians = [], []
    for position, item in enumerate(signed, start=1):
        custodian, key = verify_statement(
            item, identities=identities, tender=tender, deadline=deadline, index=position
        )
        if custodian in custodians:
            raise KeySetError(f"custodian {custodian} appears twice")
        keys.append(key)
        custodians.append(custodian)
    return KeySet(public_keys=keys, custodians=custodians, keyset_hash=keyset_hash(signed))


# --- Key release (after closing) ------------------------------------------------------------
#
#     release = canonical JSON {"v": 1, "kind": "release", "tender", "custodian", "index", "pk",
#                               "closing_seq"}
#     signed  = {"statement": <release text>, "signature": base64 Ed25519(release)}
#     wrapped = HPKE.Seal(opening_pk, raw X25519 private key, info = "EPB1/release" ‖ tender ‖ u8 i)
#
# ``closing_seq`` is the ledger entry of the tender's closing, which the custodian verified
# against a signed checkpoint before releasing; ``opening_pk`` is published in that entry.

RELEASE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _release_info(tender: str, index: int) -> bytes:
    return b"EPB1/release" + tender.encode() + bytes([index])


def public_key_b64(key: X25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes_raw()).decode()


def make_release(
    *,
    tender: str,
    custodian: str,
    index: int,
    private_key: X25519PrivateKey,
    closing_seq: int,
    opening_public_key: X25519PublicKey,
    identity: Ed25519PrivateKey,
) -> dict:
    text = canonical_json(
        {
            "v": VERSION,
            "kind": "release",
            "tender": tender,
            "custodian": custodian,
            "index": index,
            "pk": public_key_b64(private_key.public_key()),
            "closing_seq": closing_seq,
        }
    ).decode()
    raw = private_key.private_bytes_raw()
    wrapped = RELEASE_SUITE.encrypt(raw, opening_public_key, info=_release_info(tender, index))
    return {
        "statement": text,
        "signature": base64.b64encode(identity.sign(text.encode())).decode(),
        "wrapped_key": base64.b64encode(wrapped).decode(),
    }


def verify_release(
    signed: dict,
    *,
    identity: Ed25519PublicKey,
    tender: str,
    custodian: str,
    index: int,
    pk: str,
    closing_seq: int,
    opening_private_key: X25519PrivateKey,
) -> X25519PrivateKey:
    """Check a release against the seat it is for and unwrap the key; it must be the private
    half of the published ``pk``. Raises KeySetError naming the problem."""
    try:
        text = signed["statement"]
        signature = base64.b64decode(signed["signature"], validate=True)
        wrapped = base64.b64decode(signed["wrapped_key"], validate=True)
        statement = json.loads(text)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise KeySetError("the release is malformed") from exc
    if not isinstance(statement, dict) or canonical_json(statement).decode() != text:
        raise KeySetError("the release is not canonical JSON")
    try:
        identity.verify(signature, text.encode())
    except InvalidSignature as exc:
        raise KeySetError(f"the release is not signed by {custodian}") from exc
    expected = {
        "v": VERSION, "kind": "release", "tender": tender, "custodian": custodian,
        "index": index, "pk": pk, "closing_seq": closing_seq,
    }  # fmt: skip
    for name, value in expected.items():
        if statement.get(name) != value:
            raise KeySetError(f"the release is for {name} {statement.get(name)!r}")
    try:
        raw = RELEASE_SUITE.decrypt(wrapped, opening_private_key, info=_release_info(tender, index))
        key = X25519PrivateKey.from_private_bytes(raw)
    except Exception as exc:  # noqa: BLE001 - any failure means the wrapped key is unusable
        raise KeySetError("the wrapped key does not open with this opening's key") from exc
    if public_key_b64(key.public_key()) != pk:
        raise KeySetError("the released key is not the one in the key statement")
    return key


def unwrap_released(wrapped: bytes, *, tender: str, index: int, opening_private_key) -> object:
    raw = RELEASE_SUITE.decrypt(wrapped, opening_private_key, info=_release_info(tender, index))
    return X25519PrivateKey.from_private_bytes(raw)
