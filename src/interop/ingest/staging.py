"""Per-batch staging: a temporary table (dropped at commit, never WAL-logged) filled by binary COPY."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db.bulk import copy_records
from interop.ingest.normalise import STAGE_COLUMNS, Reject

STAGE_TABLE = "ingest_stage"

_TYPES: dict[str, str] = {
    "line": "integer",
    "curp_trusted": "boolean",
    "fecha_nacimiento": "date",
    "field_issues": "jsonb",
    "nivel": "integer",
    "latitud": "double precision",
    "longitud": "double precision",
    "operating": "boolean",
}


async def stage(session: AsyncSession, *, kind: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """Create the batch's staging table and COPY ``rows`` (``STAGE_COLUMNS[kind]`` order) into it."""
    columns = STAGE_COLUMNS[kind]
    ddl = ", ".join(f"{name} {_TYPES.get(name, 'text')}" for name in columns)
    await session.execute(text(f"CREATE TEMP TABLE {STAGE_TABLE} ({ddl}) ON COMMIT DROP"))
    return await copy_records(session, STAGE_TABLE, columns, rows)


async def store_rejects(session: AsyncSession, *, import_id: int, rejects: Sequence[Reject]) -> int:
    return await copy_records(
        session,
        "ingest_reject",
        ("import_id", "line", "record_id", "reason"),
        ((import_id, line, record_id, reason) for line, record_id, reason in rejects),
    )
