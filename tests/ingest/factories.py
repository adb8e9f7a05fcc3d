"""Import helpers for tests: small CSV files written by hand and imports run through the real job body."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.context import system_context
from interop.ingest import service as ingest_service
from interop.ingest.reading import detect_format, inspect_file
from interop.ingest.runner import run_import

ROLL_HEADER = (
    "record_id",
    "curp",
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
    "programa",
)
PATIENT_HEADER = (*ROLL_HEADER[:-1], "clues", "expediente")
UNIT_HEADER = (
    "clues",
    "nombre",
    "entidad",
    "municipio",
    "localidad",
    "nivel",
    "latitud",
    "longitud",
    "estatus",
    "clues_anterior",
)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def roll_row(record_id: str, **fields: str) -> list[str]:
    base = {
        "record_id": record_id,
        "curp": "",
        "nombre": "ROSA",
        "primer_apellido": "PEREZ",
        "segundo_apellido": "LOPEZ",
        "fecha_nacimiento": "1950-03-14",
        "sexo": "M",
        "entidad": "DF",
        "municipio": "CUAUHTEMOC",
        "localidad": "CENTRO",
        "domicilio": "CALLE 1",
        "telefono": "",
        "programa": "PAM",
    }
    base.update(fields)
    return [base[c] for c in ROLL_HEADER]


def write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


async def import_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    kind: str,
    path: Path,
    *,
    encoding: str | None = None,
    chunk_rows: int = 50_000,
) -> dict[str, Any]:
    """Register the file as the CLI does and run the import job's body to its end."""
    fmt = detect_format(path.name)
    inspection = inspect_file(path, kind=kind, fmt=fmt, encoding=encoding)
    ctx = system_context(request_id="test", trace_id="0" * 31 + "1")
    async with sessionmaker() as session:
        imp = await ingest_service.create_import(
            session,
            ctx,
            new=ingest_service.NewImport(
                kind=kind,
                fmt=fmt,
                filename=path.name,
                path=str(path),
                sha256=inspection.sha256,
                size_bytes=inspection.size_bytes,
                encoding=encoding and inspection.encoding,
                inspected=True,
            ),
        )
        await session.commit()
    if imp.duplicate_of is not None:
        return ingest_service.summary(imp)
    return await run_import(sessionmaker, settings, import_id=imp.id, inspected=True, chunk_rows=chunk_rows)
