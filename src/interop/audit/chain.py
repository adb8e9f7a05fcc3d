"""The hash chain: canonical form of an event, chaining, and walking a run of entries. Pure (no I/O).

Canonical form (what an external auditor recomputes from an export line):
    UTF-8 JSON of the object below, keys sorted, no spaces, non-ASCII kept as is (orjson's output)::

        {"action", "address", "client", "entities": [{"id", "role", "type"}…], "outcome", "outcome_desc",
         "patient", "query", "recorded": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "request", "role", "seq",
         "subtype", "trace", "type", "user"}

    absent values are JSON null; entities keep their recorded order.
    hash(seq) = sha256(hash(seq - 1) ‖ canonical(seq)), with 32 zero bytes before the first entry.

Verification names the first bad entry: a sequence gap (a deleted row, or a row moved out of place) names
the first missing seq; a hash that does not recompute names that seq; a signed checkpoint the chain does
not reach (a dropped tail) names the first seq after the surviving head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = bytes(32)

# The order of the columns in a row handed to ``canonical_row`` / ``walk`` (hash comes last in a walk).
ROW_FIELDS = (
    "seq",
    "recorded_at",
    "type",
    "subtype",
    "action",
    "outcome",
    "outcome_desc",
    "client_id",
    "role",
    "user_id",
    "network_address",
    "request_id",
    "trace_id",
    "patient",
    "entities",
    "query",
)


def format_instant(moment: datetime) -> str:
    """The canonical instant: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_row(row: Sequence[Any]) -> bytes:
    """Canonical bytes of one event given as a row in ``ROW_FIELDS`` order.

    ``recorded_at`` may be a datetime or an already canonical string; ``entities`` a list or its JSON text
    (as the database driver hands jsonb over).
    """
    recorded = row[1]
    entities = row[14]
    if isinstance(entities, str | bytes):
        entities = orjson.loads(entities)
    return orjson.dumps(
        {
            "action": row[4],
            "address": row[10],
            "client": row[7],
            "entities": [{"id": e["id"], "role": e["role"], "type": e["type"]} for e in entities],
            "outcome": row[5],
            "outcome_desc": row[6],
            "patient": row[13],
            "query": row[15],
            "recorded": recorded if isinstance(recorded, str) else format_instant(recorded),
            "request": row[11],
            "role": row[8],
            "seq": row[0],
            "subtype": row[3],
            "trace": row[12],
            "type": row[2],
            "user": row[9],
        },
        option=orjson.OPT_SORT_KEYS,
    )


def canonical(event: Mapping[str, Any]) -> bytes:
    """Canonical bytes of one event given as a mapping with the ``ROW_FIELDS`` keys."""
    return canonical_row([event[name] for name in ROW_FIELDS])


def link(prev_hash: bytes, canonical_bytes: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical_bytes).digest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first bad entry: its seq and why."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Walk:
    """The outcome of walking a run of entries: where it ended and the first break, if any."""

    count: int
    last_seq: int
    last_hash: bytes
    broken: Break | None


def walk(rows: Iterable[Sequence[Any]], *, prev_seq: int, prev_hash: bytes) -> Walk:
    """Walk rows in ascending seq order (``ROW_FIELDS`` then the stored hash), starting after
    ``prev_seq`` whose hash is ``prev_hash``. Stops at the first break."""
    count = 0
    expected = prev_seq + 1
    for row in rows:
        seq = row[0]
        if seq != expected:
            if seq < expected:
                return Walk(count, prev_seq, prev_hash, Break(seq, "entry out of order or repeated"))
            return Walk(count, prev_seq, prev_hash, Break(expected, "entry missing (sequence gap)"))
        stored = bytes(row[16])
        computed = hashlib.sha256(prev_hash + canonical_row(row)).digest()
        if computed != stored:
            return Walk(count, prev_seq, prev_hash, Break(seq, "hash does not match the entry's content"))
        count += 1
        prev_seq, prev_hash, expected = seq, stored, seq + 1
    return Walk(count, prev_seq, prev_hash, None)


def checkpoint_message(*, seq: int, hash_: bytes, created_at: datetime, key_id: str) -> bytes:
    """The bytes a checkpoint signs (domain-separated so the key signs nothing else by accident)."""
    body = orjson.dumps(
        {"at": format_instant(created_at), "hash": hash_.hex(), "key": key_id, "seq": seq},
        option=orjson.OPT_SORT_KEYS,
    )
    return b"interop-audit-checkpoint/v1\n" + body
