"""Recording audit events (reads are ``queries``', re-exported here). Never commits: the caller's
transaction carries the events.

``record`` validates and buffers events in ``session.info``; they are written just before the caller's
transaction commits (a ``before_commit`` hook on every Session), under a transaction-level advisory lock
that serialises chain writers. Holding the lock only from that moment to COMMIT keeps the window short;
because the lock is released after the commit becomes visible, the next writer reads the true head, so
concurrent writers never fork the chain (the primary key on ``seq`` would refuse a fork anyway). A
transaction that rolls back takes its buffered events with it, and leaves no gap in ``seq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from interop.audit import chain, signing
from interop.audit.errors import AuditRecordRejected, SigningKeyUnavailable
from interop.audit.models import AuditCheckpoint, AuditEvent

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
    CheckpointRead,
)
from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.identity.curp import contains_curp

LOCK_KEY = 0x1A0D17_0A0D17  # pg_advisory_xact_lock key of the chain
_PENDING = "interop.audit.pending"
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
    checkpoint_every: int = 1000
    lock_free: bool = False


_config = _Config()


def configure(settings: Settings) -> signing.Signer:
    """Load (or create) the checkpoint key and the checkpoint interval for this process. Called by the
    app lifespan and the CLI; until then events are still chained, only periodic checkpoints wait."""
    signer = signing.load_or_create(settings)
    _config.signer = signer
    _config.checkpoint_every = max(1, settings.audit_checkpoint_every)
    _config.lock_free = settings.audit_lock_free
    return signer


def current_signer() -> signing.Signer:
    if _config.signer is None:
        raise SigningKeyUnavailable("the audit signing key is not loaded")
    return _config.signer


def holds_personal_data(value: str | None) -> bool:
    """Would the audit writer refuse this value (it looks like a CURP)? Lets the edge replace a caller's
    header (a request id, an acting user) before it reaches an event, rather than lose the event."""
    return contains_curp(value)


def _reject_personal_data(values: Sequence[str | None]) -> None:
    for value in values:
        if holds_personal_data(value):
            raise AuditRecordRejected("audit events hold identifiers only: a value looks like a CURP")


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
    refs: list[str | None] = list(dict.fromkeys(patient_ref(p) for p in patients)) or [None]
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.extend({**base, "patient": ref} for ref in refs)
    # Begin the transaction now, so that ending it without a commit (rollback) drops the buffer.
    await session.connection()


async def flush(session: AsyncSession) -> None:
    """Write the buffered events now (taking the chain lock until the transaction ends)."""
    await session.run_sync(_write_pending)


def _write_pending(session: Session) -> None:
    pending: list[dict[str, Any]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    # Flush the caller's own changes first, so the chain lock is held for as little as possible.
    session.flush()
    conn = session.connection()
    if _config.lock_free:
        _append_unchained(conn, pending)
        return
    prev_seq, prev_hash, last_at = _lock_head(conn)
    first_seq = prev_seq + 1
    # recorded_at never goes backwards along the chain, so date ranges are contiguous seq ranges.
    now = max(datetime.now(UTC), last_at) if last_at else datetime.now(UTC)
    records = []
    for values in pending:
        prev_seq += 1
        row = {**values, "seq": prev_seq, "recorded_at": now}
        prev_hash = chain.link(prev_hash, chain.canonical(row))
        records.append((*(row[name] for name in chain.ROW_FIELDS), prev_hash))
    _copy_events(conn, records)
    signer, every = _config.signer, _config.checkpoint_every
    # A checkpoint each time the chain crosses a multiple of ``every`` (no extra query on the hot path);
    # one missed while no key was loaded is covered by the next, or by an on-demand checkpoint.
    if signer is not None and prev_seq // every > (first_seq - 1) // every:
        conn.execute(insert(AuditCheckpoint), [_signed(signer, prev_seq, prev_hash, now)])


def _append_unchained(conn: Connection, pending: list[dict[str, Any]]) -> None:
    """No lock, no link to the previous entry: ``seq`` comes from its sequence (drawn here, just before
    COMMIT: the sequencer's order within a step) and ``xid`` records this transaction; the sequencer makes
    the rows leaves once it has committed (:mod:`interop.audit.sequencer`)."""
    now = datetime.now(UTC)
    records = [(*(values[name] for name in _UNCHAINED_COLUMNS[:-1]), now) for values in pending]
    _copy_events(conn, records, columns=_UNCHAINED_COLUMNS)


_UNCHAINED_COLUMNS = (*(f for f in chain.ROW_FIELDS if f not in ("seq", "recorded_at")), "recorded_at")
_EVENT_COLUMNS = (*chain.ROW_FIELDS, "hash")
_INSERT_EVENTS = insert(AuditEvent)


def _copy_events(
    conn: Connection, records: list[tuple[Any, ...]], *, columns: tuple[str, ...] = _EVENT_COLUMNS
) -> None:
    """Binary COPY on asyncpg: a page of 100 Tasks writes 100 events, and a multi-row INSERT of that size
    costs PostgreSQL a parse and plan of 1,700 parameters each time; other drivers get the INSERT."""
    driver = conn.connection.driver_connection
    copy = getattr(driver, "copy_records_to_table", None)
    if copy is None or len(records) < 8:
        conn.execute(_INSERT_EVENTS, [dict(zip(columns, r, strict=True)) for r in records])
        return
    await_only(copy("audit_event", records=records, columns=columns))


def _lock_head(conn: Connection) -> tuple[int, bytes, datetime | None]:
    """Take the chain lock and read the head, in one round trip: ``audit_lock_head`` (migration 0002) is
    a VOLATILE plpgsql function, so its SELECT gets a snapshot taken after the lock is granted, and sees
    the previous holder's commit (a plain ``SELECT lock, head`` would read with an older snapshot)."""
    head = conn.execute(text("SELECT * FROM audit_lock_head(:key)"), {"key": LOCK_KEY}).first()
    if head is None:
        return 0, chain.GENESIS, None
    return int(head.head_seq), bytes(head.head_hash), head.head_recorded_at


def _signed(signer: signing.Signer, seq: int, hash_: bytes, at: datetime) -> dict[str, Any]:
    message = chain.checkpoint_message(seq=seq, hash_=hash_, created_at=at, key_id=signer.key_id)
    return {
        "seq": seq,
        "hash": hash_,
        "created_at": at,
        "key_id": signer.key_id,
        "signature": signer.sign(message),
    }


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


async def checkpoint(session: AsyncSession, *, signer: signing.Signer | None = None) -> CheckpointRead | None:
    """Sign the current head now (after writing this session's buffered events). None when the chain is
    empty; the existing checkpoint when the head is already signed."""
    signer = signer or current_signer()
    await session.run_sync(_write_pending)
    if _config.lock_free:  # nothing is chained any more; the sequencer signs the tree's heads
        return None
    conn = await session.connection()
    seq, hash_, _ = await conn.run_sync(_lock_head)
    if seq == 0:
        return None
    return await checkpoint_at(session, seq=seq, hash_=hash_, signer=signer)


async def checkpoint_at(
    session: AsyncSession, *, seq: int, hash_: bytes, signer: signing.Signer
) -> CheckpointRead:
    existing = (
        await session.execute(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.seq == seq, AuditCheckpoint.key_id == signer.key_id)
            .order_by(AuditCheckpoint.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return CheckpointRead.of(existing)
    row = AuditCheckpoint(**_signed(signer, seq, hash_, datetime.now(UTC)))
    session.add(row)
    await session.flush()
    return CheckpointRead.of(row)
