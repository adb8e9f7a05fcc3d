"""Recording and reading audit events. Never commits: the caller's transaction carries the events.

``record`` validates and buffers one record in ``session.info``; it is written just before the caller's
transaction commits (a ``before_commit`` hook on every Session) with no lock and no hash of any other
entry: one ``audit_event`` row per call, whatever the number of patients, and one narrow
``audit_event_patient`` row per patient. A transaction that rolls back takes its records with it (a gap in
``seq``, which nothing relies on). The sequencer makes committed records leaves of the Merkle tree, off
the request path (:mod:`interop.audit.sequencer`).

Readers get BALP events: one per patient of a record (:func:`events_of`), ids ``seq`` for the first and
``seq-k`` for the k-th after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import cast, event, func, or_, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from interop.audit import chain, leaf, proofs, sequencer, signing
from interop.audit.errors import AuditRecordRejected, SigningKeyUnavailable
from interop.audit.models import AuditEvent, AuditEventPatient
from interop.audit.schemas import (
    ACTIONS,
    ENTITY_ROLES,
    OUTCOMES,
    SUBTYPES,
    AuditEntity,
    AuditEventRead,
    AuditSearch,
    TraceRead,
    TreeHeadRead,
)
from interop.config import Settings
from interop.context import Actor, RequestContext

_PENDING = "interop.audit.pending"
_CURP = re.compile(r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z0-9]\d", re.IGNORECASE)
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_TYPE_OF_SUBTYPE = {  # DICOM audit event ids for what is not a RESTful interaction
    "login": "110114",  # User Authentication
    "import": "110107",  # Import
    "export": "110106",  # Export
    "verify": "110101",  # Audit Log Used
    "checkpoint": "110101",
    "match-run": "110100",  # Application Activity
}


@dataclass
class _Config:
    signer: signing.Signer | None = None
    origin: str = "interop/audit"


_config = _Config()


def configure(settings: Settings) -> signing.Signer:
    """Load (or create) the audit key and the log's origin for this process. Called by the app lifespan
    and the CLI; until then records are still written, only on-demand heads wait."""
    signer = signing.load_or_create(settings)
    _config.signer = signer
    _config.origin = settings.audit_log_origin
    return signer


def current_signer() -> signing.Signer:
    if _config.signer is None:
        raise SigningKeyUnavailable("the audit signing key is not loaded")
    return _config.signer


def log_origin() -> str:
    """The origin line of this log's signed checkpoints."""
    return _config.origin


def holds_personal_data(value: str | None) -> bool:
    """Would the audit writer refuse this value (it looks like a CURP)? Lets the edge replace a caller's
    header (a request id, an acting user) before it reaches an event, rather than lose the event."""
    return bool(value and _CURP.search(value))


def _reject_personal_data(values: Sequence[str | None]) -> None:
    for value in values:
        if holds_personal_data(value):
            raise AuditRecordRejected("audit events hold identifiers only: a value looks like a CURP")


def _patient_ref(value: str) -> str:
    return value if value.startswith("Patient/") else f"Patient/{value}"


async def record(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    action: str,
    subtype: str,
    entities: Sequence[AuditEntity] = (),
    patients: Sequence[str] = (),
    outcome: str = "0",
    query: str | None = None,
) -> None:
    """Buffer one event per patient (one event when there is none) in the caller's transaction.

    Written at the caller's commit; gone if it rolls back. Raises ``AuditRecordRejected`` for an unknown
    code or a value that looks like a CURP (a caller's bug: audit events hold identifiers only).
    """
    await _queue(
        session,
        ctx,
        action=action,
        subtype=subtype,
        entities=entities,
        patients=patients,
        outcome=outcome,
        query=query,
        outcome_desc=None,
    )


async def _queue(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    action: str,
    subtype: str,
    entities: Sequence[AuditEntity],
    patients: Sequence[str],
    outcome: str,
    query: str | None,
    outcome_desc: str | None,
    type_: str | None = None,
) -> None:
    if action not in ACTIONS:
        raise AuditRecordRejected(f"unknown audit action {action!r}")
    if subtype not in SUBTYPES:
        raise AuditRecordRejected(f"unknown audit subtype {subtype!r}")
    if outcome not in OUTCOMES:
        raise AuditRecordRejected(f"unknown audit outcome {outcome!r}")
    for entity in entities:
        if entity.role not in ENTITY_ROLES:
            raise AuditRecordRejected(f"unknown audit entity role {entity.role!r}")
        if not entity.id or not entity.type:
            raise AuditRecordRejected("an audit entity needs a type and an id")
    actor = ctx.actor
    _reject_personal_data(
        [query, outcome_desc, actor.user, actor.client_id, ctx.request_id, *list(patients)]
        + [value for e in entities for value in (e.type, e.id)]
    )
    base: dict[str, Any] = {
        "type": type_ or _TYPE_OF_SUBTYPE.get(subtype, "rest"),
        "subtype": subtype,
        "action": action,
        "outcome": outcome,
        # Empty optional values are stored as NULL: the verifier reads NULL back as an empty COPY field.
        "outcome_desc": outcome_desc or None,
        "client_id": actor.client_id[:128],
        "role": actor.role[:32],
        "user_id": actor.user[:128] if actor.user else None,
        "network_address": ctx.network_address[:64] if ctx.network_address else None,
        "request_id": ctx.request_id[:64],
        "trace_id": ctx.trace_id[:32],
        "entities": chain.entities_text([{"id": e.id, "role": e.role, "type": e.type} for e in entities]),
        "query": query or None,
    }
    base["patients"] = list(dict.fromkeys(_patient_ref(p) for p in patients))
    session.info.setdefault(_PENDING, []).append(base)
    # Begin the transaction now, so that ending it without a commit (rollback) drops the buffer.
    await session.connection()


async def flush(session: AsyncSession) -> None:
    """Write the buffered records now (no lock is taken: the transaction's commit publishes them)."""
    await session.run_sync(_write_pending)


def _write_pending(session: Session) -> None:
    pending: list[dict[str, Any]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    conn = session.connection()
    now = datetime.now(UTC)
    for values in pending:
        patients = values.pop("patients")
        params = {
            **values,
            "recorded_at": now,
            "patients": leaf.patients_text(patients) if patients else None,
        }
        if patients:
            conn.execute(_INSERT_WITH_PATIENTS, {**params, "refs": patients})
        else:
            conn.execute(_INSERT_RECORD, params)


# No lock and no link to the previous entry: ``seq`` comes from its sequence and ``xid`` (the column's
# default) records this transaction; the sequencer makes the record a leaf once it has committed
# (:mod:`interop.audit.sequencer`). One round trip per record, its patients' side rows included.
_RECORD_COLUMNS = tuple(f for f in leaf.LEAF_FIELDS if f not in ("seq", "patient"))
_VALUES = ", ".join(f":{c}" for c in _RECORD_COLUMNS)
_INSERT_RECORD = text(f"INSERT INTO audit_event ({', '.join(_RECORD_COLUMNS)}) VALUES ({_VALUES})")
_INSERT_WITH_PATIENTS = text(
    f"WITH r AS (INSERT INTO audit_event ({', '.join(_RECORD_COLUMNS)}) VALUES ({_VALUES}) RETURNING seq) "
    "INSERT INTO audit_event_patient (patient, seq) "
    "SELECT p, r.seq FROM r, unnest(CAST(:refs AS varchar[])) AS p"
)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        _write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


async def record_denied(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    request_id: str,
    trace_id: str,
    network_address: str | None,
    status: int,
    method: str,
    route: str,
    client_id: str | None = None,
    role: str | None = None,
    user: str | None = None,
) -> None:
    """Record a refused request (401/403) in a transaction of its own (the request's rolls back).

    ``route`` is the route template (``/fhir/Patient/{id}``), never the concrete path or query string.
    """
    method = method.upper()
    subtype, action = {
        "POST": ("create", "C"),
        "PUT": ("update", "U"),
        "PATCH": ("patch", "U"),
        "DELETE": ("delete", "D"),
    }.get(method, ("read" if "{" in route else "search-type", "R" if "{" in route else "E"))
    # A refusal is recorded whatever the caller sent: a value the writer would refuse is replaced, so the
    # event is never lost to the very header that made the request suspicious.
    if holds_personal_data(request_id):
        request_id = "replaced"
    if holds_personal_data(user):
        user = None
    if holds_personal_data(client_id):
        client_id = None
    actor = Actor(client_id=client_id or "unauthenticated", role=role or "none", user=user)
    ctx = RequestContext(
        actor=actor, request_id=request_id, trace_id=trace_id, network_address=network_address
    )
    async with sessionmaker() as session:
        await _queue(
            session,
            ctx,
            action=action,
            subtype=subtype,
            entities=(),
            patients=(),
            outcome="4",
            query=None,
            outcome_desc=f"{status} {method} {route[:200]}",
            type_="110114" if status == 401 else "rest",
        )
        await session.commit()


async def checkpoint(session: AsyncSession, *, signer: signing.Signer | None = None) -> TreeHeadRead | None:
    """Sequence what has committed (this session's buffered records included) and sign the tree head now,
    in the caller's transaction; the latest signed head when there was nothing new (another sequencer
    step running at the same moment signs it instead). None while the tree is empty."""
    signer = signer or current_signer()
    await session.run_sync(_write_pending)
    await sequencer.step(session, signer=signer, origin=_config.origin)
    return await proofs.latest_head_or_none(session)


async def get_event(session: AsyncSession, *, seq: int, part: int = 0) -> AuditEventRead | None:
    """The BALP event ``seq`` (``part`` > 0: the record's patient after the first)."""
    row = await session.get(AuditEvent, seq)
    events = AuditEventRead.expand(row) if row is not None else []
    return events[part] if 0 <= part < len(events) else None


def _with_patient(refs: list[str]) -> Any:
    """Records that concern one of these patients: through the side table's primary key."""
    return AuditEvent.seq.in_(select(AuditEventPatient.seq).where(AuditEventPatient.patient.in_(refs)))


def _entity_match(type_: str | None, id_: str) -> Any:
    probe = {"id": id_} if type_ is None else {"id": id_, "type": type_}
    clause = cast(AuditEvent.entities, JSONB).contains([probe])
    if type_ in (None, "Patient"):
        clause = or_(clause, _with_patient([_patient_ref(id_)]))
    return clause


def _event_matches(event: AuditEventRead, criteria: AuditSearch) -> bool:
    """The per-patient part of a search, applied to one BALP event of a matching record (its other
    events may concern other patients)."""
    if criteria.patients is not None and event.patient not in {_patient_ref(p) for p in criteria.patients}:
        return False
    for group in criteria.entity_groups:
        if not any(
            any(e["id"] == i and t in (None, e["type"]) for e in event.entities)
            or (t in (None, "Patient") and event.patient == _patient_ref(i))
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
        where.append(_with_patient([_patient_ref(p) for p in criteria.patients]))
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
