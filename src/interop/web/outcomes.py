"""A unit's answers from the worklist page as the same Task changes a clinic system sends over FHIR. Pure.

THE ONE PLACE where the page's outcome becomes a Task update. Engineer s16 adds the coded outcome of Task
completion (CodeSystem ``resultado-referencia``) to the referral domain; until that lands, the outcome is
written here as a FHIR clinic would write it: ``Task.output`` (type text ``resultado``) and
``businessStatus``, both a coding of that CodeSystem. When s16's service function exists, ``complete``
should call it instead (and keep the same codes), and nothing else in ``web/`` changes.

Every outcome ends the Task ``completed``: the unit reports how the referral ended (a *contrarreferencia*),
including when the person did not come or was not found. A Task still ``accepted`` passes through
``in-progress`` first, as the state machine requires.
"""

from __future__ import annotations

from typing import Any

from interop.referral import service as referral_service

OUTCOME_SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/resultado-referencia"

# code → (es-MX, en). Order is the select's order.
OUTCOMES: dict[str, tuple[str, str]] = {
    "atendido": ("Atendido en la unidad", "Attended at the unit"),
    "atendido-domicilio": ("Atendido en su domicilio", "Attended at home"),
    "no-acudio": ("No acudió", "Did not come"),
    "no-localizado": ("No se localizó a la persona", "Person not found"),
    "fallecio": ("Falleció", "Died"),
    "cambio-domicilio": ("Cambió de domicilio", "Moved away"),
    "referido-otra-unidad": ("Referido a otra unidad", "Referred to another unit"),
}

# code → (es-MX, en) of the reasons a unit gives for rejecting; the text goes into Task.statusReason.
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "sin-capacidad": ("Sin capacidad de atención por ahora", "No capacity at present"),
    "otro-nivel": ("Requiere otro nivel de atención", "Needs another level of care"),
    "fuera-cobertura": ("Fuera del área de cobertura de la unidad", "Outside the unit's area"),
    "sin-personal": ("Sin personal o insumos para atenderlo", "No staff or supplies for it"),
    "otro": ("Otro motivo", "Other reason"),
}


class UnknownChoice(ValueError):
    """An outcome or reason code the page does not offer (a forged form)."""


def _coding(code: str) -> dict[str, Any]:
    return {"system": OUTCOME_SYSTEM, "code": code, "display": OUTCOMES[code][0]}


def accept() -> list[referral_service.TaskChange]:
    return [referral_service.TaskChange(status="accepted")]


def reject(reason: str, detail: str | None) -> list[referral_service.TaskChange]:
    if reason not in REJECT_REASONS:
        raise UnknownChoice(reason)
    text = REJECT_REASONS[reason][0] + (f": {detail}" if detail else "")
    return [referral_service.TaskChange(status="rejected", status_reason={"text": text[:500]})]


def complete(current_status: str, outcome: str, note: str | None) -> list[referral_service.TaskChange]:
    """The changes, in order, that end a Task with ``outcome`` from its current status."""
    if outcome not in OUTCOMES:
        raise UnknownChoice(outcome)
    output: dict[str, Any] = {
        "type": {"text": "resultado"},
        "valueCodeableConcept": {"coding": [_coding(outcome)], **({"text": note[:500]} if note else {})},
    }
    done = referral_service.TaskChange(
        status="completed", business_status={"coding": [_coding(outcome)]}, output=[output]
    )
    if current_status == "accepted":
        return [referral_service.TaskChange(status="in-progress"), done]
    return [done]
