"""What the errors are: false links, missed matches and the review queue of a bench run, by the kind of
error the synthetic population put on each record (``noise.csv``) and the kind of look-alike
(``hard_negatives.csv``).

On a ``bench.py`` work folder after its run (no run in progress): reads the truth, the persons export
(``interop persons export``, written by ``bench.py``), the open reviews and every record's stored
features, scores each pair of interest with the active model and tells, for each true pair left in two
persons and out of the queue, why: not found by the online candidate lookups (blocking), a hard conflict,
relatives' look-alike dates, a veto, no anchor, or a score below the review threshold. It also counts
the true pairs that no blocking rule of the batch produces (the active model's rules, evaluated as the
batch's SQL over the stored features): pairs never compared, lost to auto + review recall before any
score.

    PYTHONPATH=src python bench/match/categories.py --work /work/data/kin/k5 [--json-out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

BENIGN = {"missing_phone", "missing_curp", "address_rewritten", "missing_sex", "missing_maternal"}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def category(noise_a: set[str], noise_b: set[str]) -> str:
    """The pair's serious error kinds (those beyond a blank or rewritten field), joined."""
    kinds = sorted((noise_a | noise_b) - BENIGN - {"noise"})
    return "+".join(kinds) if kinds else "plain"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--examples", type=int, default=0, help="Print this many examples per category.")
    args = ap.parse_args()
    synth = args.work / "synth"
    os.environ["INTEROP_DATA_DIR"] = str(args.work / "data")
    truth = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in _read(synth / "truth.csv")}
    noise: dict[str, set[str]] = defaultdict(set)
    for r in _read(synth / "noise.csv"):
        noise[f"{r['source']}|{r['record_id']}"].update(r["noise"].split("|"))
    kin: dict[frozenset[str], str] = {
        frozenset((r["person_id_a"], r["person_id_b"])): r["kind"]
        for r in _read(synth / "hard_negatives.csv")
    }
    export = _read(args.work / "persons-export.csv")
    person = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in export}
    from interop.config import Settings
    from interop.db.runtime import prepare

    settings = Settings(data_dir=args.work / "data")
    url, server = prepare(settings)
    try:
        out = asyncio.run(_analyse(settings, url, truth, noise, kin, person, args.examples))
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(out, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1))


async def _analyse(
    settings: Any,
    url: str,
    truth: dict[str, str],
    noise: dict[str, set[str]],
    kin: dict[frozenset[str], str],
    person: dict[str, str],
    examples: int,
) -> dict[str, Any]:
    from sqlalchemy import text

    from interop.db.runtime import open_database
    from interop.matching import calibration_labels, models_store
    from interop.matching.conflict import Signature, hard_conflict, relatives_lookalike, settled_apart
    from interop.matching.layout import model_shows_households, model_tells_relatives
    from interop.matching.online import _grade
    from interop.matching.record_columns import detail_lookup, qualified
    from interop.matching.scoring import score_pair
    from interop.matching.spec import ANCHOR_COMPARISONS, VETO_COMPARISONS

    if True:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            model = await models_store.active_model(session)
            assert model is not None
            rows = (
                await session.execute(
                    text(
                        f"SELECT {qualified(calibration_labels.STORED_COLUMNS)} "
                        f"FROM match_record m {detail_lookup()}"
                    )
                )
            ).all()
            feats = {f.unique_id: f for f in (calibration_labels.features_of_row(r) for r in rows)}
            reviews = (
                await session.execute(
                    text(
                        "SELECT left_source || '|' || left_record_id, "
                        "right_source || '|' || right_record_id, score "
                        "FROM match_review WHERE status = 'open'"
                    )
                )
            ).all()
            review_pairs = {frozenset((str(a), str(b))): float(s) for a, b, s in reviews}
            by_person: dict[str, list[str]] = defaultdict(list)
            for rec, pid in truth.items():
                by_person[pid].append(rec)
            missed: list[tuple[str, str]] = []
            status_by_cat: dict[str, Counter[str]] = defaultdict(Counter)
            for recs in by_person.values():
                for a, b in combinations(sorted(recs), 2):
                    cat = category(noise[a], noise[b])
                    if person.get(a) is not None and person.get(a) == person.get(b):
                        status_by_cat[cat]["auto"] += 1
                    elif frozenset((a, b)) in review_pairs:
                        status_by_cat[cat]["review"] += 1
                    else:
                        status_by_cat[cat]["missed"] += 1
                        missed.append((a, b))
            found = await calibration_labels.candidates_of(
                session, [feats[x] for x in {r for p in missed for r in p} if x in feats]
            )

    relatives = model_tells_relatives(model.settings)
    households = model_shows_households(model.settings)
    auto_t, review_t = settings.match_auto_threshold, settings.match_review_threshold

    def why(a: str, b: str) -> str:
        fa, fb = feats.get(a), feats.get(b)
        if fa is None or fb is None:
            return "not imported"
        near_a = {c.unique_id for c in found.get(a, [])}
        near_b = {c.unique_id for c in found.get(b, [])}
        blocked = "blocked" if b in near_a or a in near_b else "unblocked-online"
        sc = score_pair(model.scoring, fa, fb)
        sa, sb = Signature.of(fa), Signature.of(fb)
        if settled_apart(sa, sb, relatives=relatives, households=households):
            return f"{blocked}:settled_apart"
        conflict = hard_conflict(sa, sb, relatives=relatives, households=households)
        look = relatives_lookalike(fa, fb)
        g = _grade(
            sc,
            auto_threshold=auto_t,
            review_threshold=review_t,
            conflict=conflict,
            lookalike=look,
            undated=fa.dob is None or fb.dob is None,
            relatives=relatives,
            households=households,
        )
        if sc.probability < review_t:
            return f"{blocked}:below_review(p<{review_t})"
        if g == "certain":
            return f"{blocked}:certain-online(batch missed)"
        reasons = []
        if conflict:
            reasons.append("conflict")
        if look:
            reasons.append("lookalike")
        if any(e.level == "else" for e in sc.evidence if e.comparison in VETO_COMPARISONS):
            reasons.append("veto")
        if not any(e.weight > 0 for e in sc.evidence if e.comparison in ANCHOR_COMPARISONS):
            reasons.append("unanchored")
        return f"{blocked}:review-band-not-queued:{'+'.join(reasons) or 'p<auto'}"

    true_pairs = [(a, b) for recs in by_person.values() for a, b in combinations(sorted(recs), 2)]
    unblocked = _unblocked(model.settings, feats, true_pairs)
    unblocked_by_cat = Counter(category(noise[a], noise[b]) for a, b in unblocked)

    missed_why: dict[str, Counter[str]] = defaultdict(Counter)
    shown: Counter[str] = Counter()
    for a, b in missed:
        cat = category(noise[a], noise[b])
        w = "never compared (no batch blocking rule)" if (a, b) in unblocked else why(a, b)
        missed_why[cat][w] += 1
        if examples and shown[cat + w] < examples:
            shown[cat + w] += 1
            print("MISSED", cat, w, feats.get(a), feats.get(b), sep="\n  ")

    # False links: record pairs in one predicted person of two true people.
    pred_groups: dict[str, list[str]] = defaultdict(list)
    for rec, pid in person.items():
        if rec in truth:
            pred_groups[pid].append(rec)
    false_links: Counter[str] = Counter()
    for recs in pred_groups.values():
        for a, b in combinations(sorted(recs), 2):
            if truth[a] != truth[b]:
                k = kin.get(frozenset((truth[a], truth[b])), "unrelated")
                false_links[f"{k}|{category(noise[a], noise[b])}"] += 1
                if examples and shown["FL" + k] < examples:
                    shown["FL" + k] += 1
                    print("FALSE", k, feats.get(a), feats.get(b), sep="\n  ")

    queue: dict[str, Counter[str]] = defaultdict(Counter)
    for pair in review_pairs:
        a, b = sorted(pair)
        same = truth.get(a) == truth.get(b)
        if same:
            queue[category(noise[a], noise[b])]["true"] += 1
        else:
            k = kin.get(frozenset((truth.get(a, "?"), truth.get(b, "?"))), "unrelated")
            queue[f"FALSE:{k}|{category(noise[a], noise[b])}"]["false"] += 1

    def top(d: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in sorted(d.items(), key=lambda kv: -sum(kv[1].values()))}

    return {
        "true_pairs": len(true_pairs),
        "true_pairs_no_batch_rule_produces": len(unblocked),
        "unblocked_by_category": dict(unblocked_by_cat.most_common()),
        "true_pairs_by_category": top(status_by_cat),
        "missed_by_category_and_reason": top(missed_why),
        "missed_by_reason": dict(sum(missed_why.values(), Counter()).most_common()),
        "false_links": dict(false_links.most_common()),
        "review_queue": top(queue),
    }


def _unblocked(
    settings: dict[str, Any], feats: dict[str, Any], pairs: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The pairs of ``pairs`` that none of the model's batch blocking rules produces, either way round:
    the rules as the batch runs them (Splink SQL over ``l`` and ``r``), in DuckDB over the features."""
    import duckdb

    from interop.matching.features import FEATURE_COLUMNS

    rules = [
        r if isinstance(r, str) else str(r.get("blocking_rule"))
        for r in settings.get("blocking_rules_to_generate_predictions", [])
    ]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE f ({', '.join(f'{c} VARCHAR' for c in FEATURE_COLUMNS)})")
    con.executemany(
        f"INSERT INTO f VALUES ({', '.join('?' for _ in FEATURE_COLUMNS)})",
        [[getattr(x, c) for c in FEATURE_COLUMNS] for x in feats.values()],
    )
    con.execute("CREATE TABLE p (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", [(a, b) for a, b in pairs if a in feats and b in feats])
    either = " OR ".join(f"coalesce(({r}), false)" for r in rules) or "false"
    swapped = re.sub(r"\b([lr])\.", lambda m: "r." if m.group(1) == "l" else "l.", either)
    found = con.execute(
        "SELECT p.a, p.b FROM p JOIN f l ON l.unique_id = p.a JOIN f r ON r.unique_id = p.b "
        f"WHERE NOT ({either}) AND NOT ({swapped})"
    ).fetchall()
    return {(str(a), str(b)) for a, b in found} | {
        (a, b) for a, b in pairs if a not in feats or b not in feats
    }


if __name__ == "__main__":
    main()
