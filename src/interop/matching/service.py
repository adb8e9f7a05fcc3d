"""The matching domain's voice: runs, the person index, online matching and visit reviews (the review
queue itself is ``reviews``).

Never commits (the edge does); batch work happens in the ``matching.run`` job (``tasks``/``runs``).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.job import service as job_service
from interop.matching import calibration_fit, evaluation, models_store, online
from interop.matching.backlog import review_backlog as review_backlog  # the dashboard's backlog figures
from interop.matching.engines import ENGINES
from interop.matching.errors import MatchEngineUnavailable, MatchRunNotFound, TruthFileInvalid
from interop.matching.models import MatchReview, MatchRun
from interop.matching.reviews import VISIT_SOURCE, actor_name
from interop.matching.reviews import (  # re-exported: decisions, their reversal, what referrals follow
    decide_review as decide_review,
)
from interop.matching.reviews import decided_visit_review as decided_visit_review
from interop.matching.reviews import reverse_decision as reverse_decision
from interop.matching.schemas import (
    EvaluationReport,
    IdentityProbe,
    OnlineCandidate,
    PairwiseRead,
)

RUN_JOB = "matching.run"
# --- runs -------------------------------------------------------------------------------------------


async def start_run(
    session: AsyncSession, ctx: RequestContext, *, retrain: bool = False, engine: str | None = None
) -> MatchRun:
    """Queue a batch run (one at a time: runs share a queue key), on ``engine`` (``duckdb`` or
    ``spark``; the ``match_engine`` setting of the worker that runs it when None)."""
    if engine is not None and engine not in ENGINES:
        raise MatchEngineUnavailable.said(
            "matching.engine_unknown", engine=engine, engines=", ".join(ENGINES)
        )
    run = MatchRun(
        status="queued", retrain=retrain, requested_by=actor_name(ctx), counts={}, records_scored=0
    )
    session.add(run)
    await session.flush()
    job = await job_service.enqueue(
        session,
        kind=RUN_JOB,
        payload={"run_id": run.id, **({"engine": engine} if engine else {})},
        queue_key="matching.run",
        trace_id=ctx.trace_id,
    )
    run.job_id = job.id
    await audit_service.record(
        session, ctx, action="E", subtype="match-run", entities=[AuditEntity(type="MatchRun", id=str(run.id))]
    )
    await session.flush()
    return run


async def get_run(session: AsyncSession, *, run_id: int) -> tuple[MatchRun, dict[str, Any]]:
    """The run and its job's progress."""
    run = await session.get(MatchRun, run_id, populate_existing=True)
    if run is None:
        raise MatchRunNotFound.said("matching.run_not_found")
    progress: dict[str, Any] = {}
    if run.job_id is not None:
        job = await job_service.get_job(session, job_id=run.job_id)
        if job is not None:
            progress = dict(job.progress or {})
            if job.state == "failed" and run.status != "failed":
                run.status = "failed"
                run.error = job.error
    return run, progress


# --- online -----------------------------------------------------------------------------------------


# Planning the candidates' query (one index branch per blocking rule, ~15) took 3–9 ms per call, its
# execution ~0.5 ms: every branch is an exact lookup whose plan does not depend on the values.
_GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")


async def match_online(
    session: AsyncSession,
    *,
    probe: IdentityProbe,
    settings: Settings,
    limit: int = 10,
    generic_plans: bool | Literal["connection"] = False,
) -> list[OnlineCandidate]:
    """Stored records matching ``probe``, best first, at or above the review threshold (``settings``'
    thresholds). Candidates come from the indexed blocking keys; scores from the active model. Empty
    before the first run.

    ``generic_plans``: for the rest of the caller's transaction, prepared statements use their cached
    generic plan (planned once per connection, not on every call). Only for a transaction whose every
    statement has an index on its generic plan — ``Patient/$match`` (tests/matching/test_match_plans.py);
    not a visit's, which goes on to write referrals whose partial indexes need the values to plan.
    ``"connection"``: the session's connection plans generically from connect on (``api.deps``'
    lookup session, ``Patient/$match``'s), so nothing is set (False would set and reset it around the
    candidates' query)."""
    if generic_plans is True:
        await session.execute(_GENERIC_PLANS)
    candidates = await online.match(
        session,
        model=None,  # the active model, read with the candidates
        probe=probe,
        limit=limit,
        auto_threshold=settings.match_auto_threshold,
        review_threshold=settings.match_review_threshold,
        generic_plans_set=bool(generic_plans),
    )
    return await calibration_fit.calibrate_candidates(
        session,
        candidates=candidates,
        auto_threshold=settings.match_auto_threshold,
        review_threshold=settings.match_review_threshold,
    )


async def calibrate(session: AsyncSession, *, settings: Settings) -> dict[str, Any] | None:
    """Refit the active model's score calibration and rescore the open reviews
    (``calibration_fit.refit``); None before the first run."""
    model = await models_store.active_model(session)
    if model is None:
        return None
    return await calibration_fit.refit(session, model=model, auto_threshold=settings.match_auto_threshold)


# What ``Patient/$match`` shows of each candidate (``identity_record`` columns).
CANDIDATE_COLUMNS = (
    "source, record_id, patient_id, version, created_at, curp, nombre, primer_apellido, segundo_apellido, "
    "fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio, telefono, clues_current"
)


def candidate_records_query(keys: Sequence[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
    """The current records of ``keys`` ((source, record_id) pairs): one lookup per source, on the
    record id alone, which each source's unique index of current records serves (a filter on
    ``source || '|' || record_id`` scanned both record tables on every ``$match``)."""
    by_source: dict[str, list[str]] = {}
    for source, record_id in keys:
        by_source.setdefault(source, []).append(record_id)
    branches: list[str] = []
    params: dict[str, Any] = {}
    for i, (source, ids) in enumerate(sorted(by_source.items())):
        params[f"s{i}"], params[f"ids{i}"] = source, ids
        branches.append(
            f"SELECT {CANDIDATE_COLUMNS} FROM identity_record "
            f"WHERE source = CAST(:s{i} AS text) AND record_id = ANY(CAST(:ids{i} AS text[]))"
        )
    return " UNION ALL ".join(branches), params


async def read_candidate_records(
    session: AsyncSession, *, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The current identity record of each (source, record_id) in ``keys`` that exists, by key."""
    if not keys:
        return {}
    sql, params = candidate_records_query(keys)
    rows = await session.execute(online.statement(sql), params)
    return {(row["source"], row["record_id"]): dict(row) for row in rows.mappings()}


async def queue_visit_review(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    provisional_patient_id: uuid.UUID,
    probe: IdentityProbe,
    candidates: Sequence[OnlineCandidate],
) -> list[int]:
    """Put a visit's uncertain candidates on the review queue (left side: the provisional patient)."""
    snapshot = {
        "curp": probe.curp,
        "nombre": probe.given_names,
        "primer_apellido": probe.paternal_surname,
        "segundo_apellido": probe.maternal_surname,
        "fecha_nacimiento": probe.birth_date.isoformat() if probe.birth_date else None,
        "sexo": probe.sex,
        "entidad": probe.entidad,
        "municipio": probe.municipio,
        "localidad": probe.localidad,
        "domicilio": probe.domicilio,
    }
    ids: list[int] = []
    for cand in candidates:
        existing = (
            await session.execute(
                select(MatchReview).where(
                    MatchReview.left_source == VISIT_SOURCE,
                    MatchReview.left_record_id == str(provisional_patient_id),
                    MatchReview.right_source == cand.source,
                    MatchReview.right_record_id == cand.record_id,
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            ids.append(existing.id)
            continue
        review = MatchReview(
            left_source=VISIT_SOURCE,
            left_record_id=str(provisional_patient_id),
            right_source=cand.source,
            right_record_id=cand.record_id,
            left_snapshot=snapshot,
            score=cand.probability,
            raw_score=cand.raw_probability,
            match_weight=cand.match_weight,
            model_version=cand.model_version,
            evidence=[e.model_dump() for e in cand.evidence],  # type: ignore[arg-type]
            status="open",
        )
        session.add(review)
        await session.flush()
        ids.append(review.id)
    if ids:
        await audit_service.record(
            session,
            ctx,
            action="C",
            subtype="create",
            entities=[AuditEntity(type="MatchReview", id=str(i)) for i in ids],
            patients=[f"Patient/{provisional_patient_id}"],
        )
    return ids


async def registry_units_of(session: AsyncSession, *, person_id: uuid.UUID) -> list[str]:
    """CLUES of the units where this person is already a registry patient."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT i.clues_current FROM match_record m JOIN identity_record i "
            "ON i.source = m.source AND i.record_id = m.record_id "
            "WHERE m.person_id = :pid AND m.source = 'patients' AND i.clues_current IS NOT NULL "
            "ORDER BY 1"
        ),
        {"pid": person_id},
    )
    return [str(r[0]) for r in rows.all()]


# --- person index -----------------------------------------------------------------------------------


async def export_persons(session: AsyncSession, ctx: RequestContext, *, out: Path) -> int:
    """Write ``source,record_id,person_id`` for every current source record; returns the row count.
    Records imported since the last run have no person yet (empty person_id)."""
    rows = await session.execute(
        text(
            "SELECT i.source, i.record_id, m.person_id FROM identity_record i "
            "LEFT JOIN match_record m ON m.source = i.source AND m.record_id = i.record_id "
            "ORDER BY i.source, i.record_id"
        )
    )
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "record_id", "person_id"])
        for source, record_id, person_id in rows:
            writer.writerow([source, record_id, "" if person_id is None else str(person_id)])
            n += 1
    await audit_service.record(
        session, ctx, action="E", subtype="export", entities=[AuditEntity(type="Person", id="export")]
    )
    return n


def read_truth(path: Path) -> dict[str, str]:
    """A truth file: ``source,record_id`` and the true person in ``person_id`` (or ``person``)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or [])
        person_col = next((c for c in ("person_id", "person", "true_person_id") if c in fields), None)
        if not {"source", "record_id"} <= fields or person_col is None:
            raise TruthFileInvalid.said("matching.truth_file_columns")
        return {f"{r['source']}|{r['record_id']}": r[person_col] for r in reader}


async def evaluate(session: AsyncSession, *, truth: dict[str, str]) -> EvaluationReport:
    rows = await session.execute(text("SELECT source || '|' || record_id, person_id FROM match_record"))
    predicted = {uid: str(pid) for uid, pid in rows.all() if pid is not None}
    review_rows = await session.execute(
        text(
            "SELECT left_source || '|' || left_record_id, right_source || '|' || right_record_id "
            "FROM match_review WHERE status = 'open' AND left_source <> 'visit'"
        )
    )
    pairs = [(a, b) for a, b in review_rows.all()]
    auto = evaluation.pairwise(predicted, truth)
    both = evaluation.pairwise(evaluation.join_reviews(predicted, pairs), truth)
    return EvaluationReport(
        auto={k: PairwiseRead(**v.as_dict()) for k, v in auto.items()},  # type: ignore[arg-type]
        auto_and_review={k: PairwiseRead(**v.as_dict()) for k, v in both.items()},  # type: ignore[arg-type]
        records_in_truth=len(truth),
        records_assigned=sum(1 for uid in truth if uid in predicted),
    )
