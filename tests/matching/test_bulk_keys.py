"""A first load adds its foreign keys back checked in one statement per key (``bulk_keys``): every row
stored holds them, a row that breaks one fails the run with PostgreSQL's error and leaves nothing, and
later writes are held to them as before."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.test_record_partitions import _record, _write_run

from interop.matching import bulk_keys, store
from interop.matching.models import MatchLink, MatchRecordDetail

_LINK_FK = "fk_match_link_person_id_match_person"
_DETAIL_FK = "fk_match_record_detail_source_match_record"


async def _stored(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in ("match_person", "match_record", "match_record_detail", "match_link"):
        counts[table] = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    return counts


async def _keys(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 "
            "AND conrelid IN ('match_link'::regclass, 'match_record_detail'::regclass) ORDER BY 1"
        )
    )
    return list(rows.scalars().all())


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)  # two records take the first-load path


@pytest.mark.usefixtures("bulk")
async def test_a_first_load_keeps_both_keys_and_they_hold_later_writes(
    session: AsyncSession, tmp_path: Path
) -> None:
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", None)], uuid.uuid4())
    await store.write(session, tmp_path / "one", scored=2)
    await session.commit()
    assert await _keys(session) == [_LINK_FK, _DETAIL_FK]
    # Enforced for rows written after the load, in every partition.
    with pytest.raises(IntegrityError, match=_LINK_FK):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO match_link (source, record_id, person_id, state, origin, pkey) "
                    "VALUES ('roll', 'R1', :p, 'NO_MATCH', 'MANUAL', 'MC')"
                ),
                {"p": uuid.uuid4()},
            )
    with pytest.raises(IntegrityError, match=_DETAIL_FK):
        async with session.begin_nested():
            await session.execute(
                text("INSERT INTO match_record_detail (source, record_id, pkey) VALUES ('roll', 'R9', 'MC')")
            )


@pytest.mark.usefixtures("bulk")
async def test_a_link_to_a_person_not_stored_fails_the_first_load_and_leaves_nothing(
    session: AsyncSession, tmp_path: Path
) -> None:
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", "JC")], uuid.uuid4())
    (tmp_path / "one" / "persons.csv").write_text(f"{uuid.uuid4()}\n")  # not the links' person
    with pytest.raises(IntegrityError, match=_LINK_FK):
        await store.write(session, tmp_path / "one", scored=2)
    await session.rollback()
    assert await _stored(session) == dict.fromkeys(
        ("match_person", "match_record", "match_record_detail", "match_link"), 0
    )
    assert await _keys(session) == [_LINK_FK, _DETAIL_FK]


@pytest.mark.usefixtures("bulk")
async def test_a_detail_row_without_its_key_row_fails_the_first_load_and_leaves_nothing(
    session: AsyncSession, tmp_path: Path
) -> None:
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", "JC")], uuid.uuid4())
    key_file = tmp_path / "one" / store.KEY_FILE
    rows = list(csv.reader(key_file.open()))
    with key_file.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows[:1])  # R2's key row left out, its detail row kept
    with pytest.raises(IntegrityError, match=_DETAIL_FK):
        await store.write(session, tmp_path / "one", scored=2)
    await session.rollback()
    assert await _stored(session) == dict.fromkeys(
        ("match_person", "match_record", "match_record_detail", "match_link"), 0
    )


def test_the_check_is_the_keys_own_columns() -> None:
    """Both keys, as the models define them (MATCH SIMPLE: rows with a null key are not checked)."""
    tables = MatchLink.metadata.tables
    link_fk = next(iter(tables[MatchLink.__tablename__].foreign_key_constraints))
    detail_fk = next(iter(tables[MatchRecordDetail.__tablename__].foreign_key_constraints))
    assert bulk_keys.violation_sql(link_fk) == (
        "SELECT count(*) FROM match_link f WHERE f.person_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM match_person r WHERE r.id = f.person_id)"
    )
    assert bulk_keys.violation_sql(detail_fk) == (
        "SELECT count(*) FROM match_record_detail f WHERE f.source IS NOT NULL AND f.record_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM match_record r WHERE r.source = f.source AND "
        "r.record_id = f.record_id)"
    )


@pytest.mark.usefixtures("bulk")
async def test_the_key_check_leaves_the_callers_work_mem_as_it_was(
    session: AsyncSession, tmp_path: Path
) -> None:
    # The check borrows maintenance_work_mem for its hash; the run's later statements get the caller's
    # own setting back, not the server's default.
    await session.execute(text("SET work_mem = '7MB'"))
    _write_run(tmp_path / "one", [_record("R1", "MC"), _record("R2", None)], uuid.uuid4())
    await store.write(session, tmp_path / "one", scored=2)
    assert (await session.execute(text("SHOW work_mem"))).scalar_one() == "7MB"
    await session.commit()
    assert (await session.execute(text("SHOW work_mem"))).scalar_one() == "7MB"
