"""A unit's answers from the worklist page as the referral domain's own Task changes. Pure.

THE ONE PLACE where the page's choices become referral changes: accepting and rejecting are
``update_task`` changes, as a clinic system's FHIR update; ending a referral is s16's
``referral.service.complete_task`` with a ``resultado-referencia`` code (the same ``update_task`` underneath,
which records the outcome on the referral for Bienestar). A Task still ``accepted`` passes through
``in-progress`` first, as the state machine requires.

Which outcomes fail the Task: the person did not come or could not be found — the referral then goes on
the escalation list, where Bienestar follows it up; every other outcome completes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from interop.referral import outcomes as referral_outcomes
from interop.referral import service as referral_service

OUTCOME_SYSTEM = referral_outcomes.SYSTEM
# code → (es-MX, en), the select's order: the referral domain's CodeSystem.
OUTCOMES: dict[str, tuple[str, str]] = {code: (o.es, o.en) for code, o in referral_outcomes.OUTCOMES.items()}
FAILING = frozenset({"no-acudio", "no-localizado"})

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


@dataclass(frozen=True)
class Completion:
    """The last step of ending a referral: ``complete_task``'s arguments."""

    status: Literal["completed", "failed"]
    outcome: str
    note: str | None


def accept() -> list[referral_service.TaskChange]:
    return [referral_service.TaskChange(status="accepted")]


def reject(reason: str, detail: str | None) -> list[referral_service.TaskChange]:
    if reason not in REJECT_REASONS:
        raise UnknownChoice(reason)
    text = REJECT_REASONS[reason][0] + (f": {detail}" if detail else "")
    return [referral_service.TaskChange(status="rejected", status_reason={"text": text[:500]})]


def complete(
    current_status: str, outcome: str, note: str | None
) -> tuple[list[referral_service.TaskChange], Completion]:
    """The changes before the ending (maybe none) and the ending itself."""
    if outcome not in OUTCOMES:
        raise UnknownChoice(outcome)
    before = [referral_service.TaskChange(status="in-progress")] if current_status == "accepted" else []
    status: Literal["completed", "failed"] = "failed" if outcome in FAILING else "completed"
    return before, Completion(status=status, outcome=outcome, note=note[:500] if note else None)
