"""The referral outcome (*contrarreferencia*) a unit reports when it completes or fails a Task. Pure.

The codes are the CodeSystem ``resultado-referencia`` the service publishes (``/fhir/CodeSystem/…``);
displays are Spanish first, English second. ``atendido`` and ``atendido-domicilio`` complete a Task; the
others may end it either way (a unit that could not find the person fails the Task with ``no-localizado``,
or completes it saying so).
"""

from __future__ import annotations

from dataclasses import dataclass

from interop import messages

SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/resultado-referencia"
CODESYSTEM_ID = "resultado-referencia"


@dataclass(frozen=True, slots=True)
class Outcome:
    code: str
    es: str
    en: str
    definition_es: str


OUTCOMES: dict[str, Outcome] = {
    o.code: o
    for o in (
        Outcome(
            "atendido",
            "Atendido en la unidad",
            "Attended at the unit",
            "La persona fue atendida en la unidad.",
        ),
        Outcome(
            "atendido-domicilio",
            "Atendido en el domicilio",
            "Attended at home",
            "El personal de la unidad atendió a la persona en su domicilio.",
        ),
        Outcome("no-acudio", "No acudió", "Did not attend", "La persona no acudió a la unidad."),
        Outcome(
            "no-localizado",
            "No localizado",
            "Could not be found",
            "La unidad no pudo localizar a la persona con los datos de la referencia.",
        ),
        Outcome("fallecio", "Falleció", "Died", "La persona falleció antes de ser atendida."),
        Outcome(
            "cambio-domicilio",
            "Cambió de domicilio",
            "Moved",
            "La persona ya no vive en el área de la unidad.",
        ),
        Outcome(
            "referido-otra-unidad",
            "Referido a otra unidad",
            "Referred onward",
            "La unidad refirió a la persona a otra unidad (por ejemplo, de mayor nivel).",
        ),
    )
}

# A completed Task without a coded outcome was attended: the status says so.
DEFAULT_ON_COMPLETE = "atendido"


class UnknownOutcome(ValueError):
    """A code not in the outcome system; ``key`` and ``params`` name its words in the message catalogue."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(messages.render(key, params, messages.ENGLISH))
        self.key = key
        self.params = params


def outcome(code: str) -> Outcome:
    try:
        return OUTCOMES[code]
    except KeyError:
        raise UnknownOutcome(
            "referral.task.outcome_unknown", code=repr(code), system=SYSTEM, codes=", ".join(OUTCOMES)
        ) from None
