"""Commit now, reveal at the award. While the evaluation is confidential the ledger gets
SHA-256(canonical JSON of {"salt", "content"}) for each decision; the award publishes content
and salt, and anyone recomputes the hash and finds it in the entry written at the time."""

from __future__ import annotations

import hashlib
import secrets

from procurement.crypto.canonical import canonical_json


def commitment(content: dict, salt: str) -> str:
    return hashlib.sha256(canonical_json({"content": content, "salt": salt})).hexdigest()


def commit(content: dict) -> tuple[str, str]:
    """A fresh salt and the commitment to ``content`` under it."""
    salt = secrets.token_hex(16)
    return salt, commitment(content, salt)
