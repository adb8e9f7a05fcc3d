"""Where in a visit Bundle each field of a visit finding comes from: FHIR paths for errors. Pure.

A visit Bundle becomes the ``VisitCreate`` of ``/v1/visits``; when that fails, the caller must read what
is wrong in the terms of what it sent (``ServiceRequest.requester``), never in the internal field names
of ``/v1`` (``health_worker_id``), which a FHIR client has never seen. Each issue carries two
expressions: the element in this Bundle (``Bundle.entry[3].resource.requester``) and its generic path.
Words for people are Spanish first, then English, kept here in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# VisitCreate field (dotted, list indexes dropped) → (resource type, element path, what it is: es, en).
_PATHS: dict[str, tuple[str, str, str, str]] = {
    "visit_id": ("ServiceRequest", "identifier", "el identificador de la visita", "the visit identifier"),
    "visit_date": ("ServiceRequest", "authoredOn", "la fecha de la visita", "the visit date"),
    "health_worker_id": (
        "ServiceRequest",
        "requester",
        "el promotor de salud que hizo la visita (requester.identifier)",
        "the health worker who made the visit (requester.identifier)",
    ),
    "urgency": (
        "ServiceRequest",
        "priority",
        "la prioridad (routine | urgent | asap | stat)",
        "the priority",
    ),
    "note": ("ServiceRequest", "note", "la nota", "the note"),
    "person": ("Patient", "", "la persona", "the person"),
    "person.nombre": ("Patient", "name.given", "el nombre", "the given name"),
    "person.primer_apellido": ("Patient", "name.family", "el primer apellido", "the first surname"),
    "person.segundo_apellido": ("Patient", "name.family", "el segundo apellido", "the second surname"),
    "person.fecha_nacimiento": ("Patient", "birthDate", "la fecha de nacimiento", "the birth date"),
    "person.sexo": ("Patient", "gender", "el sexo", "the gender"),
    "person.curp": ("Patient", "identifier", "la CURP", "the CURP"),
    "person.roll_record_id": ("Patient", "identifier", "el registro del padrón", "the roll record"),
    "person.entidad": ("Patient", "address.state", "la entidad (dos letras)", "the state (two letters)"),
    "person.municipio": ("Patient", "address.district", "el municipio", "the municipality"),
    "person.localidad": ("Patient", "address.city", "la localidad", "the locality"),
    "person.domicilio": ("Patient", "address.line", "el domicilio", "the address"),
    "person.telefono": ("Patient", "telecom", "el teléfono", "the phone"),
    "person.latitud": ("Patient", "address.extension", "la latitud", "the latitude"),
    "person.longitud": ("Patient", "address.extension", "la longitud", "the longitude"),
    "findings.conditions": ("Condition", "code", "el diagnóstico CIE-10", "the ICD-10 diagnosis"),
    "findings.observations": ("Observation", "", "la observación", "the observation"),
    "findings.disability": ("Observation", "", "la discapacidad", "the disability"),
}


def expressions(resource_type: str, element: str, entries: dict[str, int]) -> list[str]:
    """The element in this Bundle (when its entry is known) and its generic FHIR path."""
    generic = f"{resource_type}.{element}" if element else resource_type
    index = entries.get(resource_type)
    if index is None:
        return [generic]
    return [f"Bundle.entry[{index}].resource{'.' + element if element else ''}", generic]


def issue(
    resource_type: str, element: str, entries: dict[str, int], *, es: str, en: str, code: str = "required"
) -> dict[str, Any]:
    return {
        "severity": "error",
        "code": code,
        "diagnostics": f"{es} / {en}",
        "expression": expressions(resource_type, element, entries),
    }


def issues_from_validation(errors: Sequence[Any], entries: dict[str, int]) -> list[dict[str, Any]]:
    """OperationOutcome issues for the pydantic errors of a ``VisitCreate`` built from a Bundle."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for err in errors[:20]:
        parts = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        key = next(
            (".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in _PATHS), ""
        )
        resource_type, element, what_es, what_en = _PATHS.get(key, ("Bundle", "", "el Bundle", "the Bundle"))
        missing = err.get("type") == "missing" or err.get("input") is None
        expression = tuple(expressions(resource_type, element, entries))
        if expression in seen:
            continue
        seen.add(expression)
        generic = expression[-1]
        if missing:
            es, en = f"falta {generic}: {what_es}", f"{generic} is required: {what_en}"
        else:
            es, en = f"{generic} no es válido: {what_es}", f"{generic} is not valid: {what_en}"
        out.append(
            issue(resource_type, element, entries, es=es, en=en, code="required" if missing else "value")
        )
    return out


def issues_from_structure(errors: Sequence[Any], bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """OperationOutcome issues for fhir.resources' structural errors of a Bundle (``loc`` like
    ``("entry", 0, "resource", "birthDate")``): FHIR paths in this Bundle and generically."""
    out: list[dict[str, Any]] = []
    listed = bundle.get("entry")
    entries: list[Any] = listed if isinstance(listed, list) else []
    for err in errors[:20]:
        loc = [p for p in err.get("loc", ()) if p not in ("body", "__root__")]
        here = "Bundle"
        for part in loc:
            here += f"[{part}]" if isinstance(part, int) else f".{part}"
        expression = [here]
        if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int) and loc[2] == "resource":
            entry = entries[loc[1]] if loc[1] < len(entries) else None
            resource = entry.get("resource") if isinstance(entry, dict) else None
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            rest = ".".join(str(p) for p in loc[3:] if not isinstance(p, int))
            if isinstance(kind, str) and kind:
                expression.append(f"{kind}.{rest}" if rest else kind)
        generic = expression[-1]
        out.append(
            {
                "severity": "error",
                "code": "structure",
                # The error's kind, never its message: a validator's message may quote the value sent.
                "diagnostics": f"{generic} no es válido ({err.get('type', 'value')}) / {generic} is invalid",
                "expression": expression,
            }
        )
    return out
