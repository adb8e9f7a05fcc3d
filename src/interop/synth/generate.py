"""Write a synthetic population to a folder: the files of ``interop synth``.

Deterministic by seed: every stage draws from its own generator seeded by (seed, stage[, chunk]),
nothing depends on the clock, and rows are written in chunks of a fixed size, so the same seed
and size give byte-identical files. Memory stays at arrays per person plus one chunk of text.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from interop.synth.geography import Geography, build_geography
from interop.synth.noise import Noise
from interop.synth.plans import PATIENT_COLUMNS, ROLL_COLUMNS, expediente_text, plan_patients, plan_roll
from interop.synth.population import HARD_NEGATIVE_KINDS, PAM, PROGRAMMES, STATE_CODES, generate_population
from interop.synth.profile import ErrorModel
from interop.synth.rendering import Context, render_identity
from interop.synth.states import STATES
from interop.synth.units import NOT_OPERATING, OPERATING, Units, build_units
from interop.synth.vocabulary import build_vocabulary

CHUNK_ROWS = 100_000
ROLL_FILE = "pension_roll.csv"
PATIENTS_FILE = "patients.csv"
UNITS_FILE = "units.csv"
TRUTH_FILE = "truth.csv"
HARD_NEGATIVES_FILE = "hard_negatives.csv"
NOISE_FILE = "noise.csv"
UNIT_COLUMNS = (
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
)

# Stage numbers of the seeded generators; never reuse one for another purpose.
_GEOGRAPHY, _POPULATION, _UNITS, _ROLL_PLAN, _PATIENT_PLAN, _ROLL_ROWS, _PATIENT_ROWS = range(7)

Progress = Callable[[str, int, int], None]


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...
    def writerows(self, rows: Iterable[Iterable[Any]], /) -> None: ...


@dataclass(frozen=True, slots=True)
class SynthSummary:
    people: int
    seed: int
    roll_rows: int
    roll_duplicates: int
    roll_pam: int
    roll_pcd: int
    patient_rows: int
    units: int
    units_not_operating: int
    hard_negative_pairs: dict[str, int]
    seconds: float
    files: dict[str, int] = field(default_factory=dict)


def _rng(seed: int, *stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stage])


@contextmanager
def _csv(path: Path, header: tuple[str, ...]) -> Iterator[tuple[_RowWriter, IO[str]]]:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        yield writer, handle


@cache
def _noise_names(mask: int) -> str:
    return "|".join(kind.name for kind in Noise if mask & (1 << kind))


def synthesize(
    out: Path, *, people: int, seed: int, model: ErrorModel | None = None, progress: Progress | None = None
) -> SynthSummary:
    """Write roll, registries, units, truth, hard negatives and the noise log into ``out``."""
    if people < 1:
        raise ValueError("people must be at least 1")
    model = model or ErrorModel()
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)

    report("population", 0, 3)
    geo = build_geography(_rng(seed, _GEOGRAPHY))
    vocab = build_vocabulary()
    pop = generate_population(_rng(seed, _POPULATION), people, model, geo, vocab)
    report("population", 1, 3)
    residents = np.bincount(geo.loc_state[pop.locality], minlength=len(STATES))
    units = build_units(_rng(seed, _UNITS), geo, residents, model)
    roll = plan_roll(_rng(seed, _ROLL_PLAN), pop, model)
    patients = plan_patients(_rng(seed, _PATIENT_PLAN), pop, units, model)
    report("population", 3, 3)
    ctx = Context.build(pop, vocab, geo)

    _write_units(out / UNITS_FILE, units, geo)
    with ExitStack() as stack:
        truth, _ = stack.enter_context(_csv(out / TRUTH_FILE, ("source", "record_id", "person_id")))
        noise_log, _ = stack.enter_context(_csv(out / NOISE_FILE, ("source", "record_id", "noise")))
        roll_writer, _ = stack.enter_context(_csv(out / ROLL_FILE, ROLL_COLUMNS))
        total = roll.person.size
        for k, start in enumerate(range(0, total, CHUNK_ROWS)):
            who = roll.person[start : start + CHUNK_ROWS]
            columns, mask = render_identity(_rng(seed, _ROLL_ROWS, k), ctx, who, model.roll)
            mask[roll.duplicate[start : start + CHUNK_ROWS]] |= np.uint32(1 << Noise.duplicate)
            ids = [f"R{i:09d}" for i in range(start + 1, start + who.size + 1)]
            columns["record_id"] = ids
            columns["programa"] = [
                PROGRAMMES[0] if c == PAM else PROGRAMMES[1] for c in pop.category[who].tolist()
            ]
            roll_writer.writerows(zip(*(columns[c] for c in ROLL_COLUMNS), strict=True))
            _write_truth_and_noise(truth, noise_log, "roll", ids, pop.person_ids(who), mask)
            report("roll", start + who.size, total)

        patient_writer, _ = stack.enter_context(_csv(out / PATIENTS_FILE, PATIENT_COLUMNS))
        total = patients.person.size
        for k, start in enumerate(range(0, total, CHUNK_ROWS)):
            stop = start + CHUNK_ROWS
            who = patients.person[start:stop]
            columns, mask = render_identity(_rng(seed, _PATIENT_ROWS, k), ctx, who, model.patients)
            ids = [f"E{i:09d}" for i in range(start + 1, start + who.size + 1)]
            unit = patients.unit[start:stop]
            columns["record_id"] = ids
            columns["clues"] = np.where(
                patients.old_code[start:stop], units.clues_anterior[unit], units.clues[unit]
            ).tolist()
            columns["expediente"] = expediente_text(unit, patients.expediente[start:stop])
            patient_writer.writerows(zip(*(columns[c] for c in PATIENT_COLUMNS), strict=True))
            _write_truth_and_noise(truth, noise_log, "patients", ids, pop.person_ids(who), mask)
            report("patients", start + who.size, total)

    with _csv(out / HARD_NEGATIVES_FILE, ("person_id_a", "person_id_b", "kind")) as (writer, _):
        writer.writerows(
            zip(
                pop.person_ids(pop.pair_a),
                pop.person_ids(pop.pair_b),
                [HARD_NEGATIVE_KINDS[k] for k in pop.pair_kind.tolist()],
                strict=True,
            )
        )
    kinds = np.bincount(pop.pair_kind, minlength=len(HARD_NEGATIVE_KINDS))
    return SynthSummary(
        people=people,
        seed=seed,
        roll_rows=int(roll.person.size),
        roll_duplicates=int(roll.duplicate.sum()),
        roll_pam=int((pop.category[roll.person] == PAM).sum()),
        roll_pcd=int((pop.category[roll.person] != PAM).sum()),
        patient_rows=int(patients.person.size),
        units=units.size,
        units_not_operating=int((~units.operating).sum()),
        hard_negative_pairs={name: int(kinds[i]) for i, name in enumerate(HARD_NEGATIVE_KINDS)},
        seconds=time.perf_counter() - started,
        files={name: (out / name).stat().st_size for name in _FILES},
    )


_FILES = (ROLL_FILE, PATIENTS_FILE, UNITS_FILE, TRUTH_FILE, HARD_NEGATIVES_FILE, NOISE_FILE)


def _write_truth_and_noise(
    truth: _RowWriter,
    noise_log: _RowWriter,
    source: str,
    ids: list[str],
    person_ids: list[str],
    mask: NDArray[np.uint32],
) -> None:
    truth.writerows(zip([source] * len(ids), ids, person_ids, strict=True))
    noisy = np.flatnonzero(mask).tolist()
    masks = mask.tolist()
    noise_log.writerows((source, ids[i], _noise_names(masks[i])) for i in noisy)


def _write_units(path: Path, units: Units, geo: Geography) -> None:
    with _csv(path, UNIT_COLUMNS) as (writer, _):
        for k in range(units.size):
            loc = int(units.locality[k])
            writer.writerow(
                (
                    units.clues[k],
                    units.name[k],
                    STATE_CODES[int(units.state[k])],
                    geo.mun_name[geo.loc_mun[loc]],
                    geo.loc_name[loc],
                    int(units.level[k]),
                    f"{units.lat[k]:.6f}",
                    f"{units.lon[k]:.6f}",
                    OPERATING if units.operating[k] else NOT_OPERATING,
                    units.clues_anterior[k],
                )
            )
