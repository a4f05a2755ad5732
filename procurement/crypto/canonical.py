"""Canonical JSON for ledger entries.

The bytes produced here are what the ledger hashes, so they must be reproducible by anyone:
keys sorted, no insignificant whitespace, UTF-8, and no floating point numbers anywhere (money
travels as decimal strings). Strings are written raw (non-ASCII as UTF-8, never ``\\uXXXX``);
only ``"``, ``\\`` and U+0000-U+001F are escaped, as JavaScript's ``JSON.stringify`` does, and a
string with an unpaired surrogate has no canonical form. For the payloads the platform writes
(ASCII keys, integers, strings, booleans, null) this is RFC 8785 (JCS). docs/envelope.md,
"Canonical JSON", states the rules for other implementations.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form (a float, a naive datetime, a non-string key)."""


def _normalise(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise CanonicalJSONError(f"{path}: floats are not allowed; use a decimal string")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CanonicalJSONError(f"{path}: non-finite decimal")
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CanonicalJSONError(f"{path}: naive datetime")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        raise CanonicalJSONError(f"{path}: bytes must be encoded (hex or base64) by the caller")
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: key {key!r} is not a string")
            out[key] = _normalise(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise CanonicalJSONError(f"{path}: {type(value).__name__} has no canonical JSON form")


def _plain(value: Any) -> Any:
    """``_normalise`` without the path it names in errors (building it for every value cost
    more than the rest): plain dicts, lists and scalars pass through, anything else goes to
    ``_normalise``; on an error the caller walks again with paths."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise CanonicalJSONError
            out[key] = _plain(item)
        return out
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    return _normalise(value, "")


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 bytes of ``value``; raise CanonicalJSONError if it has none."""
    try:
        plain = _plain(value)
    except CanonicalJSONError:
        plain = _normalise(value, "$")  # names where, or (a str subclass as a key) accepts it
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError("a string holds an unpaired surrogate") from exc
