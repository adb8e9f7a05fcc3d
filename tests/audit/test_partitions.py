"""The audit records and their patients are partitioned by month (migration 0016): rows land in their
month, every partition — those of the migration, the default one, and those made later — is append-only
and out of the application's direct reach, and the searches still go through indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import cast, literal_column, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import queries, sequencer
from interop.audit import service as audit_service
from interop.audit.models import AuditEvent
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer

from .factories import make_ctx, record_many

_PARTITIONS = (
    "SELECT c.oid::regclass::text AS name, p.relname AS parent FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
    "WHERE p.relname IN ('audit_event', 'audit_event_patient') ORDER BY 1"
)
_FUTURE = datetime(2031, 3, 14, 12, tzinfo=UTC)


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("+asyncpg", ""))


async def _insert_at(owner: asyncpg.Connection, moment: datetime) -> int:
    """A record (and one patient row) at ``moment``, as the owner (the application writes now())."""
    seq = int(
        await owner.fetchval(
            "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, "
            "request_id, trace_id, entities, patients) VALUES ($1, 'rest', 'read', 'R', '0', 'c', 'clinic', "
            "'r', repeat('a', 32), '[]', '[\"Patient/x\"]') RETURNING seq",
            moment,
        )
    )
    await owner.execute(
        "INSERT INTO audit_event_patient (patient, seq, recorded_at) VALUES ('Patient/x', $1, $2)",
        seq,
        moment,
    )
    return seq


async def test_records_land_in_their_months_partition(
    sessionmaker: async_sessionmaker[AsyncSession], owner_database_url: str, signer: Signer
) -> None:
    await record_many(sessionmaker, 2)
    await sequencer.catch_up(sessionmaker, signer=signer, origin="t")  # out of the intake
    month = datetime.now(UTC).strftime("%Y%m")
    owner = await _connect(owner_database_url)
    try:
        where = await owner.fetch("SELECT tableoid::regclass::text AS part FROM audit_event")
        assert {r["part"] for r in where} == {f"audit_partition.audit_event_{month}"}
        side = await owner.fetch("SELECT DISTINCT tableoid::regclass::text AS part FROM audit_event_patient")
        assert {r["part"] for r in side} == {f"audit_partition.audit_event_patient_{month}"}
        # A month nobody made a partition for yet: the default one takes the row (no failed request).
        seq = await _insert_at(owner, _FUTURE)
        part = await owner.fetchval("SELECT tableoid::regclass::text FROM audit_event WHERE seq = $1", seq)
        assert part == "audit_partition.audit_event_default"
    finally:
        await owner.close()


async def test_the_sequencer_makes_months_ahead_once(
    sessionmaker: async_sessionmaker[AsyncSession], owner_database_url: str
) -> None:
    # The application's role runs it (the job worker): SECURITY DEFINER, EXECUTE granted to it alone.
    async with sessionmaker() as session:
        made = await sequencer.ensure_partitions(session, months_ahead=5)
        again = await sequencer.ensure_partitions(session, months_ahead=5)
        await session.commit()
    assert (made, again) == (3, 0)  # the migration made this month and the next two
    owner = await _connect(owner_database_url)
    try:
        names = {r["name"] for r in await owner.fetch(_PARTITIONS)}
    finally:
        await owner.close()
    now = datetime.now(UTC)
    fifth = f"{now.year + (now.month + 4) // 12}{(now.month + 4) % 12 + 1:02d}"
    assert f"audit_partition.audit_event_{fifth}" in names
    assert f"audit_partition.audit_event_patient_{fifth}" in names


async def test_a_later_partition_keeps_rows_that_already_went_to_the_default_one(
    owner_database_url: str,
) -> None:
    owner = await _connect(owner_database_url)
    try:
        seq = await _insert_at(owner, _FUTURE)
        assert await owner.fetchval("SELECT audit_partition_create('2031-03-01')") is False
        assert await owner.fetchval("SELECT audit_partition_create('2031-04-01')") is True
        assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE seq = $1", seq) == 1
    finally:
        await owner.close()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE {part} SET seq = seq", "DELETE FROM {part}", "TRUNCATE {part}"],
)
async def test_every_partition_refuses_update_delete_truncate(
    sessionmaker: async_sessionmaker[AsyncSession],
    owner_database_url: str,
    database_url: str,
    statement: str,
    signer: Signer,
) -> None:
    await record_many(sessionmaker, 1)
    await sequencer.catch_up(sessionmaker, signer=signer, origin="t")  # out of the intake
    owner = await _connect(owner_database_url)
    app = await _connect(database_url)
    try:
        await _insert_at(owner, _FUTURE)  # the default partitions hold a row
        await owner.execute("SELECT audit_partition_create('2031-06-01')")  # one made later, by hand
        await _insert_at(owner, datetime(2031, 6, 2, tzinfo=UTC))
        parts = [(r["name"], r["parent"]) for r in await owner.fetch(_PARTITIONS)]
        assert ("audit_partition.audit_event_default", "audit_event") in parts
        assert ("audit_partition.audit_event_patient_203106", "audit_event_patient") in parts
        for part, parent in parts:
            triggers = await owner.fetch("SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass", part)
            assert {f"{parent}_append_only", "no_truncate"} <= {t["tgname"] for t in triggers}, part
            # As the owner, the trigger refuses (a row trigger cloned from the parent; TRUNCATE its own);
            # a row trigger only fires on rows, so UPDATE and DELETE are tried where there are some.
            if statement.startswith("TRUNCATE") or await owner.fetchval(f"SELECT count(*) FROM {part}"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    await owner.execute(statement.format(part=part))
            # The application's role may name a partition (a backup reads them) but not change one …
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute(statement.format(part=part))
            # … and holds only SELECT and INSERT on each (what it reaches through the parent).
            for privilege, held in (("SELECT", True), ("INSERT", True), ("UPDATE", False), ("DELETE", False)):
                assert (
                    await owner.fetchval("SELECT has_table_privilege('interop_app', $1, $2)", part, privilege)
                    is held
                ), (part, privilege)
            assert not await owner.fetchval("SELECT has_table_privilege('interop_app', $1, 'TRUNCATE')", part)
        assert await app.fetchval("SELECT count(*) FROM audit_event") == 3
    finally:
        await owner.close()
        await app.close()


async def _plan(session: AsyncSession, stmt: Any) -> str:
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = await session.execute(text(f"EXPLAIN {sql}"))
    return "\n".join(r[0] for r in rows)


async def test_searches_by_patient_entity_date_and_trace_use_indexes(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession, signer: Signer
) -> None:
    async with sessionmaker() as writer:
        await audit_service.record(
            writer,
            make_ctx(),
            action="R",
            subtype="read",
            entities=[AuditEntity(type="Task", id="t-1")],
            patients=["p-1"],
        )
        await writer.commit()
    await sequencer.catch_up(sessionmaker, signer=signer, origin="t")  # out of the intake
    by_patient = await _plan(
        session, select(AuditEvent).where(queries._with_patient(AuditEvent, ["Patient/p-1"]))
    )
    assert "pk_audit_event_patient" in by_patient or "audit_event_patient_" in by_patient
    assert "Seq Scan" not in by_patient
    # queries._entity_match's containment (a JSON value has no literal form for EXPLAIN: written out)
    contains = cast(AuditEvent.entities, JSONB).contains(literal_column("""'[{"id": "t-1"}]'::jsonb"""))
    by_entity = await _plan(session, select(AuditEvent).where(contains))
    assert "entities" in by_entity
    assert "Bitmap Index Scan" in by_entity
    month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    by_date = await _plan(session, select(AuditEvent).where(AuditEvent.recorded_at >= month))
    assert "recorded_at" in by_date
    assert "Seq Scan" not in by_date
    assert "2031" not in by_date  # months outside the range are pruned
    by_trace = await _plan(session, select(AuditEvent).where(AuditEvent.trace_id == "a" * 32))
    assert "trace_id" in by_trace
    assert "Seq Scan" not in by_trace
    # The patient's record itself is read from its month's partition only.
    rows = (
        await session.execute(select(AuditEvent).where(queries._with_patient(AuditEvent, ["Patient/p-1"])))
    ).all()
    assert len(rows) == 1
