"""The reads of the source record tables that requests make, timed in process on an imported database:
the layout before migration 0022 (whole tables) or after it (key tables, versions partitioned by
entidad), whichever the ``interop`` on ``PYTHONPATH`` migrated the database to.

    PYTHONPATH=<tree>/src python bench/import/source_reads.py --url URL --rounds 400 [--seed 1]

Per round, each read with fresh random values (the same sequence for the same seed, so two layouts
read the same records):

- ``patients``: the registry records behind 20 Patient ids (``registry_service.get_by_patient_ids``:
  a clinic pull's ``_include`` of its Patients, ``Patient?_id``);
- ``readable``: which of 20 Patient ids a clinic of 3 units may read (the registry half of
  ``Patient/$match``'s disclosure, ``registry_service.current_record_sql`` with a unit list);
- ``curp``: the registry records of 5 CURPs (``registry_service.find_by_curps``, ``Patient?identifier``);
- ``candidates``: the current records of 20 (source, record id) pairs, half roll, half registry
  (``matching.service.read_candidate_records``, what ``$match`` shows of its candidates), on generic
  plans as ``Patient/$match`` runs it (``plan_cache_mode = force_generic_plan`` for its transaction);
- ``candidates_custom``: the same with PostgreSQL's default plan choice (another caller's transaction).

Each read runs in its own transaction on one connection (prepared statements cached, as the app
does). Prints p50 / p95 / p99 in milliseconds per read, as JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from interop.matching import service as matching_service
from interop.registry import service as registry_service


async def _sample(session: AsyncSession) -> dict[str, list[Any]]:
    patients = await session.execute(
        text(
            "SELECT patient_id, record_id, curp, clues_current FROM identity_record "
            "WHERE source = 'patients' ORDER BY record_id"
        )
    )
    rows = patients.all()
    roll = await session.execute(text("SELECT record_id FROM identity_record WHERE source = 'roll'"))
    return {
        "pids": [r[0] for r in rows],
        "patient_records": sorted(r[1] for r in rows),
        "curps": sorted({r[2] for r in rows if r[2]}),
        "clues": sorted({r[3] for r in rows if r[3]}),
        "roll_records": sorted(r[0] for r in roll.all()),
    }


def _percentiles(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100)
    return {
        "p50": round(statistics.median(times), 3),
        "p95": round(cuts[94], 3),
        "p99": round(cuts[98], 3),
        "mean": round(statistics.fmean(times), 3),
    }


async def measure(url: str, rounds: int, seed: int) -> dict[str, Any]:
    engine = create_async_engine(url)
    make = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with make() as session:
            sample = await _sample(session)
        rng = random.Random(seed)
        unit = registry_service.current_record_sql("w.id", clues_param="clues")
        readable = text(f"SELECT w.id FROM unnest(CAST(:ids AS uuid[])) AS w(id) WHERE {unit}")

        async def patients(s: AsyncSession) -> int:
            found = await registry_service.get_by_patient_ids(s, patient_ids=rng.sample(sample["pids"], 20))
            return len(found)

        async def readable_ids(s: AsyncSession) -> int:
            params = {"ids": rng.sample(sample["pids"], 20), "clues": rng.sample(sample["clues"], 3)}
            return len((await s.execute(readable, params)).all())

        async def curp(s: AsyncSession) -> int:
            return len(await registry_service.find_by_curps(s, curps=rng.sample(sample["curps"], 5)))

        async def candidates_custom(s: AsyncSession) -> int:
            keys = [("roll", r) for r in rng.sample(sample["roll_records"], 10)]
            keys += [("patients", r) for r in rng.sample(sample["patient_records"], 10)]
            return len(await matching_service.read_candidate_records(s, keys=keys))

        async def candidates(s: AsyncSession) -> int:
            await s.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            return await candidates_custom(s)

        reads: dict[str, Callable[[AsyncSession], Awaitable[int]]] = {
            "patients": patients,
            "readable": readable_ids,
            "curp": curp,
            "candidates": candidates,
            "candidates_custom": candidates_custom,
        }
        times: dict[str, list[float]] = {name: [] for name in reads}
        found: dict[str, int] = dict.fromkeys(reads, 0)
        async with make() as session:
            for _ in range(rounds):
                for name, read in reads.items():
                    started = time.perf_counter()
                    found[name] += await read(session)
                    await session.commit()
                    times[name].append((time.perf_counter() - started) * 1000)
        return {
            "records": {k: len(v) for k, v in sample.items()},
            "rounds": rounds,
            "found": found,
            "ms": {name: _percentiles(values) for name, values in times.items()},
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(measure(args.url, args.rounds, args.seed))
    for name, cut in result["ms"].items():
        print(f"{name:<18} p50 {cut['p50']:7.3f}  p95 {cut['p95']:7.3f}  p99 {cut['p99']:7.3f} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
