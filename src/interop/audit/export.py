"""NDJSON export of a date range for external auditors, with the signed checkpoint that covers it.

Lines, in order:
  ``{"kind": "header", "from", "to", "first_seq", "last_seq", "count", "prev_hash", "canonical"}``
  ``{"kind": "event", <the chain fields>, "hash"}`` for each entry of the range, in seq order
  ``{"kind": "checkpoint", "seq", "hash", "created_at", "key_id", "signature", "public_key"}``

An auditor recomputes ``hash = sha256(prev ‖ canonical(event))`` from ``prev_hash`` through the range
(:mod:`interop.audit.chain` documents the canonical form), checks that the last hash equals the
checkpoint's, and checks the Ed25519 signature over :func:`~interop.audit.chain.checkpoint_message` with
the public key they hold. Because ``recorded_at`` never decreases along the chain, a date range is one
contiguous run of seq. The checkpoint is signed at the range's last entry (created on demand, and only
after the entries since the previous signed checkpoint walk cleanly, so a tampered entry is never signed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import chain, service, verification
from interop.audit.errors import InvalidAuditQuery
from interop.audit.models import AuditCheckpoint, AuditEvent
from interop.audit.schemas import CheckpointRead
from interop.audit.signing import Signer
from interop.db.bulk import raw_connection
from interop.errors import Conflict

_ROWS = (
    "SELECT seq, recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id, "
    "network_address, request_id, trace_id, patient, entities::text, query, hash "
    "FROM audit_event WHERE seq BETWEEN $1 AND $2 ORDER BY seq"
)


class ChainBroken(Conflict):
    code = "audit-chain-broken"


@dataclass(frozen=True)
class ExportRange:
    start: datetime
    end: datetime
    first_seq: int | None
    last_seq: int | None
    prev_hash: bytes

    @property
    def count(self) -> int:
        if self.first_seq is None or self.last_seq is None:
            return 0
        return self.last_seq - self.first_seq + 1


async def plan(session: AsyncSession, *, start: datetime, end: datetime) -> ExportRange:
    """The seq run of events recorded in [start, end)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidAuditQuery("from and to need a time zone")
    if end <= start:
        raise InvalidAuditQuery("to must be after from")
    first, last = (
        await session.execute(
            select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(
                AuditEvent.recorded_at >= start, AuditEvent.recorded_at < end
            )
        )
    ).one()
    prev_hash = chain.GENESIS
    if first is not None and first > 1:
        stored = await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == first - 1))
        if stored is None:
            raise ChainBroken(f"audit entry {first - 1} is missing; run the verification")
        prev_hash = bytes(stored)
    return ExportRange(start, end, first, last, prev_hash)


async def covering_checkpoint(session: AsyncSession, *, seq: int, signer: Signer) -> CheckpointRead:
    """A checkpoint signed at exactly ``seq``: the existing one, or a new one once the entries since the
    previous good checkpoint (or since the start) walk cleanly up to ``seq``."""
    previous = (
        await session.execute(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.seq <= seq, AuditCheckpoint.key_id == signer.key_id)
            .order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    prev_seq, prev_hash = 0, chain.GENESIS
    if previous is not None:
        message = chain.checkpoint_message(
            seq=previous.seq, hash_=previous.hash, created_at=previous.created_at, key_id=previous.key_id
        )
        if not signer.verifier.verify(message, previous.signature):
            raise ChainBroken(f"checkpoint {previous.id} does not verify; run the verification")
        if previous.seq == seq:
            return CheckpointRead.of(previous)
        prev_seq, prev_hash = previous.seq, bytes(previous.hash)
    await session.execute(text("SELECT 1"))  # the driver begins lazily; a cursor needs the transaction
    conn = await raw_connection(session)
    walk = await verification.walk_range(conn, prev_seq + 1, seq, prev_hash=prev_hash)
    if walk.broken is not None or walk.last_seq != seq:
        bad = walk.broken.seq if walk.broken else walk.last_seq + 1
        raise ChainBroken(f"audit chain broken at entry {bad}; not signing an export over it")
    return await service.checkpoint_at(session, seq=seq, hash_=walk.last_hash, signer=signer)


def _line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value) + b"\n"


async def lines(
    session: AsyncSession, *, export: ExportRange, checkpoint: CheckpointRead | None, public_pem: str
) -> AsyncIterator[bytes]:
    """Stream the export (a server-side cursor; memory stays flat whatever the range)."""
    yield _line(
        {
            "kind": "header",
            "from": chain.format_instant(export.start),
            "to": chain.format_instant(export.end),
            "first_seq": export.first_seq,
            "last_seq": export.last_seq,
            "count": export.count,
            "prev_hash": export.prev_hash.hex(),
            "canonical": "sha256(prev_hash || canonical(event)); see interop.audit.chain",
        }
    )
    if export.first_seq is not None and export.last_seq is not None:
        await session.execute(text("SELECT 1"))
        conn = await raw_connection(session)
        async for row in conn.cursor(_ROWS, export.first_seq, export.last_seq, prefetch=5000):
            values = {name: row[i] for i, name in enumerate(chain.ROW_FIELDS)}
            values["recorded_at"] = chain.format_instant(row[1])
            values["entities"] = orjson.loads(row[14])
            yield _line({"kind": "event", **values, "hash": bytes(row[16]).hex()})
    if checkpoint is not None:
        yield _line({"kind": "checkpoint", **checkpoint.model_dump(mode="json"), "public_key": public_pem})
