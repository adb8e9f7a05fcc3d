"""The links partitioned by their record's entidad (issue 20 item 4, migration 0025): every link of a
record lives in its record's partition and follows the record to another entidad; a reviewer's link
waits for a run that is moving its record, so one record never holds two MATCH links in two
partitions; the reads by person and by record use indexes and open only the partitions of the records
they find (generic plans too); the migration keeps every row and id, up and down."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import pad_feature_store
from tests.matching.test_match_plans import _nodes, _scans
from tests.matching.test_record_partitions import _record, _write_run
from tests.scratch_databases import execute as _execute
from tests.scratch_databases import fetch as _fetch
from tests.scratch_databases import fresh_database as _fresh

from interop.context import system_context
from interop.db import migrate
from interop.db.embedded import EmbeddedServer
from interop.matching import reviews, store
from interop.matching.links import PERSON_OF_SQL
from interop.matching.online import REFUSED_SQL

CTX = system_context(request_id="r", trace_id="0" * 32)


async def _links(session: AsyncSession) -> list[tuple[str, str, str, str, str]]:
    """Every link: record, state, origin and the partition that holds it."""
    rows = await session.execute(
        text(
            "SELECT record_id, state, origin, person_id::text, tableoid::regclass::text FROM match_link "
            "ORDER BY record_id, state, origin"
        )
    )
    return [(r[0], r[1], r[2], r[3], r[4].removeprefix("match_partition.")) for r in rows.all()]


async def _store(
    session: AsyncSession, workdir: Path, records: list[dict[str, Any]], person: uuid.UUID
) -> None:
    """A run's write of these records, all linked to ``person``, committed (a run per transaction)."""
    # The key rows carry the person too, as a run's do (``runs.RECORDS_KEY_SQL``).
    _write_run(workdir, [{**r, "person_id": person} for r in records], person)
    await store.write(session, workdir, scored=len(records))
    await session.commit()


async def _review(session: AsyncSession, left: str, right: str) -> int:
    found = await session.execute(
        text(
            "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, score) "
            "VALUES ('roll', :l, 'roll', :r, 0.5) RETURNING id"
        ),
        {"l": left, "r": right},
    )
    return int(found.scalar_one())


async def test_links_live_in_their_records_partition_and_follow_it_to_another_entidad(
    session: AsyncSession, tmp_path: Path
) -> None:
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    await _store(session, tmp_path / "one", [_record("R1", "MC"), _record("R2", None)], p1)
    await _store(session, tmp_path / "two", [_record("R3", "YN")], p2)
    await session.commit()
    # A reviewer: R3 is not R1's person (a MANUAL NO_MATCH for R3, in R3's partition).
    review = await _review(session, "R3", "R1")
    await reviews.decide_review(session, CTX, review_id=review, decision="not-link", reason="otra")
    await session.commit()
    assert await _links(session) == [
        ("R1", "MATCH", "AUTO", str(p1), "match_link_mc"),
        ("R2", "MATCH", "AUTO", str(p1), "match_link_default"),
        ("R3", "MATCH", "AUTO", str(p2), "match_link_yn"),
        ("R3", "NO_MATCH", "MANUAL", str(p1), "match_link_yn"),
    ]
    # R3 moves to Jalisco and R2 gets an entidad: their links go with them, the manual one included.
    await _store(session, tmp_path / "three", [_record("R3", "JC", curp="GOMM500101HJCRRR02")], p2)
    await _store(session, tmp_path / "four", [_record("R2", "MC")], p1)
    await session.commit()
    assert await _links(session) == [
        ("R1", "MATCH", "AUTO", str(p1), "match_link_mc"),
        ("R2", "MATCH", "AUTO", str(p1), "match_link_mc"),
        ("R3", "MATCH", "AUTO", str(p2), "match_link_jc"),
        ("R3", "NO_MATCH", "MANUAL", str(p1), "match_link_jc"),
    ]
    # Within a partition its unique index still refuses a second MATCH of one record.
    with pytest.raises(DBAPIError, match="duplicate key"):
        await session.execute(
            text(
                "INSERT INTO match_link (source, record_id, person_id, state, origin, pkey) "
                "VALUES ('roll', 'R3', :p, 'MATCH', 'MANUAL', 'JC')"
            ),
            {"p": p1},
        )


async def test_a_reviewers_link_waits_for_the_run_moving_its_record(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """The run moving R1 from Michoacán to Jalisco holds R1's key row; the reviewer linking R1 to
    another person waits for it, then writes into Jalisco: one MATCH for R1, not one per partition."""
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    async with sessionmaker() as setup:
        await _store(setup, tmp_path / "one", [_record("R1", "MC")], p1)
        await _store(setup, tmp_path / "two", [_record("R2", "YN")], p2)
        review = await _review(setup, "R1", "R2")
        await setup.commit()
    _write_run(tmp_path / "move", [{**_record("R1", "JC", curp="GOMM500101HJCRRR02"), "person_id": p1}], p1)
    async with sessionmaker() as run, sessionmaker() as reviewer:
        await store.write(run, tmp_path / "move", scored=1)
        deciding = asyncio.create_task(
            reviews.decide_review(reviewer, CTX, review_id=review, decision="link", reason="misma")
        )
        await asyncio.sleep(0.5)
        assert not deciding.done(), "the reviewer waits for the run's key row"
        await run.commit()
        await asyncio.wait_for(deciding, 10)
        await reviewer.commit()
    async with sessionmaker() as check:
        assert [link for link in await _links(check) if link[1] == "MATCH"] == [
            ("R1", "MATCH", "MANUAL", str(p2), "match_link_jc"),
            ("R2", "MATCH", "AUTO", str(p2), "match_link_yn"),
        ]


async def test_two_reviewers_of_one_record_leave_it_one_match(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Two decisions linking R1 to two persons at once: the second waits for the first (R1's key row),
    then replaces its MATCH."""
    p1, p2, p3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with sessionmaker() as setup:
        await _store(setup, tmp_path / "one", [_record("R1", "MC")], p1)
        await _store(setup, tmp_path / "two", [_record("R2", "YN")], p2)
        await _store(setup, tmp_path / "three", [_record("R3", None)], p3)
        first_review, second_review = await _review(setup, "R1", "R2"), await _review(setup, "R1", "R3")
        await setup.commit()
    async with sessionmaker() as first, sessionmaker() as second:
        await reviews.decide_review(first, CTX, review_id=first_review, decision="link", reason="a")
        deciding = asyncio.create_task(
            reviews.decide_review(second, CTX, review_id=second_review, decision="link", reason="b")
        )
        await asyncio.sleep(0.5)
        assert not deciding.done(), "the second reviewer waits for the first's key row"
        await first.commit()
        await asyncio.wait_for(deciding, 10)
        await second.commit()
    async with sessionmaker() as check:
        assert [link for link in await _links(check) if link[0] == "R1"] == [
            ("R1", "MATCH", "MANUAL", str(p3), "match_link_mc")
        ]


async def test_a_record_a_reviewer_gives_its_first_person_carries_it_in_its_key_row(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """R2 holds no person yet (no MATCH link, none in its key row). Linking R1 to it makes a person for
    R2 and moves R1 there: both key rows name that person, which is what `$match`'s refusals and the
    reads by person find records through."""
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    async with sessionmaker() as setup:
        await _store(setup, tmp_path / "one", [_record("R1", "MC")], p1)
        await _store(setup, tmp_path / "two", [_record("R2", "YN")], p2)
        await setup.execute(text("DELETE FROM match_link WHERE record_id = 'R2'"))
        await setup.execute(text("UPDATE match_record SET person_id = NULL WHERE record_id = 'R2'"))
        review = await _review(setup, "R1", "R2")
        await setup.commit()
    async with sessionmaker() as reviewer:
        await reviews.decide_review(reviewer, CTX, review_id=review, decision="link", reason="misma")
        await reviewer.commit()
    async with sessionmaker() as check:
        matches = {link[0]: link[3] for link in await _links(check) if link[1] == "MATCH"}
        found = await check.execute(text("SELECT record_id, person_id::text FROM match_record ORDER BY 1"))
        keys = dict(found.all())
    assert matches["R1"] == matches["R2"] not in (str(p1), str(p2))
    assert keys == {"R1": matches["R1"], "R2": matches["R2"]}


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]"
    quoted = "'" + str(value).replace("'", "''") + "'"
    return f"{quoted}::uuid" if isinstance(value, uuid.UUID) else quoted


async def _executed(session: AsyncSession, sql: Any, params: dict[str, Any], *, generic: bool) -> set[str]:
    """The link partitions and key-table indexes one execution of ``sql`` read, with no scan of a large
    table: on a custom plan (planned with the values), or on the generic plan ``$match`` runs (a
    prepared statement planned once without them, so the partitions are pruned at run time)."""
    conn = await session.connection()
    compiled = sql.compile(conn.sync_connection)
    values = [params[name] for name in compiled.positiontup or []]
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    mode = "force_generic_plan" if generic else "force_custom_plan"
    await raw.execute(f"SET LOCAL plan_cache_mode = {mode}")
    await raw.execute(f"PREPARE link_read AS {compiled}")
    try:
        found = await raw.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE link_read({', '.join(_literal(v) for v in values)})"
        )
    finally:
        await raw.execute("DEALLOCATE link_read")
        await raw.execute("SET LOCAL plan_cache_mode = DEFAULT")
    plan: dict[str, Any] = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    assert _scans(plan) == [], json.dumps(plan, indent=1)
    assert ("$1" in json.dumps(plan)) is generic, "the plan is the kind asked for"
    return {
        str(n["Relation Name"])
        for n in _nodes(plan)
        if str(n.get("Relation Name", "")).startswith("match_link_") and n.get("Actual Loops", 0) > 0
    } | {str(n["Index Name"]) for n in _nodes(plan) if n.get("Index Name", "").startswith("ix_match_record")}


async def test_reads_by_person_and_by_record_open_only_their_records_partitions(
    session: AsyncSession, tmp_path: Path
) -> None:
    p1, p2, p3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _store(session, tmp_path / "one", [_record("R1", "MC"), _record("R2", "JC")], p1)
    await _store(session, tmp_path / "two", [_record("R3", "YN")], p2)
    await _store(
        session, tmp_path / "three", [_record(f"X{i}", code) for i, code in enumerate(["DF", "BC", "SL"])], p3
    )
    review = await _review(session, "R3", "R1")
    await reviews.decide_review(session, CTX, review_id=review, decision="not-link", reason="otra")
    # The statistics of a real index: 20,000 more records of every entidad, each its own person's.
    await pad_feature_store(session, 20_000)
    for sql in (
        # Records with no entidad too, as a real load has (the default partition's links).
        "INSERT INTO match_record (source, record_id, feature_digest) "
        "SELECT 'patients', 'PADN' || i, 'pad' FROM generate_series(1, 600) i",
        "UPDATE match_record SET person_id = gen_random_uuid() WHERE feature_digest = 'pad'",
        "INSERT INTO match_person (id) SELECT person_id FROM match_record WHERE feature_digest = 'pad'",
        "INSERT INTO match_link (source, record_id, person_id, state, origin, pkey) "
        "SELECT source, record_id, person_id, 'MATCH', 'AUTO', pkey FROM match_record "
        "WHERE feature_digest = 'pad'",
        "ANALYZE match_record, match_link",
    ):
        await session.execute(text(sql))
    conn = await session.connection()
    await conn.execute(text("SET LOCAL enable_seqscan = off"))  # a scan left in the plan has no index
    # $match's refusals: the links of the anchors' and the others' records, each in its partition.
    params = {"anchors": [p2], "others": [p1]}
    assert (await session.execute(REFUSED_SQL, params)).all() == [(p2, p1)]
    for generic in (False, True):
        assert await _executed(session, REFUSED_SQL, params, generic=generic) == {
            "ix_match_record_person_id",  # the global person → record index
            "match_link_mc",
            "match_link_jc",
            "match_link_yn",
        }
    # A record's MATCH person (a review's two records): one partition.
    params = {"pkey": "JC", "source": "roll", "record_id": "R2"}
    assert (await session.execute(PERSON_OF_SQL, params)).scalar_one() == p1
    for generic in (False, True):
        assert await _executed(session, PERSON_OF_SQL, params, generic=generic) == {"match_link_jc"}


def test_the_migration_keeps_every_link_and_id(pg_server: EmbeddedServer) -> None:
    """Links stored before 0025 land in their record's partition (no key row: the default one) with
    their ids, and the identity continues after them; back down, the whole table and its indexes."""
    url = asyncio.run(_fresh(pg_server, "link_partition_migration"))
    migrate.upgrade(url, "0024_batch3_index_build_wal")
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    asyncio.run(
        _execute(
            url,
            f"INSERT INTO match_person (id) VALUES ('{p1}'), ('{p2}'); "
            "INSERT INTO match_record (source, record_id, entidad, feature_digest, person_id) VALUES "
            f"('roll', 'R1', 'DF', 'a', '{p1}'), ('patients', 'P1', NULL, 'b', '{p2}'); "
            "INSERT INTO match_link (id, source, record_id, person_id, state, origin, score, evidence) "
            "OVERRIDING SYSTEM VALUE VALUES "
            f"(7, 'roll', 'R1', '{p1}', 'MATCH', 'AUTO', 0.9, '{{\"weights\": [1.5]}}'), "
            f"(8, 'roll', 'R1', '{p2}', 'NO_MATCH', 'MANUAL', NULL, '{{}}'), "
            f"(9, 'patients', 'P1', '{p2}', 'MATCH', 'AUTO', 0.8, '{{}}'), "
            f"(12, 'visit', 'V1', '{p1}', 'MATCH', 'MANUAL', NULL, '{{\"review_id\": 3}}')",
        )
    )
    columns = "id, source, record_id, person_id::text, state, origin, score, evidence::text"
    before = asyncio.run(_fetch(url, f"SELECT {columns} FROM match_link ORDER BY id"))
    migrate.upgrade(url)
    after = asyncio.run(
        _fetch(url, f"SELECT {columns}, tableoid::regclass::text FROM match_link ORDER BY id")
    )
    assert [row[:-1] for row in after] == before
    assert [row[-1].removeprefix("match_partition.") for row in after] == [
        "match_link_df",
        "match_link_df",
        "match_link_default",
        "match_link_default",
    ]
    insert_next = (
        "INSERT INTO match_link (source, record_id, person_id, state, origin{pkey}) "
        f"VALUES ('roll', {{record}}, '{p1}', 'POSSIBLE_MATCH', 'AUTO'{{value}}) RETURNING id"
    )
    new_id = asyncio.run(_fetch(url, insert_next.format(record="'R9'", pkey=", pkey", value=", '00'")))
    assert new_id == [(13,)], "the identity continues after the kept ids"
    migrate.downgrade(url, "0024_batch3_index_build_wal")
    back = asyncio.run(_fetch(url, f"SELECT {columns} FROM match_link ORDER BY id"))
    assert back[:-1] == before
    assert back[-1][:3] == (13, "roll", "R9")
    indexes = asyncio.run(_fetch(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'match_link'"))
    assert {i for (i,) in indexes} == {
        "pk_match_link",
        "uq_match_link_source_record_id_person_id",
        "uq_match_link_one_match",
        "ix_match_link_person_id",
    }
    assert asyncio.run(_fetch(url, insert_next.format(record="'R8'", pkey="", value=""))) == [(14,)]
    migrate.upgrade(url)  # and up again over the rows the way down kept
