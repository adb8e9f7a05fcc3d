"""The calibration fit's candidate lookups on a bench data folder: one query per sampled record (how
``calibration_labels.settled_labels`` read them before) against ``calibration_labels.candidates_of`` (one
query for the whole sample). Prints both times, whether both found the same candidates for every
record, and the ``calibration`` counts (with their seconds) each match run stored.

    PYTHONPATH=src python bench/match/calibration_candidates.py --work /work/data/kin/k5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from interop.config import Settings
from interop.db.runtime import open_database, prepare
from interop.matching import calibration_fit, calibration_labels, online


async def _compare(settings: Settings, url: str, sample: int) -> dict[str, Any]:
    async with open_database(settings, url) as db, db.sessionmaker() as session:
        written = await calibration_labels.written_curps(
            session, calibration_labels.SAMPLE_SQL, {"n": sample}
        )
        probes = list((await calibration_labels.stored_features(session, list(written))).values())
        t0 = time.perf_counter()
        one_by_one: dict[str, set[str]] = {}
        for a in probes:
            sql, params = online.candidate_query(a)
            if sql:
                rows = (await session.execute(text(sql), params)).all()
                one_by_one[a.unique_id] = {f"{r[0]}|{r[1]}" for r in rows}
        t1 = time.perf_counter()
        found = await calibration_labels.candidates_of(session, probes)
        t2 = time.perf_counter()
        set_based = {k: {b.unique_id for b in v} for k, v in found.items()}
        runs = (
            await session.execute(text("SELECT id, counts -> 'calibration' FROM match_run ORDER BY id"))
        ).all()
        return {
            "probes": len(probes),
            "per_record_s": round(t1 - t0, 2),
            "one_query_s": round(t2 - t1, 2),
            "same_candidates": {k: v for k, v in one_by_one.items() if v} == set_based,
            "candidate_pairs": sum(len(v) for v in set_based.values()),
            "runs_calibration": {int(r[0]): r[1] for r in runs},
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=calibration_fit.SETTLED_SAMPLE)
    args = parser.parse_args()
    settings = Settings(data_dir=args.work / "data")
    url, server = prepare(settings)
    try:
        print(json.dumps(asyncio.run(_compare(settings, url, args.sample)), indent=2, default=str))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
