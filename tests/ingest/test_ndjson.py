"""Clinic registries as FHIR R4 Patient NDJSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.fhir.patient_identity import FATHERS as FATHERS_FAMILY
from interop.fhir.patient_identity import MOTHERS as MOTHERS_FAMILY
from interop.fhir.patient_identity import Systems
from interop.fhir.patient_ndjson import parse_patient
from interop.identity.curp import build_curp
from interop.messages import stored
from interop.registry import service as registry_service

from .factories import import_file, write

CURP = build_curp(
    given_names="MARIA DE LOS ANGELES",
    paternal_surname="DE LA CRUZ",
    maternal_surname="PONCE DE LEON",
    birth_date=date(1948, 7, 2),
    sex="M",
    state="OC",
    homoclave="0",
)


def patient(pid: str, settings: Settings, **overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {"system": settings.system_curp, "value": CURP},
            {
                "system": settings.system_expediente_template.replace("{CLUES}", "OCIMB000777"),
                "value": "EXP-9",
            },
        ],
        "name": [
            {
                "use": "official",
                "family": "DE LA CRUZ PONCE DE LEON",
                "_family": {
                    "extension": [
                        {"url": FATHERS_FAMILY, "valueString": "DE LA CRUZ"},
                        {"url": MOTHERS_FAMILY, "valueString": "PONCE DE LEON"},
                    ]
                },
                "given": ["MARIA", "DE LOS ANGELES"],
            }
        ],
        "gender": "female",
        "birthDate": "1948-07-02",
        "address": [{"state": "OC", "district": "OAXACA DE JUAREZ", "city": "OAXACA", "line": ["ALCALA 10"]}],
        "telecom": [{"system": "phone", "value": "9511234567"}],
        "managingOrganization": {"identifier": {"system": settings.system_clues, "value": "OCIMB000777"}},
    }
    resource.update(overrides)
    return resource


def test_parse_reads_names_identifiers_and_unit(settings: Settings) -> None:
    systems = Systems(settings.system_curp, settings.system_clues, settings.system_expediente_template)
    row = parse_patient(json.dumps(patient("p-1", settings)), systems)
    assert isinstance(row, dict)
    assert row["record_id"] == "p-1"
    assert row["curp"] == CURP
    assert row["clues"] == "OCIMB000777"
    assert (row["nombre"], row["primer_apellido"], row["segundo_apellido"]) == (
        "MARIA DE LOS ANGELES",
        "DE LA CRUZ",
        "PONCE DE LEON",
    )
    assert (row["expediente"], row["sexo"], row["fecha_nacimiento"]) == ("EXP-9", "M", "1948-07-02")
    assert (row["entidad"], row["municipio"], row["localidad"], row["domicilio"], row["telefono"]) == (
        "OC",
        "OAXACA DE JUAREZ",
        "OAXACA",
        "ALCALA 10",
        "9511234567",
    )
    assert stored.said(str(parse_patient("{not json", systems))) == "no es un objeto JSON"
    not_patient = parse_patient(json.dumps({"resourceType": "Observation"}), systems)
    assert stored.said(str(not_patient), "en") == "not a FHIR Patient resource"
    invalid = parse_patient(json.dumps(patient("p-2", settings, birthDate="02/07/1948")), systems)
    assert isinstance(invalid, str)
    assert stored.said(invalid, "en").startswith("not a valid FHIR R4 Patient (at birthDate")
    assert stored.said(invalid).startswith("no es un Patient válido de FHIR R4 (en birthDate")


async def test_ndjson_import_stores_patients_and_rejects_bad_lines(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    no_name = patient("p-3", settings)
    del no_name["name"]
    plain_family = patient("p-4", settings, name=[{"family": "LOPEZ", "given": ["ANA"]}])
    lines = [
        json.dumps(patient("p-1", settings)),
        "",
        "{broken",
        json.dumps(no_name),
        json.dumps(plain_family),
        json.dumps(patient("p-1", settings)),
    ]
    path = write(tmp_path, "registro.ndjson", "\n".join(lines) + "\n")
    summary = await import_file(sessionmaker, settings, "patients", path)
    assert (summary["rows"], summary["stored"], summary["rejected"]) == (5, 2, 3)
    stored = await registry_service.get_record(session, record_id="p-1")
    assert stored is not None
    assert (stored.curp, stored.curp_trusted, stored.paternal_norm, stored.maternal_norm) == (
        CURP,
        True,
        "DE LA CRUZ",
        "PONCE DE LEON",
    )
    assert stored.given_main == "ANGELES"
    assert stored.telefono == "+529511234567"
    assert stored.clues == "OCIMB000777"
    assert stored.clues_current is None
    assert stored.field_issues[-1]["field"] == "clues"
    ana = await registry_service.get_record(session, record_id="p-4")
    assert ana is not None
    assert (ana.primer_apellido, ana.segundo_apellido) == ("LOPEZ", None)
