"""Recording audit events (reads are ``queries``', re-exported here). Never commits: the caller's
transaction carries the events.

``record`` validates and buffers one record in ``session.info``; it is written just before the caller's
transaction commits (a ``before_commit`` hook on every Session) with no lock and no hash of any other
entry: one row of the unindexed ``audit_intake`` per call, whatever the number of patients. A transaction
that rolls back takes its records with it (a gap in ``seq``, which nothing relies on). The sequencer moves
committed records into ``audit_event`` (and their patients into ``audit_event_patient``) and makes them
leaves of the Merkle tree in one transaction, off the request path (:mod:`interop.audit.sequencer`);
readers see both places (:mod:`interop.audit.queries`). Readers get BALP events: one per patient of a record
(``AuditEventRead.expand``), ids ``seq`` for the first and ``seq-k`` for the k-th after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from interop.audit import chain, intake_on_commit, leaf, proofs, sequencer, signing
from interop.audit.errors import AuditRecordRejected, AuditValueRefused, SigningKeyUnavailable

# Re-exported: the domain's read side, so other packages reach audit through this module.
from interop.audit.queries import chain_length as chain_length
from interop.audit.queries import get_event as get_event
from interop.audit.queries import patient_ref
from interop.audit.queries import search_events as search_events
from interop.audit.queries import trace as trace
from interop.audit.queries import valid_trace_id as valid_trace_id
from interop.audit.schemas import (
    ACTIONS,
    ENTITY_ROLES,
    OUTCOMES,
    SUBTYPES,
    AuditEntity,
    TreeHeadRead,
)
from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.identity.curp import contains_curp

_PENDING = "interop.audit.pending"
# audit_event_patient.patient is varchar(100).
PATIENT_REF_MAX = 100
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
        raise SigningKeyUnavailable.said("audit.signing_key_unavailable")
    return _config.signer


def log_origin() -> str:
    """The origin line of this log's signed checkpoints."""
    return _config.origin


def holds_personal_data(value: str | None) -> bool:
    """Would the audit writer refuse this value (it looks like a CURP)? Lets the edge replace a caller's
    header (a request id, an acting user) before it reaches an event, rather than lose the event."""
    return contains_curp(value)


def _reject_personal_data(values: Sequence[str | None]) -> None:
    # One search over the values joined by a newline, which no CURP holds (so no match spans two values):
    # a pull of 100 Tasks has 300 values, one regex call instead of 300.
    joined = "\n".join(value for value in values if value)
    if holds_personal_data(joined):
        raise AuditRecordRejected("audit events hold identifiers only: a value looks like a CURP")
    # What the sequencer's move into the searchable tables would refuse is refused here, at the request
    # (migration 0022): the intake itself would take it, and the move could then never complete.
    if "\x00" in joined:
        raise AuditValueRefused.said("error.out_of_range")


def _reject_long_refs(refs: Sequence[str]) -> None:
    if any(len(ref) > PATIENT_REF_MAX for ref in refs):
        raise AuditValueRefused.said("error.out_of_range")


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
    base["patients"] = refs = list(dict.fromkeys(patient_ref(p) for p in patients))
    _reject_long_refs(refs)
    session.info.setdefault(_PENDING, []).append(base)
    # Begin the transaction now, so that ending it without a commit (rollback) drops the buffer. Nearly
    # every request has begun it already: then no greenlet hop to the pool is spent finding that out.
    if not session.in_transaction():
        await session.connection()


async def flush(session: AsyncSession) -> None:
    """Write the buffered records now (no lock is taken: the transaction's commit publishes them)."""
    await session.run_sync(_write_pending)


def _write_pending(session: Session, *, committing: bool = False) -> None:
    pending: list[dict[str, Any]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    conn = session.connection()
    # Straight to the driver when its transaction is open (the request has run a statement: nearly
    # always), as ``interop.db.bulk`` does for COPY: SQLAlchemy's statement handling (bind processing,
    # execution context, result wrapping) was ~0.1 ms of the writer's CPU per record, a third of what
    # auditing added to a small write (bench/audit/RESULTS.md). SQLAlchemy opens the driver's transaction
    # lazily, at its first statement: a record alone in its transaction goes through SQLAlchemy, or it
    # would be written outside the transaction (autocommit) and survive a rollback.
    raw = conn.connection.driver_connection
    raw = raw if isinstance(raw, asyncpg.Connection) else None
    driver = raw if raw is not None and raw.is_in_transaction() else None
    now = datetime.now(UTC)
    rows = []
    for values in pending:
        patients = values.pop("patients")
        values["recorded_at"] = now
        values["patients"] = leaf.patients_text(patients) if patients else None
        rows.append([values[c] for c in _RECORD_COLUMNS])
    autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if autocommit and raw is not None and driver is None:
        # A session whose statements run alone (``api.deps.LookupSessionDep``): all its records in one
        # statement, so that they are kept together (one implicit transaction, one WAL flush) or not at all.
        sql = intake_on_commit.insert_sql(_LITERAL_INSERT, rows)
        if sql is not None:
            await_only(raw.execute(sql))
            return
    if driver is not None and committing:
        # At the commit of the request's own transaction: the rows go in the COMMIT's round trip.
        sql = intake_on_commit.insert_sql(_LITERAL_INSERT, rows)
        if sql is not None and intake_on_commit.ride_on_commit(conn.connection.dbapi_connection, driver, sql):
            return
    for values, row in zip(pending, rows, strict=True):
        if driver is not None:
            await_only(driver.execute(_DRIVER_INSERT_RECORD, *row))
        else:
            conn.execute(_INSERT_RECORD, values)


# One row of the intake per record (migration 0022): no index, no side rows, no lock and no link to the
# previous entry. ``seq`` comes from its sequence; the sequencer moves the committed row into the
# searchable tables and makes it a leaf (:mod:`interop.audit.sequencer`).
_RECORD_COLUMNS = tuple(f for f in leaf.LEAF_FIELDS if f not in ("seq", "patient"))
_INSERT_SQL = "INSERT INTO audit_intake ({}) VALUES ({{}})".format(", ".join(_RECORD_COLUMNS))
_INSERT_RECORD = text(_INSERT_SQL.format(", ".join(f":{c}" for c in _RECORD_COLUMNS)))
# The driver's placeholders: $1 … in _RECORD_COLUMNS order.
_DRIVER_INSERT_RECORD = _INSERT_SQL.format(", ".join(f"${i}" for i in range(1, len(_RECORD_COLUMNS) + 1)))
# The rows as literals, sent with the COMMIT (:mod:`interop.audit.intake_on_commit`).
_LITERAL_INSERT = _INSERT_SQL.format("").removesuffix("()")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        # A savepoint's release (nested) writes its records now; the outermost commit sends them with it.
        _write_pending(session, committing=not session.in_nested_transaction())


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
