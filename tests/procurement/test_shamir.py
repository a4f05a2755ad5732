"""The opening's Shamir combination gives exactly what pyshamir gives (the sealers split with
pyshamir in Python and shamir-secret-sharing in the browser; the JavaScript-sealed envelope of
test_envelope_js opens through it too)."""

from __future__ import annotations

import os
import random
from itertools import combinations

import pyshamir
import pytest

from procurement.crypto import shamir


@pytest.mark.parametrize(("n", "k"), [(2, 2), (3, 2), (5, 3), (7, 7), (9, 4)])
def test_every_k_subset_of_a_split_gives_the_secret(n, k):
    secret = os.urandom(32)
    parts = pyshamir.split(secret, n, k)
    for subset in combinations(parts, k):
        assert shamir.combine(list(subset)) == secret
    # More than k shares of one split lie on the same polynomial.
    assert shamir.combine(parts) == secret


def test_fewer_than_k_shares_give_what_pyshamir_gives_not_the_secret():
    secret = os.urandom(32)
    parts = pyshamir.split(secret, 5, 4)
    for subset in combinations(parts, 3):
        ours = shamir.combine(list(subset))
        assert ours == bytes(pyshamir.combine([bytearray(p) for p in subset]))
        assert ours != secret


def test_arbitrary_shares_combine_as_pyshamir_combines_them():
    # Not shares of one split: forged or damaged ones, x = 0 included. Same bytes either way.
    rng = random.Random(20261207)
    for _ in range(200):
        count, size = rng.randint(2, 6), rng.randint(1, 33)
        xs = rng.sample(range(256), count)
        parts = [bytes(rng.randrange(256) for _ in range(size)) + bytes([x]) for x in xs]
        assert shamir.combine(parts) == bytes(pyshamir.combine([bytearray(p) for p in parts]))


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "Not enough parts"),
        ([b"\x01\x02"], "Not enough parts"),
        ([b"\x01", b"\x02"], "too short"),
        ([b"\x01\x02", b"\x01\x02\x03"], "not the same length"),
        ([b"\x01\x05", b"\x02\x05"], "Duplicate sample"),
    ],
)
def test_refuses_what_pyshamir_refuses(parts, message):
    with pytest.raises(ValueError, match=message):
        shamir.combine(parts)
    with pytest.raises(ValueError, match=message):
        pyshamir.combine([bytearray(p) for p in parts])
