"""FHIR R4 Patient NDJSON lines → registry rows (the columns of a patients CSV), validated with
fhir.resources (R4B models, R4-compatible Patient).

- record_id: ``Patient.id``;
- nombre: ``HumanName.given`` joined; primer / segundo apellido: the ``humanname-fathers-family`` /
  ``humanname-mothers-family`` extensions of ``family``, else ``family`` as written for the first;
  the ``official`` name is preferred;
- curp: the identifier of the CURP system; clues: ``managingOrganization.identifier`` of the CLUES
  system; expediente: the identifier of system ``…/clues/{CLUES}/expediente`` for that unit;
- fecha_nacimiento: ``birthDate``; sexo: ``gender`` (male H, female M, other X);
- entidad / municipio / localidad / domicilio: ``address.state`` / ``district`` / ``city`` / ``line``;
- telefono: the first ``telecom`` of system phone.

A line that is not a valid Patient yields a reason (no values from the line in it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

FATHERS_FAMILY = "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family"
MOTHERS_FAMILY = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family"
_GENDER = {"male": "H", "female": "M", "other": "X", "unknown": ""}


@dataclass(frozen=True, slots=True)
class Systems:
    curp: str
    clues: str
    expediente_template: str  # with "{CLUES}"


def _extension(element: Any, url: str) -> str:
    for ext in getattr(element, "extension", None) or []:
        if ext.url == url and ext.valueString:
            return str(ext.valueString)
    return ""


def _pick_name(patient: Patient) -> Any:
    names = patient.name or []
    for name in names:
        if name.use == "official":
            return name
    return names[0] if names else None


def parse_patient(text: str, systems: Systems) -> dict[str, str] | str:
    """A row (column → value as written) or the reason the line is rejected."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "not a JSON object"
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("resourceType") != "Patient":
        return "not a FHIR Patient resource"
    try:
        patient = Patient.model_validate(data)
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        return f"not a valid FHIR R4 Patient{f' (at {where})' if where else ''}"
    row: dict[str, str] = {"record_id": patient.id or ""}
    name = _pick_name(patient)
    if name is not None:
        row["nombre"] = " ".join(str(g) for g in (name.given or []))
        family_element = getattr(name, "family__ext", None)
        fathers = _extension(family_element, FATHERS_FAMILY)
        mothers = _extension(family_element, MOTHERS_FAMILY)
        if fathers or mothers:
            row["primer_apellido"], row["segundo_apellido"] = fathers, mothers
        else:
            row["primer_apellido"] = name.family or ""
    clues = ""
    org = patient.managingOrganization
    if org is not None and org.identifier is not None and org.identifier.system == systems.clues:
        clues = (org.identifier.value or "").strip().upper()
    row["clues"] = clues
    expediente_system = systems.expediente_template.replace("{CLUES}", clues) if clues else None
    for identifier in patient.identifier or []:
        if identifier.system == systems.curp and identifier.value:
            row["curp"] = identifier.value
        elif expediente_system and identifier.system == expediente_system and identifier.value:
            row["expediente"] = identifier.value
    if patient.birthDate is not None:
        row["fecha_nacimiento"] = str(patient.birthDate)
    row["sexo"] = _GENDER.get(patient.gender or "", patient.gender or "")
    if patient.address:
        address = patient.address[0]
        row["entidad"] = address.state or ""
        row["municipio"] = address.district or ""
        row["localidad"] = address.city or ""
        row["domicilio"] = ", ".join(str(line) for line in (address.line or []))
    for telecom in patient.telecom or []:
        if telecom.system == "phone" and telecom.value:
            row["telefono"] = telecom.value
            break
    return row
