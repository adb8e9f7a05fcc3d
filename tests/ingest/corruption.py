"""Corrupted identity rows for comparing the two normalisation paths: synthetic rows (``interop synth``,
its own error model already applied) with, on top, values clerks, spreadsheets and broken exports
produce — padding of every kind of white space, case, look-alike letters, junk, over-long fields,
empty and repeated identifiers, every form of date, sex, entidad, telephone and CURP damage."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path

from interop.synth.generate import synthesize

_SPACES = [" ", "  ", "\t", "\xa0", "\u3000", "\x1f", "\u2009", "\x0b", "\u200b"]
_LOOKALIKES = ["ı", "ſ", "ß", "ﬁ", "Ñ", "ñ", "Ã±", "É", "é", "Ü", "İ", "ǅ", "K", "µ"]
_JUNK = ["", ".", "-", "X", "XXX", "=SUM(A1)", "+52", "@x", "N/A", "0", "DE", "DE LA", "Y", "''", "Ñ"]
_DATES = [
    "14/03/1950",
    "1950-3-14",
    "31/02/1950",
    "1950-13-01",
    "19500314",
    "N/A",
    "03/14/1950",
    "1950-02-29",
    "2099-01-01",
    "1899-12-31",
    "1850-01-01",
    "2100-01-01",
    "14-03-1950",
    "1950/03/14",
    "0000-00-00",
    "",
    "1950-03-14T00:00:00",
    "14.03.1950",
    "29/02/1952",
    "  1950-03-14",
]
_SEXES = ["h", "m", "MUJER", "HOMBRE", "F", "X", "?", "", "x", "Masculino", "2"]
_STATES = ["DF", "jalisco", "CDMX", "ZZ", "", "NE", "ne", "Nuevo León", "MEXICO", "EM", "14", "Q. ROO"]
_PHONES = [
    "55 1234 5678",
    "(55) 1234-5678",
    "+52 55 1234 5678",
    "0123456789",
    "1234567890",
    "555-123",
    "52 1 55 1234 5678",
    "abc",
    "5512345678 ext 2",
    "(55)1234.5678",
    "2221234567",
    "9999999999",
    "+1 212 555 0100",
    "044 55 1234 5678",
    "55-12-34-56-78",
    "(555) 123 4567 ",
    "٥٥١٢٣٤٥٦٧٨",
    "+52 2221234567",
    "+525512345678",
    "+52  5512345678",
    "+52 1 55 1234 5678",
    "+52 0551234567",
    "+52 9999999999",
]
_PROGRAMAS = ["pam", "PCD", "XYZ", "", "Pam ", "pcd"]


def _curp_damage(curp: str, rng: random.Random) -> str:
    kind = rng.randrange(9)
    if not curp:
        return rng.choice(["", "XEXX010101HNEXXXA4", "N/A", "CURP"])
    if kind == 0:
        return curp.lower()
    if kind == 1:
        return curp[:9] + " " + curp[9:]
    if kind == 2:
        return curp[:-1]
    if kind == 3:
        return curp + "0"
    if kind == 4:
        return curp[:-1] + str((int(curp[-1]) + 1) % 10) if curp[-1].isdigit() else curp
    if kind == 5:
        return curp[:5] + rng.choice(_LOOKALIKES) + curp[6:]
    if kind == 6:
        return curp[:10] + rng.choice("HMXZ") + curp[11:]
    if kind == 7:
        return curp[:4] + "991332" + curp[10:]
    return curp[:17] + rng.choice("0123456789")


def _damage(column: str, value: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(_SPACES) + value + rng.choice(_SPACES)
    if roll < 0.12:
        return value.lower()
    if roll < 0.15:
        return "" if column not in ("record_id",) else value
    if roll < 0.2:
        choices: dict[str, list[str]] = {
            "fecha_nacimiento": _DATES,
            "sexo": _SEXES,
            "entidad": _STATES,
            "telefono": _PHONES,
            "programa": _PROGRAMAS,
        }
        if column in choices:
            return rng.choice(choices[column])
        if column == "curp":
            return _curp_damage(value, rng)
        if column in ("nombre", "primer_apellido", "segundo_apellido"):
            return rng.choice([rng.choice(_JUNK), value + rng.choice(_LOOKALIKES), rng.choice(_LOOKALIKES)])
        if column == "clues":
            return rng.choice([value.lower(), value[:-1], "ı" + value[1:], "", value + "1"])
    if roll < 0.205 and column == "domicilio":
        return "X" * 2_100
    return value


def corrupted_rows(out: Path, *, people: int, seed: int, source: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of ``pension_roll.csv`` or ``patients.csv`` from ``synthesize``, damaged."""
    synthesize(out, people=people, seed=seed)
    with (out / source).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    rng = random.Random(seed)
    damaged: list[list[str]] = []
    for row in rows:
        new = [_damage(column, value, rng) for column, value in zip(header, row, strict=True)]
        chance = rng.random()
        if chance < 0.01 and damaged:
            new[0] = rng.choice(damaged)[0]  # a repeated record_id
        elif chance < 0.015:
            new[0] = rng.choice(["", " ", "\t", "R" * 300])
        damaged.append(new)
    return header, damaged


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], *, tweak: Callable[[str], str] | None = None
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    if tweak is not None:
        path.write_text(tweak(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    return path
