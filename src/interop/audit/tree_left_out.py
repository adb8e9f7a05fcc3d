"""Events left out of the Merkle tree, found without a second read of the whole event table.

An event is left out when it is not a leaf although the latest signed head says the sequencer saw it: its
transaction ended below the head's watermark (``xid < watermark``), or it has no ``xid`` while a watermark
exists. Each range of the full verification already reads every event whose ``seq`` lies between its leaves'
lowest and highest ``seq`` (``tree_verification._HASHED`` joins them in full): the events there with no
leaf of that range come back as strays, few (a range's neighbours, the not yet sequenced). What no range
read — the ``seq`` gaps between the ranges' bounds and beyond them — is searched by index ranges here
(:data:`_IN_GAPS`). So the answer is the old single statement's (an anti-join over all events, one more
full scan of the largest table after every range had already read it), with the table read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

_LOWEST = -(2**63)
_HIGHEST = 2**63 - 1
# Which of the strays are leaves after all (of another range: ranges' seq bounds may overlap).
_LEAVES_AMONG = "SELECT coalesce(array_agg(seq), '{}') FROM audit_leaf WHERE seq = ANY($1::bigint[])"
# The events no range read: seq in one of the gaps [low, high], each an index range on every partition.
_IN_GAPS = (
    "SELECT min(e.seq) FROM unnest($1::bigint[], $2::bigint[]) AS g(low, high) "
    "JOIN audit_event e ON e.seq BETWEEN g.low AND g.high "
    "WHERE (e.xid < $3 OR ($4 AND e.xid IS NULL)) "
    "AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.seq = e.seq)"
)

# An intake row (migration 0022) whose transaction ended below the latest head's watermark: the step that
# signed that head read its snapshot's xmin as the watermark and then moved every committed intake row it
# could see (a full batch keeps the old watermark instead), so such a row should already be a leaf. No
# index on the intake: it holds a few seconds of records while the sequencer runs.
INTAKE_LEFT_OUT = "SELECT min(seq) FROM audit_intake WHERE xid < $1"


def seen_by_sequencer(xid: int | None, watermark: int | None) -> bool:
    """Whether an event should be a leaf by the latest head: the old statement's condition, in Python."""
    if xid is None:
        return watermark is not None
    return xid < (watermark if watermark is not None else -1)


def gaps(bounds: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The ``seq`` intervals (inclusive) that none of ``bounds`` (inclusive ``low, high`` pairs) covers."""
    lows: list[int] = []
    highs: list[int] = []
    nxt = _LOWEST  # the lowest seq not yet covered
    for low, high in sorted(bounds):
        if low > nxt:
            lows.append(nxt)
            highs.append(low - 1)
        nxt = max(nxt, high + 1)
    if nxt <= _HIGHEST:
        lows.append(nxt)
        highs.append(_HIGHEST)
    return lows, highs


async def first_left_out(
    conn: asyncpg.Connection,
    bounds: Sequence[tuple[int, int]],
    strays: Sequence[tuple[int, int | None]],
    watermark: int | None,
) -> int | None:
    """The lowest ``seq`` of an event left out of the tree, given the ranges' ``seq`` bounds and the events
    they read without a leaf of their own (``(seq, xid)``); None when every such event is a leaf."""
    candidates = sorted({seq for seq, xid in strays if seen_by_sequencer(xid, watermark)})
    found: list[int] = []
    if candidates:
        leaves = set(await conn.fetchval(_LEAVES_AMONG, candidates))
        found += [seq for seq in candidates if seq not in leaves][:1]
    lows, highs = gaps(bounds)
    if lows:
        outside = await conn.fetchval(
            _IN_GAPS, lows, highs, watermark if watermark is not None else -1, watermark is not None
        )
        if outside is not None:
            found.append(int(outside))
    return min(found, default=None)
