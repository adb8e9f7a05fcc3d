"""Where in a visit Bundle each field of a visit finding comes from: FHIR paths for errors. Pure.

A visit Bundle becomes the ``VisitCreate`` of ``/v1/visits``; when that fails, the caller must read what
is wrong in the terms of what it sent (``ServiceRequest.requester``), never in the internal field names
of ``/v1`` (``health_worker_id``), which a FHIR client has never seen. Each issue carries two
expressions: the element in this Bundle (``Bundle.entry[3].resource.requester``) and its generic path.
Diagnostics are the message catalogue's, in the request's language (es-MX unless it asks for English).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interop import messages
from interop.errors import Invalid

# VisitCreate field (dotted, list indexes dropped) → (resource type, element path); what it is, in words,
# is the catalogue's ``visit.field.<field>``.
_PATHS: dict[str, tuple[str, str]] = {
    "visit_id": ("ServiceRequest", "identifier"),
    "visit_date": ("ServiceRequest", "authoredOn"),
    "health_worker_id": ("ServiceRequest", "requester"),
    "urgency": ("ServiceRequest", "priority"),
    "note": ("ServiceRequest", "note"),
    "person": ("Patient", ""),
    "person.nombre": ("Patient", "name.given"),
    "person.primer_apellido": ("Patient", "name.family"),
    "person.segundo_apellido": ("Patient", "name.family"),
    "person.fecha_nacimiento": ("Patient", "birthDate"),
    "person.sexo": ("Patient", "gender"),
    "person.curp": ("Patient", "identifier"),
    "person.roll_record_id": ("Patient", "identifier"),
    "person.entidad": ("Patient", "address.state"),
    "person.municipio": ("Patient", "address.district"),
    "person.localidad": ("Patient", "address.city"),
    "person.domicilio": ("Patient", "address.line"),
    "person.telefono": ("Patient", "telecom"),
    "person.latitud": ("Patient", "address.extension"),
    "person.longitud": ("Patient", "address.extension"),
    "findings.conditions": ("Condition", "code"),
    "findings.observations": ("Observation", ""),
    "findings.disability": ("Observation", ""),
}


def expressions(resource_type: str, element: str, entries: dict[str, int]) -> list[str]:
    """The element in this Bundle (when its entry is known) and its generic FHIR path."""
    generic = f"{resource_type}.{element}" if element else resource_type
    index = entries.get(resource_type)
    if index is None:
        return [generic]
    return [f"Bundle.entry[{index}].resource{'.' + element if element else ''}", generic]


def issue(
    resource_type: str,
    element: str,
    entries: dict[str, int],
    key: str,
    params: dict[str, object] | None = None,
    *,
    code: str = "required",
) -> dict[str, Any]:
    """One OperationOutcome issue naming ``element``; its diagnostics are the catalogue's ``key`` in the
    request's language."""
    return {
        "severity": "error",
        "code": code,
        "diagnostics": messages.render(key, params or {}),
        "expression": expressions(resource_type, element, entries),
    }


def refusal(issue_: dict[str, Any]) -> Invalid:
    """The 422 for one issue: the caller reads the issue; ``message`` (logs, /v1) is the same words."""
    return Invalid(issue_["diagnostics"], details={"fhir_issues": [issue_]})


def issues_from_validation(errors: Sequence[Any], entries: dict[str, int]) -> list[dict[str, Any]]:
    """OperationOutcome issues for the pydantic errors of a ``VisitCreate`` built from a Bundle."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for err in errors[:20]:
        parts = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        key = next(
            (".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in _PATHS), ""
        )
        resource_type, element = _PATHS.get(key, ("Bundle", ""))
        missing = err.get("type") == "missing" or err.get("input") is None
        expression = tuple(expressions(resource_type, element, entries))
        if expression in seen:
            continue
        seen.add(expression)
        generic = expression[-1]
        what = f"visit.field.{key}" if key else "visit.field.bundle"
        out.append(
            issue(
                resource_type,
                element,
                entries,
                "visit.missing" if missing else "visit.invalid",
                {"what": messages.text(what), "path": generic},
                code="required" if missing else "value",
            )
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
                "diagnostics": messages.text("visit.structure", path=generic, kind=err.get("type", "value")),
                "expression": expression,
            }
        )
    return out
