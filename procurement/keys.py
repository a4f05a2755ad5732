"""The platform's signing keys, loaded from configuration.

Production passes the Ed25519 checkpoint key as ``LEDGER_SIGNING_KEY`` (base64 of the 32-byte
seed, or a PKCS#8 PEM) or as a file path in ``LEDGER_SIGNING_KEY_FILE``. Only the embedded
default generates a key, into ``var/``, and says everywhere that it is a demo key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from procurement.crypto import signednote


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("the ledger signing key must be an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("the ledger signing key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("the ledger signing key must be a 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def encode_private_key(key: Ed25519PrivateKey) -> str:
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(seed).decode()


def _demo_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return parse_private_key(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    # O_EXCL: two processes starting together must not end up with two different demo keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return parse_private_key(path.read_text())
    with os.fdopen(fd, "w") as handle:
        handle.write(encode_private_key(key) + "\n")
    return key


def _configured_key(value: str, path: str, demo_path: Path, what: str) -> Ed25519PrivateKey:
    if value:
        return parse_private_key(value)
    if path:
        return parse_private_key(Path(path).read_text())
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured(f"no {what} signing key is configured")
    return _demo_key(Path(demo_path))


@functools.cache
def ledger_signing_key() -> Ed25519PrivateKey:
    return _configured_key(
        settings.LEDGER_SIGNING_KEY, settings.LEDGER_SIGNING_KEY_FILE,
        settings.LEDGER_DEMO_KEY_FILE, "ledger",
    )  # fmt: skip


@functools.cache
def receipt_signing_key() -> Ed25519PrivateKey:
    """Signs bid receipts; separate from the checkpoint key (sealing.md §3)."""
    return _configured_key(
        settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE,
        settings.RECEIPT_DEMO_KEY_FILE, "receipt",
    )  # fmt: skip


def receipt_key_name() -> str:
    return settings.LEDGER_ORIGIN + "/receipts"


def receipt_verifier_key() -> str:
    return signednote.verifier_key(receipt_key_name(), receipt_signing_key().public_key())


def ledger_key_name() -> str:
    return settings.LEDGER_ORIGIN


def ledger_verifier_key() -> str:
    """The public key in C2SP verifier-key form, which every verifier pins."""
    return signednote.verifier_key(ledger_key_name(), ledger_signing_key().public_key())
