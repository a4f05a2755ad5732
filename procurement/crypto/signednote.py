"""C2SP signed notes and checkpoints (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint).

A checkpoint is the text ``origin\\nsize\\nbase64(root)\\n``; a signed note appends a blank line
and one signature line per signer: ``— <name> base64(key_id ‖ signature)``. For Ed25519 the key
id is the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), and a verifier key is
written ``<name>+<hex key id>+base64(0x01 ‖ public key)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "


class NoteError(ValueError):
    """A malformed note, a malformed key, or a signature that does not verify."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"invalid key name {name!r}")


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + _raw_public(public_key)).digest()[
        :4
    ]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    _check_name(name)
    blob = base64.b64encode(ALG_ED25519 + _raw_public(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{blob}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(vkey: str) -> Verifier:
    try:
        name, hex_id, blob = vkey.strip().split("+", 2)
        raw = base64.b64decode(blob, validate=True)
        kid = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error) as exc:
        raise NoteError(f"malformed verifier key: {exc}") from exc
    _check_name(name)
    if len(raw) != 33 or raw[:1] != ALG_ED25519:
        raise NoteError("verifier key is not an Ed25519 key")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public) != kid:
        raise NoteError("verifier key id does not match its name and key")
    return Verifier(name, kid, public)


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end with a newline and contain no blank line")
    _check_name(name)
    signature = private_key.sign(text.encode())
    blob = base64.b64encode(key_id(name, private_key.public_key()) + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """Return the note's text if ``verifier`` signed it; raise NoteError otherwise."""
    text, sep, signatures = note.partition("\n\n")
    if not sep:
        raise NoteError("note has no signature block")
    text += "\n"
    if not signatures.endswith("\n"):
        raise NoteError("signature block must end with a newline")
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        try:
            name, blob = line[len(SIGNATURE_PREFIX) :].split(" ")
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise NoteError(f"malformed signature line {line!r}") from exc
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue  # someone else's signature (a witness, say): not ours to judge
        try:
            verifier.public_key.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"signature by {name} does not verify") from exc
        return text
    raise NoteError(f"note is not signed by {verifier.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("checkpoint must have origin, size and root lines")
    origin, size, root_b64 = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("checkpoint origin or size is malformed")
    try:
        root = base64.b64decode(root_b64, validate=True)
    except binascii.Error as exc:
        raise NoteError("checkpoint root is not base64") from exc
    if len(root) != 32:
        raise NoteError("checkpoint root is not a SHA-256 hash")
    return Checkpoint(origin, int(size), root)


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    checkpoint = parse_checkpoint(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
