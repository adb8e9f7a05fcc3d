"""Registry records: patient_id stable across versions, CLUES resolved through the catalogue, reads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import PATIENT_HEADER, UNIT_HEADER, csv_text, import_file, roll_row, write

from interop.config import Settings
from interop.registry import service as registry_service


def _patient(record_id: str, clues: str, **fields: str) -> list[str]:
    return [*roll_row(record_id, **fields)[:-1], clues, f"EXP-{record_id}"]


async def test_patient_id_survives_new_versions_and_units_resolve_later(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    v1 = write(
        tmp_path,
        "v1.csv",
        csv_text(PATIENT_HEADER, [_patient("E1", "DFSSA000101"), _patient("E2", "dfimb000002")]),
    )
    summary = await import_file(sessionmaker, settings, "patients", v1)
    assert summary["stored"] == 2
    first = await registry_service.get_record(session, record_id="E1")
    assert first is not None
    assert first.clues_current is None
    assert first.clues == "DFSSA000101"
    patient_id = first.patient_id

    units = csv_text(
        UNIT_HEADER,
        [["DFIMB000101", "CENTRO DE SALUD", "DF", "", "", "1", "", "", "EN OPERACION", "DFSSA000101"]],
    )
    await import_file(sessionmaker, settings, "units", write(tmp_path, "units.csv", units))
    session.expire_all()
    resolved = await registry_service.get_record(session, record_id="E1")
    assert resolved is not None
    assert resolved.clues_current == "DFIMB000101"

    v2 = write(
        tmp_path,
        "v2.csv",
        csv_text(
            PATIENT_HEADER,
            [_patient("E1", "DFSSA000101", telefono="5512345678"), _patient("E2", "dfimb000002")],
        ),
    )
    summary = await import_file(sessionmaker, settings, "patients", v2)
    assert (summary["new_versions"], summary["unchanged"]) == (1, 1)
    session.expire_all()
    current = await registry_service.get_by_patient_id(session, patient_id=patient_id)
    assert current is not None
    assert current.version == 2
    assert current.telefono == "+525512345678"
    assert current.clues_current == "DFIMB000101"
    assert not any(i["field"] == "clues" for i in current.field_issues)
    old = await registry_service.get_record(session, record_id="E1", version=1)
    assert old is not None
    assert old.patient_id == patient_id
    assert not old.is_current
    assert [r.record_id for r in await registry_service.list_current(session, clues=["DFIMB000101"])] == [
        "E1"
    ]
    e2 = await registry_service.get_record(session, record_id="E2")
    assert e2 is not None
    assert e2.clues == "DFIMB000002"
    assert e2.version == 1
