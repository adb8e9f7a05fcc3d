"""Batch runs against a real PostgreSQL and real Splink: persons, stability, incremental, manual decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import evaluation, models_store, reviews, service
from interop.matching.scoring import weight_to_probability

pytestmark = pytest.mark.asyncio


async def _run(
    settings: Settings, sm: async_sessionmaker[AsyncSession], *, retrain: bool = False
) -> dict[str, Any]:
    ctx = system_context(request_id="r", trace_id="0" * 32)
    async with sm() as session:
        run = await service.start_run(session, ctx, retrain=retrain)
        await session.commit()
        job_id, run_id = run.job_id, run.id
    assert job_id is not None
    state = await Worker(settings, sm).run_until_done(job_id)
    async with sm() as session:
        row, _ = await service.get_run(session, run_id=run_id)
        assert state == "succeeded", row.error
        return dict(row.counts)


async def _persons(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(text("SELECT source || '|' || record_id, person_id::text FROM match_record"))
    return dict(rows.all())


async def _assert_link_evidence(session: AsyncSession) -> None:
    """Automatic links with a score carry the weight of every comparison; with the prior they give
    the link's score back."""
    model = await models_store.active_model(session)
    assert model is not None
    rows = (
        await session.execute(
            text("SELECT score, evidence FROM match_link WHERE origin = 'AUTO' AND score IS NOT NULL")
        )
    ).all()
    assert rows
    for score, evidence in rows:
        weights = evidence["weights"]
        assert len(weights) == len(model.settings["comparisons"])
        assert abs(weight_to_probability(model.scoring.prior_weight + sum(weights)) - score) < 1e-3


async def test_first_run_links_duplicates_and_rerun_changes_nothing(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    truth = await load_population(session, make_people(400))
    counts = await _run(settings, sessionmaker)
    assert counts["records"] == len(truth)
    assert counts["scored"] == len(truth)
    persons = await _persons(session)
    assert set(persons) == set(truth)
    scores = evaluation.pairwise(persons, {k: str(v) for k, v in truth.items()})["all"]
    assert scores.precision >= 0.98
    assert scores.recall >= 0.9
    # every record has exactly one MATCH link
    n = (await session.execute(text("SELECT count(*) FROM match_link WHERE state = 'MATCH'"))).scalar_one()
    assert n == len(truth)
    await _assert_link_evidence(session)

    again = await _run(settings, sessionmaker)
    assert again["scored"] == 0
    assert await _persons(session) == persons


async def test_incremental_run_scores_only_new_and_changed(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    people = make_people(300)
    await load_population(session, people)
    await _run(settings, sessionmaker)
    before = await _persons(session)
    p = people[5]
    # A new clinic record of person 5 and a new version of person 6's roll record.
    await insert_record(session, p, source="patients", record_id="NEW1")
    changed = people[6]
    await insert_record(
        session,
        changed.__class__(**{**changed.__dict__, "domicilio": "OTRA CALLE 1"}),
        source="roll",
        record_id="R6",
        version=2,
    )
    await session.commit()
    counts = await _run(settings, sessionmaker)
    assert counts["scored"] == 2
    after = await _persons(session)
    assert after["patients|NEW1"] == after["roll|R5"]
    assert after["roll|R6"] == before["roll|R6"]
    unchanged = {k: v for k, v in before.items() if k != "roll|R6"}
    assert {k: after[k] for k in unchanged} == unchanged


async def test_manual_decisions_survive_reruns(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    people = make_people(300)
    await load_population(session, people)
    await _run(settings, sessionmaker)
    persons = await _persons(session)
    ctx = system_context(request_id="r", trace_id="0" * 32)
    # A reviewer splits roll R1 from its person, and joins roll R2 to person of roll R3.
    review_split = await _review(session, "roll|R1", _other(persons, "roll|R1"), persons)
    review_join = await _review(session, "roll|R2", "roll|R3", persons)
    async with sessionmaker() as s:
        await reviews.decide_review(
            s, ctx, review_id=review_split, decision="not-link", reason="different people"
        )
        await reviews.decide_review(s, ctx, review_id=review_join, decision="link", reason="same person")
        await s.commit()
    decided = await _persons(session)
    assert decided["roll|R2"] == decided["roll|R3"]
    assert decided["roll|R1"] != persons["roll|R1"] or _other(persons, "roll|R1") is None
    # Touch R1 and R2 so the next run re-scores them: manual links must hold.
    for key in (1, 2):
        p = people[key]
        await insert_record(
            session,
            p.__class__(**{**p.__dict__, "domicilio": "CAMBIO 9"}),
            source="roll",
            record_id=f"R{key}",
            version=2,
        )
    await session.commit()
    await _run(settings, sessionmaker)
    after = await _persons(session)
    assert after["roll|R2"] == after["roll|R3"]
    assert after["roll|R1"] == decided["roll|R1"]
    manual = (
        await session.execute(text("SELECT count(*) FROM match_link WHERE origin = 'MANUAL'"))
    ).scalar_one()
    assert manual >= 2


def _other(persons: dict[str, str], key: str) -> str | None:
    return next((k for k, v in persons.items() if v == persons[key] and k != key), None)


async def _review(session: AsyncSession, left: str, right: str | None, persons: dict[str, str]) -> int:
    assert right is not None
    ls, lr = left.split("|")
    rs, rr = right.split("|")
    rid = (
        await session.execute(
            text(
                "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                "score) VALUES (:ls, :lr, :rs, :rr, 0.7) RETURNING id"
            ),
            {"ls": ls, "lr": lr, "rs": rs, "rr": rr},
        )
    ).scalar_one()
    await session.commit()
    return int(rid)


Factory = Callable[..., Any]


async def test_bulk_run_rebuilds_the_blocking_indexes(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from interop.matching import store
    from interop.matching.blocking import BLOCKING_INDEXES

    async def definitions() -> dict[str, str]:
        rows = await session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('match_record', 'match_link')"
            )
        )
        return {str(row[0]): str(row[1]) for row in rows.all()}

    migrated = await definitions()
    monkeypatch.setattr(store, "BULK_INDEX_REBUILD_ROWS", 1)
    truth = await load_population(session, make_people(150))
    counts = await _run(settings, sessionmaker)
    assert counts["scored"] == len(truth)
    # Rebuilt from the models, the indexes are the ones the migrations made (blocking keys hashed).
    assert await definitions() == migrated
    assert set(BLOCKING_INDEXES) <= set(migrated)
    assert all("hashtextextended" in migrated[name] for name in BLOCKING_INDEXES)
    link_indexes = {
        r[0]
        for r in (
            await session.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'match_link'"))
        ).all()
    }
    # The link's indexes (partitioned: migration 0025; reads by person use the key table's).
    assert {"uq_match_link_one_match", "uq_match_link_source_record_id_person_id_pkey"} <= link_indexes
    fk = await session.execute(
        # The parent's (each partition of the links, 0025, holds a copy of the same name).
        text(
            "SELECT 1 FROM pg_constraint WHERE conname = 'fk_match_link_person_id_match_person' "
            "AND conrelid = 'match_link'::regclass"
        )
    )
    assert fk.scalar_one() == 1
    await _assert_link_evidence(session)
    assert set(await _persons(session)) == set(truth)
