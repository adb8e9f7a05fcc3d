"""The kin generator's knobs: household look-alikes per person, clerks' errors per record.

Defaults are documented in docs/synth.md ("The kin population"). A JSON profile overrides any
subset (``{"patients": {"nickname": 0.1}, "households": {"sibling": 0.2}}``); unknown keys and rates
outside [0, 1] are refused with the key's name.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class ClerkErrors:
    """Per-record errors of one source; rates among the records a kind can act on."""

    missing_curp: float
    curp_of_relative: float
    homoclave_diff: float
    other_document: float
    year_only_date: float
    date_digit_typo: float
    nickname: float
    given_order: float
    married_name: float
    particle_dropped: float
    keyboard_typo: float
    missing_maternal: float
    missing_sex: float
    accents: float
    title_case: float
    address_rewritten: float
    missing_phone: float


ROLL_ERRORS = ClerkErrors(
    missing_curp=0.04,
    curp_of_relative=0.008,
    homoclave_diff=0.01,
    other_document=0.004,
    year_only_date=0.01,
    date_digit_typo=0.008,
    nickname=0.004,
    given_order=0.01,
    married_name=0.02,
    particle_dropped=0.2,
    keyboard_typo=0.02,
    missing_maternal=0.01,
    missing_sex=0.0,
    accents=0.0,
    title_case=0.0,
    address_rewritten=0.1,
    missing_phone=0.3,
)
PATIENT_ERRORS = ClerkErrors(
    missing_curp=0.55,
    curp_of_relative=0.02,
    homoclave_diff=0.015,
    other_document=0.01,
    year_only_date=0.05,
    date_digit_typo=0.02,
    nickname=0.03,
    given_order=0.02,
    married_name=0.08,
    particle_dropped=0.35,
    keyboard_typo=0.05,
    missing_maternal=0.05,
    missing_sex=0.05,
    accents=0.5,
    title_case=0.1,
    address_rewritten=0.4,
    missing_phone=0.5,
)


@dataclass(frozen=True, slots=True)
class Households:
    """How people live together (rates per household or per person, as noted)."""

    older_head: float = 0.6  # households headed by someone 65 or over
    spouse: float = 0.55  # heads with a spouse at the same address
    adult_child: float = 0.3  # households with an adult child living in
    same_name_child: float = 0.3  # of those children of the head's sex: carries the head's full name
    sibling: float = 0.15  # heads with a sibling in the same locality
    sibling_shared_given: float = 0.6  # of those: one given name in common
    sibling_same_address: float = 0.5  # of those: at the head's address
    sibling_same_day_month: float = 0.15  # of those: born on the same day and month, another year
    pension_take_up: float = 0.9  # people 65+ on the PAM roll
    disability: float = 0.05  # people under 64 on the PCD roll
    pensioners_in_registries: float = 0.7
    roll_duplicates: float = 0.05  # pensioners registered twice in the roll
    second_unit: float = 0.25
    other_birth_state: float = 0.1


@dataclass(frozen=True, slots=True)
class KinModel:
    roll: ClerkErrors = ROLL_ERRORS
    patients: ClerkErrors = PATIENT_ERRORS
    households: Households = field(default_factory=Households)

    @classmethod
    def from_json(cls, text: str) -> KinModel:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a kin profile is a JSON object")
        return _override(cls(), data, "")

    @classmethod
    def from_file(cls, path: Path) -> KinModel:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_K = TypeVar("_K", KinModel, ClerkErrors, Households)


def _override(obj: _K, data: dict[str, Any], prefix: str) -> _K:
    known = {f.name for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ValueError(f"unknown knob {name!r}")
        current: Any = getattr(obj, key)
        if isinstance(current, ClerkErrors | Households):
            if not isinstance(value, dict):
                raise ValueError(f"{name!r} must be an object")
            nested: Any = _override(current, value, f"{name}.")  # type: ignore[type-var]
            changes[key] = nested
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{name!r} must be a rate in [0, 1]")
        else:
            changes[key] = float(value)
    return replace(obj, **changes)
