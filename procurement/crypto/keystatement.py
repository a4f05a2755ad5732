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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

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
        try:
            text = item["statement"]
            signature = base64.b64decode(item["signature"], validate=True)
            statement = json.loads(text)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise KeySetError(f"statement {position} is malformed") from exc
        if canonical_json(statement).decode() != text:
            raise KeySetError(f"statement {position} is not canonical JSON")
        custodian = statement.get("custodian")
        identity = identities.get(custodian)
        if identity is None:
            raise KeySetError(f"statement {position} is from an unknown custodian {custodian!r}")
        try:
            identity.verify(signature, text.encode())
        except InvalidSignature as exc:
            raise KeySetError(f"statement {position} is not signed by {custodian}") from exc
        expected = {"v": VERSION, "suite": SUITE_X25519, "tender": tender, "deadline": deadline}
        for name, value in expected.items():
            if statement.get(name) != value:
                raise KeySetError(f"statement {position} is for {name} {statement.get(name)!r}")
        if statement.get("index") != position:
            raise KeySetError(f"statement {position} claims roster place {statement.get('index')}")
        if custodian in custodians:
            raise KeySetError(f"custodian {custodian} appears twice")
        try:
            raw = base64.b64decode(statement["pk"], validate=True)
            keys.append(X25519PublicKey.from_public_bytes(raw))
        except (KeyError, ValueError, binascii.Error) as exc:
            raise KeySetError(f"statement {position} has no valid X25519 key") from exc
        custodians.append(custodian)
    return KeySet(public_keys=keys, custodians=custodians, keyset_hash=keyset_hash(signed))
