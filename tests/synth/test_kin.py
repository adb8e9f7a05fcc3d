"""The kin population (``interop synth --generator kin``): the same file contract as the default
generator, consistent truth, relatives as look-alikes and clerks' errors at their configured rates."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from interop.identity.curp import check_digit, validate_curp
from interop.synth.geography import build_geography
from interop.synth.kin.clerks import drop_particles, keyboard_slip, plain
from interop.synth.kin.generate import synthesize_kin
from interop.synth.kin.model import PATIENT_ERRORS, ROLL_ERRORS, Households, KinModel
from interop.synth.kin.people import REFERENCE, Person, build_people, other_homoclave
from interop.synth.plans import PATIENT_COLUMNS, ROLL_COLUMNS

from .test_profile_and_cli import _app

PEOPLE = 8000
FILES = ("pension_roll.csv", "patients.csv", "units.csv", "truth.csv", "hard_negatives.csv", "noise.csv")


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def kin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kin")
    synthesize_kin(folder, people=PEOPLE, seed=4)
    return folder


@pytest.fixture(scope="module")
def people() -> list[Person]:
    geo = build_geography(np.random.default_rng(1))
    return build_people(random.Random(2), geo, Households(), PEOPLE)[0]


def test_same_columns_as_the_default_generator(kin: Path) -> None:
    with (kin / "pension_roll.csv").open() as fh:
        assert next(csv.reader(fh)) == list(ROLL_COLUMNS)
    with (kin / "patients.csv").open() as fh:
        assert next(csv.reader(fh)) == list(PATIENT_COLUMNS)
    assert list(_rows(kin, "truth.csv")[0]) == ["source", "record_id", "person_id"]
    assert list(_rows(kin, "hard_negatives.csv")[0]) == ["person_id_a", "person_id_b", "kind"]
    for name in FILES:
        data = (kin / name).read_bytes()
        data.decode("utf-8")
        assert b"\r\n" not in data


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        synthesize_kin(tmp_path / name, people=600, seed=seed)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "patients.csv").read_bytes() != (tmp_path / "c" / "patients.csv").read_bytes()


def test_truth_is_consistent(kin: Path) -> None:
    truth = _rows(kin, "truth.csv")
    roll, patients = _rows(kin, "pension_roll.csv"), _rows(kin, "patients.csv")
    keys = [(r["source"], r["record_id"]) for r in truth]
    assert len(keys) == len(set(keys)) == len(roll) + len(patients)
    assert set(keys) == {("roll", r["record_id"]) for r in roll} | {
        ("patients", r["record_id"]) for r in patients
    }
    person = {r["record_id"]: r["person_id"] for r in truth}
    assert len(set(person.values())) == PEOPLE
    assert all(p.startswith("K") and len(p) == 9 for p in person.values())
    # The roll's duplicates are the same person twice; nobody else is on the roll twice.
    noise = {r["record_id"]: r["noise"].split("|") for r in _rows(kin, "noise.csv")}
    on_roll = Counter(person[r["record_id"]] for r in roll)
    duplicates = sum(1 for r in roll if "duplicate" in noise.get(r["record_id"], []))
    assert sum(n - 1 for n in on_roll.values()) == duplicates > 0
    # Every registry row points at a unit of the catalogue, by its current or former code.
    codes = {c for u in _rows(kin, "units.csv") for c in (u["clues"], u["clues_anterior"]) if c}
    assert all(r["clues"] in codes for r in patients)
    # Relatives named in hard_negatives.csv are distinct people of the truth.
    for pair in _rows(kin, "hard_negatives.csv"):
        assert pair["person_id_a"] != pair["person_id_b"]
        assert {pair["person_id_a"], pair["person_id_b"]} <= set(person.values())


def test_pensioners_by_age(people: list[Person]) -> None:
    for p in people:
        age = (REFERENCE - p.birth).days // 365
        if p.programme == "PAM":
            assert age >= 65
        elif p.programme == "PCD":
            assert age < 64
    assert all(validate_curp(p.curp).valid for p in people[:2000])
    assert len({p.curp for p in people}) == len(people)


def test_look_alikes_at_their_rates(people: list[Person]) -> None:
    shape = Households()
    geo = build_geography(np.random.default_rng(1))
    _, pairs = build_people(random.Random(2), geo, shape, PEOPLE)
    by = {p.index: p for p in people}
    heads = len({p.household for p in people})
    kinds = Counter(pair.kind for pair in pairs)
    assert kinds["spouses"] / heads == pytest.approx(shape.spouse, abs=0.04)
    siblings = kinds["siblings"] + kinds["siblings_shared_given"]
    assert siblings / heads == pytest.approx(shape.sibling, abs=0.03)
    assert kinds["siblings_shared_given"] / siblings == pytest.approx(shape.sibling_shared_given, abs=0.08)
    assert kinds["parent_child_same_name"] > 0.01 * heads
    for pair in pairs:
        a, b = by[pair.a], by[pair.b]
        if pair.kind == "spouses":
            assert a.address is b.address
            assert a.phone == b.phone
            assert a.sex != b.sex
        elif pair.kind.startswith("siblings"):
            assert (a.paternal, a.maternal) == (b.paternal, b.maternal)
            assert a.birth.year != b.birth.year
            assert a.given != b.given
            if pair.kind == "siblings_shared_given":
                assert set(a.given.split()) & set(b.given.split())
        elif pair.kind == "parent_child_same_name":
            assert (a.given, a.paternal, a.maternal, a.sex) == (b.given, b.paternal, b.maternal, b.sex)
            assert 20 <= abs(a.birth.year - b.birth.year) <= 39
            assert a.curp != b.curp


@pytest.mark.parametrize("source", ["roll", "patients"])
def test_clerk_errors_at_their_rates(kin: Path, source: str) -> None:
    cfg = ROLL_ERRORS if source == "roll" else PATIENT_ERRORS
    rows = _rows(kin, "pension_roll.csv" if source == "roll" else "patients.csv")
    noise = {
        r["record_id"]: set(r["noise"].split("|")) for r in _rows(kin, "noise.csv") if r["source"] == source
    }
    n = len(rows)
    share = Counter(k for kinds in noise.values() for k in kinds)
    assert share["missing_curp"] / n == pytest.approx(cfg.missing_curp, abs=0.02)
    assert share["address_rewritten"] / n == pytest.approx(cfg.address_rewritten, abs=0.03)
    with_curp = n - share["missing_curp"]
    assert share["homoclave_diff"] / with_curp == pytest.approx(cfg.homoclave_diff, abs=0.008)
    # Relatives' CURPs and second CURPs carry a valid check digit: only the evidence says "another person".
    for r in rows:
        kinds = noise.get(r["record_id"], set())
        if kinds & {"homoclave_diff", "curp_of_relative"}:
            assert r["curp"][17] == check_digit(r["curp"][:17])
        if "year_only_date" in kinds:
            assert r["fecha_nacimiento"] == "" or r["fecha_nacimiento"].endswith("-01-01")
        if "missing_curp" in kinds:
            assert r["curp"] == ""
    for kind in ("curp_of_relative", "other_document", "year_only_date", "married_name", "keyboard_typo"):
        assert share[kind] > 0, kind


def test_relatives_curp_is_a_relatives(kin: Path) -> None:
    """A CURP typed from a relative belongs to another person of the truth; a second CURP to nobody."""
    truth = {r["record_id"]: r["person_id"] for r in _rows(kin, "truth.csv")}
    rows = _rows(kin, "pension_roll.csv") + _rows(kin, "patients.csv")
    noise = {r["record_id"]: set(r["noise"].split("|")) for r in _rows(kin, "noise.csv")}
    clean_curp_owner = {
        r["curp"]: truth[r["record_id"]]
        for r in rows
        if r["curp"]
        and not noise.get(r["record_id"], set()) & {"curp_of_relative", "homoclave_diff", "other_document"}
    }
    checked = 0
    for r in rows:
        kinds = noise.get(r["record_id"], set())
        if "curp_of_relative" in kinds and r["curp"] in clean_curp_owner and "other_document" not in kinds:
            assert clean_curp_owner[r["curp"]] != truth[r["record_id"]]
            checked += 1
        if "homoclave_diff" in kinds and "other_document" not in kinds:
            assert clean_curp_owner.get(r["curp"]) in (None, truth[r["record_id"]])
    assert checked > 0


def test_clerk_helpers() -> None:
    rng = random.Random(1)
    assert plain("José Núñez") == "JOSE NUÑEZ"
    assert drop_particles("DE LA CRUZ") == "CRUZ"
    assert drop_particles("MONTES DE OCA") == "MONTES"
    assert drop_particles("LÓPEZ") == "LÓPEZ"
    for _ in range(50):
        slip = keyboard_slip("HERNANDEZ", rng)
        assert abs(len(slip) - 9) <= 1
    curp = "GAMA770521HMSRRR07"
    other = other_homoclave(curp, 3)
    assert other[:16] == curp[:16]
    assert other[16] != curp[16]
    assert other[16].isdigit()
    assert validate_curp(other).valid


def test_profile_overrides_and_refuses() -> None:
    model = KinModel.from_json(json.dumps({"patients": {"nickname": 0.2}, "households": {"sibling": 0.3}}))
    assert model.patients.nickname == 0.2
    assert model.households.sibling == 0.3
    assert model.roll == ROLL_ERRORS
    with pytest.raises(ValueError, match=r"households\.cousins"):
        KinModel.from_json(json.dumps({"households": {"cousins": 0.1}}))
    with pytest.raises(ValueError, match=r"roll\.missing_curp"):
        KinModel.from_json(json.dumps({"roll": {"missing_curp": 1.5}}))


def test_command_selects_the_generator(tmp_path: Path) -> None:
    out = tmp_path / "kin"
    result = CliRunner().invoke(
        _app(), ["synth", "--out", str(out), "--people", "500", "--seed", "2", "--generator", "kin"]
    )
    assert result.exit_code == 0, result.output
    assert "(kin)" in result.output
    assert _rows(out, "truth.csv")[0]["person_id"].startswith("K")
    bad = CliRunner().invoke(_app(), ["synth", "--out", str(tmp_path / "x"), "--generator", "other"])
    assert bad.exit_code == 2
