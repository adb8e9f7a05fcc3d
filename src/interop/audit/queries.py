"""Reading audit events: one by its position, searches (the criteria of ``/fhir/AuditEvent``), a case's
trail by trace id, the log's length. A stored record answers as one BALP event per patient
(``AuditEventRead.expand``); searches by patient go through ``audit_event_patient``. A record not yet
sequenced is still in ``audit_intake`` (no index, drained every few seconds by the sequencer): every
read looks there too. Never writes;
re-exported by ``service``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Text, cast, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit.models import AuditEvent, AuditEventPatient, AuditIntake
from interop.audit.schemas import AuditEventRead, AuditSearch, TraceRead

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def patient_ref(value: str) -> str:
    """``Patient/{id}`` for a bare id or a reference: how events name their patient."""
    return value if value.startswith("Patient/") else f"Patient/{value}"


_Model = type[AuditEvent] | type[AuditIntake]
# A record not yet sequenced is in audit_intake, then in audit_event (moved in one transaction). Reads
# look in the intake first: a record moved between the two statements is then found in audit_event
# (missed by neither, at worst seen twice, which ``_records`` folds by seq).
_PLACES: tuple[_Model, ...] = (AuditIntake, AuditEvent)


async def get_event(session: AsyncSession, *, seq: int, part: int = 0) -> AuditEventRead | None:
    """The BALP event ``seq`` (``part`` > 0: the record's patient after the first), sequenced or not."""
    for model in _PLACES:
        row = (await session.execute(select(model).where(model.seq == seq))).scalar_one_or_none()
        if row is not None:
            events = AuditEventRead.expand(row)
            return events[part] if 0 <= part < len(events) else None
    return None


async def _records(
    session: AsyncSession, statement: Callable[[_Model], Any], *, limit: int, descending: bool = False
) -> list[Any]:
    """The first ``limit`` records in seq order (or reverse) among both places' answers to ``statement``
    (each already ordered and limited the same way)."""
    found: dict[int, Any] = {}
    for model in _PLACES:
        for row in (await session.execute(statement(model))).scalars():
            found.setdefault(row.seq, row)
    return sorted(found.values(), key=lambda r: int(r.seq), reverse=descending)[:limit]


def _with_patient(model: _Model, refs: list[str]) -> Any:
    """Records that concern one of these patients. Sequenced: through the side table's primary key, then
    each record by (seq, recorded_at), which prunes to its month's partition. In the intake (no side rows
    yet): its patients array."""
    if not refs:  # a search whose patient values were all blank matches nothing (an untyped [] is an error)
        return false()
    if model is AuditIntake:
        return cast(AuditIntake.patients, JSONB).has_any(array(refs, type_=Text))
    return tuple_(AuditEvent.seq, AuditEvent.recorded_at).in_(
        select(AuditEventPatient.seq, AuditEventPatient.recorded_at).where(
            AuditEventPatient.patient.in_(refs)
        )
    )


def _entity_match(model: _Model, type_: str | None, id_: str) -> Any:
    probe = {"id": id_} if type_ is None else {"id": id_, "type": type_}
    clause = cast(model.entities, JSONB).contains([probe])
    if type_ in (None, "Patient"):
        clause = or_(clause, _with_patient(model, [patient_ref(id_)]))
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


def _criteria(
    model: _Model, criteria: AuditSearch, after_seq: int | None, descending: bool, after_part: int | None
) -> list[Any]:
    where: list[Any] = []
    if criteria.since is not None:
        where.append(model.recorded_at >= criteria.since)
    if criteria.before is not None:
        where.append(model.recorded_at < criteria.before)
    for agents in criteria.agent_groups:
        where.append(or_(model.client_id.in_(agents), model.user_id.in_(agents)))
    for group in criteria.entity_groups:
        where.append(or_(*[_entity_match(model, t, i) for t, i in group]))
    if criteria.patients is not None:
        where.append(_with_patient(model, [patient_ref(p) for p in criteria.patients]))
    for column, values in (
        (model.action, criteria.actions),
        (model.type, criteria.types),
        (model.subtype, criteria.subtypes),
        (model.outcome, criteria.outcomes),
        (model.trace_id, criteria.trace_ids),
    ):
        if values is not None:
            where.append(column.in_(values))
    if after_seq is not None:
        if after_part is None:
            where.append(model.seq < after_seq if descending else model.seq > after_seq)
        else:
            where.append(model.seq <= after_seq if descending else model.seq >= after_seq)
    return where


async def search_events(
    session: AsyncSession,
    *,
    criteria: AuditSearch,
    count: int,
    after_seq: int | None = None,
    descending: bool = False,
    after_part: int | None = None,
) -> tuple[list[AuditEventRead], bool]:
    """One page of BALP events in log order (or reverse), sequenced or not, keyset-paged on (``seq``,
    ``part``): after the event ``(after_seq, after_part)``, or after every event of record ``after_seq``
    when ``after_part`` is None. True when more follow."""
    limit = count + 2  # the cursor's own record may have no event left to give

    def statement(model: _Model) -> Any:
        return (
            select(model)
            .where(*_criteria(model, criteria, after_seq, descending, after_part))
            .order_by(model.seq.desc() if descending else model.seq)
            .limit(limit)
        )

    events: list[AuditEventRead] = []
    step = -1 if descending else 1
    for row in await _records(session, statement, limit=limit, descending=descending):
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
    direct = await _records(
        session,
        lambda m: select(m).where(m.trace_id == trace_id).order_by(m.seq).limit(limit),
        limit=limit,
    )
    refs = list(
        dict.fromkeys(
            (e["type"], e["id"])
            for row in direct
            for e in orjson.loads(row.entities)
            if e["type"] != "Patient"
        )
    )[:200]
    related: list[Any] = []
    if refs:
        related = await _records(
            session,
            lambda m: (
                select(m)
                .where(m.trace_id != trace_id, or_(*[_entity_match(m, t, i) for t, i in refs]))
                .order_by(m.seq)
                .limit(limit)
            ),
            limit=limit,
        )
    via: dict[int, Any] = {row.seq: "trace" for row in direct}
    via.update({row.seq: "entity" for row in related})
    merged = sorted([*direct, *related], key=lambda r: r.seq)
    return TraceRead(trace_id=trace_id, events=[e for r in merged for e in AuditEventRead.expand(r)], via=via)


def valid_trace_id(value: str) -> bool:
    return bool(_TRACE_ID.match(value))


async def chain_length(session: AsyncSession) -> int:
    """The highest record seq (records written so far, less rolled-back ones), for metrics."""
    heads = [await session.scalar(select(func.max(m.seq))) for m in _PLACES]
    return int(max((h for h in heads if h is not None), default=0))
