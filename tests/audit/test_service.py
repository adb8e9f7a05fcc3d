"""Recording: shape, one event per patient, identifiers only, same transaction, append-only storage."""

from __future__ import annotations

import asyncpg
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import sequencer, verification
from interop.audit import service as audit_service
from interop.audit.errors import AuditRecordRejected
from interop.audit.schemas import AuditEntity, AuditSearch
from interop.audit.signing import Signer

from .factories import make_ctx, record_many


async def _rows(session: AsyncSession) -> list[dict[str, object]]:
    # Every record, sequenced or still in the intake (migration 0022's view).
    result = await session.execute(text("SELECT * FROM audit_record ORDER BY seq"))
    return [dict(r._mapping) for r in result]


async def test_record_writes_one_compact_record_at_commit(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    ctx = make_ctx(user="enfermera-17")
    async with sessionmaker() as session:
        await audit_service.record(
            session,
            ctx,
            action="E",
            subtype="search-type",
            entities=[AuditEntity(type="Task", id="t1"), AuditEntity(type="ServiceRequest", id="s1")],
            patients=["p1", "Patient/p2", "p1"],
            query="status=requested",
        )
        assert await _rows(session) == []  # buffered until the transaction commits
        await session.commit()
    async with sessionmaker() as session:
        rows = await _rows(session)
        events, _ = await audit_service.search_events(session, criteria=AuditSearch(), count=10)
    # The sequencer gives the record its side rows as it moves it out of the intake.
    await sequencer.catch_up(sessionmaker, signer=signer, origin="t")
    async with sessionmaker() as session:
        side = (await session.execute(text("SELECT patient, seq FROM audit_event_patient ORDER BY 1"))).all()
        moved = await _rows(session)
    # The same record once moved (only ``xid`` changes: the moving transaction's, see sequencer).
    assert [{k: v for k, v in r.items() if k != "xid"} for r in moved] == [
        {k: v for k, v in r.items() if k != "xid"} for r in rows
    ]
    # One stored record for the request, one narrow side row per patient ...
    assert [r["seq"] for r in rows] == [1]
    assert rows[0]["patient"] is None
    assert orjson.loads(rows[0]["patients"]) == ["Patient/p1", "Patient/p2"]
    assert [tuple(r) for r in side] == [("Patient/p1", 1), ("Patient/p2", 1)]
    # ... answered as one event per patient (BALP), the same in every other field.
    assert [(e.id, e.patient) for e in events] == [("1", "Patient/p1"), ("1-1", "Patient/p2")]
    assert events[0].model_dump(exclude={"patient", "part"}) == events[1].model_dump(
        exclude={"patient", "part"}
    )
    first = rows[0]
    assert first["client_id"] == "clinic-a"
    assert first["role"] == "clinic"
    assert first["user_id"] == "enfermera-17"
    assert first["request_id"] == ctx.request_id
    assert first["trace_id"] == ctx.trace_id
    assert first["network_address"] == "10.0.0.7"
    assert (first["type"], first["subtype"], first["action"], first["outcome"]) == (
        "rest",
        "search-type",
        "E",
        "0",
    )
    assert orjson.loads(first["entities"]) == [
        {"id": "t1", "role": "domain-resource", "type": "Task"},
        {"id": "s1", "role": "domain-resource", "type": "ServiceRequest"},
    ]
    assert first["query"] == "status=requested"


async def test_event_without_patient_is_a_single_event(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await audit_service.record(
            session,
            make_ctx(),
            action="C",
            subtype="import",
            entities=[AuditEntity(type="Import", id="9", role="job")],
        )
        await session.commit()
        rows = await _rows(session)
    assert len(rows) == 1
    assert rows[0]["patient"] is None
    assert rows[0]["type"] == "110107"


async def test_rolled_back_action_leaves_no_event(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await record_many(sessionmaker, 2)
    async with sessionmaker() as session:
        await session.execute(text("CREATE TEMP TABLE scratch (x int)"))
        await audit_service.record(
            session, make_ctx(), action="D", subtype="delete", entities=[AuditEntity(type="Task", id="gone")]
        )
        await session.rollback()
        await session.commit()  # nothing left to write

    async def failing_action() -> None:
        async with sessionmaker() as session, session.begin():
            await audit_service.record(
                session,
                make_ctx(),
                action="U",
                subtype="update",
                entities=[AuditEntity(type="Task", id="failed")],
            )
            await audit_service.flush(session)  # even written rows go when the transaction fails
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        await failing_action()
    await record_many(sessionmaker, 1)
    async with sessionmaker() as session:
        head = await audit_service.checkpoint(session)
        await session.commit()
    async with sessionmaker() as session:
        rows = await _rows(session)
        report = await verification.verify(session, verifier=signer.verifier)
    # Rolled-back records leave gaps in seq (a sequence), never rows and never leaves.
    assert len(rows) == 3
    assert head is not None
    assert head.tree_size == 3
    assert report.leaves_checked == 3
    assert all(e["id"] not in ("gone", "failed") for r in rows for e in orjson.loads(r["entities"]))  # type: ignore[attr-defined]
    assert report.ok


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("entity id", {"entities": [AuditEntity(type="Patient", id="GOMC560412MDFRRN09")]}),
        ("patient", {"patients": ["gomc560412mdfrrn09"]}),
        ("query", {"query": "identifier=https://www.gob.mx/curp|GOMC560412MDFRRN09"}),
    ],
)
async def test_curp_anywhere_is_rejected(
    session: AsyncSession, field: str, kwargs: dict[str, object]
) -> None:
    with pytest.raises(AuditRecordRejected) as caught:
        await audit_service.record(session, make_ctx(), action="R", subtype="read", **kwargs)  # type: ignore[arg-type]
    assert "GOMC" not in str(caught.value).upper()  # the message names no value


async def test_curp_as_acting_user_is_rejected(session: AsyncSession) -> None:
    with pytest.raises(AuditRecordRejected):
        await audit_service.record(session, make_ctx(user="GOMC560412MDFRRN09"), action="R", subtype="read")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "X", "subtype": "read"},
        {"action": "R", "subtype": "peek"},
        {"action": "R", "subtype": "read", "outcome": "1"},
        {"action": "R", "subtype": "read", "entities": [AuditEntity(type="Task", id="1", role="owner")]},
    ],
)
async def test_unknown_codes_are_rejected(session: AsyncSession, kwargs: dict[str, object]) -> None:
    with pytest.raises(AuditRecordRejected):
        await audit_service.record(session, make_ctx(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET client_id = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
        "UPDATE audit_event_patient SET patient = 'x'",
        "DELETE FROM audit_event_patient",
        "TRUNCATE audit_event_patient",
        "UPDATE audit_head SET tree_size = 0",
        "DELETE FROM audit_head",
        "TRUNCATE audit_head",
    ],
)
async def test_update_delete_truncate_are_refused_by_the_trigger(
    sessionmaker: async_sessionmaker[AsyncSession], owner_database_url: str, signer: Signer, statement: str
) -> None:
    # As the owner: the trigger is what stops it (the application's role is refused before, by privilege).
    await record_many(sessionmaker, 1)
    async with sessionmaker() as session:
        await audit_service.checkpoint(session)
        await session.commit()
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_event") == 1
    finally:
        await conn.close()


async def test_non_owner_app_role_may_only_read_and_append(database_url: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        grants = await conn.fetch(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = 'interop_app' AND table_name LIKE 'audit_%' AND table_schema = 'public'"
        )
        assert {(g["table_name"], g["privilege_type"]) for g in grants} == {
            ("audit_event", "SELECT"),
            ("audit_event", "INSERT"),
            ("audit_checkpoint", "SELECT"),
            ("audit_checkpoint", "INSERT"),
            ("audit_event_patient", "SELECT"),
            ("audit_event_patient", "INSERT"),
            ("audit_intake", "SELECT"),
            ("audit_intake", "INSERT"),
            ("audit_record", "SELECT"),
            *(
                (table, privilege)
                for table in ("audit_leaf", "audit_node", "audit_head")
                for privilege in ("SELECT", "INSERT")
            ),
        }
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE interop_app")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    finally:
        await conn.close()


async def test_on_demand_checkpoint_signs_the_head_once(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await record_many(sessionmaker, 4)
    async with sessionmaker() as session:
        first = await audit_service.checkpoint(session)
        again = await audit_service.checkpoint(session)
        await session.commit()
    assert first is not None
    assert again is not None
    assert first.tree_size == 4  # every committed record sequenced, then signed
    assert again == first
    assert first.kid == signer.key_id


async def test_checkpoint_of_an_empty_chain_is_none(session: AsyncSession, signer: Signer) -> None:
    assert await audit_service.checkpoint(session) is None


async def test_denied_request_is_recorded_in_its_own_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await audit_service.record_denied(
        sessionmaker,
        request_id="req-1",
        trace_id="b" * 32,
        network_address="10.1.1.1",
        status=403,
        method="GET",
        route="/fhir/Patient/{id}",
        client_id="clinic-z",
        role="clinic",
    )
    await audit_service.record_denied(
        sessionmaker,
        request_id="req-2",
        trace_id="c" * 32,
        network_address=None,
        status=401,
        method="POST",
        route="/fhir",
    )
    async with sessionmaker() as session:
        rows = await _rows(session)
    assert [
        (r["client_id"], r["type"], r["subtype"], r["action"], r["outcome"], r["outcome_desc"]) for r in rows
    ] == [
        ("clinic-z", "rest", "read", "R", "4", "403 GET /fhir/Patient/{id}"),
        ("unauthenticated", "110114", "create", "C", "4", "401 POST /fhir"),
    ]


async def test_search_filters_and_keyset_pages(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await record_many(sessionmaker, 5, client_id="clinic-a")
    await record_many(sessionmaker, 3, client_id="clinic-b", user="dr-x")
    async with sessionmaker() as session:
        page, more = await audit_service.search_events(
            session, criteria=AuditSearch(agent_groups=[["clinic-a"]]), count=2
        )
        assert [e.seq for e in page] == [1, 2]
        assert more
        page, more = await audit_service.search_events(
            session, criteria=AuditSearch(agent_groups=[["clinic-a"]]), count=2, after_seq=4
        )
        assert [e.seq for e in page] == [5]
        assert not more
        page, _ = await audit_service.search_events(
            session, criteria=AuditSearch(agent_groups=[["dr-x"]]), count=10, descending=True
        )
        assert [e.seq for e in page] == [8, 7, 6]
        page, _ = await audit_service.search_events(
            session, criteria=AuditSearch(entity_groups=[[("Task", "2"), (None, "p-0")]]), count=10
        )
        assert [e.seq for e in page] == [1, 3, 6, 8]
        page, _ = await audit_service.search_events(
            session, criteria=AuditSearch(patients=["p-1"], actions=["R"], outcomes=["0"]), count=10
        )
        assert [e.seq for e in page] == [2, 7]
        page, _ = await audit_service.search_events(session, criteria=AuditSearch(actions=["C"]), count=10)
        assert page == []


async def test_entity_search_can_use_the_gin_index(session: AsyncSession) -> None:
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = (
        (
            await session.execute(
                text(
                    "EXPLAIN SELECT seq FROM audit_event "
                    """WHERE CAST(entities AS JSONB) @> '[{"type": "Task", "id": "1"}]'"""
                )
            )
        )
        .scalars()
        .all()
    )
    # Each monthly partition has its copy of ix_audit_event_entities (named by PostgreSQL after it).
    assert any("Bitmap Index Scan on audit_event_" in line for line in plan), plan
    assert any("Index Cond" in line and "entities" in line for line in plan), plan
