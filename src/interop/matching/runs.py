"""A batch run end to end: export records from PostgreSQL, score in DuckDB, assign persons, write back.

Runs inside the ``matching.run`` job. Reading and scoring touch nothing; every write happens in one
transaction at the end, so a crashed run leaves the index as it was and simply runs again.
"""

from __future__ import annotations

import asyncio
import csv
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db.bulk import raw_connection
from interop.matching import batch, models_store, store
from interop.matching.assign import Edge, assign_persons
from interop.matching.conflict import hard_conflict
from interop.matching.models import MatchRun
from interop.matching.scoring import score_pair

Report = Callable[..., Awaitable[None]]

RECORDS_SQL = (
    "SELECT source, record_pk, record_id, patient_id, curp, curp_trusted, curp16_computed, given_norm, "
    "paternal_norm, maternal_norm, fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio "
    "FROM identity_record"
)


def _via(edge: Edge | None) -> tuple[str | None, str | None]:
    return (None, None) if edge is None else (edge.left, edge.right)


def _split(unique_id: str) -> tuple[str, str]:
    source, record_id = unique_id.split("|", 1)
    return source, record_id


async def _export(session: AsyncSession, sql: str, path: Path) -> None:
    conn = await raw_connection(session)
    await conn.copy_from_query(sql, output=path, format="csv", header=True)


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, run_id: int, report: Report
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="interop-match-") as tmp:
        return await _execute(sessionmaker, settings, run_id=run_id, report=report, workdir=Path(tmp))


async def _execute(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    run_id: int,
    report: Report,
    workdir: Path,
) -> dict[str, Any]:
    auto, review = settings.match_auto_threshold, settings.match_review_threshold
    timings: dict[str, float] = {}
    current = ["start"]
    started = [time.perf_counter()]

    async def stage(name: str, **progress: Any) -> None:
        now = time.perf_counter()
        timings[current[0]] = round(now - started[0], 2)
        current[0], started[0] = name, now
        await report(stage=name, **progress)

    async with sessionmaker() as session:
        run = await session.get(MatchRun, run_id)
        if run is None:
            raise LookupError(f"match run {run_id} not found")
        run.status = "running"
        run.started_at = datetime.now(UTC)
        retrain = run.retrain
        await session.commit()
    await stage("export")
    async with sessionmaker() as session:
        await _export(session, RECORDS_SQL, workdir / "records.csv")
        await _export(
            session,
            "SELECT source, record_id, feature_digest, person_id FROM match_record",
            workdir / "prev.csv",
        )
        await _export(
            session,
            "SELECT source || '|' || record_id AS uid, person_id, state FROM match_link "
            "WHERE origin = 'MANUAL'",
            workdir / "manual.csv",
        )
        await _export(
            session,
            "SELECT left_source || '|' || left_record_id, right_source || '|' || right_record_id "
            "FROM match_review WHERE status = 'decided'",
            workdir / "decided.csv",
        )
        model = None if retrain else await models_store.active_model(session)

    con = batch.connect(workdir)
    try:
        await stage("features")
        total = await asyncio.to_thread(batch.build_features, con, workdir / "records.csv")
        await asyncio.to_thread(batch.load_previous, con, workdir / "prev.csv")
        if model is None:
            await stage("training", records=total)
            trained = await asyncio.to_thread(batch.train_model, con)
            async with sessionmaker() as session:
                model = await models_store.store_model(session, trained)
                await session.commit()
        full = retrain or not (await asyncio.to_thread(batch.run, con, "SELECT count(*) FROM prev"))[0][0]
        scored_n = await asyncio.to_thread(batch.mark_changed, con, everything=bool(full))
        await stage("scoring", records=total, scoring=scored_n)
        edges = await asyncio.to_thread(
            batch.predict,
            con,
            settings=model.settings,
            tf=model.tf,
            threshold=review,
            incremental=not full,
        )
        await stage("assigning", pairs=len(edges))
        scored_ids = [r[0] for r in await asyncio.to_thread(batch.run, con, "SELECT unique_id FROM scored")]
        unscored = await asyncio.to_thread(
            batch.run, con, "SELECT u.unique_id, p.person_id FROM unscored u JOIN prev p USING (unique_id)"
        )
        previous = await asyncio.to_thread(
            batch.run,
            con,
            "SELECT s.unique_id, p.person_id FROM scored s JOIN prev p USING (unique_id) "
            "WHERE p.person_id IS NOT NULL AND p.person_id <> ''",
        )
        manual_match: dict[str, uuid.UUID] = {}
        manual_no: dict[str, set[uuid.UUID]] = {}
        with (workdir / "manual.csv").open() as fh:
            for row in csv.DictReader(fh):
                if row["state"] == "MATCH":
                    manual_match[row["uid"]] = uuid.UUID(row["person_id"])
                elif row["state"] == "NO_MATCH":
                    manual_no.setdefault(row["uid"], set()).add(uuid.UUID(row["person_id"]))
        decided: set[tuple[str, str]] = set()
        with (workdir / "decided.csv").open() as fh:
            for a, b in csv.reader(fh):
                decided.add((min(a, b), max(a, b)))
        auto_edges: list[Edge] = [e for e in edges if e.probability >= auto and e.linkable]
        signatures = await asyncio.to_thread(
            batch.signatures_for, con, list({u for e in auto_edges for u in (e.left, e.right)})
        )

        def conflict(x: str, y: str) -> bool:
            sx, sy = signatures.get(x), signatures.get(y)
            return sx is not None and sy is not None and hard_conflict(sx, sy)

        assignment = assign_persons(
            conflict=conflict,
            scored=scored_ids,
            existing={uid: uuid.UUID(p) for uid, p in unscored if p},
            previous={uid: uuid.UUID(p) for uid, p in previous},
            manual_match=manual_match,
            manual_no_match=manual_no,
            edges=auto_edges,
        )
        person_of = assignment.person_of
        # Review: pairs at or above the review threshold whose records ended in different persons.
        reviews = []
        for e in edges:
            pa, pb = person_of.get(e.left), person_of.get(e.right)
            if pa == pb or (min(e.left, e.right), max(e.left, e.right)) in decided:
                continue
            if pb in manual_no.get(e.left, ()) or pa in manual_no.get(e.right, ()):
                continue
            reviews.append(e)
        review_features = await asyncio.to_thread(
            batch.features_for, con, sorted({u for e in reviews for u in (e.left, e.right)})
        )
        await stage("writing", reviews=len(reviews))
        # Links are assembled in DuckDB, where the predictions (and their per-field weights) already are.
        await asyncio.to_thread(
            batch.load_assigned,
            con,
            [
                (uid, str(person_of[uid]), *_via(assignment.via.get(uid)))
                for uid in scored_ids
                if uid not in manual_match
            ],
            [(e.left, e.right, str(person_of[e.right])) for e in reviews],
            [(uid, str(manual_match[uid])) for uid in scored_ids if uid in manual_match],
        )
        await asyncio.to_thread(
            batch.write_csv,
            con,
            batch.links_sql(model.settings, model.version, run_id, scored_pairs=scored_n > 0),
            workdir / "links.csv",
        )
        review_rows = workdir / "reviews.csv"
        with review_rows.open("w", newline="") as fh:
            w = csv.writer(fh)
            for e in reviews:
                ls, lr = _split(e.left)
                rs, rr = _split(e.right)
                fa, fb = review_features.get(e.left), review_features.get(e.right)
                evidence = (
                    [ev.as_dict() for ev in score_pair(model.scoring, fa, fb).evidence] if fa and fb else []
                )
                w.writerow(
                    [ls, lr, rs, rr, e.probability, e.weight, model.version, json.dumps(evidence), run_id]
                )
        person_rows = workdir / "persons.csv"
        with person_rows.open("w", newline="") as fh:
            w = csv.writer(fh)
            # In key order (here and below): primary-key inserts then append instead of scattering.
            w.writerows([pid] for pid in sorted(map(str, assignment.new_persons)))
        await asyncio.to_thread(
            batch.write_csv,
            con,
            "SELECT s.source, s.record_id, s.record_pk, s.patient_id, s.curp, s.curp16, s.curp16_calc, "
            "s.given_full, s.given_main, s.given_rest, s.ap1, s.ap2, s.ph_given, s.ph_ap1, s.ph_ap2, s.dob, "
            "s.dob_year, s.dob_md, s.sexo, s.entidad, s.municipio, s.localidad, s.domicilio, "
            "s.feature_digest, coalesce(a.person_id, m.person_id) FROM scored s "
            "LEFT JOIN assigned a USING (unique_id) LEFT JOIN manual_assigned m USING (unique_id) "
            "ORDER BY s.source, s.record_id",
            workdir / "records_out.csv",
        )
    finally:
        con.close()

    await stage("storing")
    async with sessionmaker() as session:
        counts = await store.write(session, workdir, scored=len(scored_ids))
        await stage("done")
        timings.pop("start", None)
        counts.update(
            {
                "records": total,
                "scored": len(scored_ids),
                "pairs_scored": len(edges),
                "auto_pairs": len(auto_edges),
                "persons_new": len(assignment.new_persons),
                "reviews_new": len(reviews),
                "timings_s": timings,
            }
        )
        run = await session.get(MatchRun, run_id)
        assert run is not None
        run.status = "succeeded"
        run.model_version = model.version
        run.counts = counts
        run.records_scored = len(scored_ids)
        run.finished_at = datetime.now(UTC)
        await session.commit()
    return counts
