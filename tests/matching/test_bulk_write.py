"""A first load's index builds (issue 13, the 1 M batch's storing step): PostgreSQL logs each page of a
new index whole, and ``wal_compression`` spends about half of a build trying to compress pages of hashes
that do not compress. The run turns it off for its builds only, when the role may (migration 0024), and
loads the same either way."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.test_record_partitions import _record, _write_run

from interop.matching import store


async def _owner(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _index_names(session: AsyncSession) -> set[str]:
    rows = await session.execute(
        text("SELECT indexname FROM pg_indexes WHERE tablename IN ('match_record', 'match_link')")
    )
    return {str(r[0]) for r in rows.all()}


async def test_the_application_role_may_turn_wal_compression_off(session: AsyncSession) -> None:
    allowed = await session.execute(
        text("SELECT has_parameter_privilege('interop_app', 'wal_compression', 'SET')")
    )
    assert allowed.scalar_one() is True


async def test_a_first_load_builds_its_indexes_without_compressing_their_wal(
    session: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    server_setting = (await session.execute(text("SHOW wal_compression"))).scalar_one()
    assert server_setting != "off", "the embedded server compresses its WAL"
    migrated = await _index_names(session)
    _write_run(tmp_path, [_record("R1", "MC"), _record("R2", None)], uuid.uuid4())
    seen: list[str] = []

    def record(_c: Any, _cursor: Any, sql: str, _p: Any, _ctx: Any, _many: bool) -> None:
        build = sql.lstrip().upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))
        if build or "wal_compression" in sql:
            seen.append("build" if build else sql)

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        summary = await store.write(session, tmp_path, scored=2)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert summary["index_wal_compressed"] is False
    builds = [i for i, s in enumerate(seen) if s == "build"]
    # The key table's eleven blocking indexes and its person index, the link's one-MATCH index (the
    # link's person index went with 0025: reads by person go through the key table's).
    assert len(builds) == len(store._bulk_built()[0]) == 13
    # Off before the first build, back to the server's setting after the last: nothing else is changed.
    assert seen[: builds[0]] == ["SET LOCAL wal_compression = off"]
    assert seen[builds[-1] + 1 :] == ["SET LOCAL wal_compression TO DEFAULT"]
    assert (await session.execute(text("SHOW wal_compression"))).scalar_one() == server_setting
    assert await _index_names(session) == migrated
    await session.commit()


async def test_a_role_that_may_not_turn_it_off_loads_the_same(
    session: AsyncSession, owner_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    migrated = await _index_names(session)
    _write_run(tmp_path, [_record("R1", "MC"), _record("R2", None)], uuid.uuid4())
    # A parameter's rights are the cluster's, not the database's: given back whatever happens.
    await _owner(owner_database_url, "REVOKE SET ON PARAMETER wal_compression FROM interop_app")
    try:
        summary = await store.write(session, tmp_path, scored=2)
        await session.commit()
    finally:
        await _owner(owner_database_url, "GRANT SET ON PARAMETER wal_compression TO interop_app")
    assert summary["index_wal_compressed"] is True
    assert summary["links"] == {"MATCH/AUTO": 2}
    assert await _index_names(session) == migrated
    fks = await session.execute(
        text(
            "SELECT count(*) FROM pg_constraint WHERE conname IN "
            "('fk_match_link_person_id_match_person', 'fk_match_record_detail_source_match_record')"
        )
    )
    assert fks.scalar_one() >= 2
