"""NDJSON export of a date range for external auditors: a run of tree leaves and the signed head that
covers them, checkable with the public key alone (``python -m interop.audit.verify_proof export``).

Lines, in order:
  ``{"kind": "header", "from", "to", "first_index", "last_index", "count", "left"}``: ``left`` the
  perfect subtrees (``level``, ``index``, base64 ``hash``) whose fold is the tree of the first
  ``first_index`` leaves (RFC 9162 hashing);
  ``{"kind": "entry", "index", "leaf", "record"}`` for each leaf from ``first_index`` to ``last_index``:
  ``leaf`` the exact bytes hashed into the tree (base64), ``record`` the same bytes as JSON;
  ``{"kind": "head", <signed tree head>, "consistency", "public_key"}``: the latest signed head and the
  consistency proof from the tree of ``last_index + 1`` leaves to it.

An auditor appends the entries' leaf hashes to the left subtrees, which gives the root of the tree of
``last_index + 1`` leaves, checks the consistency proof from that root to the signed head's, and the head's
signature: every entry is then exactly where the signed log has it, and none between is left out.

Leaves are in the order the sequencer met their commits, so the run is the smallest one holding every
record of the range that was sequenced when the export started (the export first runs a sequencer step);
a record at either border may be from just outside the range. Nothing walks a chain.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import chain, merkle, proofs, sequencer
from interop.audit.errors import InvalidAuditQuery
from interop.audit.leaf import LEAF_FIELDS, canonical_leaf
from interop.audit.schemas import TreeHeadRead
from interop.audit.signing import Signer
from interop.db.bulk import raw_connection

_RANGE = text(
    "SELECT min(l.leaf_index), max(l.leaf_index) FROM audit_event e JOIN audit_leaf l ON l.seq = e.seq "
    "WHERE e.recorded_at >= :start AND e.recorded_at < :end"
)
_ROWS = (
    "SELECT l.leaf_index, "
    + ", ".join(f"e.{f}" for f in LEAF_FIELDS)
    + " FROM audit_leaf l JOIN audit_event e ON e.seq = l.seq "
    "WHERE l.leaf_index BETWEEN $1 AND $2 ORDER BY l.leaf_index"
)


@dataclass(frozen=True)
class ExportRange:
    start: datetime
    end: datetime
    first_index: int | None
    last_index: int | None
    head: TreeHeadRead | None
    left: list[tuple[int, int, bytes]] = field(default_factory=list)
    consistency: list[bytes] = field(default_factory=list)

    @property
    def count(self) -> int:
        if self.first_index is None or self.last_index is None:
            return 0
        return self.last_index - self.first_index + 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def plan(
    session: AsyncSession, *, start: datetime, end: datetime, signer: Signer, origin: str
) -> ExportRange:
    """Sequence what has committed, then find the leaves of records recorded in [start, end), the left
    subtrees before them and the consistency proof from their end to the latest signed head."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidAuditQuery.said("audit.export.zone_needed")
    if end <= start:
        raise InvalidAuditQuery.said("audit.export.to_before_from")
    await sequencer.step(session, signer=signer, origin=origin)
    head = await proofs.latest_head_or_none(session)
    first, last = (await session.execute(_RANGE, {"start": start, "end": end})).one()
    if head is None or first is None:
        return ExportRange(start, end, None, None, head)
    size = last + 1
    ranges = merkle.consistency_ranges(size, head.tree_size) if size < head.tree_size else []
    parts = merkle.perfect_parts(0, first) if first else []
    nodes = await sequencer.node_hashes(session, merkle.needed_nodes(ranges) | set(parts))
    left = [(lv, ix, nodes[(lv, ix)]) for lv, ix in parts]
    consistency = [merkle.range_root(s, e, nodes) for s, e in ranges]
    return ExportRange(start, end, int(first), int(last), head, left, consistency)


def _line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value) + b"\n"


async def lines(session: AsyncSession, *, export: ExportRange, public_pem: str) -> AsyncIterator[bytes]:
    """Stream the export (a server-side cursor; memory stays flat whatever the range)."""
    yield _line(
        {
            "kind": "header",
            "from": chain.format_instant(export.start),
            "to": chain.format_instant(export.end),
            "first_index": export.first_index,
            "last_index": export.last_index,
            "count": export.count,
            "left": [{"level": lv, "index": ix, "hash": _b64(h)} for lv, ix, h in export.left],
            "hashing": "RFC 9162: leaf SHA-256(0x00 || leaf), node SHA-256(0x01 || left || right)",
        }
    )
    if export.first_index is not None and export.last_index is not None:
        await session.execute(text("SELECT 1"))  # the driver begins lazily; a cursor needs the transaction
        conn = await raw_connection(session)
        async for row in conn.cursor(_ROWS, export.first_index, export.last_index, prefetch=5000):
            data = canonical_leaf(list(row)[1:])
            yield _line(
                {"kind": "entry", "index": row[0], "leaf": _b64(data), "record": orjson.Fragment(data)}
            )
    if export.head is not None and export.count:
        size = (export.last_index or 0) + 1
        yield _line(
            {
                "kind": "head",
                **export.head.model_dump(mode="json"),
                "consistency": {
                    "first": size,
                    "second": export.head.tree_size,
                    "hashes": [_b64(h) for h in export.consistency],
                },
                "public_key": public_pem,
            }
        )
