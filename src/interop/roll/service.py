"""Reads of the pension roll, and the set-based merge of a staged import batch. Never commits.

A record id lives once in ``roll_record_key`` (its current version and partition); every write of a
version writes its key row in the same statement or savepoint, every read by record id or CURP starts
there and opens one partition of ``roll_record``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db import copy_binary
from interop.db.bulk import STAGE_TABLE, MergeCounts, raw_connection
from interop.db.identity_records import COMMON_COLUMNS
from interop.roll.models import RollRecord, RollRecordKey

_COLUMNS = ", ".join(COMMON_COLUMNS[1:])  # record_id is written separately
_STAGED = ", ".join(f"s.{c}" for c in COMMON_COLUMNS[1:])
_DIRECT_COLUMNS = ["record_id", "version", "is_current", "import_id", *COMMON_COLUMNS[1:], "programa", "pkey"]
_KEY_COLUMNS = ["record_id", "version", "pkey", "row_digest", "curp"]
_ENTIDAD = 1 + COMMON_COLUMNS.index("entidad")  # in a staged row, ``line`` comes first
_DIGEST = 1 + COMMON_COLUMNS.index("row_digest")
_CURP = 1 + COMMON_COLUMNS.index("curp")
# A version's own partition: the key row names it, so the join opens one partition per record.
# (``identity_record_in_one_process()``: planned in one process, as migration 0023 says why.)
_CURRENT = and_(
    RollRecord.pkey == RollRecordKey.pkey,
    RollRecord.record_id == RollRecordKey.record_id,
    RollRecord.version == RollRecordKey.version,
    func.identity_record_in_one_process(),
)


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
            # The key rows first: a record id stored meanwhile (by another import too) stops the batch here.
            if isinstance(rows, pa.Table):
                data = payload if payload is not None else direct_payload(rows, import_id)
                count = int(rows.num_rows)
                await conn.copy_to_table(
                    "roll_record_key",
                    source=copy_binary.blocks(key_payload(rows)),
                    columns=_KEY_COLUMNS,
                    format="binary",
                )
                await conn.copy_to_table(
                    "roll_record", source=copy_binary.blocks(data), columns=_DIRECT_COLUMNS, format="binary"
                )
            else:
                records = [(row[1], 1, True, import_id, *row[2:], row[_ENTIDAD] or "00") for row in rows]
                count = len(records)
                keys = [(row[1], 1, row[_ENTIDAD] or "00", row[_DIGEST], row[_CURP]) for row in rows]
                await conn.copy_records_to_table("roll_record_key", records=keys, columns=_KEY_COLUMNS)
                await conn.copy_records_to_table("roll_record", records=records, columns=_DIRECT_COLUMNS)
    except asyncpg.UniqueViolationError:
        return None
    return MergeCounts(new_records=count)


def _pkeys(rows: pa.Table) -> pa.Array:
    return pc.fill_null(rows.column("entidad").combine_chunks(), "00")


def _payload(rows: pa.Table, names: Sequence[str], constants: dict[str, copy_binary.Constant]) -> memoryview:
    kinds = {"curp_trusted": "bool", "fecha_nacimiento": "date", "field_issues": "jsonb"}
    columns: list[copy_binary.Column] = [
        (constants[name].kind, constants[name])
        if name in constants
        else ("text", _pkeys(rows))
        if name == "pkey"
        else (kinds.get(name, "text"), rows.column(name).combine_chunks())
        for name in names
    ]
    return copy_binary.copy_payload(copy_binary.encode_rows(columns, rows.num_rows))


def direct_payload(rows: pa.Table, import_id: int) -> memoryview:
    """The binary COPY of staged columns (``line`` first, not written) as version 1 of new records."""
    constants = {
        "version": copy_binary.Constant(1, "int4"),
        "is_current": copy_binary.Constant(True, "bool"),
        "import_id": copy_binary.Constant(import_id, "int8"),
    }
    return _payload(rows, _DIRECT_COLUMNS, constants)


def key_payload(rows: pa.Table) -> memoryview:
    """The binary COPY of the key rows of new records (version 1, each in its entidad's partition)."""
    return _payload(rows, _KEY_COLUMNS, {"version": copy_binary.Constant(1, "int4")})


async def merge_staged(session: AsyncSession, *, import_id: int, staged: int) -> MergeCounts:
    """Merge the batch in ``ingest_stage``: a new record_id gets version 1, a changed digest a new
    current version (the previous one stays, not current), an equal digest changes nothing. The key row
    moves with the new version (its partition is the new version's entidad) in the same statement.
    Idempotent: replaying a batch changes nothing (the key rows' digests are equal); of two imports of
    one record id at once, the second waits on its key row, then adds nothing for it."""
    await session.execute(
        text(
            f"CREATE TEMP TABLE ingest_prev ON COMMIT DROP AS "
            f"SELECT k.record_id, k.version, k.pkey, k.row_digest FROM roll_record_key k "
            f"JOIN {STAGE_TABLE} s ON s.record_id = k.record_id"
        )
    )
    flipped = await session.execute(
        text(
            f"UPDATE roll_record r SET is_current = false FROM ingest_prev p JOIN {STAGE_TABLE} s "
            f"ON s.record_id = p.record_id "
            f"WHERE r.pkey = p.pkey AND r.record_id = p.record_id AND r.version = p.version "
            f"AND s.row_digest <> p.row_digest"
        )
    )
    inserted = await session.execute(
        text(
            f"WITH keyed AS ("
            f"INSERT INTO roll_record_key AS k (record_id, version, pkey, row_digest, curp) "
            f"SELECT s.record_id, coalesce(p.version, 0) + 1, coalesce(s.entidad, '00'), s.row_digest, "
            f"s.curp "
            f"FROM {STAGE_TABLE} s LEFT JOIN ingest_prev p ON p.record_id = s.record_id "
            f"WHERE p.record_id IS NULL OR p.row_digest <> s.row_digest "
            f"ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, pkey = excluded.pkey, "
            f"row_digest = excluded.row_digest, curp = excluded.curp "
            f"WHERE k.version = excluded.version - 1 RETURNING k.record_id, k.version, k.pkey) "
            f"INSERT INTO roll_record "
            f"(record_id, version, is_current, import_id, {_COLUMNS}, programa, pkey) "
            f"SELECT s.record_id, w.version, true, :import_id, {_STAGED}, s.programa, w.pkey "
            f"FROM {STAGE_TABLE} s JOIN keyed w ON w.record_id = s.record_id"
        ),
        {"import_id": import_id},
    )
    versions = int(flipped.rowcount or 0)  # type: ignore[attr-defined]
    added = int(inserted.rowcount or 0)  # type: ignore[attr-defined]
    return MergeCounts(new_records=added - versions, new_versions=versions, unchanged=staged - added)


async def get_record(
    session: AsyncSession, *, record_id: str, version: int | None = None
) -> RollRecord | None:
    """The current version of a roll record, or the given ``version`` (previous ones stay queryable;
    an earlier version may live in another entidad's partition, so that read looks in each)."""
    if version is None:
        query = select(RollRecord).join(RollRecordKey, _CURRENT).where(RollRecordKey.record_id == record_id)
    else:
        query = select(RollRecord).where(RollRecord.record_id == record_id, RollRecord.version == version)
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_pk(session: AsyncSession, *, record_pk: int) -> RollRecord | None:
    query = select(RollRecord).where(RollRecord.id == record_pk)
    return (await session.execute(query)).scalar_one_or_none()


async def list_versions(session: AsyncSession, *, record_id: str) -> Sequence[RollRecord]:
    query = select(RollRecord).where(RollRecord.record_id == record_id).order_by(RollRecord.version)
    return (await session.execute(query)).scalars().all()


async def list_current(
    session: AsyncSession, *, after_pk: int = 0, limit: int = 1000
) -> Sequence[RollRecord]:
    """Current records in primary-key order, a page at a time (stream large reads with ``after_pk``)."""
    query = (
        select(RollRecord)
        .join(RollRecordKey, _CURRENT)
        .where(RollRecord.id > after_pk)
        .order_by(RollRecord.id)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def find_by_curp(session: AsyncSession, *, curp: str) -> Sequence[RollRecord]:
    query = select(RollRecord).join(RollRecordKey, _CURRENT).where(RollRecordKey.curp == curp)
    return (await session.execute(query.order_by(RollRecord.id))).scalars().all()


async def count_current(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(RollRecordKey))).scalar_one())
