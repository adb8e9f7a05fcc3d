"""Which person each roll or registry row describes: decided numerically for a whole file.

``plan_roll`` / ``plan_patients`` fix who, which unit and which row is a duplicate, in file
order; ``rendering`` then writes each chunk of rows as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from interop.identity.fields import IDENTITY_FIELDS
from interop.synth.population import (
    OTHER,
    Population,
)
from interop.synth.profile import ErrorModel
from interop.synth.units import NEAREST, Units

# The identity columns of the CSV contract, in the order the files are written.
IDENTITY_COLUMNS = IDENTITY_FIELDS
ROLL_COLUMNS = (*IDENTITY_COLUMNS, "programa")
PATIENT_COLUMNS = (*IDENTITY_COLUMNS, "clues", "expediente")
# Chance of each further unit among the NEAREST of a person's locality, closest first.
UNIT_PREFERENCE = np.array([0.55, 0.25, 0.12, 0.08])


@dataclass(frozen=True, slots=True)
class RollPlan:
    person: NDArray[np.int64]
    duplicate: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class PatientPlan:
    person: NDArray[np.int64]
    unit: NDArray[np.int32]
    old_code: NDArray[np.bool_]
    expediente: NDArray[np.int64]


def plan_roll(rng: np.random.Generator, pop: Population, model: ErrorModel) -> RollPlan:
    """Every pensioner once, some twice (a second registration), in shuffled order."""
    pensioners = np.flatnonzero(pop.category != OTHER).astype(np.int64)
    twice = pensioners[rng.random(pensioners.size) < model.roll_duplicates]
    person = np.concatenate([pensioners, twice])
    person = person[rng.permutation(person.size)]
    # The earlier row in file order is the original registration, the later one the duplicate.
    duplicate = np.ones(person.size, dtype=bool)
    duplicate[np.unique(person, return_index=True)[1]] = False
    return RollPlan(person=person, duplicate=duplicate)


def plan_patients(rng: np.random.Generator, pop: Population, units: Units, model: ErrorModel) -> PatientPlan:
    """Every non-pensioner and a share of pensioners, at 1–3 of the units nearest their home."""
    shape = model.population
    patient = (pop.category == OTHER) | (rng.random(pop.size) < shape.pensioners_in_registries)
    people = np.flatnonzero(patient).astype(np.int64)
    second = rng.random(people.size) < shape.second_unit
    third = second & (rng.random(people.size) < shape.third_unit)
    count = 1 + second.astype(np.int64) + third.astype(np.int64)
    # Weighted draw without replacement among the nearest units (Gumbel top-k).
    keys = np.log(UNIT_PREFERENCE)[None, :] + rng.gumbel(size=(people.size, NEAREST))
    ranked = np.argsort(-keys, axis=1)
    choices = units.nearest[pop.locality[people][:, None], ranked]
    person = np.repeat(people, count)
    slot = np.arange(person.size) - np.repeat(np.cumsum(count) - count, count)
    unit = choices[np.repeat(np.arange(people.size), count), slot]
    # A person registered twice at the same unit (nearest list padded in tiny states) keeps one.
    keep = np.sort(np.unique(person * units.size + unit, return_index=True)[1])
    person, unit = person[keep], unit[keep]
    order = rng.permutation(person.size)
    person, unit = person[order], unit[order].astype(np.int32)
    old_code = (units.clues_anterior[unit] != "") & (rng.random(person.size) < model.old_clues_in_registry)
    # Expediente numbers count up per unit from a random start.
    by_unit = np.argsort(unit, kind="stable")
    sorted_unit = unit[by_unit]
    starts = np.r_[True, sorted_unit[1:] != sorted_unit[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(person.size), 0))
    offset = rng.integers(1, 5000, units.size)
    number = np.empty(person.size, dtype=np.int64)
    number[by_unit] = np.arange(person.size) - group_start + offset[sorted_unit]
    return PatientPlan(person=person, unit=unit, old_code=old_code, expediente=number)


def expediente_text(unit: NDArray[np.int32], number: NDArray[np.int64]) -> list[str]:
    """Each unit numbers its records its own way: plain, year/number or with a prefix."""
    out: list[str] = []
    for u, k in zip(unit.tolist(), number.tolist(), strict=True):
        style = u % 3
        if style == 0:
            out.append(f"{k:08d}")
        elif style == 1:
            out.append(f"{2005 + (k * 7919 + u) % 21}/{k:05d}")
        else:
            out.append(f"EXP-{k:06d}")
    return out
