"""The API's JSON parser: DRF's, with a size limit and a nesting limit.

DRF reads a JSON body straight from the stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never
applies to it; and the standard library's decoder recurses once per nesting level, so a body
nested a thousand deep raised ``RecursionError`` (a 500). Both now answer the API's error format:
413 for a body over the limit, 400 for one nested deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

# No request of this API nests deeper than a handful of levels; 32 leaves room for JSON fields.
MAX_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(_("The request body is larger than %(n)d bytes.") % {"n": limit})


def nesting_depth(value) -> int:
    """How deep arrays and objects nest in a parsed JSON value (iterative: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            raise ParseError(_("The request has no body."))
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(limit)
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(raw.decode(encoding), parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(_("The JSON body nests too deeply.")) from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(_("The JSON body nests too deeply."))
        return data
