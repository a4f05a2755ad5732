"""The bulk wire format of the public ledger: a page of consecutive entries, binary.

Served by ``GET /api/v1/ledger/entries/bulk/?start=&end=`` (media type ``MEDIA_TYPE``, gzip'd
when the client accepts it) and read by the standalone verifier. One page is::

    header  = "MBL1" ‖ start (u64) ‖ count (u32) ‖ tree_size (u64)         24 bytes
    record  = leaf_hash (32 bytes) ‖ length (u32) ‖ entry (length bytes)   count times

All integers are unsigned big-endian. Record ``i`` is the entry of sequence number
``start + i``; ``leaf_hash`` is SHA-256(0x00 ‖ entry); ``entry`` is the canonical JSON exactly as
hashed, or nothing (``length`` 0) while the entry is sealed: an entry is never empty, so 0 can
only mean sealed. ``tree_size`` is the log's size when the page was read, so a reader knows where
the log ends even when a page comes back shorter than asked (pages are bounded in bytes).

Pure: no I/O, no Django; the verifier downloaded as ``minhbach-verify.pyz`` carries it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC = b"MBL1"
MEDIA_TYPE = "application/vnd.minhbach.ledger-entries"
HEADER = struct.Struct(">4sQIQ")
RECORD = struct.Struct(">32sI")


class PageError(ValueError):
    """Bytes that are not a well-formed page of entries."""


@dataclass(frozen=True)
class Page:
    start: int
    tree_size: int
    records: list[tuple[bytes, bytes | None]]  # (leaf hash, entry or None while sealed)

    @property
    def end(self) -> int:
        return self.start + len(self.records)


def encode_page(start: int, tree_size: int, records: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    parts = [b""]
    count = 0
    for leaf, entry in records:
        if len(leaf) != 32:
            raise PageError("a leaf hash is 32 bytes")
        if entry is not None and not entry:
            raise PageError("an entry is never empty")
        body = entry or b""
        parts.append(RECORD.pack(leaf, len(body)))
        parts.append(body)
        count += 1
    parts[0] = HEADER.pack(MAGIC, start, count, tree_size)
    return b"".join(parts)


def decode_page(data: bytes) -> Page:
    data = bytes(data)
    if len(data) < HEADER.size:
        raise PageError("page is shorter than its header")
    magic, start, count, tree_size = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PageError("not a ledger entry page (bad magic)")
    records: list[tuple[bytes, bytes | None]] = []
    append, unpack, record_size = records.append, RECORD.unpack_from, RECORD.size
    offset, total = HEADER.size, len(data)
    for _ in range(count):
        if offset + record_size > total:
            raise PageError("page is truncated")
        leaf, length = unpack(data, offset)
        offset += record_size
        if length:
            if offset + length > total:
                raise PageError("page is truncated")
            append((leaf, data[offset : offset + length]))
            offset += length
        else:
            append((leaf, None))
    if offset != total:
        raise PageError("page has bytes after its last record")
    return Page(start, tree_size, records)
