"""The files of ``interop synth``: columns, determinism, truth, sizes and the CLUES catalogue."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from interop.identity.curp import assess_curp, validate_curp
from interop.synth.generate import synthesize
from interop.synth.population import REFERENCE_DATE
from interop.synth.profile import ErrorModel
from interop.synth.states import STATES

from .factories import PEOPLE, Written

IDENTITY = [
    "record_id",
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
    "telefono",
]
FILES = ("pension_roll.csv", "patients.csv", "units.csv", "truth.csv", "hard_negatives.csv", "noise.csv")


def test_columns_are_exactly_the_contract(written: Written) -> None:
    assert written.header("pension_roll.csv") == [*IDENTITY, "programa"]
    assert written.header("patients.csv") == [*IDENTITY, "clues", "expediente"]
    assert written.header("units.csv") == [
        "clues",
        "nombre",
        "entidad",
        "municipio",
        "localidad",
        "nivel",
        "latitud",
        "longitud",
        "estatus",
        "clues_anterior",
    ]
    assert written.header("truth.csv") == ["source", "record_id", "person_id"]
    assert written.header("hard_negatives.csv") == ["person_id_a", "person_id_b", "kind"]


def test_files_are_utf8_with_unix_lines(written: Written) -> None:
    for name in FILES:
        data = (written.folder / name).read_bytes()
        data.decode("utf-8")
        assert b"\r\n" not in data


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    synthesize(tmp_path / "a", people=3000, seed=5)
    synthesize(tmp_path / "b", people=3000, seed=5)
    synthesize(tmp_path / "c", people=3000, seed=6)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in ("pension_roll.csv", "patients.csv", "units.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name


def test_truth_covers_every_record_exactly_once(written: Written) -> None:
    truth = written.rows("truth.csv")
    keys = [(t["source"], t["record_id"]) for t in truth]
    assert len(keys) == len(set(keys))
    records = {("roll", r["record_id"]) for r in written.rows("pension_roll.csv")} | {
        ("patients", r["record_id"]) for r in written.rows("patients.csv")
    }
    assert set(keys) == records
    assert {t["source"] for t in truth} == {"roll", "patients"}
    assert len({t["person_id"] for t in truth}) == PEOPLE  # everybody appears somewhere


def test_record_ids_unique_per_file(written: Written) -> None:
    for name in ("pension_roll.csv", "patients.csv"):
        ids = [r["record_id"] for r in written.rows(name)]
        assert len(ids) == len(set(ids))
        assert all(ids)


def test_sizes_follow_the_brief(written: Written) -> None:
    s = written.summary
    assert 0.74 * PEOPLE <= s.roll_rows <= 0.86 * PEOPLE
    assert 1.0 * PEOPLE <= s.patient_rows <= 1.3 * PEOPLE
    # ~1 unit per 3,000 people, but a handful in every state even for a small population.
    assert s.units >= 4 * len(STATES)
    assert s.roll_duplicates > 0


def test_roll_has_duplicates_of_the_same_person(written: Written) -> None:
    truth = [t for t in written.rows("truth.csv") if t["source"] == "roll"]
    per_person = Counter(t["person_id"] for t in truth)
    twice = sum(1 for c in per_person.values() if c == 2)
    assert twice == written.summary.roll_duplicates
    assert 0.04 < twice / len(per_person) < 0.09


def _age(birth: str) -> int:
    born = date.fromisoformat(birth)
    return (
        REFERENCE_DATE.year
        - born.year
        - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))
    )


def test_programme_ages(written: Written) -> None:
    noisy_dates = {
        r["record_id"]
        for r in written.rows("noise.csv")
        if r["source"] == "roll" and ("year_off_by_one" in r["noise"] or "day_month_swap" in r["noise"])
    }
    programmes: Counter[str] = Counter()
    for row in written.rows("pension_roll.csv"):
        programmes[row["programa"]] += 1
        if not row["fecha_nacimiento"] or row["record_id"] in noisy_dates:
            continue
        age = _age(row["fecha_nacimiento"])
        assert (age >= 65) if row["programa"] == "PAM" else (age < 65), row["record_id"]
    assert set(programmes) == {"PAM", "PCD"}
    assert programmes["PAM"] > 2 * programmes["PCD"]


def test_clean_rows_carry_valid_curps_that_agree_with_the_row(written: Written) -> None:
    noisy = {(r["source"], r["record_id"]) for r in written.rows("noise.csv")}
    checked = 0
    for source, name in (("roll", "pension_roll.csv"), ("patients", "patients.csv")):
        for row in written.rows(name):
            if (source, row["record_id"]) in noisy:
                continue
            assert row["curp"], row["record_id"]
            assert validate_curp(row["curp"]).valid, row["record_id"]
            fit = assess_curp(
                row["curp"],
                given_names=row["nombre"],
                paternal_surname=row["primer_apellido"],
                maternal_surname=row["segundo_apellido"] or None,
                birth_date=date.fromisoformat(row["fecha_nacimiento"]),
                sex=row["sexo"],
                state=None,
            )
            assert fit.trusted, row["record_id"]
            assert fit.name_characters_agreeing == 7, row["record_id"]
            century_digit = row["curp"][16].isdigit()
            assert century_digit == (row["fecha_nacimiento"] < "2000"), row["record_id"]
            checked += 1
    assert checked > 3000


def test_sexo_and_entidad_values(written: Written) -> None:
    codes = {s.code for s in STATES}
    for name in ("pension_roll.csv", "patients.csv"):
        rows = written.rows(name)
        assert {r["sexo"] for r in rows} <= {"H", "M", "X"}
        assert {r["entidad"] for r in rows} <= codes
        assert all(
            re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["fecha_nacimiento"]) for r in rows if r["fecha_nacimiento"]
        )


CLUES = re.compile(r"(?P<state>[A-Z]{2})(?P<inst>IMB|SSA)\d{6}")


def test_units_catalogue(written: Written) -> None:
    boxes = {s.code: s for s in STATES}
    units = written.rows("units.csv")
    assert len({u["clues"] for u in units}) == len(units)
    per_state = Counter(u["entidad"] for u in units)
    assert set(per_state) == set(boxes)
    assert min(per_state.values()) >= 4
    for unit in units:
        match = CLUES.fullmatch(unit["clues"])
        assert match is not None, unit["clues"]
        assert match["state"] == unit["entidad"], unit["clues"]
        box = boxes[unit["entidad"]]
        assert box.lat_min <= float(unit["latitud"]) <= box.lat_max, unit["clues"]
        assert box.lon_min <= float(unit["longitud"]) <= box.lon_max, unit["clues"]
        assert unit["nivel"] in {"1", "2", "3"}
        assert unit["estatus"] in {"EN OPERACION", "FUERA DE OPERACION"}
        if unit["clues_anterior"]:
            old = CLUES.fullmatch(unit["clues_anterior"])
            assert match["inst"] == "IMB"
            assert old
            assert old["inst"] == "SSA"
            assert old["state"] == unit["entidad"]
    levels = Counter(u["nivel"] for u in units)
    assert levels["1"] > levels["2"] >= 1
    assert levels["3"] >= len(STATES)
    assert any(u["clues_anterior"] for u in units)
    operating = sum(u["estatus"] == "EN OPERACION" for u in units) / len(units)
    assert 0.85 < operating < 1.0


def test_registries_point_at_catalogued_units_by_either_code(written: Written) -> None:
    units = written.rows("units.csv")
    current = {u["clues"] for u in units}
    former = {u["clues_anterior"] for u in units if u["clues_anterior"]}
    used = Counter(
        "current" if r["clues"] in current else "former" if r["clues"] in former else "unknown"
        for r in written.rows("patients.csv")
    )
    assert used["unknown"] == 0
    assert used["former"] > 0
    assert used["current"] > used["former"]


def test_people_are_registered_at_one_to_three_units(written: Written) -> None:
    truth = {t["record_id"]: t["person_id"] for t in written.rows("truth.csv") if t["source"] == "patients"}
    units_of: dict[str, set[str]] = {}
    for row in written.rows("patients.csv"):
        units_of.setdefault(truth[row["record_id"]], set()).add(row["clues"][:2] + row["expediente"])
    counts = Counter(len(v) for v in units_of.values())
    assert set(counts) <= {1, 2, 3}
    assert counts[2] > 0
    assert counts[3] > 0
    roll_people = {t["person_id"] for t in written.rows("truth.csv") if t["source"] == "roll"}
    assert len(set(units_of) - roll_people) > 0.2 * len(units_of)  # many patients are not pensioners


def test_expedientes_unique_within_a_unit(written: Written) -> None:
    units = written.rows("units.csv")
    canonical = {u["clues"]: u["clues"] for u in units} | {
        u["clues_anterior"]: u["clues"] for u in units if u["clues_anterior"]
    }
    seen = Counter((canonical[r["clues"]], r["expediente"]) for r in written.rows("patients.csv"))
    assert max(seen.values()) == 1


def test_one_unit_per_state_still_one_registration_per_unit(tmp_path: Path) -> None:
    model = ErrorModel.from_json(
        json.dumps(
            {"population": {"min_units_per_state": 1, "people_per_unit": 1e9}, "old_clues_in_registry": 0}
        )
    )
    summary = synthesize(tmp_path, people=2000, seed=4, model=model)
    assert summary.units == len(STATES)
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        person = {t["record_id"]: t["person_id"] for t in csv.DictReader(handle)}
    with (tmp_path / "patients.csv").open(encoding="utf-8") as handle:
        pairs = [(person[r["record_id"]], r["clues"]) for r in csv.DictReader(handle)]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("people", [1, 7, 60])
def test_tiny_populations_still_write_every_file(tmp_path: Path, people: int) -> None:
    summary = synthesize(tmp_path, people=people, seed=1)
    assert summary.roll_rows + summary.patient_rows >= people
    for name in FILES:
        assert (tmp_path / name).stat().st_size > 0
