"""The Spark engine against the DuckDB engine: one trained model, the same population, the same result.

Real Spark in local mode (one SparkSession for the whole test session, ``local[2]``), real Splink on
both engines, real PostgreSQL for the runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import batch, linkage, runs, service, spark_engine, spark_sql
from interop.matching.features import FEATURE_COLUMNS
from interop.messages import stored

SPARK = {"spark_master": "local[2]", "spark_shuffle_partitions": 2, "spark_driver_memory": "1g"}
TOLERANCE = 1e-6
REVIEW = Settings().match_review_threshold


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_engine.session(master="local[2]", driver_memory="1g", shuffle_partitions=2, conf={})
    yield session
    spark_engine.stop_session()


def test_the_model_sql_is_translated_not_rewritten() -> None:
    """Every condition and rule of the one model definition has a Spark form, and the two places where
    the dialects differ are translated into functions Spark has."""
    settings = linkage.base_settings()
    out = spark_sql.spark_settings(settings)
    assert out["sql_dialect"] == "spark"
    levels = [lv["sql_condition"] for c in out["comparisons"] for lv in c["comparison_levels"]]
    assert len(levels) == sum(len(c["comparison_levels"]) for c in settings["comparisons"])
    assert not any("&&" in sql or "list_has_any" in sql.lower() for sql in levels)
    assert any(
        "arrays_overlap(split(given_rest_l, ' '), split(given_rest_r, ' '))" in sql.lower() for sql in levels
    )
    # the numbers and the order are untouched
    assert [c["output_column_name"] for c in out["comparisons"]] == [
        c["output_column_name"] for c in settings["comparisons"]
    ]


async def _persons(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(text("SELECT source || '|' || record_id, person_id::text FROM match_record"))
    return dict(rows.all())


def _pairs(con: duckdb.DuckDBPyConnection, table: str) -> dict[tuple[str, str], float]:
    return {
        (left, right): p
        for left, right, p in con.execute(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {table}"
        ).fetchall()
    }


async def _population(session: AsyncSession, people: list[Any]) -> dict[str, int]:
    """``load_population``, and lookalikes for the review queue: for one person in 25, a clinic record
    without CURP born a year later, otherwise alike."""
    truth = await load_population(session, people)
    for p in people[::25]:
        born = p.fecha_nacimiento
        later = born.replace(year=born.year + 1, day=min(born.day, 28))
        await insert_record(
            session, replace(p, curp="", fecha_nacimiento=later), source="patients", record_id=f"L{p.key}"
        )
        truth[f"patients|L{p.key}"] = -p.key
    await session.commit()
    return truth


async def _run(settings: Settings, sm: async_sessionmaker[AsyncSession], *, engine: str) -> dict[str, Any]:
    ctx = system_context(request_id="r", trace_id="0" * 32)
    async with sm() as session:
        run = await service.start_run(session, ctx, engine=engine)
        await session.commit()
        job_id, run_id = run.job_id, run.id
    assert job_id is not None
    state = await Worker(settings, sm).run_until_done(job_id)
    async with sm() as session:
        row, _ = await service.get_run(session, run_id=run_id)
        assert state == "succeeded", row.error
        return dict(row.counts)


async def _snapshot(session: AsyncSession) -> dict[str, Any]:
    """The run's outcome without its random person ids: who is with whom, each record's links (state,
    origin, score, and the partner records of the linked person), the review pairs and their scores."""
    persons = dict(
        (
            await session.execute(
                text("SELECT source || '|' || record_id, person_id::text FROM match_record")
            )
        ).all()
    )
    members: dict[str, set[str]] = {}
    for record, person in persons.items():
        members.setdefault(person, set()).add(record)
    groups = {record: frozenset(members[person]) for record, person in persons.items()}
    links = {
        (uid, frozenset(members.get(person, set())), state, origin): score
        for uid, person, state, origin, score in (
            await session.execute(
                text(
                    "SELECT source || '|' || record_id, person_id::text, state, origin, score FROM match_link"
                )
            )
        ).all()
    }
    reviews = {
        (left, right, status): (score, weight)
        for left, right, status, score, weight in (
            await session.execute(
                text(
                    "SELECT left_source || '|' || left_record_id, right_source || '|' || right_record_id, "
                    "status, score, match_weight FROM match_review"
                )
            )
        ).all()
    }
    return {"groups": groups, "links": links, "reviews": reviews}


def _close(a: dict[Any, Any], b: dict[Any, Any]) -> None:
    assert set(a) == set(b)
    for key, value in a.items():
        other = b[key]
        values = value if isinstance(value, tuple) else (value,)
        others = other if isinstance(other, tuple) else (other,)
        for x, y in zip(values, others, strict=True):
            assert (x is None and y is None) or abs(x - y) <= TOLERANCE, key


async def _wipe_index(session: AsyncSession) -> None:
    """Empty the person index (the trained model stays active: both engines score with it)."""
    for table in ("match_review", "match_link", "match_record", "match_person"):
        await session.execute(text(f"DELETE FROM {table}"))
    await session.commit()


async def _equivalent_runs(
    settings: Settings,
    sm: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    people: int,
    *,
    incremental: bool = False,
) -> None:
    population = make_people(people)
    truth = await load_population(session, population)
    # Lookalikes for the review queue: a clinic record without CURP, born a year apart, otherwise alike.
    for p in population[::25]:
        born = p.fecha_nacimiento
        lookalike = replace(
            p, curp="", fecha_nacimiento=born.replace(year=born.year + 1, day=min(born.day, 28))
        )
        await insert_record(session, lookalike, source="patients", record_id=f"L{p.key}")
        truth[f"patients|L{p.key}"] = -p.key
    await session.commit()
    shared = settings.data_dir / "spark-shared"
    ran = settings.model_copy(update={**SPARK, "spark_workdir": shared})
    duck = await _run(ran, sm, engine="duckdb")
    on_duckdb = await _snapshot(session)
    await _wipe_index(session)
    on_spark_counts = await _run(ran, sm, engine="spark")
    on_spark = await _snapshot(session)
    # The run's Parquet (people's records) is not left behind on the shared storage.
    assert not [p for p in shared.rglob("*") if p.is_file()]
    assert duck["engine"] == "duckdb"
    assert on_spark_counts["engine"] == "spark"
    assert on_spark_counts["records"] == len(truth)
    for key in ("pairs_scored", "auto_pairs", "persons_new", "reviews_new", "kept_apart", "links"):
        assert on_spark_counts[key] == duck[key], key
    assert on_spark["groups"] == on_duckdb["groups"]
    _close(on_duckdb["links"], on_spark["links"])
    _close(on_duckdb["reviews"], on_spark["reviews"])
    assert on_duckdb["reviews"], "the population should give the review queue something"
    if incremental:
        await _incremental_on_spark(ran, sm, session, make_people(people))


async def _incremental_on_spark(
    settings: Settings, sm: async_sessionmaker[AsyncSession], session: AsyncSession, people: list[Any]
) -> None:
    """After a Spark run: a reviewer's MANUAL NO_MATCH and a new clinic record; the next Spark run
    scores only the new record, keeps every person id and the manual decision."""
    before = await _persons(session)
    await session.execute(
        text(
            "UPDATE match_link SET state = 'NO_MATCH', origin = 'MANUAL' "
            "WHERE source = 'roll' AND record_id = 'R1' AND state = 'MATCH'"
        )
    )
    await insert_record(session, people[5], source="patients", record_id="NEW1")
    await session.commit()
    counts = await _run(settings, sm, engine="spark")
    assert counts["scored"] == 1
    after = await _persons(session)
    assert after["patients|NEW1"] == after["roll|R5"]
    assert {k: after[k] for k in before} == before
    manual = (
        await session.execute(
            text("SELECT state, origin FROM match_link WHERE source = 'roll' AND record_id = 'R1'")
        )
    ).all()
    assert ("NO_MATCH", "MANUAL") in manual


@pytest.mark.asyncio
async def test_spark_and_duckdb_runs_give_the_same_persons_links_and_reviews(
    spark: Any, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """About 1,000 records; then an incremental Spark run keeps ids and manual decisions."""
    await _equivalent_runs(settings, sessionmaker, session, people=550, incremental=True)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_spark_and_duckdb_runs_agree_on_five_thousand_people(
    spark: Any, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _equivalent_runs(settings, sessionmaker, session, people=5000)


@pytest.mark.asyncio
async def test_engines_score_the_same_pairs_from_one_model(
    spark: Any, session: AsyncSession, tmp_path: Path
) -> None:
    """Below the run: the DuckDB scorer and the Spark scorer on the same feature table, with one trained
    model, give the same pairs above the review threshold with the same probabilities."""
    await _population(session, make_people(300, seed=5))
    await runs._export(session, runs.RECORDS_SQL, tmp_path / "records.csv")
    con = batch.connect(tmp_path, memory_limit="1GB", threads=1)
    try:
        batch.build_features(con, tmp_path / "records.csv")
        layout = batch.layout_of(con)
        trained = batch.train_model(con, layout=layout)
        con.execute(
            f"CREATE VIEW feats_features AS SELECT {', '.join(FEATURE_COLUMNS)} FROM feats"
        ).fetchall()
        linkage.Scorer(con, trained.settings, trained.tf, layout).predict_all(
            "feats_features", threshold=REVIEW, out="pred_duckdb"
        )
        scorer = spark_engine.SparkScorer(
            con, spark, trained.settings, trained.tf, workdir=tmp_path, layout=layout
        )
        scorer.predict_all("feats_features", threshold=REVIEW, out="pred_spark")
        duck, on_spark = _pairs(con, "pred_duckdb"), _pairs(con, "pred_spark")
        # The records crossed as Parquet partitioned by entidad.
        parts = {p.name.split("=")[0] for p in (tmp_path / "spark").glob("in_*/*") if p.is_dir()}
    finally:
        con.close()
    assert len(duck) > 50
    assert parts == {"part"}
    _close(duck, on_spark)


def test_an_unknown_engine_is_a_plain_message_and_a_non_zero_exit() -> None:
    from typer.testing import CliRunner

    from interop.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["match", "run", "--engine", "hadoop"])
    assert result.exit_code == 2
    assert "motor desconocido" in result.output
    assert "Traceback" not in result.output


@pytest.mark.asyncio
async def test_a_run_on_an_engine_that_cannot_start_fails_once_with_the_reason(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """A queued run naming an unknown engine fails for good, with words on the run, not a stack."""
    await load_population(session, make_people(40))
    ctx = system_context(request_id="r", trace_id="0" * 32)
    run = await service.start_run(session, ctx)
    await session.commit()
    await session.execute(
        text("UPDATE job SET payload = jsonb_set(payload, '{engine}', '\"hadoop\"') WHERE id = :id"),
        {"id": run.job_id},
    )
    await session.commit()
    assert run.job_id is not None
    state = await Worker(settings, sessionmaker).run_until_done(run.job_id)
    assert state == "failed"
    async with sessionmaker() as s:
        row, _ = await service.get_run(s, run_id=run.id)
    assert row.status == "failed"
    assert row.error is not None
    assert "motor desconocido: 'hadoop'" in stored.said(row.error, "es-MX")
    assert "unknown engine: 'hadoop'" in stored.said(row.error, "en")  # stored as a key: read in either
