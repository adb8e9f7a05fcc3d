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

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db.bulk import raw_connection
from interop.matching import batch, models_store
from interop.matching.assign import Edge, assign_persons
from interop.matching.conflict import hard_conflict
from interop.matching.models import MatchRun
from interop.matching.scoring import score_pair
from interop.matching.spec import BLOCKING_INDEXES

Report = Callable[..., Awaitable[None]]
BULK_INDEX_REBUILD_ROWS = 50_000

RECORDS_SQL = (
    "SELECT source, record_pk, record_id, patient_id, curp, curp_trusted, curp16_computed, given_norm, "
    "paternal_norm, maternal_norm, fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio "
    "FROM identity_record"
)
RECORD_COLUMNS = (
    "source, record_id, record_pk, patient_id, curp, curp16, curp16_calc, given_full, given_main, "
    "given_rest, ap1, ap2, ph_given, ph_ap1, ph_ap2, dob, dob_year, dob_md, sexo, entidad, municipio, "
    "localidad, domicilio, feature_digest, person_id"
)


def _via(edge: Edge | None) -> tuple[str | None, str | None]:
    return (None, None) if edge is None else (edge.left, edge.right)


def _split(unique_id: str) -> tuple[str, str]:
    source, record_id = unique_id.split("|", 1)
    return source, record_id


async def _export(session: AsyncSession, sql: str, path: Path) -> None:
    conn = await raw_connection(session)
    await conn.copy_from_query(sql, output=path, format="csv", header=True)


async def _copy_in(session: AsyncSession, table: str, path: Path, columns: list[str]) -> None:
    conn = await raw_connection(session)
    await conn.copy_to_table(table, source=path, columns=columns, format="csv")


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
        signatures = await asyncio.to_thread(
            batch.signatures_for,
            con,
            sorted({u for e in edges if e.probability >= auto and e.anchored for u in (e.left, e.right)}),
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
            edges=[Edge(e.left, e.right, e.weight) for e in edges if e.probability >= auto and e.anchored],
        )
        person_of = assignment.person_of
        # Review: pairs at or above the review threshold whose records ended in different persons.
        reviews = []
        for e in edges:
            pa, pb = person_of.get(e.left), person_of.get(e.right)
            key = (min(e.left, e.right), max(e.left, e.right))
            if pa == pb or key in decided:
                continue
            if pb in manual_no.get(e.left, set()) or pa in manual_no.get(e.right, set()):
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
            for pid in assignment.new_persons:
                w.writerow([str(pid)])
        await asyncio.to_thread(
            batch.write_csv,
            con,
            "SELECT s.source, s.record_id, s.record_pk, s.patient_id, s.curp, s.curp16, s.curp16_calc, "
            "s.given_full, s.given_main, s.given_rest, s.ap1, s.ap2, s.ph_given, s.ph_ap1, s.ph_ap2, s.dob, "
            "s.dob_year, s.dob_md, s.sexo, s.entidad, s.municipio, s.localidad, s.domicilio, "
            "s.feature_digest, coalesce(a.person_id, m.person_id) FROM scored s "
            "LEFT JOIN assigned a USING (unique_id) LEFT JOIN manual_assigned m USING (unique_id)",
            workdir / "records_out.csv",
        )
    finally:
        con.close()

    async with sessionmaker() as session:
        counts = await _write(session, workdir, run_id=run_id, scored=len(scored_ids))
        await stage("done")
        timings.pop("start", None)
        counts.update(
            {
                "records": total,
                "scored": len(scored_ids),
                "pairs_scored": len(edges),
                "auto_pairs": sum(1 for e in edges if e.probability >= auto and e.anchored),
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


LINK_COLUMNS = [
    "source",
    "record_id",
    "person_id",
    "state",
    "origin",
    "score",
    "model_version",
    "evidence",
    "run_id",
]


async def _rebuild_blocking_indexes(session: AsyncSession) -> None:
    await session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for name, columns in BLOCKING_INDEXES.items():
        await session.execute(text(f"CREATE INDEX {name} ON match_record ({', '.join(columns)})"))


async def _first_load(session: AsyncSession, workdir: Path) -> dict[str, Any]:
    """The first run over an empty index: COPY straight into the tables (nothing to merge with), the
    blocking indexes built once afterwards."""
    for name in BLOCKING_INDEXES:
        await session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    await _copy_in(session, "match_person", workdir / "persons.csv", ["id"])
    await _copy_in(
        session, "match_record", workdir / "records_out.csv", [c.strip() for c in RECORD_COLUMNS.split(",")]
    )
    await _rebuild_blocking_indexes(session)
    await _copy_in(session, "match_link", workdir / "links.csv", LINK_COLUMNS)
    await _insert_reviews(session, workdir)
    return await _summary(session)


async def _write(session: AsyncSession, workdir: Path, *, run_id: int, scored: int) -> dict[str, Any]:
    empty = (
        await session.execute(
            text("SELECT NOT EXISTS (SELECT 1 FROM match_record) AND NOT EXISTS (SELECT 1 FROM match_link)")
        )
    ).scalar_one()
    if empty and scored >= BULK_INDEX_REBUILD_ROWS:
        return await _first_load(session, workdir)
    await session.execute(
        text("CREATE TEMP TABLE stage_record (LIKE match_record INCLUDING DEFAULTS) ON COMMIT DROP")
    )
    await _copy_in(
        session, "stage_record", workdir / "records_out.csv", [c.strip() for c in RECORD_COLUMNS.split(",")]
    )
    await session.execute(text("CREATE TEMP TABLE stage_person (id uuid) ON COMMIT DROP"))
    await _copy_in(session, "stage_person", workdir / "persons.csv", ["id"])
    await session.execute(
        text("INSERT INTO match_person (id) SELECT id FROM stage_person ON CONFLICT DO NOTHING")
    )
    # A former person reused for a record must exist too (it always does; the guard keeps the FK safe).
    await session.execute(
        text(
            "INSERT INTO match_person (id) SELECT DISTINCT person_id FROM stage_record "
            "WHERE person_id IS NOT NULL ON CONFLICT DO NOTHING"
        )
    )
    cols = [c.strip() for c in RECORD_COLUMNS.split(",")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in ("source", "record_id"))
    # A bulk load (the first run, a retrain) rebuilds the blocking indexes once instead of maintaining
    # a dozen of them row by row; online lookups wait for the run's commit meanwhile.
    bulk = scored >= BULK_INDEX_REBUILD_ROWS
    if bulk:
        for name in BLOCKING_INDEXES:
            await session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    await session.execute(
        text(
            f"INSERT INTO match_record ({RECORD_COLUMNS}) SELECT {RECORD_COLUMNS} FROM stage_record "
            f"ON CONFLICT (source, record_id) DO UPDATE SET {updates}, updated_at = now()"
        )
    )
    if bulk:
        await _rebuild_blocking_indexes(session)
    # Scored records lose their automatic links; manual ones stay untouched.
    await session.execute(
        text(
            "DELETE FROM match_link l USING stage_record s WHERE l.origin = 'AUTO' "
            "AND l.source = s.source AND l.record_id = s.record_id"
        )
    )
    await session.execute(
        text(
            "CREATE TEMP TABLE stage_link (source text, record_id text, person_id uuid, state text, "
            "origin text, score float8, model_version text, evidence jsonb, run_id bigint) ON COMMIT DROP"
        )
    )
    await _copy_in(
        session,
        "stage_link",
        workdir / "links.csv",
        [
            "source",
            "record_id",
            "person_id",
            "state",
            "origin",
            "score",
            "model_version",
            "evidence",
            "run_id",
        ],
    )
    await session.execute(
        text(
            "INSERT INTO match_link (source, record_id, person_id, state, origin, score, model_version, "
            "evidence, run_id) SELECT DISTINCT ON (source, record_id, person_id) source, record_id, "
            "person_id, state, origin, score, model_version, evidence, run_id FROM stage_link "
            "ORDER BY source, record_id, person_id, (state = 'MATCH') DESC ON CONFLICT DO NOTHING"
        )
    )
    await _insert_reviews(session, workdir)
    return await _summary(session)


async def _insert_reviews(session: AsyncSession, workdir: Path) -> None:
    await session.execute(
        text(
            "CREATE TEMP TABLE stage_review (left_source text, left_record_id text, right_source text, "
            "right_record_id text, score float8, match_weight float8, model_version text, evidence jsonb, "
            "run_id bigint) ON COMMIT DROP"
        )
    )
    await _copy_in(
        session,
        "stage_review",
        workdir / "reviews.csv",
        [
            "left_source",
            "left_record_id",
            "right_source",
            "right_record_id",
            "score",
            "match_weight",
            "model_version",
            "evidence",
            "run_id",
        ],
    )
    await session.execute(
        text(
            "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, score, "
            "match_weight, model_version, evidence, run_id) SELECT left_source, left_record_id, "
            "right_source, right_record_id, score, match_weight, model_version, evidence, run_id "
            "FROM stage_review "
            "ON CONFLICT (left_source, left_record_id, right_source, right_record_id) DO UPDATE SET "
            "score = excluded.score, match_weight = excluded.match_weight, "
            "model_version = excluded.model_version, evidence = excluded.evidence, "
            "run_id = excluded.run_id, status = 'open' "
            "WHERE match_review.status <> 'decided'"
        )
    )
    # Open reviews whose two records now belong to one person have nothing left to decide.
    await session.execute(
        text(
            "UPDATE match_review r SET status = 'obsolete' FROM match_record a, match_record b "
            "WHERE r.status = 'open' AND a.source = r.left_source AND a.record_id = r.left_record_id "
            "AND b.source = r.right_source AND b.record_id = r.right_record_id AND a.person_id = b.person_id"
        )
    )


async def _summary(session: AsyncSession) -> dict[str, Any]:
    rows = await session.execute(
        text("SELECT state, origin, count(*) FROM match_link GROUP BY state, origin ORDER BY 1, 2")
    )
    by_decision = {f"{state}/{origin}": int(n) for state, origin, n in rows.all()}
    open_reviews = (
        await session.execute(
            select(text("count(*)")).select_from(text("match_review")).where(text("status = 'open'"))
        )
    ).scalar_one()
    return {"links": by_decision, "reviews_open": int(open_reviews)}
