"""The pure Merkle tree (RFC 9162 §2.1): roots, inclusion and consistency proofs, checked against the RFC
test vectors' structure, against tampering, and against pymerkle (an independent implementation, RFC 9162
hashing with its default ``disable_security=False``: 0x00 leaf / 0x01 node prefixes)."""

from __future__ import annotations

import hashlib
import random

import pytest
from pymerkle import InmemoryTree

from interop.audit import merkle

MAX = 10_000
RNG = random.Random(19)
LEAVES = [RNG.randbytes(RNG.randint(0, 40)) for _ in range(MAX)]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
TREE = merkle.MemoryTree(HASHES)
SIZES = sorted(
    {1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 1000, 1023, 1024, 1025, 4097, 8191, MAX}
    | {RNG.randint(1, MAX) for _ in range(12)}
)


def mth(hashes: list[bytes]) -> bytes:
    """The RFC's recursive definition, verbatim, as a reference."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(mth(hashes[:k]), mth(hashes[k:]))


@pytest.fixture(scope="module")
def oracle() -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")
    for leaf in LEAVES:
        tree.append_entry(leaf)
    return tree


def test_hashing_prefixes() -> None:
    assert merkle.leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle.root(0, TREE.node) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7, 8, 13, 100, 1000, 1025])
def test_root_matches_the_recursive_definition(size: int) -> None:
    assert TREE.root(size) == mth(HASHES[:size])


def test_roots_agree_with_pymerkle(oracle: InmemoryTree) -> None:
    for size in SIZES:
        assert TREE.root(size) == oracle.get_state(size), size


def test_inclusion_proofs_agree_with_pymerkle(oracle: InmemoryTree) -> None:
    for size in SIZES:
        for index in {0, size - 1, RNG.randrange(size), RNG.randrange(size)}:
            theirs = oracle.prove_inclusion(index + 1, size).serialize()  # pymerkle counts from 1
            ours = [h.hex() for h in TREE.inclusion_proof(index, size)]
            # pymerkle's path starts with the leaf hash itself, then the RFC audit path
            assert theirs["path"] == [HASHES[index].hex(), *ours], (index, size)


def test_consistency_agrees_with_pymerkle(oracle: InmemoryTree) -> None:
    # pymerkle's consistency proof has its own layout (old peaks, then a path), so the proofs are not
    # compared hash by hash: its proof must link its roots, and ours must link the very same roots.
    from pymerkle import verify_consistency

    for second in SIZES:
        for first in {1, second, RNG.randint(1, second), RNG.randint(1, second)}:
            old, new = oracle.get_state(first), oracle.get_state(second)
            verify_consistency(old, new, oracle.prove_consistency(first, second))
            ours = TREE.consistency_proof(first, second)
            assert merkle.verify_consistency(first, second, old, new, ours), (first, second)


def test_inclusion_verifies_for_every_index_of_small_trees() -> None:
    for size in range(1, 70):
        root = TREE.root(size)
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            assert merkle.verify_inclusion(HASHES[index], index, size, proof, root)


def test_consistency_verifies_for_every_pair_of_small_trees() -> None:
    for second in range(1, 70):
        for first in range(0, second + 1):
            proof = TREE.consistency_proof(first, second)
            assert merkle.verify_consistency(first, second, TREE.root(first), TREE.root(second), proof)


def test_random_sizes_up_to_ten_thousand() -> None:
    for size in SIZES:
        root = TREE.root(size)
        for index in (RNG.randrange(size) for _ in range(20)):
            assert merkle.verify_inclusion(
                HASHES[index], index, size, TREE.inclusion_proof(index, size), root
            )
        for first in (RNG.randint(1, size) for _ in range(20)):
            proof = TREE.consistency_proof(first, size)
            assert merkle.verify_consistency(first, size, TREE.root(first), root, proof)


def test_modified_leaf_fails() -> None:
    for size in SIZES:
        index = RNG.randrange(size)
        proof = TREE.inclusion_proof(index, size)
        forged = merkle.leaf_hash(LEAVES[index] + b"x")
        assert not merkle.verify_inclusion(forged, index, size, proof, TREE.root(size))
        # the tree rebuilt with the modified leaf has a different root
        altered = merkle.MemoryTree([*HASHES[:index], forged, *HASHES[index + 1 : size]])
        assert altered.root() != TREE.root(size)
        if size > 1:
            first = RNG.randint(max(index + 1, 1), size)
            if first < size:
                proof = TREE.consistency_proof(first, size)
                assert not merkle.verify_consistency(first, size, altered.root(first), TREE.root(size), proof)


def test_removed_leaf_fails() -> None:
    for size in [s for s in SIZES if s > 2]:
        index = RNG.randrange(size - 1)
        shorter = merkle.MemoryTree([*HASHES[:index], *HASHES[index + 1 : size]])
        # the leaf after the removed one is not at its old place in the shortened tree
        moved = HASHES[index + 1]
        assert not merkle.verify_inclusion(
            moved, index + 1, size - 1, shorter.inclusion_proof(index), shorter.root()
        )
        assert not merkle.verify_inclusion(
            moved, index + 1, size, TREE.inclusion_proof(index + 1, size), shorter.root()
        )
        # the shortened tree is not an extension of the old head that held the removed leaf
        first = index + 1
        proof = shorter.consistency_proof(min(first, size - 1))
        assert not merkle.verify_consistency(first, size - 1, TREE.root(first), shorter.root(), proof)


def test_reordered_pair_fails() -> None:
    for size in [s for s in SIZES if s > 1]:
        index = RNG.randrange(size - 1)
        swapped = list(HASHES[:size])
        swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
        other = merkle.MemoryTree(swapped)
        assert other.root() != TREE.root(size)
        assert not merkle.verify_inclusion(
            HASHES[index], index, size, other.inclusion_proof(index), TREE.root(size)
        )
        assert not merkle.verify_inclusion(
            HASHES[index], index + 1, size, TREE.inclusion_proof(index, size), TREE.root(size)
        )


def test_forked_head_fails() -> None:
    for size in [s for s in SIZES if s > 2]:
        first = RNG.randint(1, size - 1)
        fork = merkle.MemoryTree([*HASHES[: first - 1], merkle.leaf_hash(b"fork"), *HASHES[first:size]])
        # a proof from the fork does not link the true old head to the fork's new head, nor vice versa
        assert not merkle.verify_consistency(
            first, size, TREE.root(first), fork.root(), fork.consistency_proof(first)
        )
        assert not merkle.verify_consistency(
            first, size, fork.root(first), TREE.root(size), TREE.consistency_proof(first, size)
        )


def test_bad_shapes_fail() -> None:
    proof = TREE.inclusion_proof(3, 10)
    root = TREE.root(10)
    assert not merkle.verify_inclusion(HASHES[3], 10, 10, proof, root)
    assert not merkle.verify_inclusion(HASHES[3], 3, 10, [*proof, proof[0]], root)
    assert not merkle.verify_inclusion(HASHES[3], 3, 10, proof[:-1], root)
    cproof = TREE.consistency_proof(3, 10)
    assert not merkle.verify_consistency(3, 10, TREE.root(3), root, cproof[:-1])
    assert not merkle.verify_consistency(4, 10, TREE.root(3), root, cproof)
    assert not merkle.verify_consistency(10, 3, root, TREE.root(3), cproof)
    assert not merkle.verify_consistency(5, 5, TREE.root(5), TREE.root(5), [root])


def test_needed_nodes_are_logarithmic() -> None:
    ranges = merkle.inclusion_ranges(123_456, 9_999_999)
    assert len(merkle.needed_nodes(ranges)) <= 2 * 24
    ranges = merkle.consistency_ranges(5_000_001, 9_999_999)
    assert len(merkle.needed_nodes(ranges)) <= 3 * 24


def test_frontier_extends_a_stored_tree() -> None:
    for size in [0, 1, 5, 8, 1000]:
        frontier = merkle.Frontier(size, TREE.node)
        assert frontier.root() == merkle.root(size, TREE.node)
        made = []
        for h in HASHES[size : size + 37]:
            made.extend(frontier.append(h))
        assert frontier.root() == TREE.root(size + 37)
        assert all(TREE.node(level, index) == h for level, index, h in made)
