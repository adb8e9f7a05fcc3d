"""Per-batch staging: a temporary table (dropped at commit, never WAL-logged) filled by binary COPY."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db import copy_binary
from interop.db.bulk import STAGE_TABLE, copy_bytes, copy_records
from interop.ingest.normalise import STAGE_COLUMNS, Reject

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


# Column types as ``copy_binary`` names them.
_BINARY_KINDS = {"integer": "int4", "boolean": "bool", "date": "date", "jsonb": "jsonb", "text": "text"}


def stage_payload(kind: str, rows: pa.Table) -> memoryview:
    """An Arrow table of ``STAGE_COLUMNS[kind]`` as the binary COPY of the staging table."""
    columns = STAGE_COLUMNS[kind]
    assert tuple(rows.column_names) == columns
    encoded = copy_binary.encode_rows(
        [(_BINARY_KINDS[_TYPES.get(name, "text")], rows.column(name).combine_chunks()) for name in columns],
        rows.num_rows,
    )
    return copy_binary.copy_payload(encoded)


async def stage(
    session: AsyncSession,
    *,
    kind: str,
    rows: Sequence[tuple[Any, ...]] | pa.Table,
    payload: memoryview | None = None,
) -> int:
    """Create the batch's staging table and COPY ``rows`` (``STAGE_COLUMNS[kind]`` order: tuples, or an
    Arrow table of those columns, then possibly already encoded as ``payload``) into it."""
    columns = STAGE_COLUMNS[kind]
    ddl = ", ".join(f"{name} {_TYPES.get(name, 'text')}" for name in columns)
    await session.execute(text(f"CREATE TEMP TABLE {STAGE_TABLE} ({ddl}) ON COMMIT DROP"))
    if not isinstance(rows, pa.Table):
        return await copy_records(session, STAGE_TABLE, columns, rows)
    data = payload if payload is not None else stage_payload(kind, rows)
    await copy_bytes(session, STAGE_TABLE, columns, copy_binary.blocks(data), fmt="binary")
    return int(rows.num_rows)


async def store_rejects(session: AsyncSession, *, import_id: int, rejects: Sequence[Reject]) -> int:
    return await copy_records(
        session,
        "ingest_reject",
        ("import_id", "line", "record_id", "reason"),
        ((import_id, line, record_id, reason) for line, record_id, reason in rejects),
    )
