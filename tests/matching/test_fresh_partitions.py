"""A run reads what it wrote before anyone has analysed it: the calibration fit right after a first run
looks each probe's candidates up once, whatever statistics the fresh partitions have (issue 20 item 4;
the Spark equivalence test ran past ten minutes when it did not), and a bulk write leaves statistics
for the tables it rewrote."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people
from tests.matching.test_match_plans import _nodes
from tests.matching.test_record_partitions import _record, _write_run

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import calibration_labels, service, store


async def _first_run(settings: Settings, sm: async_sessionmaker[AsyncSession], session: AsyncSession) -> None:
    await load_population(session, make_people(120, seed=3))
    run = await service.start_run(session, system_context(request_id="r", trace_id="0" * 32))
    await session.commit()
    assert run.job_id is not None
    assert await Worker(settings, sm).run_until_done(run.job_id) == "succeeded"


async def _reltuples(session: AsyncSession, table: str) -> float:
    found = await session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    )
    return float(found.scalar_one())


@pytest.mark.parametrize("statistics", ["as the run left them", "analysed"])
async def test_the_calibration_after_a_first_run_looks_each_probe_up_once(
    statistics: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _first_run(settings, sessionmaker, session)
    if statistics == "analysed":
        await session.execute(text("ANALYZE match_record, match_record_detail"))
    else:
        # What the planner had: autovacuum never analyses a partitioned parent.
        assert await _reltuples(session, "match_record_detail") < 0
    keys = (await session.execute(text("SELECT source, record_id FROM match_record"))).all()
    probes = list((await calibration_labels.stored_features(session, [(s, r) for s, r in keys])).values())
    assert len(probes) == len(keys) > 150

    statements: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, sql: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if "CROSS JOIN LATERAL" in sql and "unnest" in sql:
            statements.append((sql, parameters))

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = await calibration_labels.candidates_of(session, probes)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    candidates = sum(len(v) for v in found.values())
    assert candidates > len(probes), "the probes find themselves and their duplicates"
    (sql, parameters), *_ = statements

    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    explained = (await driver.fetch(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *parameters))[0][0]
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    nodes = list(_nodes(plan))
    lookups = [n for n in nodes if str(n.get("Index Name", "")).startswith("ix_match_record_")]
    assert lookups, json.dumps(plan, indent=1)
    # Each probe's lookups run once for it, not once per record of some other part of the plan.
    assert max(n["Actual Loops"] for n in lookups) <= len(probes), json.dumps(plan, indent=1)
    # Each candidate's detail is one row of one partition; no partition is read whole.
    details = [n for n in nodes if str(n.get("Relation Name", "")).startswith("match_record_detail_")]
    assert details
    assert all(n["Actual Rows"] <= 1 for n in details), json.dumps(plan, indent=1)
    assert sum(n["Actual Loops"] for n in details) <= candidates


async def test_a_bulk_write_leaves_statistics_for_what_it_rewrote(
    session: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load (and a retrain's bulk rewrite) replaces the tables wholesale inside the run's
    transaction: it analyses the key table and the detail's parent (which autovacuum never analyses)
    there. The partitions it leaves to autovacuum, which sees their rows as changes once the run
    commits and would analyse them again anyway."""
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 2)
    _write_run(
        tmp_path / "one", [_record("R1", "MC"), _record("R2", "JC"), _record("R3", None)], uuid.uuid4()
    )
    await store.write(session, tmp_path / "one", scored=3)
    assert await _reltuples(session, "match_record") == 3
    assert await _reltuples(session, "match_record_detail") == 3
    assert await _reltuples(session, "match_partition.match_record_detail_mc") < 0, "not analysed twice"
    inherited = await session.execute(
        text("SELECT count(*) FROM pg_stats WHERE tablename = 'match_record_detail' AND inherited")
    )
    assert inherited.scalar_one() > 0
    # Of the detail's parent only the key its reads join on (the other columns' cost ~0.2 s at 100 k).
    analysed = await session.execute(
        text(
            "SELECT attname FROM pg_stats WHERE tablename = 'match_record_detail' AND inherited "
            "ORDER BY attname"
        )
    )
    assert list(analysed.scalars()) == ["pkey", "record_id", "source"]
    await session.execute(text("SELECT pg_stat_force_next_flush()"))
    await session.commit()
    # After the commit the partition's rows count as changes since its last analysis: autovacuum's.
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    changed = await session.execute(
        text(
            "SELECT n_mod_since_analyze FROM pg_stat_all_tables "
            "WHERE relid = 'match_partition.match_record_detail_mc'::regclass"
        )
    )
    assert changed.scalar_one() == 1
    await session.commit()
    # A bulk rewrite of a table that is not empty: the same.
    _write_run(tmp_path / "two", [_record(f"S{i}", "YN") for i in range(4)], uuid.uuid4())
    await store.write(session, tmp_path / "two", scored=4)
    assert await _reltuples(session, "match_record") == 7
    assert await _reltuples(session, "match_record_detail") == 7
