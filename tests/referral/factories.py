"""Small typed factories: units and registry patients inserted through the imports helper's models, and
visit bodies (synthetic people only)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interop.registry.models import RegistryPatient, RegistryPatientKey
from interop.units.models import Unit

# A small synthetic map around Mexico City (coordinates are real places, units are invented).
ZOCALO = (19.4326, -99.1332)


async def add_unit(
    session: AsyncSession,
    clues: str,
    *,
    lat: float | None,
    lon: float | None,
    nivel: int = 1,
    operating: bool = True,
    entidad: str = "DF",
    municipio: str = "CUAUHTEMOC",
    localidad: str = "CENTRO",
    clues_anterior: str | None = None,
    nombre: str | None = None,
    tipo_unidad: str | None = None,
) -> Unit:
    unit = Unit(
        clues=clues,
        clues_anterior=clues_anterior,
        nombre=nombre or f"Unidad {clues}",
        entidad=entidad,
        municipio=municipio,
        localidad=localidad,
        nivel=nivel,
        latitud=lat,
        longitud=lon,
        estatus="EN OPERACION" if operating else "FUERA DE OPERACION",
        operating=operating,
        organization_id=uuid.uuid4(),
        row_digest=hashlib.sha256(clues.encode()).hexdigest(),
        field_issues=[],
        tipo_unidad=tipo_unidad,
    )
    session.add(unit)
    await session.commit()
    return unit


async def add_registry_patient(
    session: AsyncSession,
    record_id: str,
    *,
    clues: str,
    curp: str | None = None,
    nombre: str = "ROSA",
    primer_apellido: str = "PEREZ",
    segundo_apellido: str | None = "LOPEZ",
    fecha_nacimiento: date | None = date(1950, 3, 14),
    sexo: str | None = "M",
) -> RegistryPatient:
    rec = RegistryPatient(
        record_id=record_id,
        version=1,
        is_current=True,
        import_id=1,
        row_digest=hashlib.sha256(record_id.encode()).hexdigest(),
        nombre=nombre,
        primer_apellido=primer_apellido,
        segundo_apellido=segundo_apellido,
        curp=curp,
        curp_trusted=curp is not None,
        fecha_nacimiento=fecha_nacimiento,
        sexo=sexo,
        entidad="DF",
        municipio="CUAUHTEMOC",
        localidad="CENTRO",
        field_issues=[],
        clues=clues,
        clues_current=clues,
        expediente=f"EXP-{record_id}",
        patient_id=uuid.uuid4(),
        pkey="DF",
    )
    key = RegistryPatientKey(
        record_id=record_id,
        version=1,
        pkey="DF",
        row_digest=rec.row_digest,
        curp=curp,
        patient_id=rec.patient_id,
    )
    session.add_all([rec, key])
    await session.commit()
    return rec


def visit_body(visit_id: str, **overrides: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        # Each visit its own person unless a test says otherwise: one open referral per person and need.
        "roll_record_id": f"R-{visit_id}",
        "nombre": "ROSA MARIA",
        "primer_apellido": "PEREZ",
        "segundo_apellido": "LOPEZ",
        "fecha_nacimiento": "1950-03-14",
        "sexo": "M",
        "entidad": "DF",
        "municipio": "CUAUHTEMOC",
        "localidad": "CENTRO",
        "domicilio": "CALLE 5 DE MAYO 10",
        "latitud": ZOCALO[0],
        "longitud": ZOCALO[1],
    }
    person.update(overrides.pop("person", {}))
    body: dict[str, Any] = {
        "visit_id": visit_id,
        "visit_date": "2026-11-20",
        "health_worker_id": "PROM-0042",
        "person": person,
        "findings": {
            "conditions": [{"code": "E11.9", "display": "Diabetes mellitus tipo 2 sin complicaciones"}],
            "observations": [
                {
                    "code": "2339-0",
                    "display": "Glucose [Mass/volume] in Blood",
                    "value": 245,
                    "unit": "mg/dL",
                },
                {
                    "code": "85354-9",
                    "display": "Blood pressure panel",
                    "components": [
                        {"code": "8480-6", "value": 150, "unit": "mm[Hg]"},
                        {"code": "8462-4", "value": 95, "unit": "mm[Hg]"},
                    ],
                },
            ],
        },
        "urgency": "routine",
        "note": "Refiere mareo",
    }
    body.update(overrides)
    return body
