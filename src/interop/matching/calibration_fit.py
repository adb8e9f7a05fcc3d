"""Fitting, storing and applying the score calibration (``calibration``) of the active model, on the labels
of ``calibration_labels`` (what the data settles, and reviewers' decisions).

``refit`` runs at the end of every match run (inside its transaction) and as the ``matching.calibrate``
job that every ``REFIT_EVERY`` decisions queue; it stores the fit with its model version (a retrained
model starts with none, so the model's own probability until its run ends) and rewrites the open
reviews' shown score, keeping the raw one in ``raw_score``. Never commits.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.job import service as job_service
from interop.matching.calibration import Calibration, fit, raw_probability, weight_of_probability
from interop.matching.calibration_labels import decision_labels, settled_labels
from interop.matching.models import MatchCalibration, MatchReview
from interop.matching.models_store import LoadedModel
from interop.matching.schemas import OnlineCandidate

CALIBRATE_JOB = "matching.calibrate"
SETTLED_SAMPLE = 2000
REFIT_EVERY = 25
CACHE_S = 30.0
_CHUNK = 5000

# model version -> (monotonic time read, the latest fit or None)
_CACHE: dict[str, tuple[float, Calibration | None]] = {}


async def refit(
    session: AsyncSession,
    *,
    model: LoadedModel,
    auto_threshold: float,
    run_id: int | None = None,
    sample: int = SETTLED_SAMPLE,
) -> dict[str, Any]:
    """Fit, store and apply a calibration of ``model``; returns how it was fitted (for the run report):
    labels by kind and stratum, reviews rescored, seconds."""
    t0 = time.perf_counter()
    labels = await settled_labels(session, model=model, sample=sample, auto_threshold=auto_threshold)
    labels += await decision_labels(session, model=model, auto_threshold=auto_threshold)
    calibration = fit(labels, model_version=model.version)
    row = MatchCalibration(model_version=model.version, curves=calibration.as_json(), run_id=run_id)
    session.add(row)
    await session.flush()
    rescored = await apply_to_open_reviews(
        session, calibration=calibration, calibration_id=row.id, auto_threshold=auto_threshold
    )
    _CACHE[model.version] = (time.monotonic(), calibration)
    return {
        "calibration_id": row.id,
        "labels": calibration.labels,
        "reviews_rescored": rescored,
        "seconds": round(time.perf_counter() - t0, 2),
    }


async def apply_to_open_reviews(
    session: AsyncSession, *, calibration: Calibration, calibration_id: int, auto_threshold: float
) -> int:
    """Every open review's shown ``score`` from its raw weight and evidence; ``raw_score`` keeps the
    model's probability. A review scored at or above the auto-link threshold is one a rule held."""
    rows = (
        await session.execute(
            select(
                MatchReview.id,
                MatchReview.match_weight,
                MatchReview.raw_score,
                MatchReview.score,
                MatchReview.evidence,
            ).where(MatchReview.status == "open")
        )
    ).all()
    done = 0
    for start in range(0, len(rows), _CHUNK):
        ids, raws, shown = [], [], []
        for review_id, weight, raw_score, score, evidence in rows[start : start + _CHUNK]:
            if weight is not None:
                raw = raw_probability(weight)
            else:
                raw = raw_score if raw_score is not None else score
                weight = weight_of_probability(raw)
            ids.append(review_id)
            raws.append(raw)
            found = evidence if isinstance(evidence, list) else []
            shown.append(calibration.of_evidence(weight, found, held=raw >= auto_threshold))
        await session.execute(
            text(
                "UPDATE match_review r SET raw_score = v.raw, score = v.p, calibration_id = :cid "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:raws AS float8[]), CAST(:ps AS float8[])) "
                "AS v(id, raw, p) WHERE r.id = v.id"
            ),
            {"ids": ids, "raws": raws, "ps": shown, "cid": calibration_id},
        )
        done += len(ids)
    return done


async def latest(session: AsyncSession, *, model_version: str) -> Calibration | None:
    """The newest calibration of ``model_version`` (read at most every ``CACHE_S`` per process)."""
    cached = _CACHE.get(model_version)
    if cached is not None and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    row = (
        await session.execute(
            select(MatchCalibration)
            .where(MatchCalibration.model_version == model_version)
            .order_by(MatchCalibration.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    calibration = None if row is None else Calibration.from_json(model_version, row.curves)
    _CACHE[model_version] = (time.monotonic(), calibration)
    return calibration


async def calibrate_candidates(
    session: AsyncSession,
    *,
    candidates: list[OnlineCandidate],
    review_threshold: float,
    auto_threshold: float,
) -> list[OnlineCandidate]:
    """Each candidate's ``probability`` calibrated (the raw one kept in ``raw_probability``), best first.
    A ``certain`` grade stays the batch's rule (raw score and anchors); probable and possible follow
    the calibrated figure."""
    if not candidates:
        return candidates
    calibration = await latest(session, model_version=candidates[0].model_version)
    if calibration is None:
        return [c.model_copy(update={"raw_probability": c.probability}) for c in candidates]
    middle = (auto_threshold + review_threshold) / 2
    out = []
    for c in candidates:
        held = c.probability >= auto_threshold and c.grade != "certain"
        apart = c.grade == "certainly-not"
        p = calibration.of_evidence(c.match_weight, c.evidence, held=held, apart=apart)
        grade = c.grade
        if grade in ("probable", "possible"):
            grade = "probable" if p >= middle else "possible"
        out.append(c.model_copy(update={"probability": p, "raw_probability": c.probability, "grade": grade}))
    # Best first by what is shown (a held pair can score above one the calibration trusts more);
    # certainly-not stays last, as ``online.match`` put it.
    out.sort(
        key=lambda c: (c.grade == "certainly-not", -c.probability, -c.match_weight, c.source, c.record_id)
    )
    return out


async def after_decision(session: AsyncSession) -> None:
    """Queue a refit once ``REFIT_EVERY`` decisions were taken since the active model's last fit."""
    # One round trip on every decision: the active model, its last fit and the decisions since.
    since = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM match_review r WHERE r.status = 'decided' "
                "AND (f.last IS NULL OR r.decided_at > f.last)) "
                "FROM match_model m, LATERAL (SELECT max(c.fitted_at) AS last FROM match_calibration c "
                "WHERE c.model_version = m.version) f WHERE m.active LIMIT 1"
            )
        )
    ).scalar_one_or_none()
    if since is not None and since % REFIT_EVERY == 0:
        await job_service.enqueue(session, kind=CALIBRATE_JOB, payload={}, queue_key=CALIBRATE_JOB)
