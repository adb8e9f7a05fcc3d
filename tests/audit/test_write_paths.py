"""The record's two ways to the database: straight through the driver when the request's transaction is
open (it has run a statement), through SQLAlchemy when the record is the transaction's first statement.
Both write the same record, and both belong to the request's transaction."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import Actor, RequestContext

from .factories import make_ctx

_COMPARED = (
    "type, subtype, action, outcome, outcome_desc, client_id, role, user_id, network_address, "
    "request_id, trace_id, patient, entities, query, hash, patients"
)


async def _record(session: AsyncSession, client_id: str, request_id: str) -> None:
    ctx = RequestContext(
        actor=Actor(client_id=client_id, role="clinic", user="enfermera-17"),
        request_id=request_id,
        trace_id="a" * 32,
        network_address="10.0.0.7",
    )
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type="Task", id="t1"), AuditEntity(type="ServiceRequest", id="s'1\\")],
        patients=["p1", "Patient/p2"],
        query="status=requested",
    )


async def _stored(session: AsyncSession, client_id: str) -> list[tuple[object, ...]]:
    rows = await session.execute(
        text(f"SELECT {_COMPARED} FROM audit_record WHERE client_id = :c ORDER BY seq"), {"c": client_id}
    )
    return [tuple(r) for r in rows]


async def _patients(session: AsyncSession, client_id: str) -> list[str]:
    # The request writes its patients in the record (the side rows are the sequencer's: test_intake).
    rows = await session.scalars(
        text(
            "SELECT p FROM audit_record e, jsonb_array_elements_text(CAST(e.patients AS jsonb)) AS p "
            "WHERE e.client_id = :c ORDER BY p"
        ),
        {"c": client_id},
    )
    return list(rows)


async def test_a_record_after_the_requests_statements_rolls_back_and_commits_with_them(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))  # the request's own work opened the transaction
        await _record(session, "direct", "req-1")
        await audit_service.flush(session)
        assert len(await _stored(session, "direct")) == 1  # written, in this transaction only
        async with sessionmaker() as other:
            assert await _stored(other, "direct") == []
        await session.rollback()
    async with sessionmaker() as session:
        assert await _stored(session, "direct") == []
        assert await _patients(session, "direct") == []

    async with sessionmaker() as session:  # the record alone in its transaction
        await _record(session, "first", "req-1")
        await session.commit()
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        await _record(session, "direct", "req-1")
        await session.commit()
    async with sessionmaker() as session:
        first, direct = await _stored(session, "first"), await _stored(session, "direct")
        assert len(first) == len(direct) == 1
        assert first[0][5] == "first"
        assert first[0][:5] + first[0][6:] == direct[0][:5] + direct[0][6:]
        assert await _patients(session, "direct") == ["Patient/p1", "Patient/p2"]
        assert await _patients(session, "first") == ["Patient/p1", "Patient/p2"]


async def test_values_are_checked_apart_for_a_curp(session: AsyncSession) -> None:
    """Values are searched for a CURP in one pass: two values that would spell one together are not one."""
    await audit_service.record(
        session,
        make_ctx(),
        action="R",
        subtype="read",
        entities=[AuditEntity(type="GOMC5604", id="12MDFRRN09")],
    )


@pytest.mark.parametrize(
    ("action", "outcome"), [("X", "0"), ("c", "0"), ("R", "5"), ("R", "04"), ("R", ""), ("R", "4\n")]
)
async def test_the_database_refuses_unknown_codes(owner_database_url: str, action: str, outcome: str) -> None:
    """A writer other than the service (or a bug in it) cannot store an action or outcome BALP lacks."""
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, "
                "request_id, trace_id, entities) VALUES (now(), 'rest', 'read', $1, $2, 'c', 'clinic', "
                "'r', 't', '[]')",
                action,
                outcome,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, "
                "request_id, trace_id, entities, hash) VALUES (now(), 'rest', 'read', 'R', '0', 'c', "
                "'clinic', 'r', 't', '[]', '\\x00'::bytea)"
            )
        await conn.execute(
            "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, "
            "request_id, trace_id, entities) VALUES (now(), 'rest', 'read', 'R', '12', 'c', 'clinic', "
            "'r', 't', '[]')"
        )
    finally:
        await conn.close()
