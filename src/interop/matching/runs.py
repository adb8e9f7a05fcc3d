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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db.bulk import raw_connection
from interop.matching import batch, clustering, models_store, store
from interop.matching.errors import MatchRunUntrainable
from interop.matching.models import MatchRun
from interop.matching.scoring import score_pair

Report = Callable[..., Awaitable[None]]

RECORDS_SQL = (
    "SELECT source, record_pk, record_id, patient_id, curp, curp_trusted, curp16_computed, given_norm, "
    "paternal_norm, maternal_norm, fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio "
    "FROM identity_record"
)


def _split(unique_id: str) -> tuple[str, str]:
    source, record_id = unique_id.split("|", 1)
    return source, record_id


async def _export(session: AsyncSession, sql: str, path: Path) -> None:
    conn = await raw_connection(session)
    await conn.copy_from_query(sql, output=path, format="csv", header=True)


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, run_id: int, report: Report
) -> dict[str, Any]:
    """Run ``run_id`` end to end. On records the model cannot be trained on, the run is marked failed
    with the reason and ``MatchRunUntrainable`` raised (the job fails once: retrying cannot help)."""
    try:
        with tempfile.TemporaryDirectory(prefix="interop-match-") as tmp:
            return await _execute(sessionmaker, settings, run_id=run_id, report=report, workdir=Path(tmp))
    except MatchRunUntrainable as exc:
        async with sessionmaker() as session:
            run = await session.get(MatchRun, run_id)
            if run is not None:
                run.status = "failed"
                run.error = exc.message
                run.finished_at = datetime.now(UTC)
                await session.commit()
        raise


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

    untrained: list[str] | None = None  # known only when this run trains the model
    con = batch.connect(workdir)
    try:
        await stage("features")
        total = await asyncio.to_thread(batch.build_features, con, workdir / "records.csv")
        await asyncio.to_thread(batch.load_previous, con, workdir / "prev.csv")
        layout = await asyncio.to_thread(batch.layout_of, con)
        if model is None:
            await stage("training", records=total)
            trained = await asyncio.to_thread(batch.train_model, con, layout=layout)
            untrained = list(trained.stats.get("untrained_levels", []))
            async with sessionmaker() as session:
                model = await models_store.store_model(session, trained)
                await session.commit()
        full = retrain or not (await asyncio.to_thread(batch.run, con, "SELECT count(*) FROM prev"))[0][0]
        scored_n = await asyncio.to_thread(batch.mark_changed, con, everything=bool(full))
        await stage("scoring", records=total, scoring=scored_n)
        pairs = await asyncio.to_thread(
            batch.predict,
            con,
            settings=model.settings,
            tf=model.tf,
            threshold=review,
            incremental=not full,
            layout=layout,
        )
        await stage("assigning", pairs=pairs)
        await asyncio.to_thread(batch.load_decisions, con, workdir / "manual.csv", workdir / "decided.csv")
        clusters = await asyncio.to_thread(clustering.assign, con, auto_threshold=auto)
        await stage("writing", reviews=clusters.reviews)
        # Links are assembled in DuckDB, where the predictions (and their per-field weights) already are.
        await asyncio.to_thread(
            batch.write_csv,
            con,
            batch.links_sql(model.settings, model.version, run_id, scored_pairs=scored_n > 0),
            workdir / "links.csv",
        )
        reviews = await asyncio.to_thread(batch.run, con, "SELECT l, r, p, w FROM review_edge ORDER BY k")
        review_features = await asyncio.to_thread(
            batch.features_for, con, sorted({u for left, right, _, _ in reviews for u in (left, right)})
        )
        review_rows = workdir / "reviews.csv"
        with review_rows.open("w", newline="") as fh:
            w = csv.writer(fh)
            for left, right, probability, weight in reviews:
                ls, lr = _split(left)
                rs, rr = _split(right)
                fa, fb = review_features.get(left), review_features.get(right)
                evidence = (
                    [ev.as_dict() for ev in score_pair(model.scoring, fa, fb).evidence] if fa and fb else []
                )
                w.writerow([ls, lr, rs, rr, probability, weight, model.version, json.dumps(evidence), run_id])
        # In key order (here and below): primary-key inserts then append instead of scattering.
        await asyncio.to_thread(
            batch.write_csv, con, "SELECT id FROM new_person ORDER BY id", workdir / "persons.csv"
        )
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
        counts = await store.write(session, workdir, scored=scored_n)
        await stage("done")
        timings.pop("start", None)
        counts.update(
            {
                "records": total,
                "scored": scored_n,
                "pairs_scored": pairs,
                "auto_pairs": clusters.auto_pairs,
                "persons_new": clusters.persons_new,
                "reviews_new": clusters.reviews,
                "kept_apart": clusters.kept_apart,
                # The optional fields the records hold, and the comparisons the model scores on.
                "fields": layout.fields,
                "comparisons": [c["output_column_name"] for c in model.settings["comparisons"]],
                "assigned_in_python": clusters.settled_in_python,
                # Levels no training pair showed (normal on small data): they keep the prior m.
                **({"untrained_levels": untrained} if untrained is not None else {}),
                "timings_s": timings,
            }
        )
        run = await session.get(MatchRun, run_id)
        assert run is not None
        run.status = "succeeded"
        run.model_version = model.version
        run.counts = counts
        run.records_scored = scored_n
        run.finished_at = datetime.now(UTC)
        await session.commit()
    return counts
