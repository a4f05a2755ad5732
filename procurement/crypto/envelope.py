"""The sealed-bid envelope, format EPB1 (version 1). Pure: no Django, no I/O beyond the streams
it is given. Documented with its test vectors in docs/envelope.md.

Layout (all integers big-endian)::

    container = b"EPB1" ‖ u32 len(core) ‖ core ‖ u32 len(shares) ‖ shares ‖ price_ct ‖ docs_ct
    core      = canonical JSON {"v": 1, "suite", "tender", "keyset", "bidder", "bid", "k", "n",
                                "chunk", "price_len", "docs_len", "dek_commit"}
    h         = SHA-256(core)                       (the bytes as transmitted)
    shares    = canonical JSON [base64(HPKE.Seal(pk_i, share_i, info = "EPB1/share" ‖ h ‖ u8 i))]
                                                     for custodians i = 1..n, in roster order
    dek_commit = hex SHA-256("EPB1/dek-commit" ‖ DEK)
    k_price   = HKDF-SHA256(DEK, salt = h, info = "EPB1/price"), k_docs likewise with "EPB1/docs"
    price_ct, docs_ct: AES-256-GCM in ``chunk``-byte pieces (STREAM): piece j has nonce
                u88(j) ‖ u8(last), AAD = h ‖ label; an empty part is one empty final piece.

The shares are a k-of-n Shamir split of the 32-byte DEK over GF(2^8) (HashiCorp Vault's layout:
32 bytes of y-values then the x-coordinate), compatible with the npm ``shamir-secret-sharing``.
HPKE is RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.

Binding: ``h`` covers the tender, the key set, the bidder, k and n and the DEK commitment; every
share is sealed with ``h`` in its HPKE ``info`` and every piece carries ``h`` in its AAD, so a
changed header breaks all of them. The commitment makes AES-GCM's lack of key commitment
harmless: inconsistent shares cannot make two custodian subsets read two different bids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pyshamir
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.crypto.canonical import canonical_json

MAGIC = b"EPB1"
VERSION = 1
SUITE_X25519 = "EPB1-X25519-HKDF-SHA256-AES-256-GCM"
SUITES = {
    SUITE_X25519: hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM),
}
DEFAULT_CHUNK = 64 * 1024
MIN_CHUNK, MAX_CHUNK = 1024, 4 * 1024 * 1024
TAG = 16
SHARE_LEN = 33  # 32-byte secret + x-coordinate
SEALED_SHARE_LEN = 32 + SHARE_LEN + TAG  # X25519 encapsulated key + ciphertext + tag
MAX_CORE, MAX_SHARES_JSON = 4096, 64 * 1024
CORE_KEYS = {
    "v", "suite", "tender", "keyset", "bidder", "bid", "k", "n", "chunk", "price_len",
    "docs_len", "dek_commit",
}  # fmt: skip


class EnvelopeError(ValueError):
    """The envelope is malformed or does not open. ``reason`` is a stable, short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Header:
    core: dict
    core_bytes: bytes
    h: bytes
    sealed_shares: list[bytes]
    price_offset: int
    docs_offset: int
    total_len: int

    def __getattr__(self, name: str):
        try:
            return self.core[name]
        except KeyError:
            raise AttributeError(name) from None


# --- Pieces ---------------------------------------------------------------------------------


def ciphertext_len(plaintext_len: int, chunk: int) -> int:
    pieces = max(1, -(-plaintext_len // chunk))
    return plaintext_len + TAG * pieces


def _nonce(index: int, last: bool) -> bytes:
    if index >= 1 << 88:
        raise EnvelopeError("too_long", "too many pieces")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def part_key(dek: bytes, h: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=h, info=b"EPB1/" + label).derive(dek)


def _pieces(stream: BinaryIO, length: int, chunk: int) -> Iterator[tuple[bytes, bool]]:
    """Read exactly ``length`` bytes in ``chunk``-sized pieces, flagging the last one."""
    remaining = length
    if remaining == 0:
        yield b"", True
        return
    while remaining:
        piece = stream.read(min(chunk, remaining))
        if not piece:
            raise EnvelopeError("truncated", "the input ended early")
        while len(piece) < min(chunk, remaining):  # short reads from pipes or sockets
            more = stream.read(min(chunk, remaining) - len(piece))
            if not more:
                raise EnvelopeError("truncated", "the input ended early")
            piece += more
        remaining -= len(piece)
        yield piece, remaining == 0


def encrypt_part(
    key: bytes, h: bytes, label: bytes, stream: BinaryIO, length: int, chunk: int
) -> Iterator[bytes]:
    aead = AESGCM(key)
    for index, (piece, last) in enumerate(_pieces(stream, length, chunk)):
        yield aead.encrypt(_nonce(index, last), piece, h + label)


def decrypt_part(
    key: bytes, h: bytes, label: bytes, stream: BinaryIO, plaintext_len: int, chunk: int
) -> Iterator[bytes]:
    """Decrypt and verify piece by piece; a reordered, altered or truncated piece raises."""
    aead = AESGCM(key)
    pieces = max(1, -(-plaintext_len // chunk))
    for index in range(pieces):
        size = min(chunk, plaintext_len - index * chunk) + TAG if plaintext_len else TAG
        piece = stream.read(size)
        if len(piece) != size:
            raise EnvelopeError("truncated", f"{label.decode()} ciphertext is truncated")
        try:
            yield aead.decrypt(_nonce(index, index == pieces - 1), piece, h + label)
        except InvalidTag as exc:
            raise EnvelopeError(
                "aead", f"{label.decode()} piece {index} fails authentication"
            ) from exc


# --- Sealing (the bidder's side) ------------------------------------------------------------


def share_info(h: bytes, index: int) -> bytes:
    return b"EPB1/share" + h + bytes([index])


def dek_commitment(dek: bytes) -> str:
    return hashlib.sha256(b"EPB1/dek-commit" + dek).hexdigest()


def seal(
    out: BinaryIO,
    *,
    tender: str,
    keyset: str,
    bidder: str,
    bid: str,
    k: int,
    public_keys: list,
    price: bytes,
    docs: BinaryIO,
    docs_len: int,
    chunk: int = DEFAULT_CHUNK,
    suite: str = SUITE_X25519,
    dek: bytes | None = None,
) -> str:
    """Write an EPB1 envelope to ``out``, streaming the documents; return its SHA-256 (hex).

    ``public_keys`` are the custodians' per-tender X25519 public keys in roster order (n of
    them). ``dek`` is for test vectors only: leave it None to draw 32 random bytes.
    """
    n = len(public_keys)
    if not 1 < k <= n <= 255:
        raise EnvelopeError("policy", "need 1 < k <= n <= 255")
    if suite not in SUITES:
        raise EnvelopeError("suite", f"unknown suite {suite!r}")
    if not MIN_CHUNK <= chunk <= MAX_CHUNK:
        raise EnvelopeError("chunk", "chunk size out of range")
    dek = os.urandom(32) if dek is None else dek
    core = canonical_json(
        {
            "v": VERSION,
            "suite": suite,
            "tender": tender,
            "keyset": keyset,
            "bidder": bidder,
            "bid": bid,
            "k": k,
            "n": n,
            "chunk": chunk,
            "price_len": len(price),
            "docs_len": docs_len,
            "dek_commit": dek_commitment(dek),
        }
    )
    h = hashlib.sha256(core).digest()
    shares = pyshamir.split(dek, n, k)
    sealed = [
        base64.b64encode(SUITES[suite].encrypt(bytes(share), pk, info=share_info(h, i))).decode()
        for i, (share, pk) in enumerate(zip(shares, public_keys, strict=True), start=1)
    ]
    shares_json = canonical_json(sealed)
    digest = hashlib.sha256()

    def write(data: bytes) -> None:
        digest.update(data)
        out.write(data)

    write(MAGIC + struct.pack(">I", len(core)) + core + struct.pack(">I", len(shares_json)))
    write(shares_json)
    price_pieces = encrypt_part(
        part_key(dek, h, b"price"), h, b"price", io.BytesIO(price), len(price), chunk
    )
    for piece in price_pieces:
        write(piece)
    for piece in encrypt_part(part_key(dek, h, b"docs"), h, b"docs", docs, docs_len, chunk):
        write(piece)
    return digest.hexdigest()


# --- Checking structure (the server, no secrets) --------------------------------------------


def read_header(stream: BinaryIO) -> Header:
    """Parse magic, core and sealed shares; leaves ``stream`` at the start of price_ct."""
    head = stream.read(8)
    if len(head) != 8 or head[:4] != MAGIC:
        raise EnvelopeError("magic", "not an EPB1 envelope")
    (core_len,) = struct.unpack(">I", head[4:])
    if not 0 < core_len <= MAX_CORE:
        raise EnvelopeError("core", "header length out of range")
    core_bytes = stream.read(core_len)
    try:
        core = json.loads(core_bytes)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError("core", "header is not JSON") from exc
    if not isinstance(core, dict) or set(core) != CORE_KEYS:
        raise EnvelopeError("core", "header fields are not those of EPB1 v1")
    if canonical_json(core) != core_bytes:
        raise EnvelopeError("core", "header is not canonical JSON")
    if core["v"] != VERSION:
        raise EnvelopeError("version", f"unsupported version {core['v']!r}")
    if core["suite"] not in SUITES:
        raise EnvelopeError("suite", f"suite {core['suite']!r} is not allowed")
    for name in ("k", "n", "chunk", "price_len", "docs_len"):
        if not isinstance(core[name], int) or isinstance(core[name], bool) or core[name] < 0:
            raise EnvelopeError("core", f"{name} must be a non-negative integer")
    if not MIN_CHUNK <= core["chunk"] <= MAX_CHUNK:
        raise EnvelopeError("chunk", "chunk size out of range")
    commit = core["dek_commit"]
    hex_digits = set("0123456789abcdef")
    if not (isinstance(commit, str) and len(commit) == 64 and set(commit) <= hex_digits):
        raise EnvelopeError("core", "dek_commit is not a SHA-256 hex digest")
    size = stream.read(4)
    if len(size) != 4:
        raise EnvelopeError("truncated", "envelope ends inside the header")
    (shares_len,) = struct.unpack(">I", size)
    if not 0 < shares_len <= MAX_SHARES_JSON:
        raise EnvelopeError("shares", "share list length out of range")
    try:
        encoded = json.loads(stream.read(shares_len))
        sealed = [base64.b64decode(s, validate=True) for s in encoded]
    except (ValueError, TypeError, binascii.Error) as exc:
        raise EnvelopeError("shares", "share list is malformed") from exc
    price_offset = 8 + core_len + 4 + shares_len
    docs_offset = price_offset + ciphertext_len(core["price_len"], core["chunk"])
    total = docs_offset + ciphertext_len(core["docs_len"], core["chunk"])
    return Header(core, core_bytes, hashlib.sha256(core_bytes).digest(), sealed,
                  price_offset, docs_offset, total)  # fmt: skip


def validate_at_submission(
    stream: BinaryIO, *, size: int, tender: str, keyset: str, k: int, n: int, bidder: str
) -> Header:
    """Check everything that can be checked without a key: the tender's policy, not the
    bidder's choice, decides k, n and the key set."""
    header = read_header(stream)
    expected = {"tender": tender, "keyset": keyset, "k": k, "n": n, "bidder": bidder}
    for name, value in expected.items():
        if header.core[name] != value:
            raise EnvelopeError("policy", f"{name} is {header.core[name]!r}, expected {value!r}")
    if len(header.sealed_shares) != n:
        raise EnvelopeError(
            "shares", f"{len(header.sealed_shares)} sealed shares for {n} custodians"
        )
    if any(len(s) != SEALED_SHARE_LEN for s in header.sealed_shares):
        raise EnvelopeError("shares", "a sealed share has the wrong length")
    if size != header.total_len:
        raise EnvelopeError(
            "length", f"envelope is {size} bytes, its header implies {header.total_len}"
        )
    return header


# --- Opening (the platform, with k released keys) -------------------------------------------


@dataclass(frozen=True)
class Opened:
    dek: bytes
    price: bytes
    price_key: bytes
    docs_sha256: str


def recover_dek(header: Header, private_keys: dict[int, object]) -> bytes:
    """Open the sealed shares of every released key (``{index: key}``), combine them and check
    the commitment.

    Every released share must open and lie on the same polynomial: a bid whose shares
    disagree is invalid whichever k custodians released, so a bidder cannot make its bid
    "optional" by giving some custodians bad shares (the outcome could otherwise depend on
    which k keys came first). Shares of custodians who have not released cannot be checked.
    """
    suite = SUITES[header.core["suite"]]
    k = header.core["k"]
    if len(private_keys) < k:
        raise EnvelopeError("threshold", f"{len(private_keys)} keys released, {k} needed")
    shares = []
    for index, key in sorted(private_keys.items()):
        try:
            sealed = header.sealed_shares[index - 1]
            opened = suite.decrypt(sealed, key, info=share_info(header.h, index))
        except Exception as exc:  # noqa: BLE001 - any failure here is the bid's fault
            raise EnvelopeError("share", f"share {index} does not open") from exc
        if len(opened) != SHARE_LEN:
            raise EnvelopeError("share", f"share {index} has the wrong length")
        shares.append(bytearray(opened))
    try:
        dek = bytes(pyshamir.combine(shares[:k]))
        # Each further released share, with k - 1 of the first ones, must give the same key.
        for extra in shares[k:]:
            if bytes(pyshamir.combine([*shares[: k - 1], extra])) != dek:
                raise EnvelopeError("share", "the released shares do not agree")
    except EnvelopeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise EnvelopeError("share", "shares do not combine") from exc
    if not hmac.compare_digest(dek_commitment(dek), header.core["dek_commit"]):
        raise EnvelopeError("commitment", "the shares do not give the committed key")
    return dek


def open_envelope(stream: BinaryIO, private_keys: dict[int, object], docs_out: BinaryIO) -> Opened:
    """Open a whole envelope, writing the documents to ``docs_out`` piece by piece."""
    header = read_header(stream)
    dek = recover_dek(header, private_keys)
    chunk = header.core["chunk"]
    price_key = part_key(dek, header.h, b"price")
    price = b"".join(
        decrypt_part(price_key, header.h, b"price", stream, header.core["price_len"], chunk)
    )
    docs_key = part_key(dek, header.h, b"docs")
    digest = hashlib.sha256()
    for piece in decrypt_part(docs_key, header.h, b"docs", stream, header.core["docs_len"], chunk):
        digest.update(piece)
        docs_out.write(piece)
    if stream.read(1):
        raise EnvelopeError("length", "bytes after the end of the envelope")
    return Opened(dek=dek, price=price, price_key=price_key, docs_sha256=digest.hexdigest())


def decrypt_price(price_key: bytes, h: bytes, price_ct: bytes, price_len: int, chunk: int) -> bytes:
    """Anyone's check of a read-out price: the published k_price and price_ct give it back."""
    return b"".join(decrypt_part(price_key, h, b"price", io.BytesIO(price_ct), price_len, chunk))
