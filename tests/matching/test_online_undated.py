"""``$match`` on data without birth dates (issue 13, session 12's record layouts): a probe with neither
CURP nor second surname was found by no blocking index (each needs one of the three), so a clerk's query
with the name, first surname and address came back empty though its own record was in the index. The
online rule "main given + paternal + entidad, undated" finds it, through its own partial index; a
probe with less than that still gets an empty answer, without a scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import ROLL_HEADER, csv_text, import_file, write
from tests.matching.factories import make_people
from tests.matching.test_layout import _run
from tests.matching.test_layout_undated import _rows

from interop.config import Settings
from interop.matching import service, store
from interop.matching.online import candidate_query, probe_features
from interop.matching.schemas import IdentityProbe

# The records whose CURP and second surname are blanked (besides every birth date).
BARE = 8


def _value(row: list[str], column: str) -> str:
    return row[ROLL_HEADER.index(column)]


async def test_a_probe_with_names_and_address_alone_finds_its_record_without_a_scan(
    tmp_path: Path,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bulk first load, as at scale: the partial index is kept through it, filled row by row.
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    rows, _ = _rows(make_people(300, seed=31), blank=("fecha_nacimiento",))
    bare = rows[: 2 * BARE : 2]  # one record of each of the first people
    for row in bare:
        row[ROLL_HEADER.index("curp")] = ""
        row[ROLL_HEADER.index("segundo_apellido")] = ""
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "r.csv", csv_text(ROLL_HEADER, rows)))
    state, _, run = await _run(settings, sessionmaker)
    assert state == "succeeded", run.error

    found = 0
    for row in bare:
        probe = IdentityProbe(
            given_names=_value(row, "nombre"),
            paternal_surname=_value(row, "primer_apellido"),
            entidad=_value(row, "entidad"),
            municipio=_value(row, "municipio"),
            localidad=_value(row, "localidad"),
            domicilio=_value(row, "domicilio"),
        )
        candidates = await service.match_online(session, probe=probe, settings=settings)
        found += ("roll", _value(row, "record_id")) in {(c.source, c.record_id) for c in candidates}
    assert found == BARE  # main: 0, no lookup applied to such a probe

    # The lookup is an index read of the records without a birth date, not a scan of the table.
    probe = IdentityProbe(
        given_names=_value(bare[0], "nombre"),
        paternal_surname=_value(bare[0], "primer_apellido"),
        entidad=_value(bare[0], "entidad"),
    )
    sql, params = candidate_query(probe_features(probe))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in (await session.execute(text(f"EXPLAIN {sql}"), params)).all())
    assert "ix_match_record_given_ap1_undated" in plan, plan
    assert "Seq Scan on match_record" not in plan, plan
    await session.rollback()

    # Less to go on (no entidad): no lookup applies, the answer is empty and nothing is read.
    thin = IdentityProbe(
        given_names=_value(bare[0], "nombre"), paternal_surname=_value(bare[0], "primer_apellido")
    )
    assert candidate_query(probe_features(thin)) == ("", {})
    assert await service.match_online(session, probe=thin, settings=settings) == []


async def test_the_undated_index_holds_only_records_without_a_birth_date(session: AsyncSession) -> None:
    """Its cost at scale: on dated data the index is nearly empty (the batch rebuilds it on every bulk
    write, docs/decisions.md)."""
    predicate = (
        await session.execute(
            text(
                "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'ix_match_record_given_ap1_undated'"
            )
        )
    ).scalar_one()
    assert "dob IS NULL" in predicate
