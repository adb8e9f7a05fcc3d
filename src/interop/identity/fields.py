"""The one vocabulary of identity fields: the names every source of people uses for them (the roll and
registry CSV columns, a visit's person, a FHIR Patient read by ``fhir.patient_identity``), as DESIGN.md's
imports name them. Official terms stay in Spanish."""

from __future__ import annotations

IDENTITY_FIELDS: tuple[str, ...] = (
    "record_id",
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
