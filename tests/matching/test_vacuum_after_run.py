"""A bulk run leaves what it wrote ready for ``$match`` (issue 13, ``$match`` right after a 1 M batch):
after its commit the run vacuums the tables $match reads row by row (``vacuum.vacuum_written``) and records
the step. Left as written, the first reads set each row's hint bits, read the detail and link partitions
from the table instead of their visibility map, and autovacuum worked every table beside the calls."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people
from tests.matching.test_runs import _run

from interop.config import Settings
from interop.matching import store

pytestmark = pytest.mark.asyncio

# What $match reads row by row of a first load: the key table, the detail and the links (partitioned).
_TABLES = ["match_record", "match_record_detail", "match_link"]

# Every table (partitions included) a bulk write fills, with what autovacuum would see of it.
_WRITTEN = text(
    "SELECT c.relname, c.relpages, c.relallvisible, s.last_vacuum IS NOT NULL, "
    "s.last_analyze IS NOT NULL, s.n_ins_since_vacuum, s.n_mod_since_analyze "
    "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relkind = 'r' AND c.oid IN "
    "(SELECT p.relid FROM unnest(CAST(:tables AS text[])) AS t(name) "
    "CROSS JOIN LATERAL pg_partition_tree(t.name::regclass) AS p) "
    "ORDER BY 1"
)


async def test_a_bulk_run_leaves_what_match_reads_vacuumed(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    # Commits flushed as the service's server flushes them (the test server does not, for speed): a
    # page is marked all-visible only once the commits of its rows are on disk, and the commit status of
    # 32 neighbouring transactions (the job's heartbeats among them) shares one log position.
    database = (await session.execute(text("SELECT current_database()"))).scalar_one()
    role_setting = f'ALTER ROLE CURRENT_USER IN DATABASE "{database}" SET synchronous_commit = on'
    await session.execute(text(role_setting))
    await session.commit()
    await sessionmaker.kw["bind"].dispose()
    truth = await load_population(session, make_people(150))
    await session.commit()
    counts = await _run(settings, sessionmaker)
    assert counts["scored"] == len(truth)

    await session.commit()
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    rows = (await session.execute(_WRITTEN, {"tables": _TABLES})).all()
    filled = [r for r in rows if r[1] > 0]
    # The key table, and the partitions of the detail and links the records fell in.
    assert len(filled) >= 3, rows
    for row in filled:
        _, pages, all_visible, vacuumed, analysed, inserted, modified = row
        # Every page all-visible: no first read sets a hint bit, index-only reads skip the table.
        assert all_visible == pages, (row, str(counts.get("vacuum_s")))
        assert vacuumed, row
        # Nothing left for autovacuum to vacuum: the run's rows reached the statistics before the reset.
        assert inserted == 0, row
        if row[0] == "match_record":  # the partitions' analysis is left to autovacuum (store.py)
            assert analysed, row
            assert modified == 0, row
    # The run records the step: its time among the stages, each table's seconds.
    assert counts["timings_s"]["vacuuming"] >= 0
    assert set(_TABLES) <= set(counts["vacuum_s"])


async def test_a_small_run_leaves_them_to_autovacuum(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """Below the bulk size a run merges a few rows into stored ones: vacuuming every partition for them
    would cost more than the rows, and autovacuum keeps up with that."""
    await load_population(session, make_people(30))
    await session.commit()
    counts = await _run(settings, sessionmaker)
    assert "vacuum_s" not in counts
    assert "vacuuming" not in counts["timings_s"]
