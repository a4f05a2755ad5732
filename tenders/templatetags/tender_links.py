"""Links to tenders and agencies in long lists, without a URL resolver walk per row.

``{% url %}`` resolves the pattern on every call: two per row made a quarter of the search
page's row rendering. The prefix is resolved once per pattern and script prefix, and the value
is quoted as ``reverse`` quotes it (tests/tenders/test_tenders_web.py checks they agree).
"""

from __future__ import annotations

from functools import cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

register = template.Library()
_MARK = "-mark-"


@cache
def _around(name: str, script_prefix: str) -> tuple[str, str]:
    # script_prefix is part of the key: reverse() puts it in front of the path.
    before, after = reverse(name, args=[_MARK]).split(_MARK)
    return before, after


def _link(name: str, value: object) -> str:
    before, after = _around(name, get_script_prefix())
    return before + quote(str(value), safe=RFC3986_SUBDELIMS + "/~:@") + after


@register.filter
def tender_url(reference: str) -> str:
    return _link("tender", reference)


@register.filter
def agency_url(code: str) -> str:
    return _link("agency", code)
