"""Reads of the pension roll, and the set-based merge of a staged import batch. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db import copy_binary
from interop.db.bulk import STAGE_TABLE, MergeCounts, raw_connection
from interop.db.identity_records import COMMON_COLUMNS
from interop.roll.models import RollRecord

_COLUMNS = ", ".join(COMMON_COLUMNS[1:])  # record_id is written separately
_STAGED = ", ".join(f"s.{c}" for c in COMMON_COLUMNS[1:])
_DIRECT_COLUMNS = ["record_id", "version", "is_current", "import_id", *COMMON_COLUMNS[1:], "programa"]


async def only_import(session: AsyncSession, *, import_id: int) -> bool:
    """True when every stored roll row (if any) came from import ``import_id``: then no record of a
    later batch of it can exist yet (a file's record ids are unique, and a batch commits whole, with
    its checkpoint), so its rows are all first versions."""
    other = await session.execute(
        text("SELECT EXISTS (SELECT 1 FROM roll_record WHERE import_id <> :import_id)"),
        {"import_id": import_id},
    )
    return not bool(other.scalar_one())


async def copy_new(
    session: AsyncSession,
    *,
    import_id: int,
    rows: Sequence[Sequence[Any]] | pa.Table,
    payload: memoryview | None = None,
) -> MergeCounts | None:
    """COPY a batch of records known to be new (see ``only_import``) straight into ``roll_record`` as
    version 1: one write per row instead of staging plus ``INSERT … SELECT``. Rows are in staging order
    (``line`` first). Returns None, having written nothing, if a record exists after all (the caller
    then merges through staging)."""
    conn = await raw_connection(session)
    try:
        async with conn.transaction():  # a savepoint inside the batch's transaction
            if isinstance(rows, pa.Table):
                data = payload if payload is not None else direct_payload(rows, import_id)
                count = int(rows.num_rows)
                await conn.copy_to_table(
                    "roll_record", source=copy_binary.blocks(data), columns=_DIRECT_COLUMNS, format="binary"
                )
            else:
                records = [(row[1], 1, True, import_id, *row[2:]) for row in rows]
                count = len(records)
                await conn.copy_records_to_table("roll_record", records=records, columns=_DIRECT_COLUMNS)
    except asyncpg.UniqueViolationError:
        return None
    return MergeCounts(new_records=count)


def direct_payload(rows: pa.Table, import_id: int) -> memoryview:
    """The binary COPY of staged columns (``line`` first, not written) as version 1 of new records."""
    kinds = {"curp_trusted": "bool", "fecha_nacimiento": "date", "field_issues": "jsonb"}
    constants = {
        "version": copy_binary.Constant(1, "int4"),
        "is_current": copy_binary.Constant(True, "bool"),
        "import_id": copy_binary.Constant(import_id, "int8"),
    }
    columns: list[copy_binary.Column] = [
        (constants[name].kind, constants[name])
        if name in constants
        else (kinds.get(name, "text"), rows.column(name).combine_chunks())
        for name in _DIRECT_COLUMNS
    ]
    return copy_binary.copy_payload(copy_binary.encode_rows(columns, rows.num_rows))


async def merge_staged(session: AsyncSession, *, import_id: int, staged: int) -> MergeCounts:
    """Merge the batch in ``ingest_stage``: a new record_id gets version 1, a changed digest a new
    current version (the previous one stays, not current), an equal digest changes nothing.
    Idempotent: replaying a batch inserts nothing (ON CONFLICT on (record_id, version))."""
    await session.execute(
        text(
            f"CREATE TEMP TABLE ingest_prev ON COMMIT DROP AS "
            f"SELECT r.record_id, r.version, r.row_digest FROM roll_record r "
            f"JOIN {STAGE_TABLE} s ON s.record_id = r.record_id WHERE r.is_current"
        )
    )
    flipped = await session.execute(
        text(
            f"UPDATE roll_record r SET is_current = false FROM ingest_prev p JOIN {STAGE_TABLE} s "
            f"ON s.record_id = p.record_id "
            f"WHERE r.record_id = p.record_id AND r.version = p.version AND s.row_digest <> p.row_digest"
        )
    )
    inserted = await session.execute(
        text(
            f"INSERT INTO roll_record (record_id, version, is_current, import_id, {_COLUMNS}, programa) "
            f"SELECT s.record_id, coalesce(p.version, 0) + 1, true, :import_id, {_STAGED}, s.programa "
            f"FROM {STAGE_TABLE} s LEFT JOIN ingest_prev p ON p.record_id = s.record_id "
            f"WHERE p.record_id IS NULL OR p.row_digest <> s.row_digest "
            f"ON CONFLICT (record_id, version) DO NOTHING"
        ),
        {"import_id": import_id},
    )
    versions = int(flipped.rowcount or 0)  # type: ignore[attr-defined]
    added = int(inserted.rowcount or 0)  # type: ignore[attr-defined]
    return MergeCounts(new_records=added - versions, new_versions=versions, unchanged=staged - added)


async def get_record(
    session: AsyncSession, *, record_id: str, version: int | None = None
) -> RollRecord | None:
    """The current version of a roll record, or the given ``version`` (previous ones stay queryable)."""
    query = select(RollRecord).where(RollRecord.record_id == record_id)
    query = (
        query.where(RollRecord.version == version)
        if version is not None
        else query.where(RollRecord.is_current)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_pk(session: AsyncSession, *, record_pk: int) -> RollRecord | None:
    return await session.get(RollRecord, record_pk)


async def list_versions(session: AsyncSession, *, record_id: str) -> Sequence[RollRecord]:
    query = select(RollRecord).where(RollRecord.record_id == record_id).order_by(RollRecord.version)
    return (await session.execute(query)).scalars().all()


async def list_current(
    session: AsyncSession, *, after_pk: int = 0, limit: int = 1000
) -> Sequence[RollRecord]:
    """Current records in primary-key order, a page at a time (stream large reads with ``after_pk``)."""
    query = (
        select(RollRecord)
        .where(RollRecord.is_current, RollRecord.id > after_pk)
        .order_by(RollRecord.id)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def find_by_curp(session: AsyncSession, *, curp: str) -> Sequence[RollRecord]:
    query = select(RollRecord).where(RollRecord.is_current, RollRecord.curp == curp).order_by(RollRecord.id)
    return (await session.execute(query)).scalars().all()


async def count_current(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).where(RollRecord.is_current))).scalar_one())
