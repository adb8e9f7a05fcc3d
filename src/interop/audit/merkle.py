"""The Merkle tree of the audit log, per RFC 9162 §2.1. Pure (no I/O); imports only the standard library,
so the standalone verifier (:mod:`interop.audit.verify_proof`) can use it as is.

Hashing: ``leaf_hash(d) = SHA-256(0x00 ‖ d)``, ``node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)``; the root of
n leaves is MTH (§2.1.1): for n > 1, split at k, the largest power of two below n.

Storage contract: every hash a proof or a root needs is the hash of a *perfect* subtree — 2**level leaves
starting at ``index * 2**level`` — or a fold of a few of them (:func:`perfect_parts`). A store that keeps
the hash of each complete perfect subtree (``node(level, index)``) answers any root or proof in
O(log n) lookups: compute the ranges (:func:`inclusion_ranges`, :func:`consistency_ranges`), look up their
parts, fold them (:func:`range_root`). :class:`MemoryTree` is that store over a list of leaf hashes.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows §2.1.3.2 and §2.1.4.2 to the
letter and needs nothing but the hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256()

NodeKey = tuple[
    int, int
]  # (level, index): the perfect subtree of leaves [index << level, (index+1) << level)
Lookup = Callable[[int, int], bytes] | Mapping[NodeKey, bytes]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_parts(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees whose fold is MTH(D[start:end]), left to right (sizes strictly decreasing).

    Valid for the ranges MTH recursion produces: ``start`` a multiple of the smallest power of two not
    below ``end - start`` (every range a root or a proof asks for is one)."""
    if end <= start:
        raise ValueError("empty range")
    parts: list[NodeKey] = []
    while start < end:
        n = end - start
        size = n if n & (n - 1) == 0 else _split(n)
        level = size.bit_length() - 1
        if start % size:
            raise ValueError(f"range [{start}, {end}) is not aligned to a Merkle subtree")
        parts.append((level, start >> level))
        start += size
    return parts


def _lookup(nodes: Lookup) -> Callable[[int, int], bytes]:
    if callable(nodes):
        return nodes
    return lambda level, index: nodes[(level, index)]


def range_root(start: int, end: int, nodes: Lookup) -> bytes:
    """MTH(D[start:end]) from the perfect subtree hashes (folded right to left, as the recursion does)."""
    get = _lookup(nodes)
    parts = perfect_parts(start, end)
    acc = get(*parts[-1])
    for level, index in reversed(parts[:-1]):
        acc = node_hash(get(level, index), acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose roots make the audit path of leaf ``index`` in a tree of ``size`` leaves
    (RFC 9162 §2.1.3.1, PATH(m, D[n])), ordered from the leaf up."""
    if not 0 <= index < size:
        raise ValueError("index must be below tree size")
    out: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m = start + k, m - k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose roots make the consistency proof between sizes ``first`` and ``second``
    (RFC 9162 §2.1.4.1, PROOF(m, D[n]) = SUBPROOF(m, D[n], true)), in proof order."""
    if not 0 <= first <= second:
        raise ValueError("need 0 <= first <= second")
    if first == 0 or first == second:
        return []
    out: list[tuple[int, int]] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        out.append((start, end))
    out.reverse()
    return out


def needed_nodes(ranges: Iterable[tuple[int, int]]) -> set[NodeKey]:
    """Every perfect subtree a store must supply to answer these ranges."""
    return {key for start, end in ranges for key in perfect_parts(start, end)}


def inclusion_proof(index: int, size: int, nodes: Lookup) -> list[bytes]:
    return [range_root(s, e, nodes) for s, e in inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, nodes: Lookup) -> list[bytes]:
    return [range_root(s, e, nodes) for s, e in consistency_ranges(first, second)]


def root(size: int, nodes: Lookup) -> bytes:
    return EMPTY_ROOT if size == 0 else range_root(0, size, nodes)


class MemoryTree:
    """Every complete perfect subtree over a list of leaf hashes, level by level (about 2n hashes)."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf_hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the perfect subtrees it completed as (level, index, hash)."""
        made = [(0, self.size, leaf_hash_)]
        self.levels[0].append(leaf_hash_)
        level, index, acc = 0, self.size - 1, leaf_hash_
        while index & 1:
            left = self.levels[level][index - 1]
            level, index = level + 1, index >> 1
            acc = node_hash(left, acc)
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(acc)
            made.append((level, index, acc))
        return made

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.node)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self.size if second is None else second, self.node)


class Frontier:
    """The right edge of a tree: the perfect subtrees whose fold is its root (at most log2 n of them).
    Enough to append leaves and compute every new complete subtree and the new root, without the rest
    of the tree; built from ``perfect_parts(0, size)`` and their stored hashes."""

    def __init__(self, size: int = 0, nodes: Lookup | None = None) -> None:
        self.size = size
        parts = perfect_parts(0, size) if size else []
        if parts and nodes is None:
            raise ValueError("a non-empty frontier needs its nodes")
        get = _lookup(nodes) if nodes is not None else None
        self.edge: list[tuple[int, int, bytes]] = [(lv, ix, get(lv, ix)) for lv, ix in parts] if get else []

    def copy(self) -> Frontier:
        other = Frontier()
        other.size, other.edge = self.size, list(self.edge)
        return other

    def append(self, leaf_hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the perfect subtrees it completed as (level, index, hash)."""
        return self.append_subtree(0, leaf_hash_)

    def append_subtree(self, level: int, hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add the perfect subtree of 2**level leaves whose hash is ``hash_`` (the size must be a multiple
        of 2**level, and no edge subtree smaller: how aligned ranges walked apart are joined)."""
        if self.size % (1 << level) or (self.edge and self.edge[-1][0] < level):
            raise ValueError("a subtree must start at a multiple of its size")
        made = [(level, self.size >> level, hash_)]
        self.edge.append(made[0])
        self.size += 1 << level
        while len(self.edge) > 1 and self.edge[-1][0] == self.edge[-2][0]:
            level, index, right = self.edge.pop()
            _, _, left = self.edge.pop()
            node = (level + 1, index >> 1, node_hash(left, right))
            self.edge.append(node)
            made.append(node)
        return made

    def root(self) -> bytes:
        if not self.edge:
            return EMPTY_ROOT
        acc = self.edge[-1][2]
        for _, _, h in reversed(self.edge[:-1]):
            acc = node_hash(h, acc)
        return acc


def verify_inclusion(
    leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf_hash_`` at ``index`` of the tree with this root?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash_
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of size ``second`` an append-only extension of the one of size
    ``first``? (Size 0 is consistent with anything, with an empty proof.)"""
    if not 0 <= first <= second:
        return False
    if first == 0:
        return not proof
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
