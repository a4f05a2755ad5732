"""Combining Shamir shares over GF(2^8): the opening's side of the sealed data key.

Shares are those of ``pyshamir`` (PyPI) and ``shamir-secret-sharing`` (npm), which the sealers
use to split: each share is the secret's length in y-bytes followed by one x-coordinate byte
(non-zero and distinct among the shares of one secret); arithmetic is in GF(2^8) with the AES
polynomial x^8 + x^4 + x^3 + x + 1. ``combine`` returns exactly what ``pyshamir.combine``
returns for the same shares, and refuses what it refuses (``ValueError``); the tests check this
against pyshamir on random splits and against the npm library's vectors.

Why not pyshamir's own ``combine``: it interpolates every byte separately with a bit-serial
multiply in pure Python, about 15 ms for one 32-byte key from two shares, which was a third of
the opening's time. Here the Lagrange coefficients at 0 depend only on the x-coordinates, which
are public, so they are computed once per combination; each secret byte is then the XOR of
``coefficient_i * y_i``, computed for all bytes at once on the y-bytes packed in one integer:
multiplying by a public coefficient is shifts and XORs chosen by the coefficient's bits, with no
table lookup or branch on the secret bytes.
"""

from __future__ import annotations

from collections.abc import Sequence


def _mul(a: int, b: int) -> int:
    """a * b in GF(2^8), for the public coefficients only."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return product


def _inverse(a: int) -> int:
    # a^254 = a^-1 in GF(2^8) (a != 0)
    result, power, exponent = 1, a, 254
    while exponent:
        if exponent & 1:
            result = _mul(result, power)
        power = _mul(power, power)
        exponent >>= 1
    return result


def _coefficients(xs: Sequence[int]) -> list[int]:
    """The Lagrange basis polynomials at 0: l_i(0) = prod_{j != i} x_j / (x_i + x_j)."""
    coefficients = []
    for i, xi in enumerate(xs):
        basis = 1
        for j, xj in enumerate(xs):
            if i != j:
                basis = _mul(basis, _mul(xj, _inverse(xi ^ xj)))
        coefficients.append(basis)
    return coefficients


def combine(parts: Sequence[bytes | bytearray]) -> bytes:
    """The secret the shares ``parts`` interpolate to (any k or more shares of one split)."""
    if parts is None or len(parts) < 2:
        raise ValueError("Not enough parts to combine")
    length = len(parts[0])
    if length < 2:
        raise ValueError("Part is too short")
    if any(len(part) != length for part in parts):
        raise ValueError("Parts are not the same length")
    xs = [part[-1] for part in parts]
    if len(set(xs)) != len(xs):
        raise ValueError("Duplicate sample")
    size = length - 1
    low7 = int.from_bytes(b"\x7f" * size, "big")
    high = int.from_bytes(b"\x80" * size, "big")
    secret = 0
    for coefficient, part in zip(_coefficients(xs), parts, strict=True):
        lanes = int.from_bytes(bytes(part[:-1]), "big")
        term = 0
        for bit in range(8):
            if coefficient >> bit & 1:  # a public bit
                term ^= lanes
            # every byte times x at once: shift within the byte, reduce the bytes that overflowed
            lanes = ((lanes & low7) << 1) ^ (((lanes & high) >> 7) * 0x1B)
        secret ^= term
    return secret.to_bytes(size, "big")
