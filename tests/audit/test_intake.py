"""The intake (migration 0022): a request's record is one row of ``audit_intake``; the sequencer moves it
into the searchable tables and the tree in one transaction (both or neither, even when its backend dies
mid-step), in commit order; the application role can only add to the intake; the move refuses nothing a
request was allowed to write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import merkle, sequencer
from interop.audit import service as audit_service
from interop.audit.leaf import LEAF_FIELDS, canonical_leaf
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer
from interop.errors import Invalid

from .factories import make_ctx

ORIGIN = "interop.test/audit"
WRITERS = 16

_INSERT = (
    "INSERT INTO audit_intake (recorded_at, type, subtype, action, outcome, client_id, role, request_id, "
    "trace_id, entities, patients) VALUES (now(), 'rest', 'read', 'R', '0', $1, 'clinic', $1, $1, '[]', $2) "
    "RETURNING seq"
)


def _patients(name: str) -> str:
    return f'["Patient/{name}"]'


def _raw(url: str) -> str:
    return url.replace("+asyncpg", "")


async def _count(session: AsyncSession, sql: str) -> int:
    return int(await session.scalar(text(sql)) or 0)


async def _places(session: AsyncSession) -> tuple[int, int, int, int]:
    """Rows in the intake, the records, their patients, the leaves."""
    return (
        await _count(session, "SELECT count(*) FROM audit_intake"),
        await _count(session, "SELECT count(*) FROM audit_event"),
        await _count(session, "SELECT count(*) FROM audit_event_patient"),
        await _count(session, "SELECT count(*) FROM audit_leaf"),
    )


async def _tree(session: AsyncSession) -> list[int]:
    rows = await session.execute(text("SELECT seq FROM audit_leaf ORDER BY leaf_index"))
    return [int(s) for s in rows.scalars()]


async def _record(sessionmaker: async_sessionmaker[AsyncSession], patients: list[str]) -> None:
    async with sessionmaker() as session:
        await audit_service.record(
            session,
            make_ctx(client_id="clinic-i"),
            action="E",
            subtype="search-type",
            entities=[AuditEntity(type="Task", id="t-9")],
            patients=patients,
        )
        await session.commit()


async def test_a_request_writes_one_intake_row_which_the_sequencer_moves_and_makes_a_leaf(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await _record(sessionmaker, ["p-1", "p-2"])
    async with sessionmaker() as session:
        assert await _places(session) == (1, 0, 0, 0)
        intake = (await session.execute(text("SELECT seq, patients FROM audit_intake"))).one()
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 1
    async with sessionmaker() as session:
        assert await _places(session) == (0, 1, 2, 1)
        row = (await session.execute(text(f"SELECT {', '.join(LEAF_FIELDS)} FROM audit_event"))).one()
        assert (row.seq, row.patients) == (intake.seq, intake.patients)
        refs = await session.execute(text("SELECT patient FROM audit_event_patient ORDER BY patient"))
        assert list(refs.scalars()) == ["Patient/p-1", "Patient/p-2"]
        stored = await session.scalar(text("SELECT hash FROM audit_node WHERE level = 0 AND idx = 0"))
        assert bytes(stored) == merkle.leaf_hash(canonical_leaf(tuple(row)))
        assert await _tree(session) == [intake.seq]


async def test_sixteen_intake_writers_commit_out_of_order_and_the_tree_follows_commit_order(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, database_url: str
) -> None:
    conns = [await asyncpg.connect(_raw(database_url)) for _ in range(WRITERS)]
    try:
        txs = [conn.transaction() for conn in conns]
        seqs: list[int] = []
        for i, (conn, tx) in enumerate(zip(conns, txs, strict=True)):
            await tx.start()
            seqs.append(await conn.fetchval(_INSERT, f"w-{i:02}", _patients(f"w-{i:02}")))
        order = [15, 3, 14, 9, 0, 12, 7, 1, 13, 6, 10, 2, 11, 5, 8, 4]
        rolled_back = {3, 10, 11}
        expected: list[int] = []
        for i in order:
            if i in rolled_back:
                await txs[i].rollback()
            else:
                await txs[i].commit()
                expected.append(seqs[i])
            await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
            async with sessionmaker() as session:
                assert await _tree(session) == expected  # the lowest seqs, open longest, are never skipped
        assert expected != sorted(expected)
        async with sessionmaker() as session:
            assert await _places(session) == (0, 13, 13, 13)
    finally:
        for conn in conns:
            await conn.close()


async def test_a_sequencer_killed_mid_step_leaves_every_record_in_the_intake(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, owner_database_url: str
) -> None:
    for k in range(3):
        await _record(sessionmaker, [f"p-{k}"])
    owner = await asyncpg.connect(_raw(owner_database_url))
    try:
        async with sessionmaker() as session:
            done = await sequencer.step(session, signer=signer, origin=ORIGIN)
            assert done is not None
            assert done.added == 3  # moved, leaves and head written, not committed
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            # The sequencer's backend dies before its COMMIT (as in a crash of the job worker's server
            # process): the server aborts its transaction.
            assert await owner.fetchval("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises(DBAPIError):
                await session.commit()
        async with sessionmaker() as session:
            assert await _places(session) == (3, 0, 0, 0)  # neither moved nor in the tree: all still waiting
            assert await _count(session, "SELECT count(*) FROM audit_head") == 0
        assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 3
        async with sessionmaker() as session:
            assert await _places(session) == (0, 3, 3, 3)
            assert sorted(await _tree(session)) == await _tree(session)
    finally:
        await owner.close()


async def test_a_failed_step_rolls_the_move_back(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await _record(sessionmaker, ["p-1"])
    async with sessionmaker() as session:
        await sequencer.step(session, signer=signer, origin=ORIGIN)
        assert await _places(session) == (0, 1, 1, 1)  # inside the step's transaction
        await session.rollback()
    async with sessionmaker() as session:
        assert await _places(session) == (1, 0, 0, 0)


@pytest.fixture
async def app_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_raw(database_url))
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_intake SET client_id = 'x'", "DELETE FROM audit_intake", "TRUNCATE audit_intake"],
)
async def test_the_application_role_may_only_add_to_the_intake(
    sessionmaker: async_sessionmaker[AsyncSession], app_conn: asyncpg.Connection, statement: str
) -> None:
    await _record(sessionmaker, ["p-1"])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(statement)
    assert await app_conn.fetchval("SELECT count(*) FROM audit_intake") == 1


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_intake SET client_id = 'x'", "DELETE FROM audit_intake", "TRUNCATE audit_intake"],
)
async def test_even_the_owner_cannot_change_or_remove_intake_rows_outside_the_move(
    sessionmaker: async_sessionmaker[AsyncSession], owner_database_url: str, statement: str
) -> None:
    await _record(sessionmaker, ["p-1"])
    owner = await asyncpg.connect(_raw(owner_database_url))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="audit intake"):
            await owner.execute(statement)
        # the move's flag, set by hand, does not open UPDATE
        async with owner.transaction():
            await owner.execute("SELECT set_config('interop.audit_intake_move', 'on', true)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await owner.execute("UPDATE audit_intake SET client_id = 'x'")
        assert await owner.fetchval("SELECT count(*) FROM audit_intake WHERE client_id = 'clinic-i'") == 1
    finally:
        await owner.close()


async def test_a_move_committed_without_leaves_is_still_sequenced(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, app_conn: asyncpg.Connection
) -> None:
    """The move is open to the application's role (SECURITY DEFINER), but all it can do is relocate rows
    into the append-only tables: committed without leaves, they are picked up by the next step."""
    await _record(sessionmaker, ["p-1"])
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 1
    await _record(sessionmaker, ["p-2"])
    moved = await app_conn.fetch("SELECT seq FROM audit_intake_move(100)")
    assert len(moved) == 1
    async with sessionmaker() as session:
        assert await _places(session) == (0, 2, 2, 1)
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 1
    async with sessionmaker() as session:
        assert await _tree(session) == sorted(await _tree(session))
        assert (await _tree(session))[-1] == moved[0]["seq"]


async def test_records_written_straight_into_audit_event_and_intake_rows_are_sequenced_together(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, app_conn: asyncpg.Connection
) -> None:
    """A record of the old path (before the migration, or from an older process during a deploy)."""
    old = await app_conn.fetchval(
        "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, request_id, "
        "trace_id, entities) VALUES (now(), 'rest', 'read', 'R', '0', 'old', 'clinic', 'r', 't', '[]') "
        "RETURNING seq"
    )
    await _record(sessionmaker, ["p-1"])
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 2
    async with sessionmaker() as session:
        tree = await _tree(session)
        assert tree[0] == old
        assert len(tree) == 2
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 0  # nothing twice


async def test_a_value_the_move_would_refuse_is_refused_at_the_request(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    for patients, entity in ((["p" * 101], "t-1"), (["p-1"], "t\x00"), (["p\x00"], "t-1")):
        async with sessionmaker() as session:
            with pytest.raises(Invalid):
                await audit_service.record(
                    session,
                    make_ctx(),
                    action="R",
                    subtype="read",
                    entities=[AuditEntity(type="Task", id=entity)],
                    patients=patients,
                )
    await _record(sessionmaker, ["p" * 92])  # "Patient/" + 92: exactly the side table's 100
    assert await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN) == 1


async def test_the_intake_itself_refuses_what_would_stop_the_move(app_conn: asyncpg.Connection) -> None:
    """The last line, below the service's checks: a JSON NUL escape (jsonb refuses it) or a bad code."""
    insert = (
        "INSERT INTO audit_intake (recorded_at, type, subtype, action, outcome, client_id, role, "
        "request_id, trace_id, entities, patients) "
        "VALUES (now(), 'rest', 'read', $1, '0', 'c', 'clinic', 'r', 't', $2, $3)"
    )
    for action, entities, patients in (
        ("R", '[{"id":"t\\u0000"}]', None),
        ("R", "[]", '["Patient/\\u0000"]'),
        ("X", "[]", None),
    ):
        with pytest.raises(asyncpg.CheckViolationError):
            await app_conn.execute(insert, action, entities, patients)


async def test_many_writers_and_a_running_sequencer_lose_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, database_url: str
) -> None:
    conns = [await asyncpg.connect(_raw(database_url)) for _ in range(8)]
    committed: list[int] = []
    stop = asyncio.Event()

    async def writer(i: int, conn: asyncpg.Connection) -> None:
        for k in range(12):
            async with conn.transaction():
                committed.append(await conn.fetchval(_INSERT, f"w{i}-{k}", _patients(f"w{i}-{k}")))

    async def sequencing() -> None:
        while not stop.is_set():
            await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN, batch=7)
            await asyncio.sleep(0.003)

    try:
        loop = asyncio.create_task(sequencing())
        await asyncio.gather(*(writer(i, c) for i, c in enumerate(conns)))
        stop.set()
        await loop
        await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
        async with sessionmaker() as session:
            leaves = await _tree(session)
            assert sorted(leaves) == sorted(committed)
            assert len(set(leaves)) == len(leaves)
            assert await _places(session) == (0, len(committed), len(committed), len(committed))
    finally:
        for conn in conns:
            await conn.close()


async def test_fhir_search_read_and_trace_see_a_record_still_in_the_intake_beside_sequenced_ones(
    client: httpx.AsyncClient,
    auth_headers: Callable[..., dict[str, str]],
    sessionmaker: async_sessionmaker[AsyncSession],
    signer: Signer,
) -> None:
    trace_id = "b" * 32
    for patients in (["p-1"], ["p-1", "p-2"]):
        async with sessionmaker() as session:
            await audit_service.record(
                session,
                make_ctx(client_id="clinic-i", trace_id=trace_id),
                action="U",
                subtype="update",
                entities=[AuditEntity(type="Task", id="t-9")],
                patients=patients,
            )
            await session.commit()
        if patients == ["p-1"]:
            await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
    async with sessionmaker() as session:
        sequenced = await _count(session, "SELECT max(seq) FROM audit_event")
        waiting = await _count(session, "SELECT max(seq) FROM audit_intake")
        assert await _places(session) == (1, 1, 1, 1)
    headers = auth_headers("auditor")
    by_patient = (await client.get("/fhir/AuditEvent", params={"patient": "p-1"}, headers=headers)).json()
    assert {e["resource"]["id"] for e in by_patient["entry"]} == {str(sequenced), str(waiting)}
    by_patient2 = (await client.get("/fhir/AuditEvent", params={"patient": "p-2"}, headers=headers)).json()
    assert [e["resource"]["id"] for e in by_patient2["entry"]] == [f"{waiting}-1"]
    by_entity = (await client.get("/fhir/AuditEvent", params={"entity": "Task/t-9"}, headers=headers)).json()
    assert {str(sequenced), str(waiting), f"{waiting}-1"} <= {e["resource"]["id"] for e in by_entity["entry"]}
    read = await client.get(f"/fhir/AuditEvent/{waiting}-1", headers=headers)
    assert read.status_code == 200
    assert read.json()["id"] == f"{waiting}-1"
    trace = (await client.get(f"/v1/trace/{trace_id}", headers=headers)).json()
    assert [e["seq"] for e in trace["events"]] == [sequenced, waiting, waiting]
    async with sessionmaker() as session:  # the record was read from the intake: it is still there
        assert await _count(session, f"SELECT count(*) FROM audit_intake WHERE seq = {waiting}") == 1
