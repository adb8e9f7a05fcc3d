"""Full verification of the Merkle tree log: every leaf recomputed from its event, every stored leaf hash
compared, every signed head's signature and root checked, and no committed event left out.

What it names (the lowest leaf index wins):
- a leaf whose event is gone (deleted) or whose index is missing: "leaf N: … missing";
- a leaf whose event no longer hashes to the stored leaf hash (altered content): "leaf N: … altered";
- a head whose signature fails, or whose root the leaves do not reproduce (an entry below its size was
  altered or removed together with its stored hash), named at the head's size;
- an event below the sequencer's watermark that is not a leaf (dropped from the tree): "event seq S";
- an intake row below the latest head's watermark (a record the sequencer should have taken): "record
  seq S … still in the intake".

The leaves are walked in aligned ranges of ``2**RANGE_LEVEL`` (one statement each): a range is a perfect
subtree (RFC 9162), so what a range returns — the perfect subtrees of its leaves up to each signed head
inside it, and up to its end — joins the ranges before it exactly (``merkle.Frontier.append_subtree``). One
process walks them in turn (:func:`verify_tree`, in the caller's transaction), or several processes walk
them at once in the coordinator's exported snapshot (:func:`verify_tree_parallel`): the same leaves, heads
and answer either way.

Per leaf, PostgreSQL writes the leaf bytes (``leaf.SQL_LEAF``, from the stored record's columns) and hashes
them; the verifier places the hashes, compares them with the stored ones and builds the tree above them:
no Python work per record. A leaf whose computed hash is not its stored hash (a control character, which
the SQL text leaves raw, or an altered record) is rebuilt from its fields by ``leaf.canonical_leaf``, the
definition, which decides. Rows are hashed unsorted (each hash goes to its index) and each range is one
plain scan (no parallel workers of PostgreSQL's own beside the walkers).
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, cast

import asyncpg
from cryptography.exceptions import InvalidSignature

from interop.audit import checkpoint as cp
from interop.audit import leaf, merkle, tree_left_out, tree_stored
from interop.audit.signing import Verifier
from interop.messages.stored import keep

RANGE_LEVEL = 18  # 262,144 leaves a range: a few MB of hashes in memory, a few seconds of work
# PostgreSQL hashes each leaf (RFC 9162: sha256 of 0x00 and the leaf bytes, written by leaf.SQL_LEAF from the
# stored record's columns) and returns the range as one value: per leaf, its index as 8 bytes big-endian
# and its 32-byte hash; a leaf whose event is gone as -1 - index and 32 zero bytes. Rows come in any order
# (no sort in the database: each hash goes to its index here). Python then does no per-record work but
# placing the hash: the leaf text never crosses the socket (~530 bytes a leaf, escaped for COPY by
# PostgreSQL and split and unescaped by the verifier), which cost more CPU on both sides than sha256 in
# PostgreSQL adds (bench/audit/RESULTS.md, session 9). The seq bounds of the range let each partition of
# audit_event answer by an index range instead of a whole scan. The stored leaf hashes are not joined
# here (a third table in every range's plan): :mod:`tree_stored` reads them apart, in order, as one value.
# The join is full: the events between the range's seq bounds that are no leaf of it come back as strays
# (their seq and xid), so that the check for events left out of the tree (:mod:`tree_left_out`) does not
# read the whole event table a second time.
# The leaf text becomes bytes by ``textsend`` (the text in the client encoding, which asyncpg holds at UTF-8),
# not ``convert_to(…, 'UTF8')``: the same bytes without a second UTF-8 validation of text the database already
# holds as valid UTF-8 (bench/audit/RESULTS.md, session 11).
_GONE_HASH = "'\\x" + "00" * 32 + "'::bytea"
_SIGNED_INDEX = "CASE WHEN e.seq IS NULL THEN -1 - l.leaf_index ELSE l.leaf_index END"
_HASHED = (
    "SELECT coalesce(string_agg("
    f"int8send({_SIGNED_INDEX}) || coalesce(sha256('\\x00'::bytea || textsend("
    + leaf.SQL_LEAF.replace("{", "{{").replace("}", "}}")  # a template for str.format below
    + f")), {_GONE_HASH}), ''::bytea) FILTER (WHERE l.leaf_index IS NOT NULL), ''::bytea), "
    "array_agg(e.seq) FILTER (WHERE l.leaf_index IS NULL), "
    "array_agg(e.xid) FILTER (WHERE l.leaf_index IS NULL) "
    "FROM (SELECT leaf_index, seq FROM audit_leaf WHERE leaf_index >= {start} AND leaf_index < {stop}) l "
    "FULL JOIN (SELECT * FROM audit_event WHERE seq BETWEEN {low} AND {high}) e ON e.seq = l.seq"
)
_ENTRY = struct.Struct(">q32s")  # one leaf of _HASHED's value
# A record whose SQL text does not hash to the stored leaf hash, rebuilt by leaf.canonical_leaf.
_RECORDS = (
    "SELECT l.leaf_index, l.seq, "
    + ", ".join(f"e.{f}" for f in leaf.LEAF_FIELDS)
    + " FROM audit_leaf l LEFT JOIN audit_event e ON e.seq = l.seq WHERE l.leaf_index = ANY($1::bigint[])"
)
# Each range is one plain scan: PostgreSQL's own parallel workers would compete with the walkers for the
# cores, and ranges already run side by side on processes.
_ONE_SCAN = "SET LOCAL max_parallel_workers_per_gather = 0"
# The range statement reads by bitmap scans: each heap page once, in physical order, by PostgreSQL's read
# stream (combined, read ahead), not a page at a time as an index scan does; the 10 M tree does not stay in
# shared buffers (bench/audit/RESULTS.md, session 11). For that statement only; the caller's setting after.
_NO_INDEX_SCAN = "SELECT current_setting('enable_indexscan'), set_config('enable_indexscan', 'off', true)"
_INDEX_SCAN_BACK = "SELECT set_config('enable_indexscan', $1, true)"
# The seq bounds of a range's leaves, from those leaves alone. Written plainly (min and max over the table),
# the planner answers each from the seq index's ends, skipping the leaves outside the range one by one: every
# range then read the whole leaf table (0.85 s a range at 10 M, a third of PostgreSQL's time a leaf;
# bench/audit/RESULTS.md, session 12). The subquery (OFFSET 0 keeps it one) reads the range by leaf index.
_SEQ_BOUNDS = (
    "SELECT min(seq), max(seq) FROM "
    "(SELECT seq FROM audit_leaf WHERE leaf_index >= $1 AND leaf_index < $2 OFFSET 0) AS range_leaves"
)
_SIZE = "SELECT coalesce(max(leaf_index) + 1, 0) FROM audit_leaf"
_HEADS = (
    "SELECT tree_size, root_hash, kid, checkpoint, signature, watermark FROM audit_head ORDER BY tree_size"
)
_Parts = list[tuple[int, bytes]]
_GONE = b""  # the place of a leaf whose event is gone, until settled


@dataclass(frozen=True, slots=True)
class TreeReport:
    leaves_checked: int
    heads_checked: int
    tree_size: int
    first_bad_leaf: int | None
    reason: str | None


@dataclass(slots=True)
class RangeWalk:
    """One aligned range walked: its leaves' perfect subtrees up to each head size inside it and to its
    end (``(level, hash)``, largest first), the problems found, and whether a missing index cut it short."""

    start: int
    walked: int = 0
    at_heads: dict[int, _Parts] = field(default_factory=dict)
    tail: _Parts = field(default_factory=list)
    breaks: list[tuple[int, str]] = field(default_factory=list)
    cut: bool = False
    bounds: tuple[int, int] | None = None  # the seq bounds of its leaves: every event between them was read
    strays: list[tuple[int, int | None]] = field(default_factory=list)  # (seq, xid): read, no leaf of it


class _RangeWalker:
    """One range's leaf hashes as PostgreSQL computed them, each at its place; the stored hashes are
    compared afterwards in one go (:meth:`settle`)."""

    def __init__(self, start: int, stop: int) -> None:
        self.start = start
        self.hashes: list[bytes | None] = [None] * (stop - start)
        self.gone: list[int] = []  # leaves whose event is missing
        self.breaks: list[tuple[int, str]] = []
        self.cut = False

    def take(self, packed: bytes) -> None:
        """Place each leaf hash of a range's :data:`_HASHED` value at its index."""
        hashes, start, gone = self.hashes, self.start, self.gone
        for index, digest in _ENTRY.iter_unpack(packed):
            if index < 0:  # the event is gone
                gone.append(-1 - index)
                hashes[-1 - index - start] = _GONE
            else:
                hashes[index - start] = digest
        gone.sort()

    def settle(self, stored: tree_stored.Stored) -> list[int]:
        """Cut the range at its first missing leaf index; a gone event's place takes its stored hash (the
        tree above it is still checked); the offsets whose computed hash is not the stored one (``stored``:
        by offset, ``b""`` where none is stored)."""
        try:
            walked = self.hashes.index(None)
        except ValueError:
            walked = len(self.hashes)
        if walked < len(self.hashes):
            after = next((i for i in range(walked, len(self.hashes)) if self.hashes[i] is not None), None)
            missing = self.start + walked
            reason = (
                keep("audit.verify.leaf_missing_jump", leaf=missing, next=self.start + after)
                if after is not None
                else keep("audit.verify.leaf_missing_end", leaf=missing)
            )
            self.breaks.append((missing, reason))
            self.cut = True
            del self.hashes[walked:]
            self.gone = [g for g in self.gone if g < self.start + walked]
        for index in self.gone:
            self.hashes[index - self.start] = stored[index - self.start] or bytes(32)
        hashes = cast(list[bytes], self.hashes)
        if isinstance(stored, tree_stored.Packed) and stored.blob[: 32 * walked] == b"".join(hashes):
            return []
        return [i for i, h in enumerate(hashes) if h != stored[i]]

    def result(self, head_sizes: Sequence[int]) -> RangeWalk:
        levels = [cast(list[bytes], self.hashes)]  # settled: no gap left
        while len(levels[-1]) > 1:  # every complete perfect subtree of the range, level by level
            below = levels[-1]
            levels.append(
                [
                    hashlib.sha256(b"\x01" + a + b).digest()
                    for a, b in zip(below[0::2], below[1::2], strict=False)
                ]
            )

        def parts(count: int) -> _Parts:
            return [(lv, levels[lv][ix]) for lv, ix in merkle.perfect_parts(0, count)] if count else []

        walked = len(self.hashes)
        at_heads = {s: parts(s - self.start) for s in head_sizes if self.start < s <= self.start + walked}
        return RangeWalk(self.start, walked, at_heads, parts(walked), self.breaks, self.cut)


async def walk_range(conn: asyncpg.Connection, start: int, stop: int, head_sizes: Sequence[int]) -> RangeWalk:
    """Walk leaves [start, stop) in the connection's open transaction."""
    bounds = await conn.fetchrow(_SEQ_BOUNDS, start, stop)
    low, high = (bounds[0], bounds[1]) if bounds is not None else (None, None)
    walker = _RangeWalker(start, stop)
    strays: list[tuple[int, int | None]] = []
    if low is not None and high is not None:  # else no leaf of the range is left
        query = _HASHED.format(low=int(low), high=int(high), start=int(start), stop=int(stop))
        previous, _ = cast(asyncpg.Record, await conn.fetchrow(_NO_INDEX_SCAN))
        packed, seqs, xids = cast(asyncpg.Record, await conn.fetchrow(query))  # an aggregate: one row
        await conn.execute(_INDEX_SCAN_BACK, previous)
        walker.take(bytes(packed))
        strays = list(zip(seqs or [], xids or [], strict=True))
    await _settle(conn, walker, stop)
    walk = walker.result(head_sizes)
    if low is not None and high is not None:
        walk.bounds, walk.strays = (int(low), int(high)), strays
    return walk


async def _settle(conn: asyncpg.Connection, walker: _RangeWalker, stop: int) -> None:
    """Name the gone events, and judge each leaf whose SQL text did not hash to the stored hash by its
    record rebuilt in Python (:func:`leaf.canonical_leaf`, the definition): altered unless that matches."""
    stored = await tree_stored.read(conn, walker.start, stop)
    offsets = walker.settle(stored)
    gone = set(walker.gone)
    offsets = [i for i in offsets if walker.start + i not in gone]
    wanted = sorted(gone | {walker.start + i for i in offsets})
    if not wanted:
        return
    rows = {int(r[0]): r for r in await conn.fetch(_RECORDS, wanted)}
    for index in walker.gone:
        walker.breaks.append((index, keep("audit.verify.leaf_event_missing", leaf=index, seq=rows[index][1])))
    for offset in offsets:
        index = walker.start + offset
        row = rows[index]
        computed = merkle.leaf_hash(leaf.canonical_leaf(list(row)[2:]))
        walker.hashes[offset] = computed
        if computed != stored[offset]:
            walker.breaks.append((index, keep("audit.verify.leaf_altered", leaf=index, seq=row[1])))


def _check_head(head: Any, root: bytes, verifier: Verifier) -> str | None:
    size = int(head["tree_size"])
    body = head["checkpoint"]
    try:
        verifier.public.verify(bytes(head["signature"]), body.encode())
    except InvalidSignature:
        return keep("audit.verify.head_signature", size=size, kid=verifier.key_id)
    parsed = cp.parse_checkpoint(body)
    if parsed.tree_size != size or parsed.root_hash != bytes(head["root_hash"]):
        return keep("audit.verify.head_fields", size=size)
    if parsed.root_hash != root:
        return keep("audit.verify.head_root_altered", size=size)
    return None


def _ranges(size: int, level: int) -> list[tuple[int, int]]:
    step = 1 << level
    return [(a, min(a + step, size)) for a in range(0, size, step)]


def _combine(
    walks: Sequence[RangeWalk], heads: Sequence[Any], verifier: Verifier
) -> tuple[merkle.Frontier, list[tuple[int, str]], int]:
    """Join the ranges in order, checking each signed head at its size; stops after a cut range."""
    frontier = merkle.Frontier()
    breaks: list[tuple[int, str]] = []
    by_size = {int(h["tree_size"]): h for h in heads}
    checked = 0
    for walk in sorted(walks, key=lambda w: w.start):
        if walk.start != frontier.size:  # a range ended early: the leaves up to the next are gone
            breaks.append(
                (
                    frontier.size,
                    keep("audit.verify.leaf_missing_jump", leaf=frontier.size, next=walk.start),
                )
            )
            break
        breaks.extend(walk.breaks)
        for size, parts in sorted(walk.at_heads.items()):
            at = frontier.copy()
            for level, hash_ in parts:
                at.append_subtree(level, hash_)
            problem = _check_head(by_size[size], at.root(), verifier)
            if problem:
                breaks.append((size - 1, problem))
            checked += 1
        for level, hash_ in walk.tail:
            frontier.append_subtree(level, hash_)
        if walk.cut:
            break
    return frontier, breaks, checked


async def _finish(
    conn: asyncpg.Connection, walks: Sequence[RangeWalk], heads: Sequence[Any], verifier: Verifier
) -> TreeReport:
    frontier, breaks, checked = _combine(walks, heads, verifier)
    beyond = [int(h["tree_size"]) for h in heads if int(h["tree_size"]) > frontier.size]
    if beyond and not breaks:
        breaks.append(
            (frontier.size, keep("audit.verify.leaf_missing_head", leaf=frontier.size, size=beyond[0]))
        )
    if heads:
        watermark = heads[-1]["watermark"]
        left_out = await tree_left_out.first_left_out(
            conn,
            [w.bounds for w in walks if w.bounds is not None],
            [s for w in walks for s in w.strays],
            watermark,
        )
        if left_out is not None:
            breaks.append((frontier.size, keep("audit.verify.left_out_missing", seq=left_out)))
        if watermark is not None:  # None: the legacy chain is still being sequenced, the intake untouched
            waiting = await conn.fetchval(tree_left_out.INTAKE_LEFT_OUT, watermark)
            if waiting is not None:
                breaks.append((frontier.size, keep("audit.verify.left_out_intake", seq=waiting)))
    first = min(breaks, key=lambda b: b[0]) if breaks else None
    return TreeReport(
        leaves_checked=frontier.size,
        heads_checked=checked,
        tree_size=frontier.size,
        first_bad_leaf=first[0] if first else None,
        reason=first[1] if first else None,
    )


async def tree_size(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(_SIZE))


async def verify_tree(
    conn: asyncpg.Connection, *, verifier: Verifier, range_level: int = RANGE_LEVEL
) -> TreeReport:
    """Walk the whole tree range by range in the connection's open transaction (call inside one, for one
    snapshot; the log being append-only, READ COMMITTED gives the same answer for the leaves up to the
    size read first)."""
    await conn.execute(_ONE_SCAN)
    heads = list(await conn.fetch(_HEADS))
    sizes = [int(h["tree_size"]) for h in heads]
    walks: list[RangeWalk] = []
    for start, stop in _ranges(await tree_size(conn), range_level):
        walk = await walk_range(conn, start, stop, sizes)
        walks.append(walk)
        if walk.cut:
            break
    return await _finish(conn, walks, heads, verifier)


def _walk_in_process(dsn: str, snapshot: str, start: int, stop: int, sizes: list[int]) -> RangeWalk:
    async def run() -> RangeWalk:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                await conn.execute(_ONE_SCAN)
                return await walk_range(conn, start, stop, sizes)
        finally:
            await conn.close()

    return asyncio.run(run())


async def verify_tree_parallel(
    dsn: str, *, verifier: Verifier, workers: int, range_level: int = RANGE_LEVEL
) -> TreeReport:
    """Walk the ranges on ``workers`` processes, all in one snapshot exported by this coordinator's
    transaction (held open until they finish). ``dsn`` is a plain ``postgresql://`` URL."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = str(await conn.fetchval("SELECT pg_export_snapshot()"))
            heads = list(await conn.fetch(_HEADS))
            sizes = [int(h["tree_size"]) for h in heads]
            ranges = _ranges(await tree_size(conn), range_level)
            walks: list[RangeWalk] = []
            if ranges:
                loop = asyncio.get_running_loop()
                with ProcessPoolExecutor(
                    max_workers=max(1, min(workers, len(ranges))), mp_context=get_context("spawn")
                ) as pool:
                    walks = list(
                        await asyncio.gather(
                            *(
                                loop.run_in_executor(pool, _walk_in_process, dsn, snapshot, a, b, sizes)
                                for a, b in ranges
                            )
                        )
                    )
            return await _finish(conn, walks, heads, verifier)
    finally:
        await conn.close()
