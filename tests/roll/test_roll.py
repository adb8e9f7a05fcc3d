"""Roll reads: versions, CURP lookups, paging of current records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import ROLL_HEADER, csv_text, import_file, roll_row, write

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.ingest.normalise import Chunk, Normaliser
from interop.roll import service as roll_service


async def test_roll_reads(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    curp = build_curp(
        given_names="ROSA",
        paternal_surname="PEREZ",
        maternal_surname="LOPEZ",
        birth_date=date(1950, 3, 14),
        sex="M",
        state="DF",
        homoclave="0",
    )
    rows = [
        roll_row(f"R{i}", curp=curp if i == 3 else "", programa="PCD" if i % 2 else "PAM") for i in range(10)
    ]
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "a.csv", csv_text(ROLL_HEADER, rows)))
    rows[3] = roll_row("R3", curp=curp, domicilio="NUEVA 5", programa="PCD")
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "b.csv", csv_text(ROLL_HEADER, rows)))

    assert await roll_service.count_current(session) == 10
    found = await roll_service.find_by_curp(session, curp=curp)
    assert [(r.record_id, r.version, r.domicilio) for r in found] == [("R3", 2, "NUEVA 5")]
    assert [r.version for r in await roll_service.list_versions(session, record_id="R3")] == [1, 2]
    v1 = await roll_service.get_record(session, record_id="R3", version=1)
    assert v1 is not None
    assert v1.domicilio == "CALLE 1"
    assert v1.programa == "PCD"
    assert await roll_service.get_record(session, record_id="R3", version=3) is None
    first = await roll_service.list_current(session, limit=4)
    rest = await roll_service.list_current(session, after_pk=first[-1].id, limit=100)
    assert len(first) == 4
    assert len(rest) == 6
    assert {r.record_id for r in [*first, *rest]} == {f"R{i}" for i in range(10)}
    by_pk = await roll_service.get_by_pk(session, record_pk=found[0].id)
    assert by_pk is not None
    assert by_pk.record_id == "R3"


async def test_direct_copy_only_for_new_records(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    """A first import COPYs version 1 straight in; a batch meeting an existing record is refused by
    the direct path (nothing written, the transaction still usable) and merges through staging."""
    rows = [roll_row(f"R{i}") for i in range(4)]
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "a.csv", csv_text(ROLL_HEADER, rows)))
    assert not await roll_service.only_import(session, import_id=999_999)
    first = await roll_service.get_record(session, record_id="R0")
    assert first is not None
    assert first.version == 1
    assert await roll_service.only_import(session, import_id=first.import_id)

    chunk = Chunk()
    changed = [tuple(roll_row(r, domicilio="OTRA 1")) for r in ("R9", "R1")]
    Normaliser("roll").add(chunk, [2, 3], changed)
    assert await roll_service.copy_new(session, import_id=999_999, rows=chunk.staged) is None
    assert await roll_service.get_record(session, record_id="R9") is None
    assert await roll_service.count_current(session) == 4

    rows[1] = roll_row("R1", domicilio="OTRA 1")
    summary = await import_file(
        sessionmaker, settings, "roll", write(tmp_path, "b.csv", csv_text(ROLL_HEADER, rows))
    )
    assert (summary["new_records"], summary["new_versions"], summary["unchanged"]) == (0, 1, 3)
    assert [r.version for r in await roll_service.list_versions(session, record_id="R1")] == [1, 2]
