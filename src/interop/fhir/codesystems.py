"""The CodeSystems the service publishes (served by ``codesystem_routes``). Pure.

Generic: a domain's vocabulary is registered as a ``CodeSystemSpec`` (displays by language, es-MX first,
English as a designation), so any number fit one route. This module registers what issue 17 publishes:
``atencion-solicitada`` (what a referral asks), ``hallazgo-domiciliario`` (what a home visit records of a
person's autonomy), ``tipo-discapacidad`` and ``movilidad``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interop import messages
from interop.referral import care
from interop.referral import finding_checks as findings

BASE = "https://www.gob.mx/bienestar/fhir/CodeSystem/"
PUBLISHER = "Programa Pensiones para el Bienestar / IMSS-Bienestar"


@dataclass(frozen=True)
class Concept:
    code: str
    display: dict[str, str]  # by language tag; es-MX is the display, the others designations
    definition: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeSystemSpec:
    id: str
    url: str
    name: str
    title: dict[str, str]
    description: dict[str, str]
    concepts: tuple[Concept, ...]


_SPECS: dict[str, CodeSystemSpec] = {}


def register_code_system(spec: CodeSystemSpec) -> None:
    _SPECS[spec.id] = spec


def code_system_specs() -> list[CodeSystemSpec]:
    return [_SPECS[k] for k in sorted(_SPECS)]


def display(system_url: str, code: str, lang: str | None = None) -> str | None:
    """A registered concept's display in ``lang`` (the request's by default)."""
    for spec in _SPECS.values():
        if spec.url == system_url:
            for concept in spec.concepts:
                if concept.code == code:
                    chosen = lang or messages.current_language.get()
                    return concept.display.get(chosen) or concept.display[messages.SPANISH]
    return None


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts[messages.SPANISH]


def code_system(spec: CodeSystemSpec) -> dict[str, Any]:
    """The R4 CodeSystem: displays in the request's language (es-MX by default), every other language as
    a designation."""
    lang = messages.current_language.get()
    concepts = []
    for c in spec.concepts:
        concept: dict[str, Any] = {"code": c.code, "display": _pick(c.display, lang)}
        if c.definition:
            concept["definition"] = _pick(c.definition, lang)
        others = [{"language": tag, "value": text} for tag, text in c.display.items() if tag != lang]
        if others:
            concept["designation"] = others
        concepts.append(concept)
    return {
        "resourceType": "CodeSystem",
        "id": spec.id,
        "url": spec.url,
        "name": spec.name,
        "title": _pick(spec.title, lang),
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": _pick(spec.description, lang),
        "language": lang,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }


def _keyed(
    id_: str, name: str, title_key: str, description_key: str, codes: tuple[str, ...], prefix: str
) -> CodeSystemSpec:
    definitions = {c: f"{prefix}{c}.definition" for c in codes}
    return CodeSystemSpec(
        id=id_,
        url=BASE + id_,
        name=name,
        title=messages.both(title_key),
        description=messages.both(description_key),
        concepts=tuple(
            Concept(
                code=c,
                display=messages.both(prefix + c),
                definition=messages.both(definitions[c]) if messages.has(definitions[c]) else {},
            )
            for c in codes
        ),
    )


CARE = _keyed(care.CODESYSTEM_ID, "AtencionSolicitada", "care.title", "care.description", care.CODES, "care.")
assert CARE.url == care.SYSTEM
FINDING_CODES = (
    "discapacidad",
    "movilidad",
    "no-sale-de-casa",
    "persona-cuidadora",
    "necesidades-medicamentos",
)
HOME_FINDINGS = _keyed(
    "hallazgo-domiciliario",
    "HallazgoDomiciliario",
    "home_finding.title",
    "home_finding.description",
    FINDING_CODES,
    "home_finding.",
)
DISABILITY = _keyed(
    "tipo-discapacidad",
    "TipoDiscapacidad",
    "disability.title",
    "disability.description",
    findings.DISABILITY,
    "disability.",
)
MOBILITY = _keyed(
    "movilidad", "Movilidad", "mobility.title", "mobility.description", findings.MOBILITY, "mobility."
)
for _spec in (CARE, HOME_FINDINGS, DISABILITY, MOBILITY):
    register_code_system(_spec)


def spec_of(cs_id: str) -> CodeSystemSpec | None:
    return _SPECS.get(cs_id)
