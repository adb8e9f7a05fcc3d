"""Walking the stored chain and its checkpoints, then the Merkle tree
(:mod:`interop.audit.tree_verification`): in the caller's transaction (one consistent snapshot, for the
API), or in parallel seq and leaf ranges across processes (``verify_parallel``, for the CLI and bench).

Rows stream through a server-side cursor; nothing holds the whole chain in memory.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import asyncpg
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import chain, tree_verification
from interop.audit.schemas import VerificationRead
from interop.audit.signing import Verifier
from interop.db.bulk import raw_connection
from interop.messages.stored import keep

# Streamed with COPY (text, NULL as empty) and checked line by line without decoding values.
_ROWS = (
    "SELECT seq, recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id, "
    "network_address, request_id, trace_id, patient, entities, query, encode(hash, 'hex') "
    "FROM audit_event WHERE seq BETWEEN $1 AND $2 ORDER BY seq"
)
_CHECKPOINTS = (
    "SELECT c.id, c.seq, c.hash, c.created_at, c.key_id, c.signature, e.hash AS chain_hash "
    "FROM audit_checkpoint c LEFT JOIN audit_event e ON e.seq = c.seq ORDER BY c.seq, c.id"
)


@dataclass(frozen=True)
class _Checkpoints:
    count: int
    latest_seq: int | None
    broken: chain.Break | None


def check_checkpoints(rows: Sequence[Any], *, head_seq: int, verifier: Verifier) -> _Checkpoints:
    """Every signature must verify with the trusted key and every signed hash must equal the chain's hash
    at that seq; a checkpoint past the head means the tail was dropped. Returns the lowest break."""
    breaks: list[chain.Break] = []
    previous_good = 0
    for row in rows:
        seq = int(row["seq"])
        message = chain.checkpoint_message(
            seq=seq, hash_=bytes(row["hash"]), created_at=row["created_at"], key_id=row["key_id"]
        )
        if row["key_id"] != verifier.key_id or not verifier.verify(message, bytes(row["signature"])):
            breaks.append(
                chain.Break(seq, keep("audit.verify.checkpoint_signature", id=row["id"], kid=verifier.key_id))
            )
        elif seq > head_seq:
            breaks.append(
                chain.Break(
                    head_seq + 1,
                    keep("audit.verify.chain_short", head=head_seq, id=row["id"], seq=seq),
                )
            )
        elif row["chain_hash"] is None or bytes(row["chain_hash"]) != bytes(row["hash"]):
            breaks.append(
                chain.Break(
                    seq,
                    keep("audit.verify.chain_differs", id=row["id"], good=previous_good),
                )
            )
        else:
            previous_good = seq
    latest = max((int(r["seq"]) for r in rows), default=None)
    return _Checkpoints(len(rows), latest, min(breaks, key=lambda b: b.seq) if breaks else None)


async def walk_range(
    conn: asyncpg.Connection, first: int, last: int, *, prev_hash: bytes | None = None
) -> chain.Walk:
    """Walk [first, last] (in a transaction) from ``prev_hash``, by default the stored hash of entry
    ``first - 1``; a range that ends early reports its first missing seq."""
    if prev_hash is None:
        prev_hash = chain.GENESIS
        if first > 1:
            stored = await conn.fetchval("SELECT hash FROM audit_event WHERE seq = $1", first - 1)
            # A missing predecessor is reported by the range that owns it; any hash fails this one later.
            prev_hash = bytes(stored) if stored is not None else chain.GENESIS
    walker = chain.CopyWalker(prev_seq=first - 1, prev_hash=prev_hash)

    async def sink(data: bytes) -> None:
        walker.feed(data)
        await asyncio.sleep(0)  # a long walk inside the API must not starve other requests

    await conn.execute("SET LOCAL TIME ZONE 'UTC'")  # the canonical form is rebuilt from UTC text
    await conn.copy_from_query(_ROWS, first, last, output=sink, format="text", null="")
    result = walker.result()
    if result.broken is None and result.last_seq < last:
        return chain.Walk(
            result.count,
            result.last_seq,
            result.last_hash,
            chain.Break(result.last_seq + 1, keep("audit.verify.entry_missing")),
        )
    return result


def _report(
    walks: Sequence[chain.Walk],
    checkpoints: _Checkpoints,
    *,
    head_seq: int,
    verifier: Verifier,
    started: float,
    tree: tree_verification.TreeReport | None = None,
) -> VerificationRead:
    breaks = [w.broken for w in walks if w.broken is not None]
    if checkpoints.broken is not None:
        breaks.append(checkpoints.broken)
    first = min(breaks, key=lambda b: b.seq) if breaks else None
    tree_bad = tree is not None and tree.reason is not None
    return VerificationRead(
        ok=first is None and not tree_bad,
        leaves_checked=tree.leaves_checked if tree else 0,
        heads_checked=tree.heads_checked if tree else 0,
        first_bad_leaf=tree.first_bad_leaf if tree else None,
        events_checked=sum(w.count for w in walks),
        head_seq=head_seq,
        checkpoints_checked=checkpoints.count,
        latest_checkpoint_seq=checkpoints.latest_seq,
        first_bad_seq=first.seq if first else None,
        reason=first.reason if first else (tree.reason if tree else None),
        key_id=verifier.key_id,
        seconds=round(time.perf_counter() - started, 3),
    )


async def _heads(conn: asyncpg.Connection, verifier: Verifier) -> tuple[int, _Checkpoints]:
    # Checkpoints first: any checkpoint read then signs a seq at or below the head read after it.
    checkpoint_rows = await conn.fetch(_CHECKPOINTS)
    # The chain is the events written with a hash (before the tree log); the tree covers all.
    head_seq = int(
        await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_event WHERE hash IS NOT NULL")
    )
    return head_seq, check_checkpoints(checkpoint_rows, head_seq=head_seq, verifier=verifier)


async def verify(session: AsyncSession, *, verifier: Verifier, workers: int = 1) -> VerificationRead:
    """Walk the whole chain and every checkpoint in the session's transaction (one snapshot). A tree of
    more than one range is walked on ``workers`` processes when more than one is given (in a snapshot of
    their own, exported by a connection of the session's engine)."""
    started = time.perf_counter()
    # The driver begins the transaction lazily; a cursor needs it begun.
    await session.execute(text("SELECT 1"))
    conn = await raw_connection(session)
    head_seq, checkpoints = await _heads(conn, verifier)
    walk = await walk_range(conn, 1, head_seq)
    if workers > 1 and await tree_verification.tree_size(conn) > 1 << tree_verification.RANGE_LEVEL:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        url = engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        tree = await tree_verification.verify_tree_parallel(dsn, verifier=verifier, workers=workers)
    else:
        tree = await tree_verification.verify_tree(conn, verifier=verifier)
    return _report([walk], checkpoints, head_seq=head_seq, verifier=verifier, started=started, tree=tree)


def _walk_in_process(dsn: str, first: int, last: int) -> chain.Walk:
    async def run() -> chain.Walk:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction(readonly=True):
                return await walk_range(conn, first, last)
        finally:
            await conn.close()

    return asyncio.run(run())


def verify_parallel(
    dsn: str, *, verifier: Verifier, workers: int | None = None, chunk: int = 500_000
) -> VerificationRead:
    """Walk the chain in seq ranges on ``workers`` processes (default: the CPU count). Blocking.

    ``dsn`` is a plain ``postgresql://`` URL. The first break across all ranges is the one reported.
    """
    started = time.perf_counter()

    async def heads() -> tuple[int, _Checkpoints]:
        conn = await asyncpg.connect(dsn)
        try:
            return await _heads(conn, verifier)
        finally:
            await conn.close()

    head_seq, checkpoints = asyncio.run(heads())
    workers = max(1, workers or os.cpu_count() or 1)
    tree = asyncio.run(tree_verification.verify_tree_parallel(dsn, verifier=verifier, workers=workers))
    ranges = [(a, min(a + chunk - 1, head_seq)) for a in range(1, head_seq + 1, chunk)]
    if not ranges:
        return _report([], checkpoints, head_seq=0, verifier=verifier, started=started, tree=tree)
    if workers == 1 or len(ranges) == 1:
        walks = [_walk_in_process(dsn, a, b) for a, b in ranges]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            walks = list(pool.map(_walk_in_process, [dsn] * len(ranges), *zip(*ranges, strict=True)))
    return _report(walks, checkpoints, head_seq=head_seq, verifier=verifier, started=started, tree=tree)
