"""The worked-example tables of this folder, read as typed rows.

``curp_examples.csv`` — synthetic people (invented names, no real person's CURP) derived by hand
from RENAPO's rules, one row per rule; the check digit was computed separately and confirmed with
python-stdnum for every row whose sex is H or M.
``instructivo_examples.csv`` — the name examples printed in RENAPO's Instructivo Normativo para la
Asignación de la CURP (positions 1–4 and/or 14–16 only).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class CurpExample:
    rule: str
    given_names: str
    paternal_surname: str | None
    maternal_surname: str | None
    birth_date: date
    sex: str
    state: str
    curp: str


@dataclass(frozen=True)
class InstructivoExample:
    given_names: str
    paternal_surname: str
    maternal_surname: str
    initials: str
    consonants: str


def _read(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def curp_examples() -> list[CurpExample]:
    return [
        CurpExample(
            rule=row["rule"],
            given_names=row["given_names"],
            paternal_surname=row["paternal_surname"] or None,
            maternal_surname=row["maternal_surname"] or None,
            birth_date=date.fromisoformat(row["birth_date"]),
            sex=row["sex"],
            state=row["state"],
            curp=row["curp"],
        )
        for row in _read("curp_examples.csv")
    ]


def instructivo_examples() -> list[InstructivoExample]:
    return [InstructivoExample(**row) for row in _read("instructivo_examples.csv")]
