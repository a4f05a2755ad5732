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

Checking without keys: ``read_header`` (``check_core``, ``check_shares``) enforces every format
rule, canonical forms included, and ``validate_at_submission`` adds the tender's policy and the
size; they raise only EnvelopeError, whose ``reason`` codes docs/envelope.md lists in order.

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
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pyshamir
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.crypto import shamir
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
# Format limits (docs/envelope.md, "Limits"): the core and the share list are read into memory
# before anything is known about the sender; n is bounded by GF(2^8) x-coordinates and the u8
# custodian index in the HPKE info; the price sheet is decrypted in memory and published.
MAX_CORE, MAX_SHARES_JSON = 4096, 64 * 1024
MAX_N = 255
MAX_DEPTH = 64  # JSON nesting; both parsers must agree on what they refuse
MAX_PRICE_LEN = 1024 * 1024
MAX_DOCS_LEN = 1 << 40
CORE_KEYS = {
    "v", "suite", "tender", "keyset", "bidder", "bid", "k", "n", "chunk", "price_len",
    "docs_len", "dek_commit",
}  # fmt: skip
_INT_FIELDS = {"k", "n", "chunk", "price_len", "docs_len"}
# Every string in the core is ASCII from a small alphabet, so its canonical JSON has nothing to
# escape and every JSON library writes the same bytes.
TENDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BIDDER_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
BID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
_STRING_FIELDS = {
    "tender": (TENDER_RE, "a tender reference (ASCII letters, digits, '.', '_', '-'; 1-64)"),
    "bidder": (BIDDER_RE, "an organisation code (ASCII letters, digits, '_', '-'; 1-64)"),
    "bid": (BID_RE, "a UUID in lowercase 8-4-4-4-12 form"),
    "keyset": (HEX64_RE, "64 lowercase hex digits (the key set's SHA-256)"),
    "dek_commit": (HEX64_RE, "64 lowercase hex digits (SHA-256)"),
}


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
    them). ``dek`` is for test vectors only: leave it None to draw 32 random bytes. The ids are
    written as given (tests seal malformed ones on purpose): a sealer checks its result with
    ``validate_at_submission`` before upload, as the command-line sealer does.
    """
    n = len(public_keys)
    if not 1 < k <= n <= MAX_N:
        raise EnvelopeError("limit", f"need 1 < k <= n <= {MAX_N}")
    if suite not in SUITES:
        raise EnvelopeError("suite", f"unknown suite {suite!r}")
    if not MIN_CHUNK <= chunk <= MAX_CHUNK:
        raise EnvelopeError("limit", f"chunk must be {MIN_CHUNK} to {MAX_CHUNK} bytes")
    dek = os.urandom(32) if dek is None else dek
    if len(dek) != 32:
        raise EnvelopeError("field", "the DEK is 32 bytes")
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


def _check_field(name: str, value: object) -> None:
    """Check one core field's type and format (docs/envelope.md, "The core")."""
    if name in _INT_FIELDS:
        if type(value) is not int:  # bool is an int subclass, and 1.0 is not an integer
            raise EnvelopeError("field", f"{name} must be a JSON integer, not {_shown(value)}")
        return
    if not isinstance(value, str):
        raise EnvelopeError("field", f"{name} must be a JSON string, not {_shown(value)}")
    pattern, what = _STRING_FIELDS[name]
    if not pattern.fullmatch(value):
        raise EnvelopeError("field", f"{name} must be {what}, not {_shown(value)}")


def _shown(value: object) -> str:
    """A value as JSON for a message, ASCII and short (it may come from anyone)."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _strict_json(data: bytes) -> object:
    """Strict RFC 8259 JSON from UTF-8 bytes: no NaN or Infinity, nesting at most MAX_DEPTH.
    A duplicate key keeps its last value (as JavaScript does); the canonical check refuses it."""

    def no_constants(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    value = json.loads(data.decode("utf-8"), parse_constant=no_constants)
    level, todo = 0, [value]
    while todo:
        level += 1
        if level > MAX_DEPTH:
            raise ValueError("nested too deeply")
        todo = [
            item
            for node in todo
            if isinstance(node, dict | list)
            for item in (node.values() if isinstance(node, dict) else node)
        ]
    return value


def check_core(core_bytes: bytes) -> dict:
    """Parse and check the core: strict JSON, exactly the v1 fields, each field's type, format
    and limit, and the bytes exactly canonical. Raises EnvelopeError with a stable reason."""
    try:
        core = _strict_json(core_bytes)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise EnvelopeError("core_json", "the core is not a UTF-8 JSON object") from exc
    if not isinstance(core, dict):
        raise EnvelopeError("core_json", "the core is not a UTF-8 JSON object")
    if "v" in core and (type(core["v"]) is not int or core["v"] != VERSION):
        raise EnvelopeError("version", f"v must be the integer 1, not {_shown(core['v'])}")
    if set(core) != CORE_KEYS:
        missing, extra = sorted(CORE_KEYS - set(core)), sorted(set(core) - CORE_KEYS)
        raise EnvelopeError(
            "core_fields",
            f"the core's fields are not those of EPB1 v1 (missing {missing}, unknown {extra})",
        )
    if not isinstance(core["suite"], str) or core["suite"] not in SUITES:
        raise EnvelopeError("suite", f"suite {_shown(core['suite'])} is not allowed")
    for name in sorted(CORE_KEYS - {"v", "suite"}):
        _check_field(name, core[name])
    if not 2 <= core["k"] <= core["n"] <= MAX_N:
        raise EnvelopeError("limit", f"need 2 <= k <= n <= {MAX_N}")
    if not MIN_CHUNK <= core["chunk"] <= MAX_CHUNK:
        raise EnvelopeError("limit", f"chunk must be {MIN_CHUNK} to {MAX_CHUNK} bytes")
    if not 0 <= core["price_len"] <= MAX_PRICE_LEN:
        raise EnvelopeError("limit", f"price_len must be 0 to {MAX_PRICE_LEN} bytes")
    if not 0 <= core["docs_len"] <= MAX_DOCS_LEN:
        raise EnvelopeError("limit", f"docs_len must be 0 to {MAX_DOCS_LEN} bytes")
    if canonical_json(core) != core_bytes:
        raise EnvelopeError(
            "core_canonical", "the core is not canonical JSON (sorted keys, no spaces)"
        )
    return core


def check_shares(shares_bytes: bytes, n: int) -> list[bytes]:
    """Parse and check the share list: canonical JSON of n canonical base64 strings, each a
    sealed share of the suite's size. One byte encoding only, so the envelope is not malleable."""
    try:
        encoded = _strict_json(shares_bytes)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise EnvelopeError("shares_json", "the share list is not a JSON list") from exc
    if not isinstance(encoded, list) or not all(isinstance(s, str) for s in encoded):
        raise EnvelopeError("shares_json", "the share list is not a JSON list of strings")
    if len(encoded) != n:
        raise EnvelopeError("shares_count", f"{len(encoded)} sealed shares for n = {n}")
    sealed = []
    for index, text in enumerate(encoded, start=1):
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise EnvelopeError("shares_encoding", f"share {index} is not base64") from exc
        if base64.b64encode(raw).decode() != text:
            raise EnvelopeError("shares_encoding", f"share {index} is not canonical base64")
        if len(raw) != SEALED_SHARE_LEN:
            raise EnvelopeError(
                "shares_size", f"share {index} is {len(raw)} bytes, not {SEALED_SHARE_LEN}"
            )
        sealed.append(raw)
    if canonical_json(encoded) != shares_bytes:
        raise EnvelopeError("shares_canonical", "the share list is not canonical JSON")
    return sealed


def _read_exactly(stream: BinaryIO, size: int, where: str) -> bytes:
    data = stream.read(size)
    while len(data) < size:  # short reads from pipes or sockets
        more = stream.read(size - len(data))
        if not more:
            raise EnvelopeError("truncated", f"the envelope ends inside {where}")
        data += more
    return data


def read_header(stream: BinaryIO) -> Header:
    """Parse and check magic, core and sealed shares (every format rule that needs neither the
    tender nor a key); leaves ``stream`` at the start of price_ct. Raises only EnvelopeError."""
    magic = stream.read(4)
    if not magic or magic != MAGIC[: len(magic)]:
        raise EnvelopeError("magic", "not an EPB1 envelope")
    _read_exactly(stream, 4 - len(magic), "the magic")
    (core_len,) = struct.unpack(">I", _read_exactly(stream, 4, "the core length"))
    if not 0 < core_len <= MAX_CORE:
        raise EnvelopeError("core_length", f"the core length {core_len} is not 1 to {MAX_CORE}")
    core_bytes = _read_exactly(stream, core_len, "the core")
    core = check_core(core_bytes)
    (shares_len,) = struct.unpack(">I", _read_exactly(stream, 4, "the share list length"))
    if not 0 < shares_len <= MAX_SHARES_JSON:
        raise EnvelopeError(
            "shares_length", f"the share list length {shares_len} is not 1 to {MAX_SHARES_JSON}"
        )
    sealed = check_shares(_read_exactly(stream, shares_len, "the share list"), core["n"])
    price_offset = 8 + core_len + 4 + shares_len
    docs_offset = price_offset + ciphertext_len(core["price_len"], core["chunk"])
    total = docs_offset + ciphertext_len(core["docs_len"], core["chunk"])
    return Header(core, core_bytes, hashlib.sha256(core_bytes).digest(), sealed,
                  price_offset, docs_offset, total)  # fmt: skip


def validate_at_submission(
    stream: BinaryIO, *, size: int, tender: str, keyset: str, k: int, n: int, bidder: str
) -> Header:
    """Check everything that can be checked without a key: the format (``read_header``), then
    the tender's policy, not the bidder's choice, for k, n and the key set, then the size."""
    return check_policy(
        read_header(stream), size=size, tender=tender, keyset=keyset, k=k, n=n, bidder=bidder
    )


def check_policy(
    header: Header, *, size: int, tender: str, keyset: str, k: int, n: int, bidder: str
) -> Header:
    """``validate_at_submission`` for a header already read."""
    expected = {"tender": tender, "keyset": keyset, "k": k, "n": n, "bidder": bidder}
    for name, value in expected.items():
        if header.core[name] != value:
            raise EnvelopeError(
                "policy", f"{name} is {_shown(header.core[name])}, expected {_shown(value)}"
            )
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


def recover_dek(header: Header, private_keys: dict[int, X25519PrivateKey]) -> bytes:
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
        dek = shamir.combine(shares[:k])
        # Each further released share, with k - 1 of the first ones, must give the same key.
        for extra in shares[k:]:
            if shamir.combine([*shares[: k - 1], extra]) != dek:
                raise EnvelopeError("share", "the released shares do not agree")
    except EnvelopeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise EnvelopeError("share", "shares do not combine") from exc
    if not hmac.compare_digest(dek_commitment(dek), header.core["dek_commit"]):
        raise EnvelopeError("commitment", "the shares do not give the committed key")
    return dek


def open_envelope(
    stream: BinaryIO, private_keys: dict[int, X25519PrivateKey], docs_out: BinaryIO
) -> Opened:
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
