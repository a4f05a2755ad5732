"""RFC 9162 Merkle tree: the Certificate Transparency vectors, and an exhaustive cross-check of
roots and proofs against the RFC's recursive definitions for every size up to 64."""

from __future__ import annotations

import hashlib

import pytest

from procurement.crypto import rfc9162

CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CT_CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def ct_tree() -> rfc9162.MemoryTree:
    tree = rfc9162.MemoryTree()
    for data in CT_LEAVES:
        tree.append(rfc9162.leaf_hash(data))
    return tree


# --- The RFC's definitions, written as directly (and slowly) as possible --------------------


def naive_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return rfc9162.node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return naive_path(m, leaves[:k]) + [naive_mth(leaves[k:])]
    return naive_path(m - k, leaves[k:]) + [naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [naive_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return naive_subproof(m, leaves[:k], whole) + [naive_mth(leaves[k:])]
    return naive_subproof(m - k, leaves[k:], False) + [naive_mth(leaves[:k])]


# --- Vectors --------------------------------------------------------------------------------


def test_roots_match_certificate_transparency_vectors():
    tree = ct_tree()
    for size, expected in enumerate(CT_ROOTS):
        assert tree.root(size).hex() == expected, f"size {size}"


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_vectors(index, size, path):
    tree = ct_tree()
    proof = rfc9162.inclusion_path(tree.node, index, size)
    assert [p.hex() for p in proof] == path
    rfc9162.verify_inclusion(index, size, tree.node(0, index), proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_vectors(first, second, path):
    tree = ct_tree()
    proof = rfc9162.consistency_proof(tree.node, first, second)
    assert [p.hex() for p in proof] == path
    rfc9162.verify_consistency(
        first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), proof
    )


# --- Exhaustive cross-check, sizes 1..64 ----------------------------------------------------

N = 64
LEAVES = [rfc9162.leaf_hash(f"leaf {i}".encode()) for i in range(N)]


@pytest.fixture(scope="module")
def big_tree() -> rfc9162.MemoryTree:
    tree = rfc9162.MemoryTree()
    for leaf in LEAVES:
        tree.append(leaf)
    return tree


def test_every_root_matches_the_recursive_definition(big_tree):
    for size in range(0, N + 1):
        assert big_tree.root(size) == naive_mth(LEAVES[:size]), size


def test_every_inclusion_proof_matches_and_verifies(big_tree):
    for size in range(1, N + 1):
        root = naive_mth(LEAVES[:size])
        for index in range(size):
            proof = rfc9162.inclusion_path(big_tree.node, index, size)
            assert proof == naive_path(index, LEAVES[:size]), (index, size)
            rfc9162.verify_inclusion(index, size, LEAVES[index], proof, root)


def test_every_consistency_proof_matches_and_verifies(big_tree):
    for second in range(1, N + 1):
        for first in range(1, second + 1):
            proof = rfc9162.consistency_proof(big_tree.node, first, second)
            expected = [] if first == second else naive_subproof(first, LEAVES[:second], True)
            assert proof == expected, (first, second)
            rfc9162.verify_consistency(
                first, second, naive_mth(LEAVES[:first]), naive_mth(LEAVES[:second]), proof
            )


def test_mangled_inclusion_proofs_are_rejected(big_tree):
    for size in range(2, N + 1, 3):
        root = big_tree.root(size)
        for index in range(size):
            proof = rfc9162.inclusion_path(big_tree.node, index, size)
            flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            for bad in (flipped, proof[:-1], [*proof, bytes(32)]):
                with pytest.raises(rfc9162.ProofError):
                    rfc9162.verify_inclusion(index, size, LEAVES[index], bad, root)
            with pytest.raises(rfc9162.ProofError):
                rfc9162.verify_inclusion(index, size, LEAVES[(index + 1) % N], proof, root)
            if index + 1 < size:
                with pytest.raises(rfc9162.ProofError):
                    rfc9162.verify_inclusion(index + 1, size, LEAVES[index], proof, root)


def test_mangled_consistency_proofs_are_rejected(big_tree):
    for second in range(2, N + 1, 3):
        for first in range(1, second):
            proof = rfc9162.consistency_proof(big_tree.node, first, second)
            old, new = big_tree.root(first), big_tree.root(second)
            flipped = [bytes([proof[0][0] ^ 0x80]) + proof[0][1:], *proof[1:]]
            for bad in (flipped, proof[:-1], [*proof, bytes(32)]):
                with pytest.raises(rfc9162.ProofError):
                    rfc9162.verify_consistency(first, second, old, new, bad)
            with pytest.raises(rfc9162.ProofError):
                rfc9162.verify_consistency(first, second, new, new, proof)


def test_degenerate_sizes():
    root = naive_mth(LEAVES[:4])
    rfc9162.verify_consistency(4, 4, root, root, [])
    rfc9162.verify_consistency(0, 4, rfc9162.EMPTY_ROOT, root, [])
    with pytest.raises(rfc9162.ProofError, match="same tree size"):
        rfc9162.verify_consistency(4, 4, root, naive_mth(LEAVES[:5]), [])
    with pytest.raises(rfc9162.ProofError, match="prefix"):
        rfc9162.verify_consistency(5, 4, root, root, [])
    with pytest.raises(rfc9162.ProofError, match="outside"):
        rfc9162.verify_inclusion(4, 4, LEAVES[0], [], root)
    with pytest.raises(rfc9162.ProofError):
        rfc9162.inclusion_path(ct_tree().node, 8, 8)


def test_frontier_gives_every_root_and_resumes_from_a_saved_edge():
    frontier = rfc9162.Frontier()
    assert frontier.root() == rfc9162.EMPTY_ROOT
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert len(frontier.hashes) == size.bit_count()
        assert frontier.root() == naive_mth(LEAVES[:size]), size
        if size == 37:
            saved = (frontier.size, list(frontier.hashes))
    resumed = rfc9162.Frontier(*saved)
    for leaf in LEAVES[37:]:
        resumed.append(leaf)
    assert resumed.root() == naive_mth(LEAVES)
    with pytest.raises(ValueError, match="size 5 has 2 edge subtrees"):
        rfc9162.Frontier(5, [LEAVES[0]])
