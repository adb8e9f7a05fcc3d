"""Bulk loading through COPY on the raw asyncpg connection beneath a SQLAlchemy session."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

# The per-batch temporary table an import fills by COPY and each record table's owner merges from.
STAGE_TABLE = "ingest_stage"


@dataclass(frozen=True, slots=True)
class MergeCounts:
    """The result of merging one staged batch into a record table."""

    new_records: int = 0
    new_versions: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows refused by the merge itself (e.g. another unit's CLUES)


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of the session's current transaction (so COPY joins that transaction)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver


async def copy_records(
    session: AsyncSession, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
) -> int:
    """COPY tuples into ``table``; returns the number of rows copied."""
    conn = await raw_connection(session)
    rows = list(records)
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    return len(rows)


async def copy_bytes(
    session: AsyncSession,
    table: str,
    columns: Sequence[str],
    source: AsyncIterable[bytes],
    *,
    fmt: Literal["text", "csv", "binary"] = "csv",
) -> str:
    """Stream CSV (or text) bytes into ``table`` with COPY FROM STDIN; returns the command status."""
    conn = await raw_connection(session)
    status: str = await conn.copy_to_table(table, source=source, columns=list(columns), format=fmt)
    return status
