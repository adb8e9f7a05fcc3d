"""The hash chain: canonical form of an event, chaining, and walking a run of entries. Pure (no I/O).

Canonical form (what an external auditor recomputes from an export line):
    UTF-8 JSON of the object below, keys sorted, no spaces, non-ASCII kept as is (orjson's output)::

        {"action", "address", "client", "entities": [{"id", "role", "type"}…], "outcome", "outcome_desc",
         "patient", "query", "recorded": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "request", "role", "seq",
         "subtype", "trace", "type", "user"}

    absent values are JSON null; entities keep their recorded order and are stored as that very JSON
    text (``entities_text``), so the canonical form can be rebuilt from a COPY of the table without
    parsing JSON (:func:`canonical_from_copy`).
    hash(seq) = sha256(hash(seq - 1) ‖ canonical(seq)), with 32 zero bytes before the first entry.

Verification names the first bad entry: a sequence gap (a deleted row, or a row moved out of place) names
the first missing seq; a hash that does not recompute names that seq; a signed checkpoint the chain does
not reach (a dropped tail) names the first seq after the surviving head.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from interop.messages.stored import keep

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
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def entities_text(entities: Sequence[Mapping[str, str]]) -> str:
    """The stored (and hashed) form of an event's entities: compact JSON, keys id, role, type."""
    return orjson.dumps([{"id": e["id"], "role": e["role"], "type": e["type"]} for e in entities]).decode()


def canonical_row(row: Sequence[Any]) -> bytes:
    """Canonical bytes of one event given as a row in ``ROW_FIELDS`` order.

    ``recorded_at`` may be a datetime or an already canonical string; ``entities`` the stored JSON text
    (embedded verbatim) or a list of entity mappings.
    """
    recorded = row[1]
    entities = row[14]
    return orjson.dumps(
        {
            "action": row[4],
            "address": row[10],
            "client": row[7],
            "entities": orjson.Fragment(entities if isinstance(entities, str) else entities_text(entities)),
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
                return Walk(count, prev_seq, prev_hash, Break(seq, keep("audit.verify.out_of_order")))
            return Walk(count, prev_seq, prev_hash, Break(expected, keep("audit.verify.entry_missing")))
        stored = bytes(row[16])
        computed = hashlib.sha256(prev_hash + canonical_row(row)).digest()
        if computed != stored:
            return Walk(count, prev_seq, prev_hash, Break(seq, keep("audit.verify.hash_mismatch")))
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


# COPY text fields that may be NULL (written as empty: ``WITH (NULL '')``; the writer never stores "").
_NULLABLE = frozenset({6, 9, 10, 13, 15})
# A backslash (a COPY escape) or a control character COPY writes raw (JSON would escape it): slow path.
_UNSAFE = COPY_UNSAFE = re.compile(rb"[\x00-\x08\x0b-\x1f\\\\]")
_TEMPLATE = COPY_TEMPLATE = (
    b'{"action":"%s","address":%s,"client":"%s","entities":%s,"outcome":"%s","outcome_desc":%s,"patient":%s,'
    b'"query":%s,"recorded":"%sT%s%sZ","request":"%s","role":"%s","seq":%s,"subtype":"%s","trace":"%s",'
    b'"type":"%s","user":%s}'
)


def canonical_from_copy(line: bytes, fields: Sequence[bytes]) -> bytes | None:
    """The canonical bytes rebuilt straight from one ``COPY … TO STDOUT WITH (NULL '')`` text line (its
    fields in ``ROW_FIELDS`` order, session time zone UTC), without decoding values; None when a value
    needs more than quoting (a COPY backslash escape, a raw control character, a double quote outside the
    entities): the caller then decodes that row properly. With those excluded the mapping is one to one,
    so a match proves the row. This is what makes verifying ten million entries in a minute possible.
    """
    if _UNSAFE.search(line) or line.count(b'"') != fields[14].count(b'"'):
        return None
    recorded = fields[1]  # 2026-01-01 00:00:00.009+00: trailing zeros of the fraction are dropped
    if len(recorded) < 22 or recorded[-3:] != b"+00":
        return None
    desc, user, address, patient, query = fields[6], fields[9], fields[10], fields[13], fields[15]
    return _TEMPLATE % (
        fields[4],
        b'"%s"' % address if address else b"null",
        fields[7],
        fields[14],
        fields[5],
        b'"%s"' % desc if desc else b"null",
        b'"%s"' % patient if patient else b"null",
        b'"%s"' % query if query else b"null",
        recorded[:10],
        recorded[11:19],
        ((recorded[19:-3] or b".") + b"000000")[:7],
        fields[11],
        fields[8],
        fields[0],
        fields[3],
        fields[12],
        fields[2],
        b'"%s"' % user if user else b"null",
    )


_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)
_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _unescape(field: bytes) -> str:
    def one(m: re.Match[bytes]) -> bytes:
        if m.group(1):
            return bytes([int(m.group(1), 8) & 0xFF])
        if m.group(2):
            return bytes([int(m.group(2), 16)])
        return _ESCAPES.get(m.group(3), m.group(3))

    return _ESCAPE.sub(one, field).decode()


unescape_copy = _unescape  # the text of one COPY field, escapes undone


def canonical_from_copy_slow(fields: Sequence[bytes]) -> bytes:
    """The same as :func:`canonical_from_copy` for any line: values decoded, then serialised."""
    values: list[Any] = [
        None if i in _NULLABLE and not f else _unescape(f) for i, f in enumerate(fields[:16])
    ]
    values[0] = int(values[0])
    recorded = fields[1].decode()
    moment = datetime.fromisoformat(recorded + (":00" if recorded[-3] in "+-" else ""))
    values[1] = format_instant(moment)
    return canonical_row(values)


class CopyWalker:
    """Walks a COPY text stream of entries (``ROW_FIELDS`` then the hex hash, ascending seq), chunk by
    chunk as it arrives; stops checking at the first break."""

    def __init__(self, *, prev_seq: int, prev_hash: bytes) -> None:
        self.prev_seq = prev_seq
        self.prev_hash = prev_hash
        self.count = 0
        self.broken: Break | None = None
        self._rest = b""

    def feed(self, data: bytes) -> None:
        if self.broken is not None:
            return
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        prev_seq, prev_hash, count, sha256 = self.prev_seq, self.prev_hash, self.count, hashlib.sha256
        for line in lines:
            fields = line.split(b"\t")
            seq = int(fields[0])
            if seq != prev_seq + 1:
                self.broken = (
                    Break(prev_seq + 1, keep("audit.verify.entry_missing"))
                    if seq > prev_seq
                    else Break(seq, keep("audit.verify.out_of_order"))
                )
                break
            body = canonical_from_copy(line, fields) or canonical_from_copy_slow(fields)
            digest = sha256(prev_hash + body).digest()
            if digest.hex().encode() != fields[16]:
                self.broken = Break(seq, keep("audit.verify.hash_mismatch"))
                break
            prev_seq, prev_hash, count = seq, digest, count + 1
        self.prev_seq, self.prev_hash, self.count = prev_seq, prev_hash, count

    def result(self) -> Walk:
        return Walk(self.count, self.prev_seq, self.prev_hash, self.broken)
