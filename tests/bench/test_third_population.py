"""The third population (bench/match/third_population.py): deterministic per seed, the CSV contract's
columns, and a pension roll whose CURPs RENAPO would have issued (check digit, birth date, sex)."""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "match"))

from third_population import generate

# DESIGN.md, "CSV imports" (written out here, not taken from the generator).
IDENTITY = ["record_id", "curp", "nombre", "primer_apellido", "segundo_apellido", "fecha_nacimiento", "sexo"]
PLACE = ["entidad", "municipio", "localidad", "domicilio", "telefono"]
CONTRACT = {
    "pension_roll.csv": [*IDENTITY, *PLACE, "programa"],
    "patients.csv": [*IDENTITY, *PLACE, "clues", "expediente"],
    "units.csv": [
        "clues",
        "nombre",
        "entidad",
        "municipio",
        "localidad",
        "nivel",
        "latitud",
        "longitud",
        "estatus",
    ],
    "truth.csv": ["source", "record_id", "person_id"],
}
ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_digit_ok(curp: str) -> bool:
    total = sum(ALPHABET.index(c) * w for c, w in zip(curp[:17], range(18, 1, -1), strict=True))
    return str((10 - total % 10) % 10) == curp[17]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("third") / "s7"
    generate(3000, 7, out)
    return out


def test_same_seed_same_files_other_seed_other_files(population: Path, tmp_path: Path) -> None:
    generate(3000, 7, tmp_path / "again")
    generate(3000, 8, tmp_path / "other")
    for name in (
        "pension_roll.csv",
        "patients.csv",
        "units.csv",
        "truth.csv",
        "noise.csv",
        "hard_negatives.csv",
    ):
        assert (tmp_path / "again" / name).read_bytes() == (population / name).read_bytes(), name
    assert (tmp_path / "other" / "patients.csv").read_bytes() != (population / "patients.csv").read_bytes()


def test_files_have_the_contract_columns_and_truth_covers_every_record(population: Path) -> None:
    for name, columns in CONTRACT.items():
        with (population / name).open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header[: len(columns)] == columns, name
        assert set(header) - set(columns) <= {"clues_anterior"}, name
    truth = {(r["source"], r["record_id"]) for r in _rows(population / "truth.csv")}
    records = {("roll", r["record_id"]) for r in _rows(population / "pension_roll.csv")} | {
        ("patients", r["record_id"]) for r in _rows(population / "patients.csv")
    }
    assert truth == records
    people = {r["person_id"] for r in _rows(population / "truth.csv")}
    assert len(people) >= 3000
    clues = {r["clues"] for r in _rows(population / "units.csv")} | {
        r["clues_anterior"] for r in _rows(population / "units.csv")
    }
    assert {r["clues"] for r in _rows(population / "patients.csv")} <= clues


def test_every_roll_curp_is_one_renapo_would_issue(population: Path) -> None:
    roll = _rows(population / "pension_roll.csv")
    assert len(roll) > 400
    for r in roll:
        curp, born = r["curp"], date.fromisoformat(r["fecha_nacimiento"])
        assert len(curp) == 18, r
        assert _check_digit_ok(curp), r
        assert curp[4:10] == f"{born:%y%m%d}", r
        assert curp[10] == r["sexo"], r
        assert curp[16].isdigit() == (born.year < 2000), r  # homoclave: digit to 1999, letter from 2000
        assert (
            curp[0] in (r["primer_apellido"].replace("Ñ", "X").split()[-1][0], "X")
            or " " in r["primer_apellido"]
        )


def test_no_given_name_repeats_a_word(population: Path) -> None:
    """Siblings sharing a given name are MARIA X and MARIA Y, never MARIA MARIA."""
    for name in ("pension_roll.csv", "patients.csv"):
        for r in _rows(population / name):
            words = r["nombre"].upper().split()
            assert len(words) == len(set(words)), r


def test_look_alikes_carry_their_own_valid_curps(population: Path) -> None:
    """Namesake relatives share name, address and day/month of birth, yet each CURP is their own."""
    curp_of = {}
    truth = {r["record_id"]: r["person_id"] for r in _rows(population / "truth.csv") if r["source"] == "roll"}
    for r in _rows(population / "pension_roll.csv"):
        curp_of[truth[r["record_id"]]] = r["curp"]
    pairs = [r for r in _rows(population / "hard_negatives.csv") if r["kind"] == "namesake_relative"]
    assert pairs
    both = [
        (curp_of[p["person_id_a"]], curp_of[p["person_id_b"]])
        for p in pairs
        if p["person_id_a"] in curp_of and p["person_id_b"] in curp_of
    ]
    for a, b in both:
        assert a != b
        assert a[:4] == b[:4]  # the same name
        assert a[6:10] == b[6:10]  # the same day and month


def test_a_synth_from_run_is_not_labelled_as_the_default_generator() -> None:
    """bench.py's JSON named a --synth-from folder "synth --generator default", people 100000, seed 2."""
    import argparse
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "match" / "bench.py"
    spec = importlib.util.spec_from_file_location("bench_match_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    describe_data = module.describe_data
    args = argparse.Namespace(
        febrl=0, synth_from=Path("/data/third-s1"), generator="default", people=100000, seed=2
    )
    assert describe_data(args) == {"data": "synth-from /data/third-s1"}
    args.synth_from = None
    assert describe_data(args) == {"data": "synth --generator default", "people": 100000, "seed": 2}


@pytest.mark.parametrize(
    ("given", "first", "second", "born", "sex", "state", "expected"),
    [
        # Published CURPs (first 16 characters).
        ("REINA", "ABARCA", "MORALES", date(1978, 4, 30), "M", "GR", "AAMR780430MGRBRN"),
        ("PEDRO BARBARO", "ACEVEDO", "HERNANDEZ", date(1948, 12, 16), "H", "MS", "AEHP481216HMSCRD"),
        ("LUZ MARIA", "ABARCA", "PORCALLO", date(1990, 3, 11), "M", "GR", "AAPL900311MGRBRZ"),
        ("ANA MARIA", "ABARCA", "SANCHEZ", date(1966, 2, 9), "M", "MS", "AASA660209MMSBNN"),
        # RENAPO's instructivo, examples of its exceptions (characters 1–4).
        ("MARIA LUISA", "PEREZ", "HERNANDEZ", date(1950, 1, 1), "M", "DF", "PEHL"),
        ("JUAN JOSE", "D/AMICO", "ALVAREZ", date(1950, 1, 1), "H", "DF", "DXAJ"),
        ("ROCIO", "RIVA PALACIO", "CRUZ", date(1950, 1, 1), "M", "DF", "RICR"),
        ("ALBERTO", "ÑANDO", "RODRIGUEZ", date(1950, 1, 1), "H", "DF", "XARA"),
        ("CARLOS", "MC GREGOR", "LOPEZ", date(1950, 1, 1), "H", "DF", "GELC"),
        ("MA. DE LA PAZ", "DE LA O", "", date(1950, 1, 1), "M", "DF", "OXXP"),
    ],
)
def test_curp_follows_renapo(
    given: str, first: str, second: str, born: date, sex: str, state: str, expected: str
) -> None:
    from third_population import curp_stem

    assert curp_stem(given, first, second, born, sex, state).startswith(expected)


def test_report_names_a_merged_namesake_relative_and_the_pairs_left_apart(
    population: Path, tmp_path: Path
) -> None:
    """third_population_report.py on a made-up run: every person linked right except one namesake
    relative merged into the other and one person's records all left apart."""
    import shutil

    from third_population_report import analyse

    work = tmp_path / "work"
    shutil.copytree(population, work / "synth")
    truth = _rows(population / "truth.csv")
    pair = next(r for r in _rows(population / "hard_negatives.csv") if r["kind"] == "namesake_relative")
    records_of: dict[str, list[str]] = {}
    for r in truth:
        records_of.setdefault(r["person_id"], []).append(r["record_id"])
    apart = next(p for p, recs in records_of.items() if len(recs) >= 2 and p not in pair.values())
    with (work / "persons-export.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "record_id", "person_id"])
        for r in truth:
            golden = pair["person_id_a"] if r["person_id"] == pair["person_id_b"] else r["person_id"]
            writer.writerow(
                [r["source"], r["record_id"], r["record_id"] if r["person_id"] == apart else golden]
            )
    out = analyse(work, reviews=None)
    merged = len(records_of[pair["person_id_a"]]) * len(records_of[pair["person_id_b"]])
    assert sum(out["false_links_by_kind"].values()) == merged
    assert all("namesake_relative" in k for k in out["false_links_by_kind"])
    n = len(records_of[apart])
    assert out["missed_total_not_in_review"] == n * (n - 1) // 2
