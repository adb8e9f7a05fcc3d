"""Reading audit events: one by its position, searches (the criteria of ``/fhir/AuditEvent``), a case's
trail by trace id, the chain's length. Never writes; re-exported by ``service``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit.models import AuditEvent
from interop.audit.schemas import AuditEventRead, AuditSearch, TraceRead

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def patient_ref(value: str) -> str:
    """``Patient/{id}`` for a bare id or a reference: how events name their patient."""
    return value if value.startswith("Patient/") else f"Patient/{value}"


async def get_event(session: AsyncSession, *, seq: int) -> AuditEventRead | None:
    row = await session.get(AuditEvent, seq)
    return AuditEventRead.of(row) if row is not None else None


def _entity_match(type_: str | None, id_: str) -> Any:
    probe = {"id": id_} if type_ is None else {"id": id_, "type": type_}
    clause = cast(AuditEvent.entities, JSONB).contains([probe])
    if type_ in (None, "Patient"):
        clause = or_(clause, AuditEvent.patient == patient_ref(id_))
    return clause


async def search_events(
    session: AsyncSession,
    *,
    criteria: AuditSearch,
    count: int,
    after_seq: int | None = None,
    descending: bool = False,
) -> tuple[list[AuditEventRead], bool]:
    """One page of events in chain order (or reverse), keyset-paged on ``seq``; True when more follow."""
    where: list[Any] = []
    if criteria.since is not None:
        where.append(AuditEvent.recorded_at >= criteria.since)
    if criteria.before is not None:
        where.append(AuditEvent.recorded_at < criteria.before)
    for agents in criteria.agent_groups:
        where.append(or_(AuditEvent.client_id.in_(agents), AuditEvent.user_id.in_(agents)))
    for group in criteria.entity_groups:
        where.append(or_(*[_entity_match(t, i) for t, i in group]))
    for column, values in (
        (AuditEvent.patient, [patient_ref(p) for p in criteria.patients] if criteria.patients else None),
        (AuditEvent.action, criteria.actions),
        (AuditEvent.type, criteria.types),
        (AuditEvent.subtype, criteria.subtypes),
        (AuditEvent.outcome, criteria.outcomes),
        (AuditEvent.trace_id, criteria.trace_ids),
    ):
        if values is not None:
            where.append(column.in_(values))
    if after_seq is not None:
        where.append(AuditEvent.seq < after_seq if descending else AuditEvent.seq > after_seq)
    stmt = (
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.seq.desc() if descending else AuditEvent.seq)
        .limit(count + 1)
    )
    rows = (await session.execute(stmt)).scalars().all()
    return [AuditEventRead.of(r) for r in rows[:count]], len(rows) > count


async def trace(session: AsyncSession, *, trace_id: str, limit: int = 5000) -> TraceRead:
    """One case end to end, in chain (= time) order: the events carrying ``trace_id``, and the events of
    other requests on the same resources (a clinic reading or moving the Task the visit created).
    Patients are not followed: that would pull in the person's whole unrelated history."""
    direct = (
        (
            await session.execute(
                select(AuditEvent)
                .where(AuditEvent.trace_id == trace_id)
                .order_by(AuditEvent.seq)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    refs = list(
        dict.fromkeys(
            (e["type"], e["id"])
            for row in direct
            for e in orjson.loads(row.entities)
            if e["type"] != "Patient"
        )
    )[:200]
    related: Sequence[AuditEvent] = []
    if refs:
        related = (
            (
                await session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.trace_id != trace_id, or_(*[_entity_match(t, i) for t, i in refs]))
                    .order_by(AuditEvent.seq)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    via: dict[int, Any] = {row.seq: "trace" for row in direct}
    via.update({row.seq: "entity" for row in related})
    merged = sorted([*direct, *related], key=lambda r: r.seq)
    return TraceRead(trace_id=trace_id, events=[AuditEventRead.of(r) for r in merged], via=via)


def valid_trace_id(value: str) -> bool:
    return bool(_TRACE_ID.match(value))


async def chain_length(session: AsyncSession) -> int:
    """Entries in the chain (its head's seq), for metrics."""
    head = await session.scalar(select(func.max(AuditEvent.seq)))
    return int(head or 0)
