"""The source record tables partitioned by entidad (issue 20 item 4, migration 0022): each version lives
in its entidad's partition and each record id once in its source's key table; a re-import that changes
the entidad puts the new version in the new partition and moves the key row with it; two imports of one
record id in two entidades store one record; the reads by record id, Patient id, CURP and unit go
through the key table's indexes to the one partition that holds the record; the migration keeps every
row, both ways."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import PATIENT_HEADER, ROLL_HEADER, csv_text, import_file, roll_row, write
from tests.matching.test_match_plans import _nodes, _plan, _scans
from tests.scratch_databases import execute as _execute
from tests.scratch_databases import fetch as _fetch
from tests.scratch_databases import fresh_database as _fresh

from interop.config import Settings
from interop.db import migrate
from interop.db.embedded import EmbeddedServer
from interop.identity.curp import build_curp
from interop.ingest import staging
from interop.ingest.normalise import Chunk, Normaliser
from interop.matching import service as matching_service
from interop.registry import service as registry_service
from interop.roll import service as roll_service

CURP = build_curp(
    given_names="ROSA",
    paternal_surname="PEREZ",
    maternal_surname="LOPEZ",
    birth_date=date(1950, 3, 14),
    sex="M",
    state="DF",
    homoclave="0",
)


def _patient_row(record_id: str, **fields: str) -> list[str]:
    row = dict(zip(ROLL_HEADER, roll_row(record_id), strict=True))
    row.pop("programa")
    row.update(clues="DFIMB000001", expediente=f"EXP-{record_id}", **fields)
    return [row[c] for c in PATIENT_HEADER]


async def _where(session: AsyncSession, table: str) -> list[tuple[Any, ...]]:
    """Each version's (record_id, version, is_current, partition), and the key rows' (record_id, version,
    pkey)."""
    rows = await session.execute(
        text(f"SELECT record_id, version, is_current, tableoid::regclass::text FROM {table} ORDER BY 1, 2")
    )
    return [tuple(r) for r in rows.all()]


async def _keys(session: AsyncSession, table: str) -> list[tuple[Any, ...]]:
    rows = await session.execute(text(f"SELECT record_id, version, pkey FROM {table}_key ORDER BY 1"))
    return [tuple(r) for r in rows.all()]


async def test_each_version_lives_in_its_entidads_partition_and_the_key_row_follows_a_move(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    roll = [roll_row("R1", entidad="MC"), roll_row("R2", entidad=""), roll_row("R3", entidad="YN", curp=CURP)]
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "a.csv", csv_text(ROLL_HEADER, roll)))
    roll[0] = roll_row("R1", entidad="JC", domicilio="NUEVA 5")  # moved to Jalisco
    summary = await import_file(
        sessionmaker, settings, "roll", write(tmp_path, "b.csv", csv_text(ROLL_HEADER, roll))
    )
    assert (summary["new_records"], summary["new_versions"], summary["unchanged"]) == (0, 1, 2)
    part = "record_partition.roll_record_"
    assert await _where(session, "roll_record") == [
        ("R1", 1, False, f"{part}mc"),  # the earlier version stays where its entidad put it
        ("R1", 2, True, f"{part}jc"),
        ("R2", 1, True, f"{part}default"),
        ("R3", 1, True, f"{part}yn"),
    ]
    assert await _keys(session, "roll_record") == [("R1", 2, "JC"), ("R2", 1, "00"), ("R3", 1, "YN")]
    current = await roll_service.get_record(session, record_id="R1")
    assert current is not None
    assert (current.version, current.entidad, current.domicilio) == (2, "JC", "NUEVA 5")
    assert [r.record_id for r in await roll_service.find_by_curp(session, curp=CURP)] == ["R3"]
    assert await roll_service.count_current(session) == 3

    patients = [_patient_row("P1", entidad="OC"), _patient_row("P2", entidad="DF", curp=CURP)]
    await import_file(
        sessionmaker, settings, "patients", write(tmp_path, "p.csv", csv_text(PATIENT_HEADER, patients))
    )
    before = await registry_service.get_record(session, record_id="P1")
    assert before is not None
    patients[0] = _patient_row("P1", entidad="")
    await import_file(
        sessionmaker, settings, "patients", write(tmp_path, "q.csv", csv_text(PATIENT_HEADER, patients))
    )
    part = "record_partition.registry_patient_"
    assert await _where(session, "registry_patient") == [
        ("P1", 1, False, f"{part}oc"),
        ("P1", 2, True, f"{part}default"),
        ("P2", 1, True, f"{part}df"),
    ]
    assert await _keys(session, "registry_patient") == [("P1", 2, "00"), ("P2", 1, "DF")]
    moved = await registry_service.get_by_patient_id(session, patient_id=before.patient_id)
    assert moved is not None, "the Patient id stays with the record across partitions"
    assert (moved.record_id, moved.version, moved.entidad) == ("P1", 2, None)
    assert [r.record_id for r in await registry_service.find_by_curps(session, curps=[CURP])] == ["P2"]
    view = await session.execute(text("SELECT source, record_id, version FROM identity_record ORDER BY 1, 2"))
    assert [tuple(r) for r in view.all()] == [
        ("patients", "P1", 2),
        ("patients", "P2", 1),
        ("roll", "R1", 2),
        ("roll", "R2", 1),
        ("roll", "R3", 1),
    ]


async def _merge(session: AsyncSession, import_id: int, row: list[str]) -> Any:
    chunk = Chunk()
    Normaliser("roll").add(chunk, [2], [tuple(row)])
    staged = await staging.stage(session, kind="roll", rows=chunk.staged)
    return await roll_service.merge_staged(session, import_id=import_id, staged=staged)


async def test_two_imports_of_one_record_id_in_two_entidades_store_one_record(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """No lock wider than the key row: the second import of R1 (another entidad, so another partition,
    where no unique index of the versions would see the first) waits on R1's key row, then adds
    nothing; an import of another record in the first one's partition does not wait."""
    async with sessionmaker() as first, sessionmaker() as second, sessionmaker() as third:
        assert (await _merge(first, 1, roll_row("R1", entidad="MC"))).new_records == 1
        await third.execute(text("SET LOCAL lock_timeout = '2s'"))
        assert (await _merge(third, 3, roll_row("R2", entidad="MC"))).new_records == 1
        await second.execute(text("SET LOCAL lock_timeout = '500ms'"))
        with pytest.raises(DBAPIError, match="lock timeout"):
            await _merge(second, 2, roll_row("R1", entidad="JC"))
        await second.rollback()
        waiting = asyncio.create_task(_merge(second, 2, roll_row("R1", entidad="JC")))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second import waits for the first's key row"
        await first.commit()
        counts = await asyncio.wait_for(waiting, 10)
        assert (counts.new_records, counts.new_versions, counts.unchanged) == (0, 0, 1)
        await second.commit()
        await third.commit()
    async with sessionmaker() as check:
        assert await _where(check, "roll_record") == [
            ("R1", 1, True, "record_partition.roll_record_mc"),
            ("R2", 1, True, "record_partition.roll_record_mc"),
        ]
        assert await _keys(check, "roll_record") == [("R1", 1, "MC"), ("R2", 1, "MC")]


async def test_two_first_loads_of_one_record_id_in_two_entidades_store_one_record(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The direct COPY of a first import: the second writer of R1 waits on the key table's primary
    key, then finds the record there and writes nothing (its batch then merges through staging)."""

    def staged(entidad: str) -> Any:
        chunk = Chunk()
        Normaliser("roll").add(chunk, [2], [tuple(roll_row("R1", entidad=entidad))])
        return chunk.staged

    async with sessionmaker() as first, sessionmaker() as second:
        for session in (first, second):  # each in its batch's transaction, as the runner opens it
            await session.execute(text("SET LOCAL synchronous_commit = off"))
        assert await roll_service.copy_new(first, import_id=1, rows=staged("MC")) is not None
        waiting = asyncio.create_task(roll_service.copy_new(second, import_id=2, rows=staged("JC")))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await first.commit()
        assert await asyncio.wait_for(waiting, 10) is None
        await second.commit()
    async with sessionmaker() as check:
        assert await _where(check, "roll_record") == [("R1", 1, True, "record_partition.roll_record_mc")]


async def _executed(
    session: AsyncSession, sql: str, params: dict[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """The plan of ``sql`` run once, and the source partitions it actually read."""
    conn = await session.connection()
    compiled = text(sql).compile(conn.sync_connection)
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    positional = [params[name] for name in compiled.positiontup or []]
    found = await raw.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", *positional)
    plan: dict[str, Any] = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    read = {
        str(node["Relation Name"])
        for node in _nodes(plan)
        if str(node.get("Relation Name", "")).startswith(("roll_record_", "registry_patient_"))
        and not str(node["Relation Name"]).endswith("_key")
        and node.get("Actual Loops", 0) > 0
    }
    return plan, read


async def test_reads_by_id_patient_curp_and_unit_use_the_key_index_and_open_one_partition(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    """Each read PostgreSQL plans with its values (``$match``'s candidates' records, the Patients of a
    clinic pull, a search by CURP, the readable-patients check of a clinic) reads the key table by an
    index and only the partition of the record it finds; and each has an index without the values too
    (the generic plan ``$match`` runs on)."""
    entidades = ["AS", "BC", "CH", "DF", "GT", "JC", "MC", "NL", "OC", "YN"]
    roll = [roll_row(f"R{i}", entidad=e) for i, e in enumerate(entidades)]
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "r.csv", csv_text(ROLL_HEADER, roll)))
    patients = [_patient_row(f"P{i}", entidad=e) for i, e in enumerate(entidades)]
    patients[6] = _patient_row("P6", entidad="MC", curp=CURP)
    await import_file(
        sessionmaker, settings, "patients", write(tmp_path, "p.csv", csv_text(PATIENT_HEADER, patients))
    )
    wanted = await registry_service.get_record(session, record_id="P6")
    assert wanted is not None
    await session.execute(
        text("ANALYZE roll_record, registry_patient, roll_record_key, registry_patient_key")
    )
    await session.commit()
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    # A few rows per table: without these the planner hashes the key rows against whole partitions,
    # which at national size it does not (a lookup per record is what is checked to exist).
    await session.execute(text("SET LOCAL enable_hashjoin = off"))
    await session.execute(text("SET LOCAL enable_mergejoin = off"))
    candidates, candidate_params = matching_service.candidate_records_query(
        [("roll", "R3"), ("patients", "P6")]
    )
    unit = registry_service.current_record_sql("w.id", clues_param="clues")
    reads = {
        "candidates": (candidates, candidate_params, {"roll_record_df", "registry_patient_mc"}),
        "by Patient id": (
            "SELECT r.record_id FROM registry_patient_key k JOIN registry_patient r ON r.pkey = k.pkey "
            "AND r.record_id = k.record_id AND r.version = k.version WHERE k.patient_id = ANY(:ids)",
            {"ids": [wanted.patient_id]},
            {"registry_patient_mc"},
        ),
        "by CURP": (
            "SELECT record_id FROM identity_record WHERE source = 'patients' AND curp = ANY(:curps)",
            {"curps": [CURP]},
            {"registry_patient_mc"},
        ),
        "readable at a unit": (
            f"SELECT w.id FROM unnest(CAST(:ids AS uuid[])) AS w(id) WHERE {unit}",
            {"ids": [wanted.patient_id, uuid.uuid4()], "clues": ["DFIMB000001"]},
            {"registry_patient_mc"},
        ),
    }
    for name, (sql, params, partitions) in reads.items():
        plan, read = await _executed(session, sql, params)
        assert _scans(plan) == [], f"{name}: {json.dumps(plan, indent=1)}"
        assert read == partitions, f"{name}: {read} {json.dumps(plan, indent=1)}"
        conn = await session.connection()
        generic = await _plan(conn, str(text(sql).compile(conn.sync_connection)), generic=True)
        assert _scans(generic) == [], f"{name} (generic): {json.dumps(generic, indent=1)}"
    # The ORM reads of the services, with their values: the same partition only.
    assert [r.record_id for r in await registry_service.find_by_curps(session, curps=[CURP])] == ["P6"]
    found = await registry_service.get_by_patient_ids(session, patient_ids=[wanted.patient_id])
    assert [(r.record_id, r.entidad) for r in found] == [("P6", "MC")]


def test_the_migration_keeps_every_row(pg_server: EmbeddedServer) -> None:
    """Versions stored before 0023 land in their entidad's partition with their ids and every column,
    each record's current version in its key row; new rows continue the ids; back down, the whole
    tables return with every row."""
    url = asyncio.run(_fresh(pg_server, "source_partition_migration"))
    migrate.upgrade(url, "0022_intake_audit_intake")
    common = "record_id, version, is_current, import_id, row_digest, nombre, curp, entidad, domicilio"
    asyncio.run(
        _execute(
            url,
            f"INSERT INTO roll_record (id, {common}, programa) OVERRIDING SYSTEM VALUE VALUES "
            "(11, 'R1', 1, false, 1, 'a', 'ANA', NULL, 'MC', 'CALLE 1', 'PAM'), "
            f"(12, 'R1', 2, true, 2, 'b', 'ANA', '{CURP}', 'JC', 'CALLE 2', 'PAM'), "
            "(13, 'R2', 1, true, 1, 'c', 'LUZ', NULL, NULL, NULL, 'PCD'); "
            f"INSERT INTO registry_patient (id, {common}, clues, clues_current, expediente, patient_id) "
            "OVERRIDING SYSTEM VALUE VALUES "
            "(21, 'P1', 1, true, 3, 'd', 'EVA', NULL, 'NE', 'CALLE 3', 'DFIMB000001', NULL, 'E1', "
            "'00000000-0000-0000-0000-000000000001')",
        )
    )
    migrate.upgrade(url)
    versions = (
        "SELECT id, record_id, version, is_current, curp, entidad, domicilio, tableoid::regclass::text "
        "FROM roll_record ORDER BY id"
    )
    part = "record_partition.roll_record_"
    assert asyncio.run(_fetch(url, versions)) == [
        (11, "R1", 1, False, None, "MC", "CALLE 1", f"{part}mc"),
        (12, "R1", 2, True, CURP, "JC", "CALLE 2", f"{part}jc"),
        (13, "R2", 1, True, None, None, None, f"{part}default"),
    ]
    assert asyncio.run(
        _fetch(url, "SELECT record_id, version, pkey, curp FROM roll_record_key ORDER BY 1")
    ) == [
        ("R1", 2, "JC", CURP),
        ("R2", 1, "00", None),
    ]
    patients = "SELECT id, record_id, patient_id::text, clues, tableoid::regclass::text FROM registry_patient"
    assert asyncio.run(_fetch(url, patients)) == [
        (
            21,
            "P1",
            "00000000-0000-0000-0000-000000000001",
            "DFIMB000001",
            "record_partition.registry_patient_ne",
        )
    ]
    view = "SELECT source, record_pk, record_id, version, programa FROM identity_record ORDER BY 1, 3"
    assert asyncio.run(_fetch(url, view)) == [
        ("patients", 21, "P1", 1, None),
        ("roll", 12, "R1", 2, "PAM"),
        ("roll", 13, "R2", 1, "PCD"),
    ]
    asyncio.run(
        _execute(
            url,
            "INSERT INTO roll_record (record_id, version, is_current, import_id, row_digest, pkey) "
            "VALUES ('R3', 1, true, 4, 'e', '00')",
        )
    )
    assert asyncio.run(_fetch(url, "SELECT id FROM roll_record WHERE record_id = 'R3'")) == [(14,)]
    migrate.downgrade(url, "0022_intake_audit_intake")
    back = (
        "SELECT id, record_id, version, is_current, curp, entidad, domicilio, programa FROM roll_record "
        "ORDER BY id"
    )
    assert asyncio.run(_fetch(url, back)) == [
        (11, "R1", 1, False, None, "MC", "CALLE 1", "PAM"),
        (12, "R1", 2, True, CURP, "JC", "CALLE 2", "PAM"),
        (13, "R2", 1, True, None, None, None, "PCD"),
        (14, "R3", 1, True, None, None, None, None),
    ]
    assert asyncio.run(_fetch(url, "SELECT id, record_id, patient_id::text FROM registry_patient")) == [
        (21, "P1", "00000000-0000-0000-0000-000000000001")
    ]
    assert asyncio.run(_fetch(url, "SELECT source, record_id FROM identity_record ORDER BY 1, 2")) == [
        ("patients", "P1"),
        ("roll", "R1"),
        ("roll", "R2"),
        ("roll", "R3"),
    ]
    migrate.upgrade(url)  # and up again over the rows the way down kept
