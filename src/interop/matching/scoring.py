"""Scoring a pair with a trained model in plain Python: the online path's scorer.

The trained model is Splink's own JSON (m and u of every level, the prior) plus the term-frequency
tables it was trained with. Weights follow Splink's formulas exactly (log2 m/u per level, the
term-frequency adjustment ``w · (log2 u_exact − log2 max(tf_l, tf_r, tf_min))``, the prior
``log2 λ/(1−λ)``), so a pair gets the probability here that ``predict`` gives it in DuckDB.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from interop.matching.features import MatchFeatures
from interop.matching.spec import COMPARISON_BY_NAME, Comparison, Level

_CLAMP = 1e-300


@dataclass(frozen=True, slots=True)
class LevelWeight:
    level: Level
    weight: float
    tf_weight: float = 0.0
    log2_u_exact: float = 0.0
    tf_minimum: float = 0.0


@dataclass(frozen=True, slots=True)
class TrainedModel:
    version: str
    digest: str
    prior_weight: float
    comparisons: tuple[tuple[Comparison, tuple[LevelWeight, ...]], ...]
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    # headroom[i]: the most the comparisons from the i-th on can still add (``load_model``); empty: unknown.
    headroom: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    comparison: str
    level: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"comparison": self.comparison, "level": self.level, "weight": round(self.weight, 4)}


@dataclass(frozen=True, slots=True)
class PairScore:
    match_weight: float
    probability: float
    evidence: tuple[FieldEvidence, ...]


def model_digest(settings: dict[str, Any], tf: dict[str, dict[str, float]]) -> str:
    """sha256 over the canonical JSON of the Splink settings and the term-frequency tables."""
    blob = json.dumps({"settings": settings, "tf": tf}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def weight_to_probability(weight: float) -> float:
    if weight > 1000:
        return 1.0
    bf: float = 2.0**weight
    return bf / (1.0 + bf)


def _level_weight(level: Level, data: dict[str, Any]) -> LevelWeight:
    if level.null or data.get("is_null_level"):
        return LevelWeight(level, 0.0)
    m = max(float(data.get("m_probability", 0.5)), _CLAMP)
    u = max(float(data.get("u_probability", 0.5)), _CLAMP)
    tf_weight = float(data.get("tf_adjustment_weight", 0.0)) if level.tf_column else 0.0
    return LevelWeight(
        level,
        math.log2(m / u),
        tf_weight=tf_weight,
        log2_u_exact=math.log2(u),
        tf_minimum=float(data.get("tf_minimum_u_value", 0.0)),
    )


def load_model(
    settings: dict[str, Any], tf: dict[str, dict[str, float]], *, version: str, digest: str
) -> TrainedModel:
    """Bind a saved Splink model to the comparisons of ``spec`` (by comparison name and level label),
    in the model's order; a model trained on fewer fields holds fewer comparisons."""
    bound: list[tuple[Comparison, tuple[LevelWeight, ...]]] = []
    for data in settings["comparisons"]:
        comparison = COMPARISON_BY_NAME[data["output_column_name"]]
        saved = data["comparison_levels"]
        by_label = {lv.get("label_for_charts"): lv for lv in saved}
        # A model saved before a level was added scores as it was trained: the level is left out.
        levels = tuple(
            _level_weight(lv, by_label[lv.label]) for lv in comparison.levels if lv.label in by_label
        )
        bound.append((comparison, levels))
    lam = float(settings["probability_two_random_records_match"])
    return TrainedModel(
        version=version,
        digest=digest,
        prior_weight=math.log2(lam / (1.0 - lam)),
        comparisons=tuple(bound),
        tf=tf,
        headroom=_headroom(bound, tf),
    )


def _level_ceiling(lw: LevelWeight, tf: dict[str, dict[str, float]]) -> float:
    """The most one level can add: its weight and the largest term-frequency adjustment any value of its
    table gives (``_tf_adjustment`` is monotone in the looked-up frequency, so one end of the table's
    range; 0 when neither value is in the table)."""
    column = lw.level.tf_column
    table = tf.get(column, {}) if column is not None else {}
    if column is None or lw.tf_weight == 0.0 or not table:
        return lw.weight
    ends = (min(table.values()), max(table.values()))
    adjustments = [lw.tf_weight * (lw.log2_u_exact - math.log2(max(v, lw.tf_minimum, _CLAMP))) for v in ends]
    return lw.weight + max(0.0, *adjustments)


def _headroom(
    bound: list[tuple[Comparison, tuple[LevelWeight, ...]]], tf: dict[str, dict[str, float]]
) -> tuple[float, ...]:
    """Suffix sums of each comparison's ceiling (0 at least: a comparison no level of which holds adds
    nothing); one more entry than comparisons, the last 0."""
    out = [0.0]
    for _, levels in reversed(bound):
        out.append(out[-1] + max([0.0, *(_level_ceiling(lw, tf) for lw in levels)]))
    return tuple(reversed(out))


# A pair is given up only this far below the floor: the ceilings are summed in another order than a
# pair's weights, so their rounding differs (by ~1e-13); this keeps a pair at the floor scored.
_FLOOR_MARGIN = 1e-6


def floor_weight(probability: float) -> float:
    """The match weight a pair must reach to score ``probability`` (``weight_to_probability``'s inverse);
    -inf outside (0, 1), so that nothing is given up early there. Not clamped, unlike
    ``calibration.weight_of_probability`` (a stored score's weight): a floor is compared, not shown."""
    if probability <= 0.0 or probability >= 1.0:
        return -math.inf
    return math.log2(probability / (1.0 - probability))


def _tf_adjustment(model: TrainedModel, lw: LevelWeight, a: MatchFeatures, b: MatchFeatures) -> float:
    column = lw.level.tf_column
    if column is None or lw.tf_weight == 0.0:
        return 0.0
    table = model.tf.get(column, {})
    tf_a = table.get(getattr(a, column) or "")
    tf_b = table.get(getattr(b, column) or "")
    if tf_a is None and tf_b is None:
        return 0.0
    value = max(tf_a if tf_a is not None else tf_b or 0.0, tf_b if tf_b is not None else tf_a or 0.0)
    value = max(value, lw.tf_minimum, _CLAMP)
    return lw.tf_weight * (lw.log2_u_exact - math.log2(value))


def score_pair(model: TrainedModel, a: MatchFeatures, b: MatchFeatures) -> PairScore:
    scored = score_pair_reaching(model, a, b, -math.inf)
    assert scored is not None  # nothing is below -inf
    return scored


def score_pair_reaching(
    model: TrainedModel, a: MatchFeatures, b: MatchFeatures, floor: float
) -> PairScore | None:
    """``score_pair``, or None as soon as the pair cannot reach the match weight ``floor`` (``floor_weight``
    of a probability) whatever the comparisons still to test say (``TrainedModel.headroom``): a pair
    scored whole gets the same figures as from ``score_pair`` (same sums in the same order), and only a
    pair that would have scored below the floor is given up. ``$match`` tests every candidate its
    blocking keys find; most are far below the review band."""
    total = model.prior_weight
    evidence: list[FieldEvidence] = []
    headroom = model.headroom if floor > -math.inf else ()
    for i, (comparison, levels) in enumerate(model.comparisons):
        if headroom and total + headroom[i] < floor - _FLOOR_MARGIN:
            return None
        for lw in levels:
            if lw.level.test(a, b):
                weight = lw.weight + _tf_adjustment(model, lw, a, b)
                evidence.append(FieldEvidence(comparison.name, lw.level.label, weight))
                total += weight
                break
    return PairScore(total, weight_to_probability(total), tuple(evidence))


def grade(
    probability: float, *, auto_threshold: float, review_threshold: float
) -> Literal["certain", "probable", "possible"]:
    """The FHIR match-grade of a probability (certainly-not is reserved for manual NO_MATCH)."""
    if probability >= auto_threshold:
        return "certain"
    if probability >= (auto_threshold + review_threshold) / 2:
        return "probable"
    return "possible"
