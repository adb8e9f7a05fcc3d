"""The feature store partitioned by entidad (issue 20 item 4, migration 0021): the blocking keys stay in
one global table that ``$match`` looks candidates up in, and each candidate's detail is read from its
own entidad's partition only; the migration keeps every row; a record that moves to another entidad
leaves its old partition; writers of different entidades do not wait for each other."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people, pad_feature_store
from tests.matching.test_match_plans import _nodes, _scans
from tests.scratch_databases import execute as _execute
from tests.scratch_databases import fetch as _fetch
from tests.scratch_databases import fresh_database as _fresh

from interop.config import Settings
from interop.context import system_context
from interop.db import migrate
from interop.db.embedded import EmbeddedServer
from interop.job.worker import Worker
from interop.matching import service, store
from interop.matching.online import candidate_query, probe_features
from interop.matching.schemas import IdentityProbe


async def _partitions_of(session: AsyncSession) -> dict[tuple[str, str], str]:
    """Each detail row's partition, by (source, record_id)."""
    rows = await session.execute(
        text("SELECT source, record_id, tableoid::regclass::text FROM match_record_detail")
    )
    found = rows.all()
    where = {(s, r): p for s, r, p in found}
    assert len(where) == len(found), f"a record in two partitions: {found}"
    return where


async def test_candidates_use_the_key_index_and_open_only_their_entidades_partitions(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    people = make_people(200)
    await load_population(session, people)
    run = await service.start_run(session, system_context(request_id="r", trace_id="0" * 32))
    await session.commit()
    assert run.job_id is not None
    assert await Worker(settings, sessionmaker).run_until_done(run.job_id) == "succeeded"
    where = await _partitions_of(session)
    assert len(set(where.values())) >= 5, "the population spans several entidades"
    keys = (await session.execute(text("SELECT count(*) FROM match_record"))).scalar_one()
    assert len(where) == keys, "one detail row per record"
    # The statistics of a real index (tens of thousands of records), not of a few dozen rows.
    await pad_feature_store(session, 40_000)
    p = people[10]
    probe = IdentityProbe(
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        entidad=p.entidad,
    )
    sql, params = candidate_query(probe_features(probe))
    conn = await session.connection()
    compiled = text(sql).compile(conn.sync_connection)  # type: ignore[union-attr]
    positional = [params[name] for name in compiled.positiontup or []]
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    # On the generic plan ``$match`` runs (``online.match``), so pruning happens at run time.
    await conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    explain = await driver.prepare(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")
    found = (await explain.fetch(*positional))[0][0]
    plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    nodes = list(_nodes(plan))
    assert _scans(plan) == [], json.dumps(plan, indent=1)
    # The blocking indexes (an index scan, or a bitmap scan at these statistics) find the candidates.
    key_lookups = {
        n["Index Name"] for n in nodes if str(n.get("Index Name", "")).startswith("ix_match_record_")
    }
    assert len(key_lookups) >= 5, json.dumps(plan, indent=1)
    opened = {
        n["Relation Name"]
        for n in nodes
        if str(n.get("Relation Name", "")).startswith("match_record_detail_") and n.get("Actual Loops", 0) > 0
    }
    rows = await session.execute(text(sql), params)
    candidates = {(r.source, r.record_id) for r in rows.all()}
    assert candidates, "the probe finds its own records"
    expected = {where[c].removeprefix("match_partition.") for c in candidates}
    assert opened == expected, (opened, expected)
    assert len(opened) < len(set(where.values()))
    assert len(opened) < 34


def _write_run(workdir: Path, records: list[dict[str, Any]], person: uuid.UUID) -> None:
    """The files a batch run leaves for ``store.write``: these records, one person, one link each."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / store.KEY_FILE).open("w", newline="") as fh:
        writer = csv.writer(fh)
        for r in records:
            writer.writerow(["" if r.get(c) is None else r[c] for c in store.KEY_COLUMNS])
    with (workdir / store.DETAIL_FILE).open("w", newline="") as fh:
        writer = csv.writer(fh)
        for r in records:
            row = {**r, "pkey": r.get("entidad") or "00"}
            writer.writerow(["" if row.get(c) is None else row[c] for c in store.DETAIL_FILE_COLUMNS])
    (workdir / "persons.csv").write_text(f"{person}\n")
    with (workdir / "links.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        for r in records:
            pkey = r.get("entidad") or "00"
            writer.writerow([r["source"], r["record_id"], person, "MATCH", "AUTO", 0.99, "", "{}", "", pkey])
    (workdir / "reviews.csv").write_text("")


def _record(record_id: str, entidad: str | None, curp: str = "GOMM500101HDFRRR01") -> dict[str, Any]:
    return {
        "source": "roll",
        "record_id": record_id,
        "curp": curp,
        "curp16": curp[:16],
        "given_main": "MARIO",
        "given_full": "MARIO",
        "ap1": "GOMEZ",
        "dob": "1950-01-01",
        "entidad": entidad,
        "municipio": "015",
        "feature_digest": f"d-{entidad}",
    }


async def test_a_record_that_moves_leaves_its_old_partition(session: AsyncSession, tmp_path: Path) -> None:
    person = uuid.uuid4()
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", None)], person)
    await store.write(session, tmp_path / "one", scored=2)
    await session.commit()  # a run per transaction, as the job runs them
    where = await _partitions_of(session)
    assert where == {
        ("roll", "R1"): "match_partition.match_record_detail_mc",
        ("roll", "R2"): "match_partition.match_record_detail_default",
    }
    _write_run(
        tmp_path / "two", [_record("R1", "JC", curp="GOMM500101HJCRRR02"), _record("R2", "MC")], person
    )
    await store.write(session, tmp_path / "two", scored=2)
    assert await _partitions_of(session) == {
        ("roll", "R1"): "match_partition.match_record_detail_jc",
        ("roll", "R2"): "match_partition.match_record_detail_mc",
    }
    rows = await session.execute(
        text(
            "SELECT m.record_id, m.pkey, m.entidad, d.curp FROM match_record m JOIN match_record_detail d "
            "ON d.pkey = m.pkey AND d.source = m.source AND d.record_id = m.record_id ORDER BY 1"
        )
    )
    assert [tuple(r) for r in rows.all()] == [
        ("R1", "JC", "JC", "GOMM500101HJCRRR02"),
        ("R2", "MC", "MC", "GOMM500101HDFRRR01"),
    ]
    # The detail goes with its key row.
    await session.execute(text("DELETE FROM match_record WHERE record_id = 'R1'"))
    assert set(await _partitions_of(session)) == {("roll", "R2")}


async def test_writers_of_different_entidades_do_not_wait(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Two transactions write records of two entidades side by side; a third writing the first one's
    record waits for it (the key table's primary key), as one table did before."""
    _write_run(tmp_path / "mc", [_record("R1", "MC")], uuid.uuid4())
    _write_run(tmp_path / "jc", [_record("R2", "JC")], uuid.uuid4())
    _write_run(tmp_path / "again", [_record("R1", "MC")], uuid.uuid4())
    async with sessionmaker() as first, sessionmaker() as second, sessionmaker() as third:
        await store.write(first, tmp_path / "mc", scored=1)
        await second.execute(text("SET LOCAL lock_timeout = '2s'"))
        await store.write(second, tmp_path / "jc", scored=1)  # would raise on a wait past 2 s
        await third.execute(text("SET LOCAL lock_timeout = '500ms'"))
        with pytest.raises(DBAPIError, match="lock timeout"):
            await store.write(third, tmp_path / "again", scored=1)
        await third.rollback()
        await first.commit()
        await second.commit()
    async with sessionmaker() as check:
        assert set(await _partitions_of(check)) == {("roll", "R1"), ("roll", "R2")}


def test_the_migration_keeps_every_row(pg_server: EmbeddedServer) -> None:
    """Records stored before 0021 land in their entidad's partition with every column; back down,
    the columns return with their values."""
    url = asyncio.run(_fresh(pg_server, "partition_migration"))
    migrate.upgrade(url, "0020_audit_write_cost")
    asyncio.run(
        _execute(
            url,
            "INSERT INTO match_record (source, record_id, record_pk, curp, given_full, ap1, entidad, "
            "domicilio, feature_digest) VALUES "
            "('roll', 'R1', 7, 'GOMM500101HDFRRR01', 'MARIO', 'GOMEZ', 'DF', 'CALLE 1', 'a'), "
            "('patients', 'P1', 8, NULL, 'ANA', 'PEREZ', NULL, NULL, 'b'), "
            "('patients', 'P2', 9, NULL, 'LUZ', 'RUIZ', 'NE', 'CALLE 2', 'c')",
        )
    )
    migrate.upgrade(url)
    rows = asyncio.run(
        _fetch(
            url,
            "SELECT m.record_id, m.pkey, d.record_pk, d.curp, d.given_full, m.ap1, d.domicilio, "
            "d.tableoid::regclass::text FROM match_record m JOIN match_record_detail d "
            "ON d.pkey = m.pkey AND d.source = m.source AND d.record_id = m.record_id ORDER BY 1",
        )
    )
    assert rows == [
        ("P1", "00", 8, None, "ANA", "PEREZ", None, "match_partition.match_record_detail_default"),
        ("P2", "NE", 9, None, "LUZ", "RUIZ", "CALLE 2", "match_partition.match_record_detail_ne"),
        (
            "R1",
            "DF",
            7,
            "GOMM500101HDFRRR01",
            "MARIO",
            "GOMEZ",
            "CALLE 1",
            "match_partition.match_record_detail_df",
        ),
    ]
    migrate.downgrade(url, "0020_audit_write_cost")
    back = asyncio.run(
        _fetch(url, "SELECT record_id, record_pk, curp, given_full, domicilio FROM match_record ORDER BY 1")
    )
    assert back == [
        ("P1", 8, None, "ANA", None),
        ("P2", 9, None, "LUZ", "CALLE 2"),
        ("R1", 7, "GOMM500101HDFRRR01", "MARIO", "CALLE 1"),
    ]


async def test_a_first_load_fills_the_partitions_and_restores_the_foreign_key(
    session: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path (COPY through a stage, constraints dropped and re-added) as the app role."""
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    _write_run(tmp_path, [_record("R1", "MC"), _record("R2", "YN"), _record("R3", None)], uuid.uuid4())
    summary = await store.write(session, tmp_path, scored=3)
    assert "indexes" in summary["write_timings_s"], "the first-load path ran"
    assert await _partitions_of(session) == {
        ("roll", "R1"): "match_partition.match_record_detail_mc",
        ("roll", "R2"): "match_partition.match_record_detail_yn",
        ("roll", "R3"): "match_partition.match_record_detail_default",
    }
    fk = await session.execute(
        text(
            "SELECT 1 FROM pg_constraint WHERE conname = 'fk_match_record_detail_source_match_record' "
            "AND conrelid = 'match_record_detail'::regclass"
        )
    )
    assert fk.scalar_one() == 1
