"""The error model: how often each kind of noise touches a record, and the population's shape.

Every knob is a probability per record (or per person for population knobs), documented with its
default in docs/synth.md. A JSON profile overrides any subset::

    {"patients": {"missing_curp": 0.6}, "roll_duplicates": 0.1, "population": {"non_pensioners": 0.3}}

Unknown keys and values outside [0, 1] are errors, so a typo in a profile never passes silently.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class SourceNoise:
    """Per-record noise of one source (the roll or the clinic registries)."""

    missing_curp: float
    curp_typo: float
    curp_of_relative: float
    abbreviated_given: float
    dropped_second_given: float
    missing_maternal: float
    maternal_placeholder: float
    swapped_surnames: float
    name_typo: float
    keep_accents: float
    spurious_accent: float
    enye_as_n: float
    mojibake: float
    lowercase: float
    mixed_case: float
    extra_spaces: float
    day_month_swap: float
    year_off_by_one: float
    missing_birth_date: float
    moved: float
    missing_phone: float
    formatted_phone: float
    sex_flipped: float


ROLL_NOISE = SourceNoise(
    missing_curp=0.08,
    curp_typo=0.01,
    curp_of_relative=0.005,
    abbreviated_given=0.06,
    dropped_second_given=0.05,
    missing_maternal=0.02,
    maternal_placeholder=0.3,
    swapped_surnames=0.01,
    name_typo=0.03,
    keep_accents=0.15,
    spurious_accent=0.005,
    enye_as_n=0.15,
    mojibake=0.001,
    lowercase=0.005,
    mixed_case=0.01,
    extra_spaces=0.02,
    day_month_swap=0.01,
    year_off_by_one=0.01,
    missing_birth_date=0.005,
    moved=0.03,
    missing_phone=0.25,
    formatted_phone=0.03,
    sex_flipped=0.002,
)

PATIENT_NOISE = SourceNoise(
    missing_curp=0.5,
    curp_typo=0.02,
    curp_of_relative=0.01,
    abbreviated_given=0.1,
    dropped_second_given=0.1,
    missing_maternal=0.05,
    maternal_placeholder=0.3,
    swapped_surnames=0.02,
    name_typo=0.06,
    keep_accents=0.35,
    spurious_accent=0.01,
    enye_as_n=0.1,
    mojibake=0.002,
    lowercase=0.02,
    mixed_case=0.04,
    extra_spaces=0.04,
    day_month_swap=0.02,
    year_off_by_one=0.02,
    missing_birth_date=0.03,
    moved=0.06,
    missing_phone=0.4,
    formatted_phone=0.08,
    sex_flipped=0.005,
)


@dataclass(frozen=True, slots=True)
class PopulationShape:
    """Who is in which source, and how many units there are."""

    non_pensioners: float = 0.25
    disability_share: float = 0.2
    pensioners_in_registries: float = 0.72
    second_unit: float = 0.28
    third_unit: float = 0.25
    migrants: float = 0.12
    born_abroad: float = 0.003
    single_surname: float = 0.01
    non_binary: float = 0.0005
    new_year_births: float = 0.03
    people_per_unit: float = 3000.0
    min_units_per_state: float = 4.0


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """All knobs of ``interop synth``; ``ErrorModel()`` is the documented default."""

    roll: SourceNoise = ROLL_NOISE
    patients: SourceNoise = PATIENT_NOISE
    population: PopulationShape = field(default_factory=PopulationShape)
    roll_duplicates: float = 0.065
    twins: float = 0.004
    namesake_parent_child: float = 0.004
    namesake_neighbours: float = 0.004
    old_clues_in_registry: float = 0.3
    old_clues_units: float = 0.6
    units_not_operating: float = 0.05

    @classmethod
    def from_json(cls, text: str) -> ErrorModel:
        """Defaults overridden by a JSON object; raises ``ValueError`` naming a bad key or value."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an error-model profile is a JSON object")
        return _override(ErrorModel(), data, "")

    @classmethod
    def from_file(cls, path: Path) -> ErrorModel:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_NON_RATES = {"people_per_unit", "min_units_per_state"}
_Knobs = TypeVar("_Knobs", ErrorModel, SourceNoise, PopulationShape)


def _override(obj: _Knobs, data: dict[str, Any], prefix: str) -> _Knobs:
    known = {f.name for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ValueError(f"unknown error-model key: {name}")
        current = getattr(obj, key)
        if isinstance(current, SourceNoise | PopulationShape):
            if not isinstance(value, dict):
                raise ValueError(f"{name} must be a JSON object")
            if isinstance(current, SourceNoise):
                changes[key] = _override(current, value, f"{name}.")
            else:
                changes[key] = _override(current, value, f"{name}.")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        if key in _NON_RATES:
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        elif not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a rate between 0 and 1")
        changes[key] = float(value)
    return replace(obj, **changes)
