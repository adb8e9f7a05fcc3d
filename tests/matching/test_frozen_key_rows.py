"""A first load writes the key rows frozen (issue 13, the 1 M storing step): the detail's foreign key is
checked by probing the key table's primary key once per detail row, and on rows this transaction wrote
each probe also read the row (its page not yet all-visible). COPY FREEZE on the emptied table skips
that; the rows and the constraints are the same."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.test_record_partitions import _record, _write_run

from interop.matching import store


async def _heap_fetches(session: AsyncSession) -> int:
    """Rows an index-only read of every key row had to read from the table (0: all pages all-visible)."""
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    await session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = (
        await session.execute(
            text(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT source, record_id FROM match_record "
                "WHERE source = 'roll'"
            )
        )
    ).scalar_one()
    node = plan[0]["Plan"]
    assert node["Node Type"] == "Index Only Scan", node
    return int(node["Heap Fetches"])


async def test_a_first_load_freezes_the_key_rows(
    session: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", None)], uuid.uuid4())
    summary = await store.write(session, tmp_path / "one", scored=2)
    # All-visible before the commit: the detail's foreign key was checked without reading the rows.
    assert await _heap_fetches(session) == 0
    await session.commit()
    assert summary["links"] == {"MATCH/AUTO": 2}
    detail = await session.execute(text("SELECT count(*) FROM match_record_detail"))
    assert detail.scalar_one() == 2
    # The key is back (checked over the whole table in one statement, so PostgreSQL marks it not
    # validated: bulk_keys.py; test_bulk_keys.py shows it holds).
    keys = await session.execute(
        text(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'match_record_detail'::regclass AND contype = 'f'"
        )
    )
    assert keys.scalars().all() == ["fk_match_record_detail_source_match_record"]

    # A later run merges into stored rows (no bulk load): its rows are ordinary ones.
    _write_run(tmp_path / "two", [_record("R3", "MC")], uuid.uuid4())
    await store.write(session, tmp_path / "two", scored=1)
    await session.commit()
    assert await _heap_fetches(session) > 0
    keys = await session.execute(text("SELECT record_id FROM match_record ORDER BY 1"))
    assert keys.scalars().all() == ["R1", "R2", "R3"]
