"""How a review is laid out for a reviewer: rows of the two records field by field, each with its
agreement, and the model's evidence per comparison (its match weight: positive added to the case for
"same person", negative took away). Pure: no I/O.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

# Which record fields each model comparison reads (matching.spec's comparison names).
COMPARISON_FIELDS: dict[str, tuple[str, ...]] = {
    "curp": ("curp",),
    "given": ("nombre",),
    "paternal": ("primer_apellido",),
    "maternal": ("segundo_apellido",),
    "birth_date": ("fecha_nacimiento",),
    "sex": ("sexo",),
    "place": ("entidad", "municipio"),
    "place_local": ("municipio", "localidad"),
    "address": ("domicilio",),
}
FIELD_ORDER = (
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
    "programa",
    "clues",
    "expediente",
)


@dataclass(frozen=True)
class FieldRow:
    field: str
    left: str | None
    right: str | None
    agreement: str  # same | differs | missing


@dataclass(frozen=True)
class EvidenceRow:
    comparison: str
    level: str
    weight: float
    fields: tuple[str, ...]
    width: int  # bar length in percent of the largest absolute weight


def _plain(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.strip().upper())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def field_rows(left: dict[str, str | None], right: dict[str, str | None]) -> list[FieldRow]:
    """Every field either record holds, in a stable order; agreement compares upper-cased values
    without accents or extra spaces (what the eye compares, not the model's finer levels)."""
    names = [f for f in FIELD_ORDER if f in left or f in right]
    names += sorted((set(left) | set(right)) - set(names))
    rows = []
    for name in names:
        a, b = left.get(name), right.get(name)
        if not a or not b:
            agreement = "missing"
        elif _plain(a) == _plain(b):
            agreement = "same"
        else:
            agreement = "differs"
        rows.append(FieldRow(name, a, b, agreement))
    return rows


def evidence_rows(evidence: list[Any]) -> list[EvidenceRow]:
    """The model's evidence, strongest first."""
    items = [(str(e.comparison), str(e.level), float(e.weight)) for e in evidence]
    top = max((abs(w) for _, _, w in items), default=0.0) or 1.0
    rows = [
        EvidenceRow(c, lvl, w, COMPARISON_FIELDS.get(c, ()), max(2, round(100 * abs(w) / top)))
        for c, lvl, w in items
    ]
    return sorted(rows, key=lambda r: -abs(r.weight))


def probability_of(weight: float | None) -> float | None:
    """A Fellegi–Sunter match weight (log2 Bayes factor) as a probability."""
    if weight is None:
        return None
    return 1.0 / (1.0 + math.pow(2.0, -weight))


SCORE_BANDS: dict[str, tuple[float | None, float | None]] = {
    "alta": (0.9, None),
    "media": (0.7, 0.9),
    "baja": (None, 0.7),
}
AGE_FILTERS: dict[str, tuple[int | None, int | None]] = {  # (older than s, newer than s)
    "hoy": (None, 86_400),
    "semana": (86_400, 7 * 86_400),
    "antigua": (7 * 86_400, None),
}
