"""Imports end to end through the job body: every row stored or rejected with its line and reason."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.ingest.errors import FileRefused
from interop.ingest.models import Import, Reject
from interop.ingest.reading import MAX_FIELD_CHARS, MAX_RECORD_CHARS
from interop.messages import stored
from interop.roll import service as roll_service
from interop.roll.models import RollRecord

from .factories import ROLL_HEADER, csv_text, import_file, roll_row, write

SM = async_sessionmaker[AsyncSession]
ROSA_CURP = build_curp(
    given_names="ROSA",
    paternal_surname="PEREZ",
    maternal_surname="LOPEZ",
    birth_date=date(1950, 3, 14),
    sex="M",
    state="DF",
    homoclave="0",
)


async def _rejects(session: AsyncSession, import_id: int) -> dict[int, str]:
    rows = (await session.execute(select(Reject).where(Reject.import_id == import_id))).scalars().all()
    return {r.line: stored.said(r.reason, "en") for r in rows}


async def _count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(RollRecord))).scalar_one())


async def test_rows_are_stored_or_rejected_with_line_and_reason(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    content = csv_text(
        ROLL_HEADER,
        [
            roll_row("R1", curp=ROSA_CURP),  # line 2
            roll_row("R2", nombre=""),  # 3: no given name
            roll_row("R3", primer_apellido="", segundo_apellido=""),  # 4: no surname
            roll_row("", nombre="ANA"),  # 5: no record_id
            roll_row("R1", nombre="OTRA"),  # 6: duplicate of line 2
            roll_row("R4", primer_apellido="", segundo_apellido="LOPEZ"),  # 7: a surname is enough
        ],
    )
    content += "R5,,ANA,PEREZ,,,,,,,,,PAM,EXTRA\n"  # 8: too many fields
    content += "R6,,ANA\n"  # 9: too few fields
    summary = await import_file(sessionmaker, settings, "roll", write(tmp_path, "roll.csv", content))
    assert summary["state"] == "succeeded"
    assert summary["rows"] == 8
    assert summary["stored"] == 2
    assert summary["new_records"] == 2
    assert summary["rejected"] == 6
    rejects = await _rejects(session, summary["import_id"])
    assert rejects == {
        3: "no given name (nombre)",
        4: "no surname (primer_apellido or segundo_apellido)",
        5: "record_id is empty",
        6: "duplicate of line 2 (same identifier)",
        8: "14 fields; the header has 13",
        9: "3 fields; the header has 13",
    }
    rosa = await roll_service.get_record(session, record_id="R1")
    assert rosa is not None
    assert rosa.nombre == "ROSA"
    assert rosa.curp == ROSA_CURP
    assert rosa.curp_trusted
    assert rosa.curp16_computed == ROSA_CURP[:16]
    assert rosa.given_norm == "ROSA"
    assert rosa.paternal_norm == "PEREZ"
    assert rosa.field_issues == []
    assert await _count(session) == summary["stored"]


async def test_bad_optional_values_keep_the_row_and_are_described(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    bad_check = ROSA_CURP[:17] + str((int(ROSA_CURP[17]) + 1) % 10)
    other_sex = build_curp(
        given_names="ROSA",
        paternal_surname="PEREZ",
        maternal_surname="LOPEZ",
        birth_date=date(1950, 3, 14),
        sex="H",
        state="DF",
        homoclave="0",
    )
    content = csv_text(
        ROLL_HEADER,
        [
            roll_row(
                "R1", curp=bad_check, fecha_nacimiento="1950-02-30", sexo="Q", entidad="ZZ", programa="XYZ"
            ),
            roll_row("R2", curp=other_sex, telefono="12"),
            roll_row("R3", fecha_nacimiento="14/03/1950", telefono="55 1234 5678"),
        ],
    )
    summary = await import_file(sessionmaker, settings, "roll", write(tmp_path, "roll.csv", content))
    assert summary["stored"] == 3
    assert summary["rejected"] == 0
    r1 = await roll_service.get_record(session, record_id="R1")
    assert r1 is not None
    assert (r1.curp, r1.curp_raw, r1.curp_trusted) == (None, bad_check, False)
    assert (r1.fecha_nacimiento, r1.sexo, r1.entidad, r1.programa) == (None, None, None, None)
    issues = {i["field"]: i for i in r1.field_issues}
    assert set(issues) == {"curp", "fecha_nacimiento", "sexo", "entidad", "programa"}
    assert issues["curp"]["raw"] == bad_check
    assert "check digit" in issues["curp"]["reason"]
    assert issues["fecha_nacimiento"] == {
        "field": "fecha_nacimiento",
        "raw": "1950-02-30",
        "reason": "no such day in the calendar",
    }
    r2 = await roll_service.get_record(session, record_id="R2")
    assert r2 is not None
    assert r2.curp == other_sex
    assert not r2.curp_trusted
    assert {i["field"] for i in r2.field_issues} == {"curp", "telefono"}
    r3 = await roll_service.get_record(session, record_id="R3")
    assert r3 is not None
    assert r3.fecha_nacimiento == date(1950, 3, 14)
    assert r3.telefono == "+525512345678"


async def test_formula_looking_cells_round_trip_as_text(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    cells = ["=ROSA+1", "+ROSA", "@SUM(ROSA)", "-ROSA", '=HYPERLINK("http://x","ROSA")', "=1+2"]
    content = csv_text(
        ROLL_HEADER,
        [
            roll_row(
                f"R{i}",
                nombre=cell if i < 5 else "ROSA",
                primer_apellido=cell if i < 5 else "=PEREZ",
                domicilio=cell,
                municipio=cell,
            )
            for i, cell in enumerate(cells)
        ],
    )
    summary = await import_file(sessionmaker, settings, "roll", write(tmp_path, "roll.csv", content))
    assert summary["stored"] == len(cells)
    for i, cell in enumerate(cells):
        record = await roll_service.get_record(session, record_id=f"R{i}")
        assert record is not None
        assert (record.domicilio, record.municipio) == (cell, cell)
        assert (record.nombre, record.primer_apellido) == ((cell, cell) if i < 5 else ("ROSA", "=PEREZ"))


async def test_huge_single_field_rejects_only_its_line(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    content = csv_text(ROLL_HEADER, [roll_row("R1")])
    content += f'R2,,"{"A" * (MAX_RECORD_CHARS * 50)}",PEREZ,,,,,,,,,\n'
    content += csv_text(
        ROLL_HEADER, [roll_row("R3", domicilio="B" * (MAX_FIELD_CHARS + 1)), roll_row("R4")]
    ).split("\n", 1)[1]
    summary = await import_file(sessionmaker, settings, "roll", write(tmp_path, "roll.csv", content))
    assert (summary["rows"], summary["stored"], summary["rejected"]) == (4, 2, 2)
    rejects = await _rejects(session, summary["import_id"])
    assert rejects == {
        3: f"line longer than {MAX_RECORD_CHARS} characters",
        4: f"a field is longer than {MAX_FIELD_CHARS} characters",
    }
    assert await roll_service.get_record(session, record_id="R4") is not None


async def test_nul_character_rejects_only_its_line(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    """PostgreSQL text cannot hold NUL: its line is rejected instead of failing the batch."""
    rows = [roll_row(f"R{i}", domicilio="CALLE\x00 1" if i == 3 else "CALLE 1") for i in range(6)]
    summary = await import_file(
        sessionmaker, settings, "roll", write(tmp_path, "roll.csv", csv_text(ROLL_HEADER, rows))
    )
    assert summary["state"] == "succeeded"
    assert (summary["rows"], summary["stored"], summary["rejected"]) == (6, 5, 1)
    assert await _rejects(session, summary["import_id"]) == {5: "the line holds a NUL character"}
    assert await roll_service.get_record(session, record_id="R4") is not None


async def test_reimport_of_the_same_file_changes_nothing(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    path = write(tmp_path, "roll.csv", csv_text(ROLL_HEADER, [roll_row(f"R{i}") for i in range(5)]))
    first = await import_file(sessionmaker, settings, "roll", path)
    snapshot = (
        await session.execute(text("SELECT id, version, created_at FROM roll_record ORDER BY id"))
    ).all()
    again = await import_file(sessionmaker, settings, "roll", path)
    assert again["duplicate_of"] == first["import_id"]
    assert (again["stored"], again["unchanged"], again["new_records"], again["new_versions"]) == (5, 5, 0, 0)
    after = (await session.execute(text("SELECT id, version, created_at FROM roll_record ORDER BY id"))).all()
    assert after == snapshot
    # The same rows in another file (another digest) are all unchanged too.
    copy = write(tmp_path, "copy.csv", path.read_text() + "\n")
    third = await import_file(sessionmaker, settings, "roll", copy)
    assert (third["unchanged"], third["new_records"], third["new_versions"]) == (5, 0, 0)
    assert (await session.execute(text("SELECT count(*) FROM roll_record"))).scalar_one() == 5


async def test_changed_row_is_a_new_version_and_the_old_one_stays(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    v1 = write(tmp_path, "v1.csv", csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2")]))
    await import_file(sessionmaker, settings, "roll", v1)
    # Columns in another order, R1's address changed, R2 as it was.
    header = list(reversed(ROLL_HEADER))
    rows = [list(reversed(roll_row("R1", domicilio="CALLE 2"))), list(reversed(roll_row("R2")))]
    summary = await import_file(
        sessionmaker, settings, "roll", write(tmp_path, "v2.csv", csv_text(header, rows))
    )
    assert (summary["new_versions"], summary["unchanged"], summary["new_records"]) == (1, 1, 0)
    current = await roll_service.get_record(session, record_id="R1")
    old = await roll_service.get_record(session, record_id="R1", version=1)
    assert current is not None
    assert old is not None
    assert (current.version, current.is_current, current.domicilio) == (2, True, "CALLE 2")
    assert (old.version, old.is_current, old.domicilio) == (1, False, "CALLE 1")
    assert [r.version for r in await roll_service.list_versions(session, record_id="R2")] == [1]
    view = (await session.execute(text("SELECT record_id, version FROM identity_record ORDER BY 1"))).all()
    assert [tuple(v) for v in view] == [("R1", 2), ("R2", 1)]


async def test_refused_file_changes_nothing_already_stored(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    await import_file(
        sessionmaker, settings, "roll", write(tmp_path, "ok.csv", csv_text(ROLL_HEADER, [roll_row("R1")]))
    )
    before = (await session.execute(text("SELECT id, version, domicilio FROM roll_record"))).all()
    bad = csv_text(ROLL_HEADER, [roll_row("R1", domicilio="OTRA"), roll_row("R2", nombre="PEÑA")])
    path = write(tmp_path, "bad.csv", bad.encode("latin-1"))
    imports_before = (await session.execute(select(func.count()).select_from(Import))).scalar_one()
    with pytest.raises(FileRefused, match="no está en utf-8"):  # refused before anything is registered
        await import_file(sessionmaker, settings, "roll", path)
    assert (await session.execute(text("SELECT id, version, domicilio FROM roll_record"))).all() == before
    assert (await session.execute(select(func.count()).select_from(Import))).scalar_one() == imports_before


async def test_latin1_converted_when_asked(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    content = csv_text(ROLL_HEADER, [roll_row("R1", nombre="JOSÉ MARÍA", primer_apellido="NÚÑEZ")])
    path = write(tmp_path, "roll.csv", content.encode("cp1252"))
    summary = await import_file(sessionmaker, settings, "roll", path, encoding="latin-1")
    assert summary["stored"] == 1
    record = await roll_service.get_record(session, record_id="R1")
    assert record is not None
    assert record.nombre == "JOSÉ MARÍA"
    assert record.paternal_norm == "NUNEZ"


async def test_counts_add_up_across_many_batches(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    rows = [roll_row(f"R{i}", nombre="" if i % 7 == 0 else "ANA") for i in range(1, 301)]
    rows += [roll_row("R5")]  # a duplicate in the last batch of the first line's id
    summary = await import_file(
        sessionmaker,
        settings,
        "roll",
        write(tmp_path, "roll.csv", csv_text(ROLL_HEADER, rows)),
        chunk_rows=37,
    )
    assert summary["rows"] == 301
    assert summary["rejected"] == 300 // 7 + 1
    assert summary["stored"] == summary["rows"] - summary["rejected"] == await _count(session)
    rejects = await _rejects(session, summary["import_id"])
    assert rejects[302] == "duplicate of line 6 (same identifier)"
    imp = await session.get(Import, summary["import_id"])
    assert imp is not None
    assert imp.last_line == 302
    assert imp.state == "succeeded"
    assert json.loads(json.dumps(summary))["stored"] == 258


async def test_a_file_sent_again_after_another_restores_its_rows(
    tmp_path: Path, sessionmaker: SM, settings: Settings, session: AsyncSession
) -> None:
    """The digest shortcut holds only while nothing else was imported since: yesterday's file sent
    again after a correction must bring its values back, as new versions."""
    v1 = write(tmp_path, "v1.csv", csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2")]))
    await import_file(sessionmaker, settings, "roll", v1)
    v2 = write(
        tmp_path, "v2.csv", csv_text(ROLL_HEADER, [roll_row("R1", domicilio="CALLE 2"), roll_row("R2")])
    )
    await import_file(sessionmaker, settings, "roll", v2)
    again = await import_file(sessionmaker, settings, "roll", v1)
    assert again["duplicate_of"] is None
    assert (again["new_versions"], again["unchanged"], again["new_records"]) == (1, 1, 0)
    current = await roll_service.get_record(session, record_id="R1")
    assert current is not None
    assert (current.version, current.domicilio) == (3, "CALLE 1")
    # Sent once more with nothing in between, it is a duplicate again.
    once_more = await import_file(sessionmaker, settings, "roll", v1)
    assert once_more["duplicate_of"] == again["import_id"]
