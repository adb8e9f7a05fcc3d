"""The sequencer: turns committed audit events into leaves of the Merkle tree and signs a tree head, off
the request path. Never commits: the caller (the job worker's loop, :func:`run`, or a CLI command) commits
each step.

One at a time: a step takes ``pg_try_advisory_xact_lock(SEQUENCER_LOCK)`` and does nothing when another
step holds it; requests never take it.

Where records wait: a request writes its record into ``audit_intake`` (no index: the cheapest insert that
survives a crash). A step moves the intake rows it can see — committed ones, lowest ``seq`` first — into
``audit_event`` and ``audit_event_patient`` with ``audit_intake_move`` and makes them leaves, in the one
transaction the caller commits: if the step fails, the rows are still in the intake and nothing is in the
tree. Every intake row a step can see is taken (up to the batch), so a row of a transaction that commits
late, however low its ``seq``, is taken by the first step after its commit: never skipped. The moved rows
carry the step's own ``xid``, which keeps the mechanism below sound for them too.

Commit order, nothing skipped: every event row carries ``xid``, its inserting transaction's id. A step
first reads its snapshot's ``xmin`` (every transaction below it has ended), then takes every event it can
see — committed, since the rows of open transactions are invisible — with ``xid ≥ watermark`` that is not
yet a leaf, and records that ``xmin`` as the next watermark: an event below it was visible to this step,
so it is in the tree now. An event whose transaction is still open (however low its ``seq``) is simply not
visible yet and becomes a leaf in the first step after its commit: never skipped, never twice (the
``audit_leaf.seq`` unique key). Leaves therefore follow the order in which steps see transactions commit,
``seq`` within one step. PostgreSQL exposes no exact commit order without ``track_commit_timestamp``;
with a step every half merge delay this is commit order to within one step.

Events from the legacy hash chain (``xid`` NULL) are sequenced first, in ``seq`` order, before any other.

The loop (:func:`run`) also keeps the monthly partitions of the records made ahead (hourly,
:func:`ensure_partitions`); a record of a month without one lands in the default partition meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import checkpoint as cp
from interop.audit import leaf, merkle, signing
from interop.audit.models import AuditHead, AuditLeaf, AuditNode

SEQUENCER_LOCK = 0x1A0D17_5E0
BATCH = 20_000
# Monthly partitions of the records made this far ahead (migration 0016), checked this often.
PARTITION_MONTHS_AHEAD = 2
PARTITION_CHECK_S = 3600.0
log = logging.getLogger(__name__)

_COLUMNS = ", ".join(leaf.LEAF_FIELDS)
_LEGACY = text(
    f"SELECT {_COLUMNS} FROM audit_event WHERE xid IS NULL AND seq > :after ORDER BY seq LIMIT :limit"
)
# The intake's committed rows, lowest seq first, moved into audit_event / audit_event_patient in this
# transaction (migration 0022): if the step fails they stay in the intake, both or neither.
_MOVE = text(f"SELECT {_COLUMNS} FROM audit_intake_move(:batch)")
_NEW = text(
    f"SELECT {_COLUMNS} FROM audit_event e WHERE e.xid >= :low "
    "AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.seq = e.seq) ORDER BY e.seq LIMIT :limit"
)


@dataclass(frozen=True, slots=True)
class Step:
    """What one step did: leaves added, the new size, and the longest commit-to-leaf wait among them."""

    added: int
    tree_size: int
    merge_delay_s: float


@dataclass
class _Stats:
    last_merge_delay_s: float = 0.0
    last_step_at: float = 0.0


stats = _Stats()


async def load_frontier(session: AsyncSession, size: int) -> merkle.Frontier:
    if size == 0:
        return merkle.Frontier()
    keys = merkle.perfect_parts(0, size)
    found = await node_hashes(session, keys)
    return merkle.Frontier(size, found)


async def node_hashes(session: AsyncSession, keys: Any) -> dict[merkle.NodeKey, bytes]:
    """The stored hashes of these perfect subtrees (one query)."""
    keys = list(keys)
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT n.level, n.idx, n.hash FROM audit_node n "
            "JOIN unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[])) AS k(level, idx) "
            "ON n.level = k.level AND n.idx = k.idx"
        ),
        {"levels": [k[0] for k in keys], "idxs": [k[1] for k in keys]},
    )
    return {(int(r.level), int(r.idx)): bytes(r.hash) for r in rows}


async def latest_head(session: AsyncSession) -> AuditHead | None:
    return (
        await session.execute(select(AuditHead).order_by(AuditHead.tree_size.desc()).limit(1))
    ).scalar_one_or_none()


async def step(
    session: AsyncSession, *, signer: signing.Signer, origin: str, batch: int = BATCH
) -> Step | None:
    """Sequence up to ``batch`` committed events and sign the new head. None when another step holds the
    sequencer lock; ``added == 0`` when there was nothing to add (no head is signed then)."""
    if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK}):
        return None
    head = await latest_head(session)
    size = head.tree_size if head is not None else 0
    watermark = head.watermark if head is not None else None
    rows: list[Any] = []
    if watermark is None:  # the legacy chain is not all in the tree yet
        after = 0
        if size:
            after = int(
                await session.scalar(select(AuditLeaf.seq).where(AuditLeaf.leaf_index == size - 1)) or 0
            )
        rows = list(await session.execute(_LEGACY, {"after": after, "limit": batch}))
        if len(rows) == batch:
            return await _extend(session, size, rows, None, signer=signer, origin=origin)
        watermark = 0
    # Read before the events: every transaction below it has ended, so the query below sees all their events.
    xmin = int(
        await session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")) or 0
    )
    room = batch - len(rows)
    # Records written straight into audit_event (before migration 0022, by an older process during a
    # rolling deploy, or moved by a transaction that made no leaves) first: once this step has moved
    # intake rows, they are audit_event rows of this transaction, not leaves yet, and would be found twice.
    more = list(await session.execute(_NEW, {"low": watermark, "limit": room}))
    if len(more) < room:
        more.extend(await session.execute(_MOVE, {"batch": room - len(more)}))
        more.sort(key=lambda row: row[0])
    rows.extend(more)
    # A full batch may have left some behind: keep the watermark, the next step finds them.
    next_watermark = xmin if len(more) < room else watermark
    return await _extend(session, size, rows, next_watermark, signer=signer, origin=origin)


async def _extend(
    session: AsyncSession,
    size: int,
    rows: list[Any],
    watermark: int | None,
    *,
    signer: signing.Signer,
    origin: str,
) -> Step:
    if not rows:
        return Step(0, size, 0.0)
    frontier = await load_frontier(session, size)
    leaves: list[dict[str, int]] = []
    nodes: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    oldest = now
    for row in rows:
        data = leaf.canonical_leaf(row)
        leaves.append({"leaf_index": frontier.size, "seq": row[0]})
        nodes.extend(
            {"level": lv, "idx": ix, "hash": h} for lv, ix, h in frontier.append(merkle.leaf_hash(data))
        )
        oldest = min(oldest, row[1])
    await session.execute(insert(AuditLeaf), leaves)
    await session.execute(insert(AuditNode), nodes)
    root = frontier.root()
    body = cp.format_checkpoint(origin, frontier.size, root)
    session.add(
        AuditHead(
            tree_size=frontier.size,
            root_hash=root,
            created_at=now,
            kid=signer.key_id,
            checkpoint=body,
            signature=signer.sign(body.encode()),
            watermark=watermark,
        )
    )
    await session.flush()
    delay = (now - oldest).total_seconds()
    stats.last_merge_delay_s, stats.last_step_at = delay, time.monotonic()
    return Step(len(rows), frontier.size, delay)


async def pending_age_seconds(session: AsyncSession) -> float:
    """How long the oldest committed event not yet a leaf has waited (0 when none): the merge delay now,
    which stays below ``audit_max_merge_delay_s`` while the sequencer keeps up. Index range scans only
    (it runs on every metrics scrape)."""
    head = await latest_head(session)
    oldest: list[Any] = []
    if head is None or head.watermark is None:  # legacy chain events still to sequence
        size = head.tree_size if head is not None else 0
        after = await session.scalar(select(AuditLeaf.seq).where(AuditLeaf.leaf_index == size - 1)) or 0
        oldest.append(
            await session.scalar(
                text("SELECT min(recorded_at) FROM audit_event WHERE xid IS NULL AND seq > :after"),
                {"after": after},
            )
        )
    oldest.append(
        await session.scalar(
            text(
                "SELECT min(recorded_at) FROM audit_event e WHERE e.xid >= :low "
                "AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.seq = e.seq)"
            ),
            {"low": head.watermark if head is not None and head.watermark is not None else 0},
        )
    )
    oldest.append(await session.scalar(text("SELECT min(recorded_at) FROM audit_intake")))
    moments = [m for m in oldest if m is not None]
    if not moments:
        return 0.0
    earliest: datetime = min(moments)
    return max(0.0, (datetime.now(UTC) - earliest).total_seconds())


async def ensure_partitions(session: AsyncSession, *, months_ahead: int = PARTITION_MONTHS_AHEAD) -> int:
    """Create the monthly partitions of the audit records (and their patients) for this month and the
    next ``months_ahead`` that do not exist yet; how many months were made. Idempotent."""
    made = await session.scalar(text("SELECT audit_partitions_ensure(:k)"), {"k": months_ahead})
    return int(made or 0)


async def catch_up(
    sessionmaker: async_sessionmaker[AsyncSession], *, signer: signing.Signer, origin: str, batch: int = BATCH
) -> int:
    """Steps, each in its own committed transaction, until nothing is left to add; the leaves added."""
    total = 0
    while True:
        async with sessionmaker() as session:
            done = await step(session, signer=signer, origin=origin, batch=batch)
            await session.commit()
        if done is None or done.added == 0:
            return total
        total += done.added


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    signer: signing.Signer,
    origin: str,
    max_merge_delay_s: float,
    stop: asyncio.Event,
    outage_wait: Callable[[Exception], float | None] | None = None,
) -> None:
    """The job worker's sequencer loop: catch up every half merge delay until ``stop`` is set.

    ``outage_wait`` tells a database outage from a failed step: for an outage it returns how long to
    wait (the caller's outage tracker logs once per state change, so nothing is logged here); for
    anything else it returns None and the failure is logged."""
    partitions_checked = -PARTITION_CHECK_S
    while not stop.is_set():
        wait = max_merge_delay_s / 2
        try:
            if time.monotonic() - partitions_checked >= PARTITION_CHECK_S:
                async with sessionmaker() as session:
                    if made := await ensure_partitions(session):
                        log.info("audit partitions created: %d months", made)
                    await session.commit()
                partitions_checked = time.monotonic()
            await catch_up(sessionmaker, signer=signer, origin=origin)
        except Exception as exc:  # a failed step is retried on the next tick; its transaction rolled back
            backoff = outage_wait(exc) if outage_wait is not None else None
            if backoff is None:
                log.exception("audit sequencer step failed")
            else:
                wait = max(wait, backoff)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
