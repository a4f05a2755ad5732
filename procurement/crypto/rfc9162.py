"""Merkle tree hashing, inclusion and consistency proofs of RFC 9162 (Certificate Transparency 2.0).

Pure functions, no I/O. A tree of ``size`` leaves is read through ``node(level, index)``, which
returns the hash of the *perfect* subtree holding leaves ``[index * 2**level, (index + 1) *
2**level)``; level 0 is the leaf hashes. Storing only perfect subtrees (two rows per leaf) is
enough to compute any root or proof with O(log² n) reads.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally; it raises ``ProofError`` with a
reason and never returns False silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

NodeReader = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or arguments that cannot have a proof."""


class NotAPrefix(ProofError):
    """A consistency proof whose earlier tree is not the one expected: the history changed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(node: NodeReader, start: int, end: int) -> bytes:
    """MTH of leaves [start, end) of an RFC 9162 tree."""
    n = end - start
    if n <= 0:
        if n == 0 and start == 0:
            return EMPTY_ROOT
        raise ValueError(f"empty or negative range [{start}, {end})")
    if n & (n - 1) == 0 and start % n == 0:
        return node(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(subtree_root(node, start, start + k), subtree_root(node, start + k, end))


def root(node: NodeReader, size: int) -> bytes:
    return subtree_root(node, 0, size)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf data held in memory (e.g. a tender's bid set)."""
    hashes = [leaf_hash(item) for item in leaves]

    def node(level: int, index: int) -> bytes:
        width = 1 << level
        return subtree_root_of(hashes[index * width : (index + 1) * width])

    return root(node, len(hashes))


def subtree_root_of(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(subtree_root_of(hashes[:k]), subtree_root_of(hashes[k:]))


def inclusion_path(node: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            path.append(subtree_root(node, start + k, start + n))
            n = k
        else:
            path.append(subtree_root(node, start, start + k))
            start, n, m = start + k, n - k, m - k
    path.reverse()
    return path


def consistency_proof(node: NodeReader, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1; empty when first is 0 or equals second."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    proof: list[bytes] = []
    start, n, m, whole = 0, second, first, True
    while m != n:
        k = _split(n)
        if m <= k:
            proof.append(subtree_root(node, start + k, start + n))
            n = k
        else:
            proof.append(subtree_root(node, start, start + k))
            start, n, m, whole = start + k, n - k, m - k, False
    if not whole:
        proof.append(subtree_root(node, start, start + n))
    proof.reverse()
    return proof


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise ProofError unless ``path`` proves ``leaf`` at ``index`` under ``expected_root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != expected_root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless ``proof`` shows the tree ``second_root`` extends ``first_root``."""
    if not 0 <= first <= second:
        raise ProofError(f"size {first} cannot be a prefix of size {second}")
    if first == second:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("two different roots for the same tree size")
        return
    if first == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        raise ProofError("consistency proof is empty")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != first_root:
        raise NotAPrefix("consistency proof does not lead to the earlier root")
    if sr != second_root:
        raise ProofError("consistency proof does not lead to the later root")


class MemoryTree:
    """An append-only tree held in memory, storing perfect subtrees as the database does."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the (level, index, hash) nodes it completed, leaf included."""
        created = [(0, self.size, leaf)]
        self.levels[0].append(leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index & 1:
            parent = node_hash(self.levels[level][index - 1], self.levels[level][index])
            level, index = level + 1, index >> 1
            if len(self.levels) <= level:
                self.levels.append([])
            self.levels[level].append(parent)
            created.append((level, index, parent))
        return created

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root(self.node, self.size if size is None else size)


class Frontier:
    """The right edge of an RFC 9162 tree: the roots of the perfect subtrees that the binary
    decomposition of ``size`` splits it into, largest (leftmost) first.

    O(log n) hashes are enough to append further leaves and to compute the root at every size
    reached, so a verifier can recompute a log of any length in one pass, record the root at
    each signed size, and later resume from a saved edge without the earlier leaves (the same
    right edge the ledger keeps in its head row).
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} edge subtrees")
        if any(len(h) != 32 for h in hashes):
            raise ValueError("edge subtree hashes must be 32 bytes")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        hashes, current, index = self.hashes, leaf, self.size
        while index & 1:
            current = node_hash(hashes.pop(), current)
            index >>= 1
        hashes.append(current)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        current = self.hashes[-1]
        for edge in reversed(self.hashes[:-1]):
            current = node_hash(edge, current)
        return current

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)
