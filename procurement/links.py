"""Links for the rows of a long table: ``reverse()`` costs tens of microseconds a call, and the
``{% url %}`` tag more, so a page linking each of a hundred rows spends milliseconds on it.
``row_link(name)`` reverses the pattern once (per request: the script prefix may differ) and
puts each row's value in its place."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.urls import reverse

# Accepted by the int, slug and str converters, and never quoted by reverse().
_MARK = "9081726354"
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+\Z")


def row_link(name: str) -> Callable[[int | str], str]:
    """``reverse(name, args=[value])`` for many values of a one-argument pattern (an int or
    slug converter). A value reverse() would quote or refuse is handed to reverse() itself."""
    head, mark, tail = reverse(name, args=[_MARK]).rpartition(_MARK)
    if not mark or _MARK in head:  # pragma: no cover - a pattern spelling the mark itself
        return lambda value: reverse(name, args=[value])

    def link(value: int | str) -> str:
        text = str(value)
        if isinstance(value, bool) or not _PLAIN.match(text) or text.startswith("-"):
            return reverse(name, args=[value])
        return f"{head}{text}{tail}"

    return link
