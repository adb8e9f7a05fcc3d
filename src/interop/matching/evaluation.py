"""Pairwise precision, recall and F1 of a person assignment against a truth file. Pure.

Pairs are counted from cluster sizes (never enumerated), split by source pair: roll–roll,
roll–patients, patients–patients. "auto" scores the persons as assigned; "auto+review" scores them as
if every open review were accepted (each review pair joins the two persons).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SOURCE_PAIRS = ("roll-roll", "roll-patients", "patients-patients")


@dataclass(frozen=True, slots=True)
class PairwiseScores:
    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "true_positives": self.true_positives,
            "predicted_pairs": self.predicted,
            "true_pairs": self.actual,
        }


def _pairs_by_source(members: Counter[str]) -> dict[str, int]:
    roll, patients = members.get("roll", 0), members.get("patients", 0)
    return {
        "roll-roll": roll * (roll - 1) // 2,
        "roll-patients": roll * patients,
        "patients-patients": patients * (patients - 1) // 2,
    }


def _count(groups: Iterable[Counter[str]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for members in groups:
        for key, n in _pairs_by_source(members).items():
            total[key] += n
    return total


def _source_of(record: str) -> str:
    return record.split("|", 1)[0]


def pairwise(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, PairwiseScores]:
    """``predicted`` and ``truth`` map a record key ("source|record_id") to a cluster label. Records
    missing from ``predicted`` count as singletons. Returns scores per source pair and "all"."""
    pred_groups: dict[str, Counter[str]] = defaultdict(Counter)
    true_groups: dict[str, Counter[str]] = defaultdict(Counter)
    both: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for record, label in truth.items():
        source = _source_of(record)
        pred_label = predicted.get(record, "singleton:" + record)
        pred_groups[pred_label][source] += 1
        true_groups[label][source] += 1
        both[(pred_label, label)][source] += 1
    tp, pp, ap = _count(both.values()), _count(pred_groups.values()), _count(true_groups.values())
    out = {key: PairwiseScores(tp[key], pp[key], ap[key]) for key in SOURCE_PAIRS}
    out["all"] = PairwiseScores(sum(tp.values()), sum(pp.values()), sum(ap.values()))
    return out


def join_reviews(predicted: Mapping[str, str], review_pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The assignment as if every review pair had been accepted (their clusters joined)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in review_pairs:
        la, lb = predicted.get(a, "singleton:" + a), predicted.get(b, "singleton:" + b)
        ra, rb = find(la), find(lb)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    joined = {record: find(label) for record, label in predicted.items()}
    for a, b in review_pairs:
        for rec in (a, b):
            joined.setdefault(rec, find("singleton:" + rec))
    return joined
