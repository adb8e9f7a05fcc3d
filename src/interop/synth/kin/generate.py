"""Write the kin population: the same files and columns as ``interop.synth.generate``.

Deterministic by seed (one ``random.Random`` per stage, seeded by (seed, stage)); ``person_id`` is
``K########`` so the two populations are never confused.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

import numpy as np

from interop.synth.generate import (
    HARD_NEGATIVES_FILE,
    NOISE_FILE,
    PATIENTS_FILE,
    ROLL_FILE,
    TRUTH_FILE,
    UNITS_FILE,
    Progress,
    SynthSummary,
    _write_units,
)
from interop.synth.geography import build_geography
from interop.synth.kin.clerks import Household, write_record
from interop.synth.kin.model import KinModel
from interop.synth.kin.people import PAIR_KINDS, PAM, build_people
from interop.synth.plans import PATIENT_COLUMNS, ROLL_COLUMNS, expediente_text
from interop.synth.profile import ErrorModel
from interop.synth.states import STATES
from interop.synth.units import build_units

# Stage numbers of the seeded generators; never reuse one for another purpose.
_GEOGRAPHY, _PEOPLE, _UNITS, _ROLL, _PATIENTS = range(5)
_FILES = (ROLL_FILE, PATIENTS_FILE, UNITS_FILE, TRUTH_FILE, HARD_NEGATIVES_FILE, NOISE_FILE)


def _seeded(seed: int, stage: int) -> random.Random:
    return random.Random(seed * 1_000_003 + stage * 7919 + 17)


def synthesize_kin(
    out: Path, *, people: int, seed: int, model: KinModel | None = None, progress: Progress | None = None
) -> SynthSummary:
    """Write roll, registries, units, truth, hard negatives (relatives) and the noise log into ``out``."""
    if people < 1:
        raise ValueError("people must be at least 1")
    model = model or KinModel()
    shape = model.households
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)

    report("population", 0, 2)
    geo = build_geography(np.random.default_rng([seed, 100 + _GEOGRAPHY]))
    persons, pairs = build_people(_seeded(seed, _PEOPLE), geo, shape, people)
    report("population", 1, 2)
    residents = np.bincount(np.array([p.state for p in persons], dtype=np.int64), minlength=len(STATES))
    units = build_units(np.random.default_rng([seed, 100 + _UNITS]), geo, residents, ErrorModel())
    _write_units(out / UNITS_FILE, units, geo)
    report("population", 2, 2)
    hh = Household(persons, geo)
    pid = [f"K{p.index + 1:08d}" for p in persons]

    with (
        (out / TRUTH_FILE).open("w", encoding="utf-8", newline="") as t_fh,
        (out / NOISE_FILE).open("w", encoding="utf-8", newline="") as n_fh,
        (out / ROLL_FILE).open("w", encoding="utf-8", newline="") as r_fh,
        (out / PATIENTS_FILE).open("w", encoding="utf-8", newline="") as p_fh,
    ):
        truth, noise = csv.writer(t_fh, lineterminator="\n"), csv.writer(n_fh, lineterminator="\n")
        truth.writerow(("source", "record_id", "person_id"))
        noise.writerow(("source", "record_id", "noise"))

        rng = _seeded(seed, _ROLL)
        pensioners = [p for p in persons if p.programme]
        entries = [(p, False) for p in pensioners]
        entries += [(p, True) for p in pensioners if rng.random() < shape.roll_duplicates]
        rng.shuffle(entries)
        roll = csv.DictWriter(r_fh, ROLL_COLUMNS, lineterminator="\n")
        roll.writeheader()
        duplicates = 0
        for k, (p, dup) in enumerate(entries, start=1):
            row, kinds = write_record(rng, hh, p, model.roll)
            rid = f"R{k:09d}"
            roll.writerow({**row, "record_id": rid, "programa": p.programme})
            truth.writerow(("roll", rid, pid[p.index]))
            duplicates += dup
            if dup:
                kinds.append("duplicate")
            if kinds:
                noise.writerow(("roll", rid, "|".join(kinds)))
        report("roll", len(entries), len(entries))

        rng = _seeded(seed, _PATIENTS)
        regs: list[tuple[int, int]] = []
        for p in persons:
            if p.programme and rng.random() >= shape.pensioners_in_registries:
                continue
            nearest = units.nearest[p.locality].tolist()
            first = nearest[0] if rng.random() < 0.7 else rng.choice(nearest)
            regs.append((p.index, first))
            if rng.random() < shape.second_unit:
                second = rng.choice([u for u in nearest if u != first] or [first])
                if second != first:
                    regs.append((p.index, second))
        rng.shuffle(regs)
        unit_arr = np.array([u for _, u in regs], dtype=np.int32)
        counters: dict[int, int] = {}
        numbers = []
        for u in unit_arr.tolist():
            counters[u] = counters.get(u, rng.randint(1, 5000)) + 1
            numbers.append(counters[u])
        expedientes = expediente_text(unit_arr, np.array(numbers, dtype=np.int64))
        patients = csv.DictWriter(p_fh, PATIENT_COLUMNS, lineterminator="\n")
        patients.writeheader()
        for k, ((i, u), exp) in enumerate(zip(regs, expedientes, strict=True), start=1):
            p = persons[i]
            row, kinds = write_record(rng, hh, p, model.patients)
            old = units.clues_anterior[u]
            clues = old if old and rng.random() < 0.3 else units.clues[u]
            rid = f"E{k:09d}"
            patients.writerow({**row, "record_id": rid, "clues": clues, "expediente": exp})
            truth.writerow(("patients", rid, pid[i]))
            if kinds:
                noise.writerow(("patients", rid, "|".join(kinds)))
        report("patients", len(regs), len(regs))

    with (out / HARD_NEGATIVES_FILE).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("person_id_a", "person_id_b", "kind"))
        w.writerows((pid[pair.a], pid[pair.b], pair.kind) for pair in pairs)
    counts = {kind: sum(1 for pair in pairs if pair.kind == kind) for kind in PAIR_KINDS}
    roll_pam = sum(1 for p, _ in entries if p.programme == PAM)
    return SynthSummary(
        people=people,
        seed=seed,
        roll_rows=len(entries),
        roll_duplicates=duplicates,
        roll_pam=roll_pam,
        roll_pcd=len(entries) - roll_pam,
        patient_rows=len(regs),
        units=units.size,
        units_not_operating=int((~units.operating).sum()),
        hard_negative_pairs=counts,
        seconds=time.perf_counter() - started,
        files={name: (out / name).stat().st_size for name in _FILES},
    )
