"""FHIR R4 Patient NDJSON lines → registry rows (the columns of a patients CSV), validated with
fhir.resources (R4B models, R4-compatible Patient). The fields are read by ``fhir.patient_identity``, the
same reading the visit Bundle and ``Patient/$match`` use; ``record_id`` is ``Patient.id``.

A line that is not a valid Patient yields a reason (no values from the line in it).
"""

from __future__ import annotations

from dataclasses import asdict

import orjson
from pydantic import ValidationError

from interop.fhir.patient_identity import Systems, read_patient
from interop.fhir.version import Patient
from interop.messages import stored

_UNKNOWN_GENDERS = ("", "unknown")


def parse_patient(text: str, systems: Systems) -> dict[str, str] | str:
    """A row (column → value as written) or the reason the line is rejected (stored form of a message key)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return stored.keep("ingest.reject.not_json_object")
    if not isinstance(data, dict):
        return stored.keep("ingest.reject.not_json_object")
    if data.get("resourceType") != "Patient":
        return stored.keep("ingest.reject.not_patient")
    try:
        Patient.model_validate(data)
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        if where:
            return stored.keep("ingest.reject.invalid_patient_at", where=where)
        return stored.keep("ingest.reject.invalid_patient")
    identity = read_patient(data, systems)
    row = {k: v for k, v in asdict(identity).items() if isinstance(v, str)}
    row.pop("id", None)
    row.pop("roll_record_id", None)
    row["record_id"] = identity.id or ""
    gender = str(data.get("gender") or "")
    if identity.sexo is None and gender not in _UNKNOWN_GENDERS:
        # Kept as written so the import records the raw value and why it was refused.
        row["sexo"] = gender
    return row
