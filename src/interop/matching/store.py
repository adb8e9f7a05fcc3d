"""Writing a batch run's results into PostgreSQL: persons, the feature store (the key table with its
blocking indexes, the detail partitioned by entidad), links and reviews, from the CSV files the run
prepared — in the caller's transaction.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateIndex, DropConstraint, DropIndex

from interop.db.bulk import raw_connection
from interop.matching import bulk_keys
from interop.matching.blocking import BLOCKING_INDEXES, INDEX_MISSING
from interop.matching.features import FEATURE_COLUMNS
from interop.matching.models import MatchLink, MatchRecord, MatchRecordDetail
from interop.matching.record_columns import DETAIL_COLUMNS

BULK_INDEX_REBUILD_ROWS = 50_000
_INDEX_BUILD_MEMORY = "512MB"

# The run leaves its records in two files, one per table, each COPYed straight in on a first load:
# the key rows (``match_record``, its ``pkey`` generated) and their detail (``match_record_detail``,
# partitioned by ``pkey``, which the file carries first so that COPY routes each row): record_columns.py.
# The key rows hold every feature column the detail does not (derived, so a new feature lands once).
KEY_COLUMNS = (
    *(c for c in FEATURE_COLUMNS if c != "unique_id" and c not in DETAIL_COLUMNS),
    "feature_digest",
    "person_id",  # last: the run's file adds it from the assignment
)
DETAIL_FILE_COLUMNS = ("pkey", "source", "record_id", *DETAIL_COLUMNS)
KEY_FILE, DETAIL_FILE = "records_key.csv", "records_detail.csv"
# The detail's columns a bulk write's ANALYZE reads (``write``): those of its reads' join.
DETAIL_KEY_STATISTICS = "(pkey, source, record_id)"
_TYPES = {"record_pk": "bigint", "patient_id": "uuid", "person_id": "uuid"}


def _stage(name: str, columns: tuple[str, ...]) -> str:
    return (
        f"CREATE TEMP TABLE {name} ("
        + ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in columns)
        + ") ON COMMIT DROP"
    )


async def _stage_records(session: AsyncSession, workdir: Path) -> None:
    """Each file into a temporary stage (no WAL), for ``_upsert_records``: COPY has no ``ON CONFLICT``."""
    await session.execute(text(_stage("stage_record", KEY_COLUMNS)))
    await _copy_in(session, "stage_record", workdir / KEY_FILE, list(KEY_COLUMNS))
    await session.execute(text(_stage("stage_detail", DETAIL_FILE_COLUMNS)))
    await _copy_in(session, "stage_detail", workdir / DETAIL_FILE, list(DETAIL_FILE_COLUMNS))


async def _upsert_records(session: AsyncSession) -> None:
    """The staged records over stored ones. A record whose entidad changed leaves its old partition
    first (a changed partition key is a new row there, not a conflict)."""
    await session.execute(
        text(
            "DELETE FROM match_record_detail d USING stage_detail s, match_record m "
            "WHERE m.source = s.source AND m.record_id = s.record_id AND m.pkey <> s.pkey "
            "AND d.pkey = m.pkey AND d.source = m.source AND d.record_id = m.record_id"
        )
    )
    key, detail = ", ".join(KEY_COLUMNS), ", ".join(DETAIL_FILE_COLUMNS)
    key_updates = ", ".join(f"{c} = excluded.{c}" for c in KEY_COLUMNS if c not in ("source", "record_id"))
    await session.execute(
        text(
            f"INSERT INTO match_record ({key}) SELECT {key} FROM stage_record "
            f"ON CONFLICT (source, record_id) DO UPDATE SET {key_updates}, updated_at = now()"
        )
    )
    detail_updates = ", ".join(f"{c} = excluded.{c}" for c in DETAIL_COLUMNS)
    await session.execute(
        text(
            f"INSERT INTO match_record_detail ({detail}) SELECT {detail} FROM stage_detail "
            f"ON CONFLICT (source, record_id, pkey) DO UPDATE SET {detail_updates}"
        )
    )


async def _copy_in(
    session: AsyncSession, table: str, path: Path, columns: list[str], *, freeze: bool = False
) -> None:
    conn = await raw_connection(session)
    await conn.copy_to_table(table, source=path, columns=columns, format="csv", freeze=freeze)


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
    "pkey",  # the record's partition, which ``match_link`` is partitioned by (links.py)
]


# The partial blocking indexes over the few records lacking a column (``blocking.INDEX_MISSING``: the
# records without a birth date, 2 % at 1 M) stay in place through a bulk write: inserting their few
# rows costs less than one more full read of the key table to build them (1.86 M rows at 1 M).
_BULK_REBUILT = [name for name in BLOCKING_INDEXES if name not in INDEX_MISSING]


def _blocking_indexes() -> list[Index]:
    record = MatchRecord.metadata.tables[MatchRecord.__tablename__]
    return [index for index in record.indexes if index.name in _BULK_REBUILT]


@asynccontextmanager
async def _index_builds(session: AsyncSession) -> AsyncIterator[bool]:
    """Room for the bulk index builds, and their WAL uncompressed when the role may set that (migration
    0022; yields whether it may). PostgreSQL logs each page of a new index whole, and these pages (64-bit
    hashes, uuids) do not compress: the same WAL bytes either way, at about half of a build's time spent
    trying. Only the builds: the rest of the transaction keeps the server's setting."""
    await session.execute(text(f"SET LOCAL maintenance_work_mem = '{_INDEX_BUILD_MEMORY}'"))
    try:
        async with session.begin_nested():  # a refused SET must not abort the run's transaction
            await session.execute(text("SET LOCAL wal_compression = off"))
        uncompressed = True
    except DBAPIError:
        uncompressed = False
    yield uncompressed
    if uncompressed:
        await session.execute(text("SET LOCAL wal_compression TO DEFAULT"))


async def _rebuild_blocking_indexes(session: AsyncSession) -> None:
    async with _index_builds(session):
        for index in _blocking_indexes():
            await session.execute(CreateIndex(index))


def _bulk_built() -> tuple[list[Index], list[ForeignKeyConstraint]]:
    """What a first load builds after its COPYs instead of maintaining row by row: the secondary
    indexes of ``match_record`` and ``match_link`` (a random person id per row makes their inserts
    scattered) and the foreign keys of the links and the detail (each checked in one join instead of a
    trigger per row: ``bulk_keys``).
    Definitions come from the models, so the rebuilt schema is the one the migrations made."""
    tables = MatchRecord.metadata.tables
    record, link = tables[MatchRecord.__tablename__], tables[MatchLink.__tablename__]
    detail = tables[MatchRecordDetail.__tablename__]
    indexes = [i for i in (*record.indexes, *link.indexes) if i.name not in INDEX_MISSING]
    fks = [fk for table in (link, detail) for fk in table.constraints if isinstance(fk, ForeignKeyConstraint)]
    return sorted(indexes, key=lambda i: str(i.name)), fks


async def _first_load(session: AsyncSession, workdir: Path, steps: _Steps) -> dict[str, Any]:
    """The first run over an empty index: COPY straight into the tables (nothing to merge with), the
    indexes and the foreign key built once afterwards, all in the caller's transaction."""
    indexes, fks = _bulk_built()
    for fk in fks:
        await session.execute(DropConstraint(fk))
    for index in indexes:
        await session.execute(DropIndex(index, if_exists=True))
    await _copy_in(session, "match_person", workdir / "persons.csv", ["id"])
    steps.done("persons")
    # The key rows go in frozen and all-visible: the detail's foreign key is checked by one probe of
    # the key table's primary key per detail row, and on rows written by this transaction each probe
    # also read the row itself (its visibility map not yet set: ~8 s of the 1 M storing step for the
    # 34 partitions' checks); readers after the commit need not set its hint bits either. COPY FREEZE
    # needs the table emptied in this transaction; it is empty (the caller checked) and nothing
    # references it now (its foreign keys were dropped above). Emptied tables are not MVCC-safe: a
    # transaction whose snapshot predates the commit sees the rows, where it saw none before.
    await session.execute(text("TRUNCATE match_record"))
    await _copy_in(session, "match_record", workdir / KEY_FILE, list(KEY_COLUMNS), freeze=True)
    steps.done("records")
    await _copy_in(session, "match_record_detail", workdir / DETAIL_FILE, list(DETAIL_FILE_COLUMNS))
    steps.done("record detail")
    await _copy_in(session, "match_link", workdir / "links.csv", LINK_COLUMNS)
    steps.done("links")
    async with _index_builds(session) as uncompressed:
        for index in indexes:
            await session.execute(CreateIndex(index))
    steps.done("indexes")
    # One anti-join per key over the whole table, not PostgreSQL's one per partition (bulk_keys.py).
    await bulk_keys.add_checked(session, fks)
    steps.done("foreign key")
    await _insert_reviews(session, workdir)
    steps.done("reviews")
    summary = await _summary(session)
    steps.done("summary")
    # Whether the index builds' WAL skipped compression (``_index_builds``): the bench reports it.
    summary["index_wal_compressed"] = not uncompressed
    return summary


async def write(session: AsyncSession, workdir: Path, *, scored: int) -> dict[str, Any]:
    """Store the run's files; returns the link and review summary with ``write_timings_s``."""
    steps = _Steps()
    summary = await _write(session, workdir, scored=scored, steps=steps)
    if scored >= BULK_INDEX_REBUILD_ROWS:
        # A bulk write replaced the tables wholesale, and $match reads them right after the commit:
        # statistics now for the key table and the detail's parent, which autovacuum never analyses.
        # Not the partitions: the rows this transaction wrote count as changes only once it commits,
        # so autovacuum analyses every partition again right after it (at 1 M, within two minutes),
        # and an ANALYZE here was the same work done twice; the run's own reads do not depend on them
        # (``calibration_labels.candidates_of``), and a detail row is read by its key. Before PostgreSQL 17
        # (no ``ONLY``) the parent's ANALYZE also does its partitions. The run already holds the key
        # table exclusively (it dropped its indexes), and runs take turns. A small write leaves them
        # to autovacuum: an ANALYZE would hold a lock till commit that the next writer's would wait
        # for, and the readers' plans do not depend on it (``record_columns.detail_lookup``).
        # Of the detail's parent only its key: every read joins it by (pkey, source, record_id)
        # (``record_columns``) and none filters on its other columns, whose statistics cost ~0.2 s.
        version = (await session.execute(text("SHOW server_version_num"))).scalar_one()
        only = "ONLY " if int(version) >= 170000 else ""
        detail = f"{only}match_record_detail {DETAIL_KEY_STATISTICS}"
        await session.execute(text(f"ANALYZE match_record, {detail}"))
        if int(version) >= 150000:
            # This transaction's row counts reach the statistics right at its commit, not up to a second
            # later: ``vacuum_written`` resets them after the commit, and counts arriving after it would
            # send autovacuum over every table again.
            await session.execute(text("SELECT pg_stat_force_next_flush()"))
        steps.done("statistics")
    summary["write_timings_s"] = steps.timings
    return summary


class _Steps:
    """Seconds per write step, for the run's counts (the bench reads them)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self._t, 2)
        self._t = now


async def _write(session: AsyncSession, workdir: Path, *, scored: int, steps: _Steps) -> dict[str, Any]:
    empty = (
        await session.execute(
            text("SELECT NOT EXISTS (SELECT 1 FROM match_record) AND NOT EXISTS (SELECT 1 FROM match_link)")
        )
    ).scalar_one()
    if empty and scored >= BULK_INDEX_REBUILD_ROWS:
        return await _first_load(session, workdir, steps)
    await _stage_records(session, workdir)
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
    # A bulk load (the first run, a retrain) rebuilds the blocking indexes once instead of maintaining
    # a dozen of them row by row; online lookups wait for the run's commit meanwhile.
    bulk = scored >= BULK_INDEX_REBUILD_ROWS
    if bulk:
        for name in _BULK_REBUILT:
            await session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    await _upsert_records(session)
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
            "origin text, score float8, model_version text, evidence jsonb, run_id bigint, pkey text) "
            "ON COMMIT DROP"
        )
    )
    await _copy_in(session, "stage_link", workdir / "links.csv", LINK_COLUMNS)
    # The manual links of a record whose entidad changed follow it to its new partition (its key row,
    # updated above, stays locked till commit: a reviewer's link waits for it, links.py).
    await session.execute(
        text(
            "UPDATE match_link l SET pkey = m.pkey FROM stage_record s, match_record m "
            "WHERE m.source = s.source AND m.record_id = s.record_id "
            "AND l.source = m.source AND l.record_id = m.record_id AND l.pkey <> m.pkey"
        )
    )
    await session.execute(
        text(
            "INSERT INTO match_link (source, record_id, person_id, state, origin, score, model_version, "
            "evidence, run_id, pkey) SELECT DISTINCT ON (source, record_id, person_id) source, record_id, "
            "person_id, state, origin, score, model_version, evidence, run_id, pkey FROM stage_link "
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
