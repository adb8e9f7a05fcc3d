"""The same Patient gives the same identity data through every path that takes Patients in: the visit
Bundle (``POST /fhir``), ``Patient/$match`` and registry NDJSON (issue 15: three readers disagreed on a
family without surname extensions)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.fhir.bundles import visit_bundle

from interop.config import Settings
from interop.fhir.bundle import visit_from_bundle
from interop.fhir.match import probe_of_patient
from interop.fhir.patient_identity import FATHERS, MOTHERS, Systems
from interop.fhir.patient_ndjson import parse_patient
from interop.identity.names import split_family

FIELDS = (
    "curp",
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
)
SETTINGS = Settings()


def _patient(family: str, *, extensions: tuple[str, str | None] | None = None, **more: Any) -> dict[str, Any]:
    name: dict[str, Any] = {"use": "official", "family": family, "given": ["MARIA", "DE LOS ANGELES"]}
    if extensions is not None:
        ext = [{"url": FATHERS, "valueString": extensions[0]}]
        if extensions[1]:
            ext.append({"url": MOTHERS, "valueString": extensions[1]})
        name["_family"] = {"extension": ext}
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "identifier": [{"system": SETTINGS.system_curp, "value": "CUPM480702MOCRNR00"}],
        "name": [{"use": "usual", "family": "OTRO", "given": ["APODO"]}, name],
        "gender": "female",
        "birthDate": "1948-07-02",
        "address": [
            {"state": "OC", "district": "OAXACA DE JUAREZ", "city": "OAXACA", "line": ["ALCALA 10", "INT 2"]}
        ],
        "telecom": [
            {"system": "email", "value": "x@example.org"},
            {"system": "phone", "value": "9511234567"},
        ],
        **more,
    }


PATIENTS = {
    "compound paternal and maternal": _patient("DE LA CRUZ PONCE DE LEON"),
    "compound paternal, plain maternal": _patient("PONCE DE LEON GARCIA"),
    "plain paternal, particle maternal": _patient("GARCIA DE LA CRUZ"),
    "one compound surname": _patient("PONCE DE LEON"),
    "two plain surnames, accents": _patient("Pérez López"),
    "one surname": _patient("LOPEZ", gender="other"),
    "extensions win over the split": _patient("DE LA CRUZ PONCE", extensions=("DE LA CRUZ PONCE", None)),
}
EXPECTED_SURNAMES = {
    "compound paternal and maternal": ("DE LA CRUZ", "PONCE DE LEON"),
    "compound paternal, plain maternal": ("PONCE DE LEON", "GARCIA"),
    "plain paternal, particle maternal": ("GARCIA", "DE LA CRUZ"),
    "one compound surname": ("PONCE DE LEON", None),
    "two plain surnames, accents": ("Pérez", "López"),
    "one surname": ("LOPEZ", None),
    "extensions win over the split": ("DE LA CRUZ PONCE", None),
}


def _through_bundle(patient: dict[str, Any]) -> dict[str, Any]:
    bundle = visit_bundle("V-IDENT-1")
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"] = {k: v for k, v in patient.items() if k != "id"}
    person = visit_from_bundle(bundle, SETTINGS).person
    data = person.model_dump()
    data["fecha_nacimiento"] = person.fecha_nacimiento.isoformat() if person.fecha_nacimiento else None
    return {f: data[f] for f in FIELDS}


def _through_match(patient: dict[str, Any]) -> dict[str, Any]:
    probe = probe_of_patient(patient, SETTINGS)
    return {
        "curp": probe.curp,
        "nombre": probe.given_names,
        "primer_apellido": probe.paternal_surname,
        "segundo_apellido": probe.maternal_surname,
        "fecha_nacimiento": probe.birth_date.isoformat() if probe.birth_date else None,
        "sexo": probe.sex,
        "entidad": probe.entidad,
        "municipio": probe.municipio,
        "localidad": probe.localidad,
        "domicilio": probe.domicilio,
        "telefono": probe.telefono,
    }


def _through_ndjson(patient: dict[str, Any]) -> dict[str, Any]:
    row = parse_patient(json.dumps(patient), Systems.of(SETTINGS))
    assert isinstance(row, dict), row
    return {f: row.get(f) or None for f in FIELDS}


@pytest.mark.parametrize("case", sorted(PATIENTS))
def test_every_patient_path_reads_the_same_identity(case: str) -> None:
    patient = PATIENTS[case]
    bundle, match, ndjson = _through_bundle(patient), _through_match(patient), _through_ndjson(patient)
    assert bundle == match == ndjson
    assert (bundle["primer_apellido"], bundle["segundo_apellido"]) == EXPECTED_SURNAMES[case]
    assert bundle["nombre"] == "MARIA DE LOS ANGELES"  # the official name, not the first one
    assert bundle["domicilio"] == "ALCALA 10, INT 2"
    assert bundle["telefono"] == "9511234567"
    assert bundle["sexo"] == ("X" if case == "one surname" else "M")


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("DE LA CRUZ PONCE DE LEON", ("DE LA CRUZ", "PONCE DE LEON")),
        ("PONCE DE LEON DE LA CRUZ", ("PONCE DE LEON", "DE LA CRUZ")),
        ("GARCIA PONCE DE LEON", ("GARCIA", "PONCE DE LEON")),
        ("Montes de Oca Ruiz", ("Montes de Oca", "Ruiz")),
        ("GARCIA DE LEON LOPEZ", ("GARCIA DE LEON", "LOPEZ")),
        ("GARCIA LOPEZ HERNANDEZ", ("GARCIA", "LOPEZ HERNANDEZ")),
        ("DE LA", ("DE LA", None)),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_family_keeps_compound_surnames_whole(
    family: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert split_family(family) == expected
