"""Reading audit events: one by its position, searches (the criteria of ``/fhir/AuditEvent``), a case's
trail by trace id, the log's length. A stored record answers as one BALP event per patient
(``AuditEventRead.expand``); searches by patient go through ``audit_event_patient``. Never writes;
re-exported by ``service``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import cast, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit.models import AuditEvent, AuditEventPatient
from interop.audit.schemas import AuditEventRead, AuditSearch, TraceRead

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def patient_ref(value: str) -> str:
    """``Patient/{id}`` for a bare id or a reference: how events name their patient."""
    return value if value.startswith("Patient/") else f"Patient/{value}"


async def get_event(session: AsyncSession, *, seq: int, part: int = 0) -> AuditEventRead | None:
    """The BALP event ``seq`` (``part`` > 0: the record's patient after the first)."""
    row = await session.get(AuditEvent, seq)
    events = AuditEventRead.expand(row) if row is not None else []
    return events[part] if 0 <= part < len(events) else None


def _with_patient(refs: list[str]) -> Any:
    """Records that concern one of these patients: through the side table's primary key, then each
    record by (seq, recorded_at), which prunes to its month's partition."""
    return tuple_(AuditEvent.seq, AuditEvent.recorded_at).in_(
        select(AuditEventPatient.seq, AuditEventPatient.recorded_at).where(
            AuditEventPatient.patient.in_(refs)
        )
    )


def _entity_match(type_: str | None, id_: str) -> Any:
    probe = {"id": id_} if type_ is None else {"id": id_, "type": type_}
    clause = cast(AuditEvent.entities, JSONB).contains([probe])
    if type_ in (None, "Patient"):
        clause = or_(clause, _with_patient([patient_ref(id_)]))
    return clause


def _event_matches(event: AuditEventRead, criteria: AuditSearch) -> bool:
    """The per-patient part of a search, applied to one BALP event of a matching record (its other
    events may concern other patients)."""
    if criteria.patients is not None and event.patient not in {patient_ref(p) for p in criteria.patients}:
        return False
    for group in criteria.entity_groups:
        if not any(
            any(e["id"] == i and t in (None, e["type"]) for e in event.entities)
            or (t in (None, "Patient") and event.patient == patient_ref(i))
            for t, i in group
        ):
            return False
    return True


async def search_events(
    session: AsyncSession,
    *,
    criteria: AuditSearch,
    count: int,
    after_seq: int | None = None,
    descending: bool = False,
    after_part: int | None = None,
) -> tuple[list[AuditEventRead], bool]:
    """One page of BALP events in log order (or reverse), keyset-paged on (``seq``, ``part``): after the
    event ``(after_seq, after_part)``, or after every event of record ``after_seq`` when ``after_part``
    is None. True when more follow."""
    where: list[Any] = []
    if criteria.since is not None:
        where.append(AuditEvent.recorded_at >= criteria.since)
    if criteria.before is not None:
        where.append(AuditEvent.recorded_at < criteria.before)
    for agents in criteria.agent_groups:
        where.append(or_(AuditEvent.client_id.in_(agents), AuditEvent.user_id.in_(agents)))
    for group in criteria.entity_groups:
        where.append(or_(*[_entity_match(t, i) for t, i in group]))
    if criteria.patients is not None:
        where.append(_with_patient([patient_ref(p) for p in criteria.patients]))
    for column, values in (
        (AuditEvent.action, criteria.actions),
        (AuditEvent.type, criteria.types),
        (AuditEvent.subtype, criteria.subtypes),
        (AuditEvent.outcome, criteria.outcomes),
        (AuditEvent.trace_id, criteria.trace_ids),
    ):
        if values is not None:
            where.append(column.in_(values))
    if after_seq is not None:
        if after_part is None:
            where.append(AuditEvent.seq < after_seq if descending else AuditEvent.seq > after_seq)
        else:
            where.append(AuditEvent.seq <= after_seq if descending else AuditEvent.seq >= after_seq)
    stmt = (
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.seq.desc() if descending else AuditEvent.seq)
        .limit(count + 2)  # the cursor's own record may have no event left to give
    )
    events: list[AuditEventRead] = []
    step = -1 if descending else 1
    for row in (await session.execute(stmt)).scalars():
        parts = AuditEventRead.expand(row)
        for event_ in reversed(parts) if descending else parts:
            if after_part is not None and event_.seq == after_seq and (event_.part - after_part) * step <= 0:
                continue
            if _event_matches(event_, criteria):
                events.append(event_)
        if len(events) > count:
            break
    return events[:count], len(events) > count


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
    return TraceRead(trace_id=trace_id, events=[e for r in merged for e in AuditEventRead.expand(r)], via=via)


def valid_trace_id(value: str) -> bool:
    return bool(_TRACE_ID.match(value))


async def chain_length(session: AsyncSession) -> int:
    """The highest record seq (records written so far, less rolled-back ones), for metrics."""
    head = await session.scalar(select(func.max(AuditEvent.seq)))
    return int(head or 0)
