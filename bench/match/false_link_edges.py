"""Which pairs joined two people: for each person of a bench run's export that holds records of two true
people, the pairs across them that the run's model and rules grade certain (``online.pair_grade``, the
batch's rules read online), with the levels that anchored them and the generator's errors on the two
records. A false automatic pair with no certain pair of its own was joined through a third record.

    PYTHONPATH=src python bench/match/false_link_edges.py --work W [--json-out F]

Starts the folder's embedded database (work on a copy: it writes into ``data/``). The batch's steps that
read more than the pair (the triples of ``names_of_another``) are not replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _load(work: Path) -> tuple[Any, dict[str, Any], float, float]:
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare
    from interop.matching import models_store
    from interop.matching.calibration_labels import STORED_COLUMNS, features_of_row
    from interop.matching.record_columns import detail_lookup, qualified

    settings = Settings(data_dir=work / "data")
    url, server = prepare(settings)

    async def run() -> tuple[Any, dict[str, Any]]:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            model = await models_store.active_model(session)
            sql = f"SELECT {qualified(STORED_COLUMNS)} FROM match_record m {detail_lookup()}"
            rows = (await session.execute(text(sql))).all()
            return model, {f.unique_id: f for f in (features_of_row(r) for r in rows)}

    try:
        model, feats = asyncio.run(run())
    finally:
        if server is not None:
            server.stop()
    return model, feats, settings.match_auto_threshold, settings.match_review_threshold


def analyse(work: Path) -> dict[str, Any]:
    from interop.matching.layout import model_shows_households, model_tells_relatives
    from interop.matching.lookalike import relatives_lookalike
    from interop.matching.online import pair_grade
    from interop.matching.scoring import load_model, score_pair

    stored, feats, auto_t, review_t = _load(work)
    model = load_model(stored.settings, stored.tf, version=stored.version, digest=stored.digest)
    relatives, households = model_tells_relatives(stored.settings), model_shows_households(stored.settings)
    synth = work / "synth"
    truth = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in _read(synth / "truth.csv")}
    noise: dict[str, set[str]] = defaultdict(set)
    for r in _read(synth / "noise.csv"):
        noise[f"{r['source']}|{r['record_id']}"].update(r["noise"].split("|"))
    golden: dict[str, list[str]] = defaultdict(list)
    for r in _read(work / "persons-export.csv"):
        golden[r["person_id"]].append(f"{r['source']}|{r['record_id']}")
    anchors: Counter[str] = Counter()
    edges: list[dict[str, Any]] = []
    merged = 0
    for records in golden.values():
        if len({truth[k] for k in records}) < 2:
            continue
        merged += 1
        for a, b in combinations(sorted(records), 2):
            if truth[a] == truth[b]:
                continue
            fa, fb = feats[a], feats[b]
            scored = score_pair(model, fa, fb)
            grade = pair_grade(
                scored,
                fa,
                fb,
                relatives=relatives,
                households=households,
                auto_threshold=auto_t,
                review_threshold=review_t,
            )
            if grade != "certain":
                continue
            levels = {e.comparison: e.level for e in scored.evidence}
            key = f"curp={levels.get('curp')} | birth_date={levels.get('birth_date')}"
            anchors[key + (" | look-alike" if relatives_lookalike(fa, fb) else "")] += 1
            edges.append(
                {
                    "records": [a, b],
                    "probability": round(scored.probability, 6),
                    "levels": levels,
                    "lookalike": relatives_lookalike(fa, fb),
                    "errors": sorted(noise[a] | noise[b]),
                }
            )
    return {
        "merged_people": merged,
        "certain_cross_pairs": len(edges),
        "anchors": dict(anchors.most_common()),
        "pairs": edges,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    out = analyse(args.work)
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{args.work}: {out['merged_people']} people of the export hold two true people; ")
    print(f"  {out['certain_cross_pairs']} pairs across them graded certain, by what anchored them:")
    for k, v in out["anchors"].items():
        print(f"  {v:4d}  {k}")


if __name__ == "__main__":
    main()
