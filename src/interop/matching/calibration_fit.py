"""Fitting, storing and applying the score calibration (``calibration``) of the active model.

Labels, since production has no truth file (docs/decisions.md, "Calibrated scores"):

- **what the data settles**: a sample of stored records whose CURP settles identity
  (``conflict.settles``) and the candidates the online blocking finds for each whose CURP settles too.
  The same CURP is one person (``curp_same``); CURPs differing beyond the homoclave are two
  (``curp_apart``; the same first 16 characters with another homoclave is left out: a reissued CURP or
  true namesakes, not settled). Each such pair gives two labels: in its own stratum at its raw weight
  (the rule's word), and — scored again *as if neither record had a CURP* — in the stratum and at the
  weight a CURP-less pair with the same names, date, sex and place would have. That second label is
  what calibrates the pairs the data does not settle; it assumes that whether a record carries a CURP
  says nothing of whether the pair is one person.
- **reviewers' decisions** (``match_review`` decided link / not-link), each counting ``REVIEW_COUNT``:
  they are labels of exactly the pairs the queue shows.

``refit`` runs at the end of every match run (inside its transaction) and as the ``matching.calibrate``
job that every ``REFIT_EVERY`` decisions queue; it stores the fit with its model version (a retrained
model starts with none, so the model's own probability until its run ends) and rewrites the open
reviews' shown score, keeping the raw one in ``raw_score``. Never commits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.job import service as job_service
from interop.matching import models_store, online
from interop.matching.calibration import (
    Calibration,
    Label,
    LabelKind,
    fit,
    raw_probability,
    stratum_of,
    weight_of_probability,
)
from interop.matching.conflict import Signature, settles
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of
from interop.matching.models import MatchCalibration, MatchReview
from interop.matching.models_store import LoadedModel
from interop.matching.schemas import OnlineCandidate
from interop.matching.scoring import score_pair

CALIBRATE_JOB = "matching.calibrate"
SETTLED_SAMPLE = 2000
REVIEW_COUNT = 3.0
REFIT_EVERY = 25
CACHE_S = 30.0
_CHUNK = 5000
_STORED = [c for c in FEATURE_COLUMNS if c != "unique_id"]

# model version -> (monotonic time read, the latest fit or None)
_CACHE: dict[str, tuple[float, Calibration | None]] = {}


def _features(values: Sequence[Any]) -> MatchFeatures:
    return MatchFeatures(f"{values[0]}|{values[1]}", *values)


async def settled_labels(session: AsyncSession, *, model: LoadedModel, sample: int) -> list[Label]:
    """Labels of pairs whose CURPs settle them (module docstring), from ``sample`` records."""
    rows = await session.execute(
        text(
            f"SELECT {', '.join(_STORED)} FROM match_record WHERE curp IS NOT NULL AND dob IS NOT NULL "
            "ORDER BY hashtext(source || '|' || record_id) LIMIT :n"
        ),
        {"n": sample},
    )
    probes = [f for f in (_features(r) for r in rows.all()) if settles(Signature.of(f))]
    seen: set[tuple[str, str]] = set()
    labels: list[Label] = []
    for a in probes:
        sql, params = online.candidate_query(a)
        if not sql:
            continue
        for row in (await session.execute(text(sql), params)).all():
            b = _features(row[: len(_STORED)])
            key = (min(a.unique_id, b.unique_id), max(a.unique_id, b.unique_id))
            if a.unique_id == b.unique_id or key in seen or not settles(Signature.of(b)):
                continue
            seen.add(key)
            if a.curp == b.curp:
                same = True
            elif a.curp16 == b.curp16:
                continue
            else:
                same = False
            kind: LabelKind = "curp_same" if same else "curp_apart"
            full = score_pair(model.scoring, a, b)
            own = stratum_of(full.evidence)
            if own in ("curp_same", "curp_apart"):
                labels.append(Label(own, full.match_weight, same, kind))
            masked = score_pair(
                model.scoring, replace(a, curp=None, curp16=None), replace(b, curp=None, curp16=None)
            )
            labels.append(Label(stratum_of(masked.evidence), masked.match_weight, same, kind))
    return labels


async def decision_labels(session: AsyncSession, *, model: LoadedModel) -> list[Label]:
    """Reviewers' decisions as labels; a review scored by another model version is scored again with
    this one from its records' stored features (a visit's side from its snapshot)."""
    reviews = (
        await session.execute(
            select(MatchReview).where(
                MatchReview.status == "decided", MatchReview.decision.in_(("link", "not-link"))
            )
        )
    ).scalars()
    labels: list[Label] = []
    for r in reviews:
        same = r.decision == "link"
        kind: LabelKind = "review_link" if same else "review_not_link"
        if r.model_version == model.version and r.match_weight is not None:
            evidence: list[Any] = r.evidence if isinstance(r.evidence, list) else []
            labels.append(Label(stratum_of(evidence), r.match_weight, same, kind, REVIEW_COUNT))
            continue
        a = await _side(session, r.left_source, r.left_record_id, r.left_snapshot)
        b = await _side(session, r.right_source, r.right_record_id, None)
        if a is None or b is None:
            continue
        scored = score_pair(model.scoring, a, b)
        labels.append(Label(stratum_of(scored.evidence), scored.match_weight, same, kind, REVIEW_COUNT))
    return labels


async def _side(
    session: AsyncSession, source: str, record_id: str, snapshot: dict[str, Any] | None
) -> MatchFeatures | None:
    if snapshot:
        born = snapshot.get("fecha_nacimiento")
        return features_of(
            source=source,
            record_id=record_id,
            curp=snapshot.get("curp"),
            given_names=snapshot.get("nombre") or "",
            paternal_surname=snapshot.get("primer_apellido") or "",
            maternal_surname=snapshot.get("segundo_apellido"),
            birth_date=date.fromisoformat(born) if born else None,
            sex=snapshot.get("sexo"),
            entidad=snapshot.get("entidad"),
            municipio=snapshot.get("municipio"),
            localidad=snapshot.get("localidad"),
            domicilio=snapshot.get("domicilio"),
        )
    row = (
        await session.execute(
            text(f"SELECT {', '.join(_STORED)} FROM match_record WHERE source = :s AND record_id = :r"),
            {"s": source, "r": record_id},
        )
    ).first()
    return None if row is None else _features(row)


async def refit(
    session: AsyncSession, *, model: LoadedModel, run_id: int | None = None, sample: int = SETTLED_SAMPLE
) -> dict[str, Any]:
    """Fit, store and apply a calibration of ``model``; returns how it was fitted (for the run report):
    labels by kind and stratum, reviews rescored, seconds."""
    t0 = time.perf_counter()
    labels = await settled_labels(session, model=model, sample=sample)
    labels += await decision_labels(session, model=model)
    calibration = fit(labels, model_version=model.version)
    row = MatchCalibration(model_version=model.version, curves=calibration.as_json(), run_id=run_id)
    session.add(row)
    await session.flush()
    rescored = await apply_to_open_reviews(session, calibration=calibration, calibration_id=row.id)
    _CACHE[model.version] = (time.monotonic(), calibration)
    return {
        "calibration_id": row.id,
        "labels": calibration.labels,
        "reviews_rescored": rescored,
        "seconds": round(time.perf_counter() - t0, 2),
    }


async def apply_to_open_reviews(
    session: AsyncSession, *, calibration: Calibration, calibration_id: int
) -> int:
    """Every open review's shown ``score`` from its raw weight and evidence; ``raw_score`` keeps the
    model's probability."""
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
            shown.append(calibration.of_evidence(weight, evidence if isinstance(evidence, list) else []))
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
    """Each candidate's ``probability`` calibrated (the raw one kept in ``raw_probability``). A
    ``certain`` grade stays the batch's rule (raw score and anchors); probable and possible follow the
    calibrated figure."""
    if not candidates:
        return candidates
    calibration = await latest(session, model_version=candidates[0].model_version)
    if calibration is None:
        return [c.model_copy(update={"raw_probability": c.probability}) for c in candidates]
    middle = (auto_threshold + review_threshold) / 2
    out = []
    for c in candidates:
        p = calibration.of_evidence(c.match_weight, c.evidence)
        grade = c.grade
        if grade in ("probable", "possible"):
            grade = "probable" if p >= middle else "possible"
        out.append(c.model_copy(update={"probability": p, "raw_probability": c.probability, "grade": grade}))
    return out


async def after_decision(session: AsyncSession) -> None:
    """Queue a refit once ``REFIT_EVERY`` decisions were taken since the active model's last fit."""
    model = await models_store.active_model(session)
    if model is None:
        return
    last = (
        await session.execute(
            select(func.max(MatchCalibration.fitted_at)).where(
                MatchCalibration.model_version == model.version
            )
        )
    ).scalar_one_or_none()
    query = select(func.count()).select_from(MatchReview).where(MatchReview.status == "decided")
    if last is not None:
        query = query.where(MatchReview.decided_at > last)
    if (await session.execute(query)).scalar_one() % REFIT_EVERY == 0:
        await job_service.enqueue(session, kind=CALIBRATE_JOB, payload={}, queue_key=CALIBRATE_JOB)
