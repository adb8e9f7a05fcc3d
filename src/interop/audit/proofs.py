"""Reading the Merkle tree log: keys, signed heads, leaves, inclusion and consistency proofs (RFC 9162
§2.1.3, §2.1.4), answered from the stored perfect-subtree nodes in one round trip each (the signed heads'
existence checked in the same query). Never commits.

Proofs are served only for tree sizes that have a signed head, so every proof can be checked against a
signature (:mod:`interop.audit.verify_proof`).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import asyncpg
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import checkpoint as cp
from interop.audit import merkle, sequencer, signing
from interop.audit.errors import InvalidProofRequest, LeafNotFound, TreeHeadNotFound
from interop.audit.leaf import LEAF_FIELDS, canonical_leaf
from interop.audit.models import AuditEvent, AuditHead, AuditLeaf
from interop.audit.schemas import (
    AuditKey,
    AuditKeyList,
    ConsistencyProofRead,
    InclusionProofRead,
    LeafRead,
    TreeHeadRead,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def keys(signer: signing.Signer) -> AuditKeyList:
    raw = signer.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return AuditKeyList(keys=[AuditKey(kid=cp.key_id(raw), x=cp.b64url(raw))])


def _head(row: AuditHead) -> TreeHeadRead:
    return TreeHeadRead(
        tree_size=row.tree_size,
        root_hash=_b64(row.root_hash),
        timestamp=row.created_at,
        kid=row.kid,
        checkpoint=row.checkpoint,
        signature=_b64(row.signature),
    )


async def latest_head(session: AsyncSession) -> TreeHeadRead:
    row = await sequencer.latest_head(session)
    if row is None:
        raise TreeHeadNotFound.said("audit.proof.no_head_yet")
    return _head(row)


# The latest head's columns as ``_head`` reads them off the model (the watermark is not answered).
_DRIVER_LATEST_HEAD = (
    "SELECT tree_size, root_hash, created_at, kid, checkpoint, signature FROM audit_head "
    "ORDER BY tree_size DESC LIMIT 1"
)


async def driver_latest_head(conn: asyncpg.Connection) -> TreeHeadRead:
    """``latest_head`` by asyncpg itself, alone (autocommit; see ``driver_nodes``): the same statement on
    the primary key, the same answer and the same refusal."""
    row: asyncpg.Record | None = await conn.fetchrow(_DRIVER_LATEST_HEAD)
    if row is None:
        raise TreeHeadNotFound.said("audit.proof.no_head_yet")
    return TreeHeadRead(
        tree_size=row[0],
        root_hash=_b64(row[1]),
        timestamp=row[2],
        kid=row[3],
        checkpoint=row[4],
        signature=_b64(row[5]),
    )


async def latest_head_or_none(session: AsyncSession) -> TreeHeadRead | None:
    row = await sequencer.latest_head(session)
    return _head(row) if row is not None else None


async def head_at(session: AsyncSession, *, tree_size: int) -> TreeHeadRead:
    row = await session.get(AuditHead, tree_size)
    if row is None:
        raise TreeHeadNotFound.said("audit.proof.no_head_of_size")
    return _head(row)


async def leaf(session: AsyncSession, *, index: int) -> LeafRead:
    event = (
        await session.execute(
            select(AuditEvent)
            .join(AuditLeaf, AuditLeaf.seq == AuditEvent.seq)
            .where(AuditLeaf.leaf_index == index)
        )
    ).scalar_one_or_none()
    if event is None:
        raise LeafNotFound.said("audit.proof.no_leaf")
    data = canonical_leaf([getattr(event, name) for name in LEAF_FIELDS])
    return LeafRead(index=index, leaf=_b64(data), event=f"AuditEvent/{event.seq}")


# The signed heads a proof needs and the stored nodes it is made of, in one round trip: the first row
# counts the heads found (level -1), the others are the nodes (primary-key lookups).
_PROOF_NODES_SQL = (
    "SELECT -1 AS level, count(*) AS idx, NULL::bytea AS hash FROM audit_head "
    "WHERE tree_size = ANY(CAST({sizes} AS bigint[])) "
    "UNION ALL SELECT n.level, n.idx, n.hash FROM audit_node n "
    "JOIN unnest(CAST({levels} AS smallint[]), CAST({idxs} AS bigint[])) AS k(level, idx) "
    "ON n.level = k.level AND n.idx = k.idx"
)
_PROOF_NODES = text(_PROOF_NODES_SQL.format(sizes=":sizes", levels=":levels", idxs=":idxs"))
_DRIVER_PROOF_NODES = _PROOF_NODES_SQL.format(sizes="$1", levels="$2", idxs="$3")

# (sizes, levels, idxs) -> the statement's rows (level, idx, hash): through a session, or the driver.
NodeFetch = Callable[[list[int], list[int], list[int]], Awaitable[Iterable[Any]]]


def session_nodes(session: AsyncSession) -> NodeFetch:
    async def fetch(sizes: list[int], levels: list[int], idxs: list[int]) -> Iterable[Any]:
        return await session.execute(_PROOF_NODES, {"sizes": sizes, "levels": levels, "idxs": idxs})

    return fetch


def driver_nodes(conn: asyncpg.Connection) -> NodeFetch:
    """The statement sent by asyncpg itself, alone (autocommit): SQLAlchemy's statement handling was half
    the CPU of a served proof (bench/audit/RESULTS.md, session 8). For callers that hold no transaction."""

    async def fetch(sizes: list[int], levels: list[int], idxs: list[int]) -> Iterable[Any]:
        rows: list[asyncpg.Record] = await conn.fetch(_DRIVER_PROOF_NODES, sizes, levels, idxs)
        return rows

    return fetch


async def _proof_hashes(fetch: NodeFetch, *, heads: set[int], ranges: list[tuple[int, int]]) -> list[bytes]:
    """The roots of ``ranges`` from the stored nodes; TreeHeadNotFound unless every size in ``heads`` has
    a signed head (proofs are served only for signed sizes)."""
    keys = list(merkle.needed_nodes(ranges))
    rows = await fetch(sorted(heads), [k[0] for k in keys], [k[1] for k in keys])
    nodes: dict[merkle.NodeKey, bytes] = {}
    found = 0
    for level, idx, hash_ in rows:
        if level < 0:
            found = int(idx)
        else:
            nodes[(int(level), int(idx))] = bytes(hash_)
    if found != len(heads):
        raise TreeHeadNotFound.said("audit.proof.no_head_of_size")
    return [merkle.range_root(s, e, nodes) for s, e in ranges]


async def inclusion(session: AsyncSession, *, index: int, tree_size: int) -> InclusionProofRead:
    return await inclusion_from(session_nodes(session), index=index, tree_size=tree_size)


async def inclusion_from(fetch: NodeFetch, *, index: int, tree_size: int) -> InclusionProofRead:
    if not 0 <= index < tree_size:
        raise InvalidProofRequest.said("audit.proof.index_out_of_tree")
    ranges = merkle.inclusion_ranges(index, tree_size)
    hashes = await _proof_hashes(fetch, heads={tree_size}, ranges=ranges)
    return InclusionProofRead(index=index, tree_size=tree_size, hashes=[_b64(h) for h in hashes])


async def consistency(session: AsyncSession, *, first: int, second: int) -> ConsistencyProofRead:
    return await consistency_from(session_nodes(session), first=first, second=second)


async def consistency_from(fetch: NodeFetch, *, first: int, second: int) -> ConsistencyProofRead:
    if not 1 <= first <= second:
        raise InvalidProofRequest.said("audit.proof.first_after_second")
    ranges = merkle.consistency_ranges(first, second)
    hashes = await _proof_hashes(fetch, heads={first, second}, ranges=ranges)
    return ConsistencyProofRead(first=first, second=second, hashes=[_b64(h) for h in hashes])


async def leaf_index_of(session: AsyncSession, *, seq: int) -> int | None:
    """The leaf index of event ``seq``; None while it is not sequenced yet."""
    return await session.scalar(select(AuditLeaf.leaf_index).where(AuditLeaf.seq == seq))
