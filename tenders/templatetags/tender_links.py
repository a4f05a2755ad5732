"""Links to tenders and agencies in long lists, without a URL resolver walk per row
(``procurement.links``: ``{% url %}`` made a quarter of the search page's row rendering)."""

from __future__ import annotations

from django import template

from procurement.links import link

register = template.Library()


@register.filter
def tender_url(reference: str) -> str:
    return link("tender", reference)


@register.filter
def agency_url(code: str) -> str:
    return link("agency", code)
