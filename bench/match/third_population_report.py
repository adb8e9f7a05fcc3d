"""What went wrong on the third population (``third_population.py``), after a ``bench.py --synth-from``
run: each false automatic link and each roll–roll merge by the kind of look-alike (hard_negatives.csv,
households.csv) and the errors the generator put on the two records (noise.csv); the true pairs left
apart (and with ``--reviews`` out of the review queue) grouped the same way; the review queue by kind.

    PYTHONPATH=src python bench/match/third_population_report.py --work /work/data/third13/t1 --reviews
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import unicodedata
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from third_population import curp_valid

# Errors that only blank or reformat a field; a pair's kind is named by the others.
BENIGN = {
    "missing_phone",
    "missing_curp",
    "address_rewritten",
    "missing_sex",
    "missing_entidad",
    "postcode_as_municipio",
    "formatted_phone",
    "lowercase",
    "extra_spaces",
    "enye_as_n",
}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def source_pair(a: str, b: str) -> str:
    s = sorted((a.split("|")[0], b.split("|")[0]), key=("roll", "patients").index)
    return "-".join(s)


class Population:
    def __init__(self, synth: Path) -> None:
        self.truth = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in _read(synth / "truth.csv")}
        self.noise: dict[str, set[str]] = defaultdict(set)
        for r in _read(synth / "noise.csv"):
            self.noise[f"{r['source']}|{r['record_id']}"].update(r["noise"].split("|"))
        self.kind = {
            frozenset((r["person_id_a"], r["person_id_b"])): r["kind"]
            for r in _read(synth / "hard_negatives.csv")
        }
        self.home = {
            r["person_id"]: (r["household"], r["localidad"]) for r in _read(synth / "households.csv")
        }
        self.rows = {f"roll|{r['record_id']}": r for r in _read(synth / "pension_roll.csv")}
        self.rows.update({f"patients|{r['record_id']}": r for r in _read(synth / "patients.csv")})

    def relation(self, a: str, b: str) -> str:
        pa, pb = self.truth[a], self.truth[b]
        if kind := self.kind.get(frozenset((pa, pb))):
            return kind
        if self.home[pa][0] == self.home[pb][0]:
            return "household_other"
        return "same_town" if self.home[pa][1] == self.home[pb][1] else "unrelated"

    def errors(self, a: str, b: str) -> str:
        kinds = sorted((self.noise[a] | self.noise[b]) - BENIGN)
        return "+".join(kinds) if kinds else "plain"

    def curps(self, a: str, b: str) -> str:
        """Whether both records carry valid CURPs that agree with their own birth dates, and differ."""
        ra, rb = self.rows[a], self.rows[b]

        def own(r: dict[str, str]) -> bool:
            c, d = r["curp"].strip().upper(), r["fecha_nacimiento"]
            return curp_valid(c) and len(d) == 10 and c[4:10] == d[2:4] + d[5:7] + d[8:10]

        if own(ra) and own(rb):
            return "two_own_curps_differ" if ra["curp"].upper() != rb["curp"].upper() else "same_curp"
        return "not_two_own_curps"

    def identical(self, a: str, b: str) -> bool:
        """The two records say the same thing (names, birth date; CURPs equal or one missing): no
        matcher can tell them apart."""
        ra, rb = self.rows[a], self.rows[b]

        def name(r: dict[str, str]) -> str:
            text = " ".join(f"{r['nombre']} {r['primer_apellido']} {r['segundo_apellido']}".upper().split())
            return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))

        ca, cb = ra["curp"].strip().upper(), rb["curp"].strip().upper()
        same_curp = not ca or not cb or ca == cb
        return name(ra) == name(rb) and ra["fecha_nacimiento"] == rb["fecha_nacimiento"] and same_curp

    def years(self, a: str, b: str) -> str:
        da, db = self.rows[a]["fecha_nacimiento"], self.rows[b]["fecha_nacimiento"]
        if not da or not db:
            return "date_missing"
        gap = abs(int(da[:4]) - int(db[:4]))
        return f"same_day_month_gap_{gap}" if da[5:] == db[5:] else f"other_day_month_gap_{gap}"


def analyse(work: Path, reviews: list[tuple[str, str, float, float]] | None) -> dict[str, Any]:
    pop = Population(work / "synth")
    export = _read(work / "persons-export.csv")
    golden: dict[str, list[str]] = defaultdict(list)
    for r in export:
        golden[r["person_id"]].append(f"{r['source']}|{r['record_id']}")
    linked: set[frozenset[str]] = set()
    false_links: Counter[str] = Counter()
    false_detail: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for records in golden.values():
        for a, b in combinations(sorted(records), 2):
            linked.add(frozenset((a, b)))
            if pop.truth[a] == pop.truth[b]:
                continue
            sp = source_pair(a, b)
            same = "|identical_records" if pop.identical(a, b) else ""
            false_links[f"{sp}|{pop.relation(a, b)}{same}"] += 1
            false_detail[
                f"{sp}|{pop.relation(a, b)}|{pop.curps(a, b)}|{pop.years(a, b)}|{pop.errors(a, b)}"
            ] += 1
            if len(examples) < 40:
                examples.append({"pair": [pop.rows[a], pop.rows[b]], "relation": pop.relation(a, b)})
    in_review = {frozenset((a, b)): s for a, b, s, _ in reviews or []}
    review_kinds: Counter[str] = Counter()
    for pair in in_review:
        a, b = sorted(pair)
        if pop.truth[a] == pop.truth[b]:
            review_kinds[f"TRUE|{source_pair(a, b)}|{pop.errors(a, b)}"] += 1
        else:
            review_kinds[f"FALSE|{source_pair(a, b)}|{pop.relation(a, b)}|{pop.curps(a, b)}"] += 1
    by_person: dict[str, list[str]] = defaultdict(list)
    for key, person in pop.truth.items():
        by_person[person].append(key)
    missed: Counter[str] = Counter()
    missed_in_review: Counter[str] = Counter()
    true_pairs = 0
    for records in by_person.values():
        for a, b in combinations(sorted(records), 2):
            true_pairs += 1
            pair = frozenset((a, b))
            if pair in linked:
                continue
            cell = missed_in_review if pair in in_review else missed
            cell[f"{source_pair(a, b)}|{pop.errors(a, b)}"] += 1
    return {
        "true_pairs": true_pairs,
        "false_links_by_kind": dict(false_links.most_common()),
        "false_links_detail": dict(false_detail.most_common()),
        "missed_not_in_review": dict(missed.most_common(40)),
        "missed_total_not_in_review": sum(missed.values()),
        "missed_but_in_review": sum(missed_in_review.values()),
        "review_pairs_by_kind": dict(review_kinds.most_common()),
        "false_link_examples": examples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument(
        "--reviews", action="store_true", help="Read the open reviews (starts the folder's database)."
    )
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    reviews = None
    if args.reviews:
        from quality import review_rows

        reviews = review_rows({**os.environ, "INTEROP_DATA_DIR": str(args.work / "data")})
    out = analyse(args.work, reviews)
    text = json.dumps(out, indent=1, ensure_ascii=False)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    print(
        json.dumps({k: v for k, v in out.items() if k != "false_link_examples"}, indent=1, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
