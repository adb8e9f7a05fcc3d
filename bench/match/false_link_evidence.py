"""What a clerk would see beside each false automatic link, and how many true links show the same.

After a ``bench.py`` run (a ``--work`` folder with ``synth/`` and ``persons-export.csv``): every pair of
records inside one person of the export is an automatic link (directly or through a third record); a
pair of two people is a false one. For each piece of evidence that could say "maybe two people" the
script counts the false pairs and the true pairs that carry it — a rule built on evidence that true
pairs carry as often is a rule against the true pairs.

    PYTHONPATH=src python bench/match/false_link_evidence.py --work W [--pairs] [--json-out F]

Evidence read (from the CSVs as written, not the matcher's features, except ``lookalike``):
- ``clinic_twice``: both clinic records at one CLUES under two expedientes (a unit holding one person twice);
- ``phones_differ``: both records carry a telephone and the last ten digits differ;
- ``curps_differ``: both carry a CURP and they differ; ``curp_not_own_date``: a record's CURP states a
  birth date other than its own;
- ``namesake_outside``: a record of another person of the export carries the same surnames, municipio and
  first given name (a third record that shows a namesake exists);
- ``lookalike_no_shared_curp``: the relatives' look-alike rule holds (``lookalike.relatives_lookalike``)
  and the two records share no kept CURP — item 1 of issue 13 says such a pair never links on that alone,
  so a pair like this inside one person was joined through a third record.
The pairs' shape (same full name or not, dates equal / year only / other) is given beside each.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import unicodedata
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from interop.matching.features import MatchFeatures, features_of
from interop.matching.lookalike import relatives_lookalike

Row = dict[str, str]


def _read(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _norm(text: str | None) -> str:
    words = " ".join((text or "").upper().split())
    return "".join(c for c in unicodedata.normalize("NFD", words) if not unicodedata.combining(c))


def _phone(text: str | None) -> str:
    return "".join(c for c in (text or "") if c.isdigit())[-10:]


def _features(key: str, r: Row) -> MatchFeatures:
    try:
        born = datetime.date.fromisoformat(r["fecha_nacimiento"]) if r["fecha_nacimiento"] else None
    except ValueError:
        born = None
    return features_of(
        source=key.split("|")[0],
        record_id=r["record_id"],
        curp=r["curp"] or None,
        given_names=r["nombre"] or None,
        paternal_surname=r["primer_apellido"] or None,
        maternal_surname=r["segundo_apellido"] or None,
        birth_date=born,
        sex=r["sexo"] or None,
        entidad=r["entidad"] or None,
        municipio=r["municipio"] or None,
        localidad=r["localidad"] or None,
        domicilio=r["domicilio"] or None,
    )


class Population:
    def __init__(self, work: Path) -> None:
        synth = work / "synth"
        self.truth = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in _read(synth / "truth.csv")}
        self.rows = {f"roll|{r['record_id']}": r for r in _read(synth / "pension_roll.csv")}
        self.rows.update({f"patients|{r['record_id']}": r for r in _read(synth / "patients.csv")})
        self.kind = {
            frozenset((r["person_id_a"], r["person_id_b"])): r["kind"]
            for r in _read(synth / "hard_negatives.csv")
        }
        self.golden: dict[str, list[str]] = defaultdict(list)
        self.person: dict[str, str] = {}
        for r in _read(work / "persons-export.csv"):
            key = f"{r['source']}|{r['record_id']}"
            self.golden[r["person_id"]].append(key)
            self.person[key] = r["person_id"]
        self.namesakes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for key, r in self.rows.items():
            self.namesakes[self._namesake_key(r)].append(key)
        self._feats: dict[str, MatchFeatures] = {}

    @staticmethod
    def _namesake_key(r: Row) -> tuple[str, str, str]:
        first = _norm(r["nombre"]).split()[:1]
        surnames = _norm(f"{r['primer_apellido']} {r['segundo_apellido']}")
        return surnames, _norm(r["municipio"]), first[0] if first else ""

    def features(self, key: str) -> MatchFeatures:
        if key not in self._feats:
            self._feats[key] = _features(key, self.rows[key])
        return self._feats[key]

    def namesake_outside(self, person: str, records: list[str]) -> bool:
        return any(
            self.person.get(x) != person
            for k in records
            for x in self.namesakes[self._namesake_key(self.rows[k])]
        )

    def evidence(self, a: str, b: str) -> list[str]:
        ra, rb = self.rows[a], self.rows[b]
        out = []
        if (
            ra.get("clues")
            and ra.get("clues") == rb.get("clues")
            and _norm(ra["expediente"]) != _norm(rb["expediente"])
        ):
            out.append("clinic_twice")
        pa, pb = _phone(ra["telefono"]), _phone(rb["telefono"])
        if pa and pb and pa != pb:
            out.append("phones_differ")
        ca, cb = ra["curp"].strip().upper(), rb["curp"].strip().upper()
        if ca and cb and ca != cb:
            out.append("curps_differ")
        for r in (ra, rb):
            c, d = r["curp"].strip().upper(), r["fecha_nacimiento"]
            if len(c) == 18 and len(d) == 10 and c[4:10] != d[2:4] + d[5:7] + d[8:10]:
                out.append("curp_not_own_date")
                break
        fa, fb = self.features(a), self.features(b)
        if relatives_lookalike(fa, fb) and not (fa.curp and fa.curp == fb.curp):
            out.append("lookalike_no_shared_curp")
        return out

    def shape(self, a: str, b: str) -> str:
        ra, rb = self.rows[a], self.rows[b]

        def name(r: Row) -> str:
            return _norm(f"{r['nombre']} {r['primer_apellido']} {r['segundo_apellido']}")

        da, db = ra["fecha_nacimiento"], rb["fecha_nacimiento"]
        dates = "date_missing"
        if da and db:
            dates = "same_date" if da == db else ("year_only" if da[5:] == db[5:] else "other_date")
        return ("same_name" if name(ra) == name(rb) else "other_name") + "/" + dates


def analyse(work: Path, pairs: bool) -> dict[str, Any]:
    pop = Population(work)
    false: Counter[str] = Counter()
    true: Counter[str] = Counter()
    detail: list[dict[str, Any]] = []
    n_false = n_true = 0
    for person, records in pop.golden.items():
        if len(records) < 2:
            continue
        outside = pop.namesake_outside(person, records)
        for a, b in combinations(sorted(records), 2):
            flags = pop.evidence(a, b) + (["namesake_outside"] if outside else [])
            cell = true if pop.truth[a] == pop.truth[b] else false
            cell.update(flags)
            cell["shape:" + pop.shape(a, b)] += 1
            if pop.truth[a] == pop.truth[b]:
                n_true += 1
                continue
            n_false += 1
            if pairs:
                kind = pop.kind.get(frozenset((pop.truth[a], pop.truth[b])), "unrelated")
                detail.append({"kind": kind, "shape": pop.shape(a, b), "evidence": flags, "records": [a, b]})
    keys = sorted(set(false) | set(true))
    out: dict[str, Any] = {
        "false_pairs": n_false,
        "true_pairs": n_true,
        "evidence": {k: {"false": false[k], "true": true[k]} for k in keys},
    }
    if pairs:
        out["false_pairs_detail"] = detail
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--pairs", action="store_true", help="List each false pair with its evidence.")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    out = analyse(args.work, args.pairs)
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{args.work}: false pairs {out['false_pairs']}, true pairs {out['true_pairs']}")
    for k, v in out["evidence"].items():
        print(f"  {k:32s} false {v['false']:5d}  true {v['true']:7d}")


if __name__ == "__main__":
    main()
