"""A third synthetic population, written blind: households of older adults and their relatives, a
RENAPO-validated pension roll and clinic registries typed by clerks, in the CSV contract.

Written without reading the matcher or the project's own generators (``interop synth``), so that it
does not share their assumptions: its own name lists (``third_population_data.py``), household model,
look-alikes and error model, and its own CURP computation (RENAPO's rules: first letter and first inner
vowel of the first surname, initial of the second, initial of the given name skipping MARIA/JOSE in
compound names, particles skipped, Ñ→X, inconvenient words, homoclave digit to 1999 and letter from
2000, check digit: third_population_curp.py). Rates are named constants in third_population_rates.py,
documented in docs/synth.md; households and look-alikes in third_population_world.py, units and clerks in
third_population_records.py.

    python bench/match/third_population.py --people 21000 --seed 1 --out DIR

writes pension_roll.csv, patients.csv, units.csv, truth.csv, noise.csv (the kinds of error put on each
record) and hard_negatives.csv (pairs of distinct people who look alike, by kind), as ``interop synth``
does, plus households.csv (person, household, role) for the analysis of a run.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from third_population_curp import check_digit, curp_stem, curp_valid, make_curp
from third_population_rates import (
    P_ROLL_65,
    P_ROLL_PCD,
    P_ROLL_TWICE,
    PATIENT_COLUMNS,
    ROLL_COLUMNS,
    UNIT_COLUMNS,
    UNITS_OTHER,
    UNITS_PENSIONER,
)
from third_population_world import Person, World

__all__ = ["check_digit", "curp_stem", "curp_valid", "generate", "make_curp"]


# --- records ------------------------------------------------------------------------------------------
def generate(people: int, seed: int, out: Path) -> dict[str, int]:
    """Write the population's files into ``out``; returns counts."""
    from third_population_records import Clerk, build_units, roll_row, unit_rows

    rng = random.Random(seed)
    world = World(rng)
    units = build_units(rng)
    clerk = Clerk(rng)
    roll: list[tuple[dict[str, str], Person, list[str]]] = []
    patients: list[tuple[dict[str, str], Person, list[str]]] = []
    with_records: set[str] = set()
    done = 0
    while len(with_records) < people:
        world.build_household()
        for p in world.people[done:]:
            age = world.age(p.born)
            on_roll = rng.random() < (P_ROLL_65 if age >= 65 else P_ROLL_PCD)
            if on_roll:
                programa = "PAM" if age >= 65 else "PCD"
                phone = p.home.phone if rng.random() < 0.8 else ""
                roll.append((roll_row(p, "", p.home, phone, programa), p, []))
                if rng.random() < P_ROLL_TWICE:
                    home = p.old_home or p.home
                    again = roll_row(p, "", home, "" if rng.random() < 0.5 else phone, programa)
                    roll.append((again, p, ["roll_twice"] + (["moved"] if home is not p.home else [])))
            weights = UNITS_PENSIONER if on_roll else UNITS_OTHER
            n_units = rng.choices(range(len(weights)), weights)[0]
            for k in range(n_units):
                home = p.old_home if p.old_home and k == 0 and rng.random() < 0.5 else p.home
                local = units.get((home.entidad, home.municipio), [])
                pool = local if local and rng.random() < 0.8 else units[(home.entidad, "")]
                row, noise = clerk.row(p, rng.choice(pool), home, "")
                patients.append((row, p, noise))
            if on_roll or n_units:
                with_records.add(p.pid)
        done = len(world.people)
    rng.shuffle(roll)
    rng.shuffle(patients)
    out.mkdir(parents=True, exist_ok=True)
    truth, noise_rows = [], []
    for prefix, source, rows in (("R", "roll", roll), ("E", "patients", patients)):
        for i, (row, p, noise) in enumerate(rows, 1):
            row["record_id"] = f"{prefix}{i:09d}"
            truth.append({"source": source, "record_id": row["record_id"], "person_id": p.pid})
            if noise:
                noise_rows.append({"source": source, "record_id": row["record_id"], "noise": "|".join(noise)})
    _write(out / "pension_roll.csv", ROLL_COLUMNS, [r for r, _, _ in roll])
    _write(out / "patients.csv", PATIENT_COLUMNS, [r for r, _, _ in patients])
    _write(out / "units.csv", UNIT_COLUMNS, unit_rows(units))
    _write(out / "truth.csv", ["source", "record_id", "person_id"], truth)
    _write(out / "noise.csv", ["source", "record_id", "noise"], noise_rows)
    _write(
        out / "hard_negatives.csv",
        ["person_id_a", "person_id_b", "kind"],
        [
            {"person_id_a": a, "person_id_b": b, "kind": k}
            for a, b, k in world.lookalikes
            if a in with_records and b in with_records
        ],
    )
    _write(
        out / "households.csv",
        ["person_id", "household", "role", "entidad", "localidad"],
        [
            {
                "person_id": p.pid,
                "household": p.home.hid,
                "role": p.role,
                "entidad": p.home.entidad,
                "localidad": p.home.localidad,
            }
            for p in world.people
            if p.pid in with_records
        ],
    )
    return {
        "people": len(with_records),
        "roll": len(roll),
        "patients": len(patients),
        "records": len(roll) + len(patients),
        "lookalike_pairs": len(world.lookalikes),
    }


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=21000, help="People with at least one record.")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    print(generate(args.people, args.seed, args.out))


if __name__ == "__main__":
    main()
