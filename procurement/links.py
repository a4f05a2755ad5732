"""Links for the rows of a long table: ``reverse()`` costs tens of microseconds a call, and the
``{% url %}`` tag more, so a page linking each of a hundred rows spends milliseconds on it.
``link(name, value)`` reverses a one-argument pattern once (per URL configuration and script
prefix) and puts each value in its place; a value ``reverse()`` would quote or refuse is handed
to ``reverse()`` itself, so the answer is always ``reverse(name, args=[value])``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Accepted by the int, slug and str converters, and never quoted by reverse().
_MARK = "9081726354"
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+\Z")


@functools.cache
def _around(name: str, urlconf: str, script_prefix: str) -> tuple[str, str] | None:
    head, mark, tail = reverse(name, args=[_MARK]).rpartition(_MARK)
    if not mark or _MARK in head:  # pragma: no cover - a pattern spelling the mark itself
        return None
    return head, tail


def link(name: str, value: int | str) -> str:
    """``reverse(name, args=[value])`` for a one-argument pattern."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    around = _around(name, str(urlconf), get_script_prefix())
    text = str(value)
    if around is None or isinstance(value, bool) or not _PLAIN.match(text) or text[0] == "-":
        return reverse(name, args=[value])
    return f"{around[0]}{text}{around[1]}"


def row_link(name: str) -> Callable[[int | str], str]:
    """``link`` for one pattern, for the rows of a table."""
    return functools.partial(link, name)
