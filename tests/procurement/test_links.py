"""row_link gives what reverse() gives, for every value, under any script prefix."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from procurement.links import row_link


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("ledger-entry", [0, 7, 123456789, 9081726354]),
        ("supplier", ["ncc-1", "so_xay_dung", "A9", "-lead"]),
        ("tender", ["MB-2026-000001", "a b", "é", "x?y"]),  # str: reverse() quotes these
    ],
)
def test_row_link_is_reverse(name, values):
    link = row_link(name)
    for value in values:
        assert link(value) == reverse(name, args=[value])


def test_row_link_follows_the_script_prefix():
    set_script_prefix("/minhbach/")
    try:
        link = row_link("ledger-entry")(5)
        assert link == "/minhbach/ledger/5/" == reverse("ledger-entry", args=[5])
    finally:
        clear_script_prefix()


def test_row_link_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        row_link("supplier")("a b")
