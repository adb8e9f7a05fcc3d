"""A batch run end to end: export records from PostgreSQL, build features in DuckDB, score the pairs
on the run's engine (DuckDB, or Splink on Spark: ``engines``), assign persons, write back.

Runs inside the ``matching.run`` job. Reading and scoring touch nothing; every write happens in one
transaction at the end, so a crashed run leaves the index as it was and simply runs again. Each step
below is one stage of the run's progress.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db.bulk import raw_connection
from interop.matching import batch, calibration_fit, clustering, engines, models_store, store, vacuum
from interop.matching.clustering import ClusterCounts
from interop.matching.errors import MatchEngineUnavailable, MatchRunNotFound, MatchRunUntrainable
from interop.matching.layout import (
    Layout,
    model_shows_households,
    model_tells_relatives,
    relatives_rules_apply,
)
from interop.matching.models import MatchRun
from interop.matching.models_store import LoadedModel
from interop.matching.record_columns import pkey_of
from interop.matching.scoring import score_pair

log = logging.getLogger(__name__)

Report = Callable[..., Awaitable[None]]

RECORDS_SQL = f"SELECT {', '.join(batch.RECORD_COLUMNS)} FROM identity_record"


# The run's records for ``store.write``, one file per table, each in its table's key order (primary-key
# inserts then append instead of scattering; the detail grouped by partition). The person comes last.
RECORDS_KEY_SQL = (
    f"SELECT {', '.join(f's.{c}' for c in store.KEY_COLUMNS[:-1])}, coalesce(a.person_id, m.person_id) "
    "FROM scored s LEFT JOIN assigned a USING (unique_id) LEFT JOIN manual_assigned m USING (unique_id) "
    "ORDER BY s.source, s.record_id"
)
RECORDS_DETAIL_SQL = (
    f"SELECT {pkey_of('s.entidad')}, {', '.join(f's.{c}' for c in store.DETAIL_FILE_COLUMNS[1:])} "
    "FROM scored s ORDER BY 1, 2, 3"
)


WRITING_MEMORY_LIMIT = "3GB"

# DuckDB tables of the scoring and assignment steps that writing does not read (it reads ``assigned``,
# ``pred``, ``possible``, ``review_edge``, ``new_person``, ``scored``, ``feats``, ``manual_assigned``).
ASSIGNMENT_SCRATCH = (
    "edge",
    "auto_edge",
    "cl_node",
    "cl_pair",
    "cl_adj",
    "cl_root",
    "cl_step",
    "cl_member",
    "cl_comp",
    "cl_conflicted",
    "cl_simple",
    "cl_rest",
    "cl_wanted",
    "assigned_rest",
    "new_person_rest",
    "person_of",
    "held_by",
    "previous",
)

# What the links, reviews and persons files were written from: the records file does not read them.
WRITTEN_PAIRS = ("pred", "possible", "review_edge", "new_person")


def _split(unique_id: str) -> tuple[str, str]:
    source, record_id = unique_id.split("|", 1)
    return source, record_id


async def _export(session: AsyncSession, sql: str, path: Path) -> None:
    conn = await raw_connection(session)
    await conn.copy_from_query(sql, output=path, format="csv", header=True)


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    run_id: int,
    report: Report,
    engine: str | None = None,
) -> dict[str, Any]:
    """Run ``run_id`` end to end on ``engine`` (the ``match_engine`` setting by default). On records the
    model cannot be trained on, or an engine that cannot start, the run is marked failed with the
    reason and the error raised (the job fails once: retrying cannot help)."""
    engine = engine or settings.match_engine
    try:
        with tempfile.TemporaryDirectory(prefix="interop-match-") as tmp:
            run = _Run(sessionmaker, settings, run_id, report, engine, Path(tmp))
            return await run.execute()
    except (MatchRunUntrainable, MatchEngineUnavailable) as exc:
        async with sessionmaker() as session:
            row = await session.get(MatchRun, run_id)
            if row is not None:
                row.status = "failed"
                row.error = exc.kept()
                row.finished_at = datetime.now(UTC)
                await session.commit()
        raise


@dataclass
class _Scoring:
    """What the scoring steps leave for the later ones."""

    total: int = 0
    scored: int = 0
    pairs: int = 0
    layout: Layout = field(default_factory=Layout.full)
    clusters: ClusterCounts | None = None


class _Run:
    """One batch run, step by step: ``execute`` names the steps in order."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        run_id: int,
        report: Report,
        engine: str,
        workdir: Path,
    ):
        self.sessionmaker, self.settings, self.run_id = sessionmaker, settings, run_id
        self.report, self.engine, self.workdir = report, engine, workdir
        self.timings: dict[str, float] = {}
        # CPU seconds of this process per stage (DuckDB's threads included; PostgreSQL's work not).
        self.cpu: dict[str, float] = {}
        # The process's peak resident memory (GiB) at the end of each stage: which stage set the peak.
        self.peak_rss: dict[str, float] = {}
        self._stage, self._started, self._cpu = "start", time.perf_counter(), time.process_time()
        self.untrained: list[str] | None = None  # known only when this run trains the model
        # Seconds per file of the writing stage (``write_files``).
        self.files: dict[str, float] = {}
        self._file_started = 0.0

    async def stage(self, name: str, **progress: Any) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.timings[self._stage] = round(now - self._started, 2)
        self.cpu[self._stage] = round(cpu - self._cpu, 2)
        self.peak_rss[self._stage] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
        self._stage, self._started, self._cpu = name, now, cpu
        await self.report(stage=name, **progress)

    async def execute(self) -> dict[str, Any]:
        retrain = await self.mark_running()
        await self.stage("export")
        model = await self.export_inputs(retrain=retrain)
        con = batch.connect(self.workdir)
        try:
            await self.stage("features")
            result = await self.build_features(con)
            model = model or await self.train(con, result)
            await self.score(con, model, result, full=retrain)
            await self.stage("assigning", pairs=result.pairs)
            await asyncio.to_thread(
                batch.load_decisions, con, self.workdir / "manual.csv", self.workdir / "decided.csv"
            )
            result.clusters = await asyncio.to_thread(
                clustering.assign,
                con,
                auto_threshold=self.settings.match_auto_threshold,
                relatives=model_tells_relatives(model.settings),
                households=model_shows_households(model.settings),
            )
            await self.stage("writing", reviews=result.clusters.reviews)
            # The writing step sorts every record and link: room for it, not for the graph's tables.
            await asyncio.to_thread(batch.drop_tables, con, ASSIGNMENT_SCRATCH)
            # Its sorts spill past this instead of growing the process (at 1 M they took it from 3.5 to
            # 5.6 GiB); scoring keeps the connection's larger limit.
            await asyncio.to_thread(batch.run, con, f"SET memory_limit = '{WRITING_MEMORY_LIMIT}'")
            await self.write_files(con, model, result)
        finally:
            con.close()
        await self.stage("storing")
        counts = await self.store(model, result)
        if result.scored >= store.BULK_INDEX_REBUILD_ROWS:
            await self.vacuum(counts)
        return counts

    async def vacuum(self, counts: dict[str, Any]) -> None:
        """After a bulk write's commit, what it filled left ready for ``$match`` (``vacuum.vacuum_written``),
        the step added to the run's stored counts. The run has succeeded and its results are readable
        already: a VACUUM that fails leaves the tables to autovacuum, as before, and fails nothing."""
        started, cpu = time.perf_counter(), time.process_time()
        await self.report(stage="vacuuming")
        try:
            async with self.sessionmaker() as session:
                counts["vacuum_s"] = await vacuum.vacuum_written(session)
        except DBAPIError as exc:
            log.warning("match run vacuum failed", extra={"run_id": self.run_id, "error": type(exc).__name__})
            counts["vacuum_s"] = None
        self.timings["vacuuming"] = round(time.perf_counter() - started, 2)
        self.cpu["vacuuming"] = round(time.process_time() - cpu, 2)
        async with self.sessionmaker() as session:
            run = await session.get(MatchRun, self.run_id)
            assert run is not None
            run.counts = dict(counts)
            await session.commit()

    async def mark_running(self) -> bool:
        """Mark the run running; whether it retrains."""
        async with self.sessionmaker() as session:
            run = await session.get(MatchRun, self.run_id)
            if run is None:
                raise MatchRunNotFound.said("matching.run_not_found")
            run.status = "running"
            run.started_at = datetime.now(UTC)
            await session.commit()
            return bool(run.retrain)

    async def export_inputs(self, *, retrain: bool) -> LoadedModel | None:
        """Records, the previous run's digests and persons, manual decisions (COPY out, as CSV); the
        active model unless retraining."""
        workdir = self.workdir
        async with self.sessionmaker() as session:
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
            return None if retrain else await models_store.active_model(session)

    async def build_features(self, con: Any) -> _Scoring:
        result = _Scoring()
        result.total = await asyncio.to_thread(batch.build_features, con, self.workdir / "records.csv")
        await asyncio.to_thread(batch.load_previous, con, self.workdir / "prev.csv")
        result.layout = await asyncio.to_thread(batch.layout_of, con)
        return result

    async def train(self, con: Any, result: _Scoring) -> LoadedModel:
        """Train (in DuckDB, on a sample: the model is one artefact whatever engine scores) and store
        the model as the active version."""
        await self.stage("training", records=result.total)
        trained = await asyncio.to_thread(batch.train_model, con, layout=result.layout)
        self.untrained = list(trained.stats.get("untrained_levels", []))
        async with self.sessionmaker() as session:
            model = await models_store.store_model(session, trained)
            await session.commit()
        return model

    async def score(self, con: Any, model: LoadedModel, result: _Scoring, *, full: bool) -> None:
        """Score what changed (everything on a first run or a retrain) on the run's engine."""
        full = full or not (await asyncio.to_thread(batch.run, con, "SELECT count(*) FROM prev"))[0][0]
        result.scored = await asyncio.to_thread(batch.mark_changed, con, everything=bool(full))
        await self.stage("scoring", records=result.total, scoring=result.scored, engine=self.engine)
        scorer = await asyncio.to_thread(
            engines.scorer,
            self.engine,
            con,
            settings=self.settings,
            model_settings=model.settings,
            tf=model.tf,
            layout=result.layout,
            workdir=self.workdir,
        )
        try:
            result.pairs = await asyncio.to_thread(
                batch.predict,
                con,
                settings=model.settings,
                tf=model.tf,
                threshold=self.settings.match_review_threshold,
                incremental=not full,
                layout=result.layout,
                scorer=scorer,
            )
        finally:
            await asyncio.to_thread(scorer.close)

    def _file_done(self, name: str) -> None:
        now = time.perf_counter()
        self.files[name] = round(now - self._file_started, 2)
        self._file_started = now

    async def write_files(self, con: Any, model: LoadedModel, result: _Scoring) -> None:
        """The CSV files ``store.write`` copies in: links, reviews, new persons, records."""
        workdir = self.workdir
        self._file_started = time.perf_counter()
        # Links are assembled in DuckDB, where the predictions (and their per-field weights) already are.
        await asyncio.to_thread(
            batch.write_csv,
            con,
            batch.links_sql(model.settings, model.version, self.run_id, scored_pairs=result.scored > 0),
            workdir / "links.csv",
        )
        self._file_done("links")
        await self.write_reviews(con, model)
        self._file_done("reviews")
        # In key order (here and below): primary-key inserts then append instead of scattering.
        await asyncio.to_thread(
            batch.write_csv, con, "SELECT id FROM new_person ORDER BY id", workdir / "persons.csv"
        )
        self._file_done("persons")
        # The records' sorts, the writing step's largest, get the room the pairs held.
        await asyncio.to_thread(batch.drop_tables, con, WRITTEN_PAIRS)
        await asyncio.to_thread(batch.write_csv, con, RECORDS_KEY_SQL, workdir / store.KEY_FILE)
        self._file_done("records")
        await asyncio.to_thread(batch.write_csv, con, RECORDS_DETAIL_SQL, workdir / store.DETAIL_FILE)
        self._file_done("record detail")

    async def write_reviews(self, con: Any, model: LoadedModel) -> None:
        """Review pairs with the per-field evidence of the online scorer (the reviewers' view)."""
        reviews = await asyncio.to_thread(batch.run, con, "SELECT l, r, p, w FROM review_edge ORDER BY k")
        review_features = await asyncio.to_thread(
            batch.features_for, con, sorted({u for left, right, _, _ in reviews for u in (left, right)})
        )
        with (self.workdir / "reviews.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            for left, right, probability, weight in reviews:
                ls, lr = _split(left)
                rs, rr = _split(right)
                fa, fb = review_features.get(left), review_features.get(right)
                evidence = (
                    [ev.as_dict() for ev in score_pair(model.scoring, fa, fb).evidence] if fa and fb else []
                )
                w.writerow(
                    [ls, lr, rs, rr, probability, weight, model.version, json.dumps(evidence), self.run_id]
                )

    async def store(self, model: LoadedModel, result: _Scoring) -> dict[str, Any]:
        """Write everything in one transaction and mark the run succeeded with its counts."""
        clusters = result.clusters
        assert clusters is not None
        async with self.sessionmaker() as session:
            counts = await store.write(session, self.workdir, scored=result.scored)
            await self.stage("calibrating")
            # The shown scores of this run's reviews, from labels the data and reviewers gave.
            counts["calibration"] = await calibration_fit.refit(
                session, model=model, auto_threshold=self.settings.match_auto_threshold, run_id=self.run_id
            )
            await self.stage("done")
            self.timings.pop("start", None)
            self.cpu.pop("start", None)
            self.peak_rss.pop("start", None)
            counts.update(
                {
                    "engine": self.engine,
                    "records": result.total,
                    "scored": result.scored,
                    "pairs_scored": result.pairs,
                    "auto_pairs": clusters.auto_pairs,
                    "persons_new": clusters.persons_new,
                    "reviews_new": clusters.reviews,
                    "kept_apart": clusters.kept_apart,
                    # The optional fields the records hold, and the comparisons the model scores on.
                    "fields": result.layout.fields,
                    "comparisons": [c["output_column_name"] for c in model.settings["comparisons"]],
                    # Whether the rules for relatives apply (``layout.relatives_rules_apply``).
                    "relatives_rules": relatives_rules_apply(model.settings),
                    "assigned_in_python": clusters.settled_in_python,
                    # Levels no training pair showed (normal on small data): they keep the prior m.
                    **({"untrained_levels": self.untrained} if self.untrained is not None else {}),
                    "timings_s": self.timings,
                    "file_timings_s": self.files,
                    "cpu_s": self.cpu,
                    "peak_rss_gib": self.peak_rss,
                }
            )
            run = await session.get(MatchRun, self.run_id)
            assert run is not None
            run.status = "succeeded"
            run.model_version = model.version
            run.counts = counts
            run.records_scored = result.scored
            run.finished_at = datetime.now(UTC)
            await session.commit()
        return counts
