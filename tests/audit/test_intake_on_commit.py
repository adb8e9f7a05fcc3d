"""The request's intake rows sent with its COMMIT (``interop.audit.intake_on_commit``): what is stored is
what the parameterised path stores, a failure keeps nothing, and the pooled connection is reused as a
plain connection after either end (asyncpg's transaction bookkeeping is kept true)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from interop.audit import intake_on_commit
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import Actor, RequestContext

_AWKWARD = [
    "",
    "plain",
    "it's",
    "back\\slash",
    "\\'",
    "''\\\\",
    "$$ $tag$ -- /* ; COMMIT; ROLLBACK",
    "línea\nnueva\ttab\r",
    "E'x'",
    "ünï😀",
]


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions that all use the same pooled connection: what one commit leaves, the next one meets."""
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.mark.parametrize("conforming", ["on", "off"])
async def test_a_literal_reads_back_as_the_value(owner_database_url: str, conforming: str) -> None:
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        await conn.execute(f"SET standard_conforming_strings = {conforming}")
        for value in _AWKWARD:
            assert await conn.fetchval(f"SELECT {intake_on_commit.literal(value)}::text") == value
        assert await conn.fetchval(f"SELECT {intake_on_commit.literal(None)}::text IS NULL")
        await conn.execute("SET timezone = 'America/Mexico_City'")  # the instant, whatever the session's zone
        for instant in (datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)):
            assert await conn.fetchval(f"SELECT {intake_on_commit.literal(instant)}::timestamptz") == instant
    finally:
        await conn.close()


def test_a_value_with_a_nul_is_not_sent_as_a_literal() -> None:
    assert intake_on_commit.insert_sql("INSERT INTO t (a) VALUES ", [["a\x00b"]]) is None
    assert intake_on_commit.insert_sql("INSERT INTO t (a) VALUES ", [["ab"], [None]]) == (
        "INSERT INTO t (a) VALUES (E'ab'), (NULL)"
    )


async def _record(session: AsyncSession, request_id: str, value: str = "t1") -> None:
    ctx = RequestContext(
        actor=Actor(client_id="rides", role="clinic", user="enfermera-17"),
        request_id=request_id,
        trace_id="b" * 32,
        network_address="10.0.0.7",
    )
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype="update",
        entities=[AuditEntity(type="Task", id=value)],
        patients=["p1"],
        query=value,
    )


async def _requests(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        text("SELECT request_id, entities, query FROM audit_record WHERE client_id = 'rides' ORDER BY seq")
    )
    return [tuple(r) for r in rows]


async def test_records_ride_on_the_commit_and_the_connection_is_reused_cleanly(
    one_connection: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    rides: list[bool] = []
    ride = intake_on_commit.ride_on_commit

    def spy(*args: Any) -> bool:
        rides.append(ride(*args))
        return rides[-1]

    monkeypatch.setattr(intake_on_commit, "ride_on_commit", spy)
    for value in _AWKWARD[1:]:
        async with one_connection() as session:
            await session.execute(text("SELECT 1"))  # the request's own work opened the transaction
            await _record(session, "kept", value)
            await session.commit()
    assert rides == [True] * (len(_AWKWARD) - 1)
    async with one_connection() as session:  # the same connection: a real transaction, rolled back
        await session.execute(text("SELECT 1"))
        await _record(session, "dropped")
        await audit_service.flush(session)
        await session.rollback()
    async with one_connection() as session:
        await session.execute(text("SELECT 1"))
        await _record(session, "kept-after")
        await session.commit()
    async with one_connection() as session:
        stored = await _requests(session)
        assert [r[0] for r in stored] == ["kept"] * (len(_AWKWARD) - 1) + ["kept-after"]
        assert [r[2] for r in stored[:-1]] == _AWKWARD[1:]  # byte for byte, quotes and backslashes too
        assert stored[0][1] == '[{"id":"plain","role":"domain-resource","type":"Task"}]'
        assert await session.scalar(text("SELECT pg_current_xact_id_if_assigned() IS NULL"))


async def test_a_failing_ride_keeps_nothing_and_leaves_the_connection_clean(
    one_connection: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The INSERT that rides fails (NOT NULL): the request's earlier record must go with it.
    bad = "INSERT INTO audit_intake (action) VALUES ('U')"
    ride = intake_on_commit.ride_on_commit
    monkeypatch.setattr(intake_on_commit, "ride_on_commit", lambda a, d, _sql: ride(a, d, bad))
    async with one_connection() as session:
        await session.execute(text("SELECT 1"))
        await _record(session, "earlier")
        await audit_service.flush(session)  # written in the transaction, by the parameterised path
        await _record(session, "riding")
        with pytest.raises(DBAPIError):
            await session.commit()
    monkeypatch.undo()
    async with one_connection() as session:  # the same connection, not left in an aborted transaction
        assert await _requests(session) == []
        await _record(session, "next")
        await session.commit()
    async with one_connection() as session:
        assert [r[0] for r in await _requests(session)] == ["next"]
