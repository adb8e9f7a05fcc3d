"""Calibration: the model's raw score of a pair mapped to a probability that holds on the data. Pure.

The Splink probability assumes fields independent given match status; relatives break that (same
surnames, address, day and month of birth), so a raw 0.97 in the review band is one person about half
the time on a population the model was not tuned on. The map fitted here is what reviewers, the review
band filters and ``$match`` show; the raw score stays stored beside it.

**Input.** The raw match weight (log2 Bayes factor, what the probability is a logistic of) and the
pair's *stratum*, read from its per-field evidence (``stratum_of``), so the same pair gets the same
stratum in the batch, online and from a stored review:

- ``curp_same``: the CURPs agree exactly (names compatible),
- ``curp_apart``: both records carry a CURP and the CURP comparison falls to its last level,
- ``held``: no anchor agrees (neither CURP nor birth date), the given names are unrelated (the veto
  level) or one CURP copied onto a record with other given names — rule outcomes that hold a pair from
  an automatic link whatever its score,
- ``held_slip``: a ``held`` pair whose birth dates are a slip apart (``SLIP_LEVELS``): a typo in one
  record, or relatives born on the same day and month of other years — the pairs the model's
  independence assumption fails most on, calibrated apart from the rest of ``held``; both capped at
  what such review pairs turned out to be (``held_cap``, ``HELD_PRIOR``), not the model's weight,
- ``held_dates``: a ``held`` pair whose birth dates no modelled slip explains (``DATES_APART_LEVEL``):
  a parent and a child, siblings, or one date typed wholly wrong — one person 0–0.29 of the time
  in the tuning populations' queues (bench/match/RESULTS.md, session 15), against 0.60–0.80 for the
  rest of ``held``; fitted as ``held``, capped at its own share,
- ``ruled``, ``ruled_curp``, ``ruled_slip``: a pair scored at or above the auto-link threshold that a
  rule held back (the caller says so: ``held``) — every review pair scored that high, a ``$match``
  candidate scored that high but not graded certain. ``ruled_curp``: its CURPs are one edit or a
  homoclave apart (``NEAR_CURP_LEVELS``: one person's second CURP, or namesakes born the same day);
  ``ruled_slip``: its birth dates a slip apart (as ``held_slip``); ``ruled_dates``: its birth dates
  at the comparison's last level (``DATES_APART_LEVEL``: no modelled slip explains them, what the
  rule for dates in hard conflict reads); ``ruled``: any other rule (a relative's document, a third
  record, no anchor, one CURP copied onto a relative). Apart from
  ``held`` because the model's score is exactly what the rule overruled: each gets one rate, the
  share of one person among its labels with a prior measured on the tuning populations
  (``ruled_rate``, ``RULED_PRIOR``), not the model's 0.99+,
- ``open``: everything else,
- ``apart``: a rule settles the pair as two people (``conflict.settled_apart``; the caller says so:
  ``apart``) — never a review, a ``$match`` candidate graded certainly-not. Apart from ``held`` because
  its pairs score as high as any (same names, surnames and address) and are almost never one person:
  in ``held`` they pulled its high weights down for the pairs the queue does show.

**Fit.** Per stratum, isotonic regression (pool adjacent violators) of the label on the weight, each
labelled pair with its own weight of evidence (``Label.count``), plus a prior of ``PRIOR_COUNT``
pseudo-pairs at every whole weight of ``PRIOR_GRID`` whose label is the model's own probability: where
no label lies, the calibrated figure is the model's (in ``apart``, the rule's: not one person); the
rule-held strata instead get one rate each (``ruled_rate``).
Within a pooled block the probability is the
block's; between blocks it is interpolated linearly, beyond them held; so the map is non-decreasing in
the raw weight within a stratum (``Curve.probability``), and clipped to ``[FLOOR, 1 − FLOOR]``: no
finite evidence makes a pair certain.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

from interop.matching.spec import ANCHOR_COMPARISONS, VETO_COMPARISONS

Stratum = Literal[
    "curp_same",
    "curp_apart",
    "held",
    "held_slip",
    "held_dates",
    "ruled",
    "ruled_curp",
    "ruled_slip",
    "ruled_dates",
    "open",
    "apart",
]
# The strata in order, read off the type so the two cannot drift apart.
STRATA: tuple[Stratum, ...] = get_args(Stratum)
# Birth-date levels of a slip that relatives also show (the same day and month of a year one or a
# digit apart): a held pair at one of them is a sibling or a parent about as often as a typo.
SLIP_LEVELS = frozenset({"year one apart", "one digit"})
# CURP levels of two CURPs that differ by a character or in the homoclave alone.
NEAR_CURP_LEVELS = frozenset({"same first 16", "one edit"})
# The birth-date level of dates no modelled slip explains (``spec.BIRTH_DATE``'s last level).
DATES_APART_LEVEL = "else"
# Where no label lies, the share of one person among the pairs a rule held back at or above the
# auto-link threshold: measured on the review pairs of the tuning populations only (5,000 people of
# the kin generator, seed 5, and of the default generator, seed 2; bench/match/RESULTS.md, issue 13
# session 8), each generator's share smoothed (one pair of each answer added) and the two averaged, so
# that neither generator's error model sets it. Reported on other seeds, never fitted on them. A prior of
# RULED_PRIOR_COUNT pseudo-pairs beside the run's own labels of the stratum (its settled pairs, scored
# without their CURPs, that the rules hold; reviewers' decisions), which set the rate where they are many.
#   ruled       kin 40 of 49, default 112 of 135
#   ruled_curp  kin 25 of 25, default 2 of 2
#   ruled_slip  kin 13 of 20, default 56 of 56
#   ruled_dates (session 15, 30,000 people each: default seed 2, kin seed 5 and the blind population's
#   seed 1; bench/match/RESULTS.md) default 13 of 22, kin 3 of 3, blind 106 of 240
RULED_PRIOR: Mapping[Stratum, float] = {
    "ruled": 0.81,
    "ruled_curp": 0.86,
    "ruled_slip": 0.81,
    "ruled_dates": 0.61,
}
RULED_PRIOR_COUNT = 10.0
# A pair held below the auto-link threshold (``held``, ``held_slip``: no anchor, given names the model
# finds unrelated) is held because its weight is not evidence enough: the names, surnames and address
# relatives share are what it counts. Its figure is capped at its HELD_PRIOR, the share of one person among
# such review pairs scored 0.8 or more by the model, measured like RULED_PRIOR on the tuning
# populations only (30,000 people, kin seed 5 and default seed 2; bench/match/RESULTS.md, issue 13
# session 9), smoothed and averaged the same way; reviewers' decisions in those strata move the cap
# (``held_cap``). The run's settled labels do not: scored without their CURPs, the held ones are one
# person far more often than the queue's held pairs (kin seed 5: the curve they set showed 0.95 at raw
# 0.95-0.99, where the queue's pairs were one person 0.53 of the time; default seed 2: 0.79, 0.44).
#   held, raw >= 0.8   kin 60 of 108, default 39 of 107
# Session 15 split off ``held_dates`` (birth dates no slip explains), one person far less often than
# the rest, and measured each part the same way (raw >= 0.8; 30,000 people each: default seed 2, kin
# seed 5 and the blind population's seed 1; bench/match/RESULTS.md, session 15):
#   held         default 39 of 49, kin 38 of 54, blind 57 of 82
#   held_dates   default 0 of 8,   kin 6 of 21,  blind 80 of 275
# ``held_slip`` keeps session 9's figure (the tuning queues hold 2 and 4 such pairs).
HELD_PRIOR: Mapping[Stratum, float] = {"held": 0.72, "held_slip": 0.46, "held_dates": 0.23}
HELD_STRATA: tuple[Stratum, ...] = tuple(HELD_PRIOR)
# The strata split off another in session 15: a fit stored before the split shows their pairs the
# curve of the stratum they were part of.
PARENT: Mapping[Stratum, Stratum] = {"held_dates": "held", "ruled_dates": "ruled"}
LabelKind = Literal["curp_same", "curp_apart", "review_link", "review_not_link"]

PRIOR_GRID = range(-10, 31)
PRIOR_COUNT = 1.0
FLOOR = 1e-4
# A weight beyond these says nothing more (Splink weights of one person run to ~60).
WEIGHT_RANGE = (-60.0, 80.0)


class Evidence(Protocol):
    """One comparison's outcome for a pair (``scoring.FieldEvidence``, ``schemas.FieldEvidenceRead``)."""

    @property
    def comparison(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def weight(self) -> float: ...


def _items(evidence: Iterable[Evidence | Mapping[str, Any]]) -> list[tuple[str, str, float]]:
    out = []
    for e in evidence:
        if isinstance(e, Mapping):
            out.append((str(e.get("comparison")), str(e.get("level")), float(e.get("weight") or 0.0)))
        else:
            out.append((e.comparison, e.level, e.weight))
    return out


def stratum_of(
    evidence: Iterable[Evidence | Mapping[str, Any]], *, held: bool = False, apart: bool = False
) -> Stratum:
    """The pair's stratum from its per-field evidence (objects or the stored JSON dicts); ``held``: a
    rule the evidence does not show held the pair from an automatic link; ``apart``: a rule settled
    it as two people."""
    if apart:
        return "apart"
    items = _items(evidence)
    levels = {c: lv for c, lv, _ in items}
    curp = levels.get("curp")
    if curp == "else":
        return "curp_apart"
    slip = levels.get("birth_date") in SLIP_LEVELS
    dates = levels.get("birth_date") == DATES_APART_LEVEL
    if held:  # the same CURP on both records included: a relative's CURP copied, held by another rule
        if curp in NEAR_CURP_LEVELS:
            return "ruled_curp"
        return "ruled_slip" if slip else "ruled_dates" if dates else "ruled"
    if curp == "exact":
        return "curp_same"
    anchored = any(w > 0 for c, _, w in items if c in ANCHOR_COMPARISONS)
    vetoed = any(levels.get(c) == "else" for c in VETO_COMPARISONS)
    if not anchored or vetoed or curp == "exact, given names unrelated":
        return "held_slip" if slip else "held_dates" if dates else "held"
    return "open"


def weight_of_probability(p: float) -> float:
    """The match weight whose Splink probability is ``p`` (for a stored score without its weight)."""
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log2(p / (1 - p))


def raw_probability(weight: float) -> float:
    w = min(max(weight, -1000.0), 1000.0)
    return 1.0 / (1.0 + math.pow(2.0, -w))


@dataclass(frozen=True, slots=True)
class Label:
    """A pair whose answer is known: its stratum and raw weight, whether it is one person, how it is
    known and how much it counts in the fit."""

    stratum: Stratum
    weight: float
    same: bool
    kind: LabelKind
    count: float = 1.0


@dataclass(frozen=True, slots=True)
class Curve:
    """A non-decreasing map from raw weight to probability: pooled block ``i`` covers the weights
    ``lo[i]``–``hi[i]`` (ascending, disjoint) at probability ``ps[i]`` (non-decreasing); between two
    blocks the probability runs linearly from one to the next, beyond the ends it is held."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    ps: tuple[float, ...]

    def probability(self, weight: float) -> float:
        if not self.ps:
            return _clip(raw_probability(weight))
        i = bisect.bisect_right(self.lo, weight) - 1  # the last block starting at or below weight
        if i < 0:
            return _clip(self.ps[0])
        if weight <= self.hi[i] or i == len(self.ps) - 1:
            return _clip(self.ps[i])
        x0, x1, p0, p1 = self.hi[i], self.lo[i + 1], self.ps[i], self.ps[i + 1]
        return _clip(p0 + (weight - x0) / (x1 - x0) * (p1 - p0))


def _clip(p: float) -> float:
    return min(max(p, FLOOR), 1.0 - FLOOR)


def isotonic(points: Sequence[tuple[float, float, float]]) -> Curve:
    """Pool adjacent violators over (x, y, count) points: the count-weighted least-squares
    non-decreasing fit of y on x, as block centres and block means."""
    # Points at one x are one block from the start: their order must not matter.
    at: dict[float, list[float]] = {}
    for x, y, n in points:
        if n > 0:
            cell = at.setdefault(x, [0.0, 0.0])
            cell[0] += n * y
            cell[1] += n
    blocks: list[list[float]] = []  # [lowest x, highest x, sum of count·y, sum of count]
    for x in sorted(at):
        sy, n = at[x]
        blocks.append([x, x, sy, n])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] >= blocks[-1][2] / blocks[-1][3]:
            _, hi, sy, sn = blocks.pop()
            blocks[-1][1] = hi
            blocks[-1][2] += sy
            blocks[-1][3] += sn
    return Curve(tuple(b[0] for b in blocks), tuple(b[1] for b in blocks), tuple(b[2] / b[3] for b in blocks))


@dataclass(frozen=True, slots=True)
class Calibration:
    """One fit for one model version: a curve per stratum and what it was fitted on."""

    model_version: str
    curves: Mapping[Stratum, Curve]
    labels: Mapping[str, int] = field(default_factory=dict)

    def probability(self, stratum: Stratum, weight: float) -> float:
        curve = self.curves.get(stratum)
        if curve is None and stratum in PARENT:
            # A fit stored before the stratum was split off: what that fit showed such a pair.
            curve = self.curves.get(PARENT[stratum])
        if curve is not None:
            return curve.probability(weight)
        # A fit stored before the stratum existed: the prior the fit would have started from.
        return _clip(RULED_PRIOR.get(stratum, raw_probability(weight)))

    def of_evidence(
        self,
        weight: float,
        evidence: Iterable[Evidence | Mapping[str, Any]],
        *,
        held: bool = False,
        apart: bool = False,
    ) -> float:
        return self.probability(stratum_of(evidence, held=held, apart=apart), weight)

    def as_json(self) -> dict[str, Any]:
        return {
            "strata": {
                s: {"lo": list(c.lo), "hi": list(c.hi), "p": list(c.ps)} for s, c in self.curves.items()
            },
            "labels": dict(self.labels),
        }

    @classmethod
    def from_json(cls, model_version: str, data: Mapping[str, Any]) -> Calibration:
        curves: dict[Stratum, Curve] = {}
        for s in STRATA:
            c = data.get("strata", {}).get(s)
            if c:
                curves[s] = Curve(*(tuple(float(v) for v in c[k]) for k in ("lo", "hi", "p")))
        return cls(model_version, curves, {str(k): int(v) for k, v in data.get("labels", {}).items()})


def label_counts(labels: Iterable[Label]) -> dict[str, int]:
    """Labels by kind and by stratum (``kind:…``, ``stratum:…``), for the run report."""
    out: dict[str, int] = {}
    for lb in labels:
        for key in (f"kind:{lb.kind}", f"stratum:{lb.stratum}"):
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def _prior(stratum: Stratum, weight: float) -> float:
    return 0.0 if stratum == "apart" else raw_probability(weight)


def ruled_rate(stratum: Stratum, labels: Iterable[Label]) -> float:
    """A rule-held stratum's one figure: the share of one person among its labels (each with its
    count), with ``RULED_PRIOR_COUNT`` pseudo-pairs at the stratum's prior. Flat in the raw weight: the
    weight is what the rule overruled, so a higher one says nothing more."""
    n = same = 0.0
    for lb in labels:
        if lb.stratum == stratum:
            n += lb.count
            same += lb.count * lb.same
    return (same + RULED_PRIOR_COUNT * RULED_PRIOR[stratum]) / (n + RULED_PRIOR_COUNT)


def held_cap(stratum: Stratum, labels: Iterable[Label]) -> float:
    """The most a pair of a held stratum is shown: reviewers' decisions on the stratum's pairs beside
    ``RULED_PRIOR_COUNT`` pseudo-pairs at its ``HELD_PRIOR`` (the run's settled labels left out: see
    ``HELD_PRIOR``)."""
    n = same = 0.0
    for lb in labels:
        if lb.stratum == stratum and lb.kind in ("review_link", "review_not_link"):
            n += lb.count
            same += lb.count * lb.same
    return (same + RULED_PRIOR_COUNT * HELD_PRIOR[stratum]) / (n + RULED_PRIOR_COUNT)


def fit(labels: Sequence[Label], *, model_version: str) -> Calibration:
    """Isotonic fit per stratum of ``labels`` on top of the model's own probability as prior; one
    rate for each rule-held stratum (``ruled_rate``); the held strata capped (``held_cap``)."""
    lo, hi = WEIGHT_RANGE
    curves: dict[Stratum, Curve] = {}
    for s in STRATA:
        if s in RULED_PRIOR:
            curves[s] = Curve((lo,), (hi,), (ruled_rate(s, labels),))
            continue
        # Where no label lies the model speaks — except for pairs a rule settled as two people, where
        # the rule does (the model's weights are what the rule overrules).
        points = [(float(w), _prior(s, w), PRIOR_COUNT) for w in PRIOR_GRID]
        points += [
            (min(max(lb.weight, lo), hi), float(lb.same), lb.count) for lb in labels if lb.stratum == s
        ]
        curves[s] = isotonic(points)
    for s in HELD_STRATA:
        c, cap = curves[s], held_cap(s, labels)
        curves[s] = Curve(c.lo, c.hi, tuple(min(p, cap) for p in c.ps))
    return Calibration(model_version, curves, label_counts(labels))
