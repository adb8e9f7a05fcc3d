"""Rows of a chunk → staged tuples and rejects. Pure: no I/O.

Every row ends in exactly one of the two lists. A row lacking what identifies it (record_id, a given
name and a surname; for units the CLUES, name, entidad and level) is rejected with its line and a
reason; a bad optional value keeps the row, is stored as missing, and is described in ``field_issues``.
Cells are never evaluated: ``=SUM(A1)`` is a name like any other and round-trips as written.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]

from interop.db.identity_records import COMMON_COLUMNS
from interop.identity.names import fold_name
from interop.ingest.columns import SPECS
from interop.ingest.identity_batch import IdentityBatch
from interop.ingest.identity_columns import identity_table
from interop.ingest.identity_rows import identity_rows
from interop.ingest.reading import MAX_FIELD_CHARS
from interop.ingest.unit_types import unit_type
from interop.messages import stored

CLUES_FORMAT = re.compile(r"[A-Z]{2}[A-Z]{3}[0-9]{6}")
PROGRAMAS = frozenset({"PAM", "PCD"})
OPERATING_STATUSES = frozenset({"EN OPERACION", "OPERANDO", "OPERACION", "ACTIVO", "ACTIVA", "OPERATING"})

STAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "roll": ("line", *COMMON_COLUMNS, "programa"),
    "patients": ("line", *COMMON_COLUMNS, "clues", "expediente"),
    "units": (
        "line",
        "clues",
        "clues_anterior",
        "nombre",
        "entidad",
        "municipio",
        "localidad",
        "nivel",
        "latitud",
        "longitud",
        "estatus",
        "operating",
        "row_digest",
        "field_issues",
        "tipo_unidad",
        "cve_mun",
        "cve_loc",
    ),
}

Reject = tuple[int, str | None, str]  # line, record_id (identifier only), reason
NO_ISSUES = "[]"


@dataclass
class Chunk:
    """A batch: its staged rows (tuples in ``STAGE_COLUMNS`` order, or the same columns as an Arrow
    ``table`` when read column-wise, never both), its rejects and where it ends in the file."""

    staged: list[tuple[Any, ...]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0
    last_line: int = 0
    bytes_done: int = 0
    table: pa.Table | None = None
    # ``table`` already encoded as binary COPY (by the reader thread) for roll_record or staging.
    payload: memoryview | None = None

    @property
    def staged_count(self) -> int:
        return len(self.staged) + (self.table.num_rows if self.table is not None else 0)


def digest(values: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(values).encode(), digest_size=16).hexdigest()


def _issues(issues: list[dict[str, str]]) -> str:
    return orjson.dumps(issues).decode() if issues else NO_ISSUES


class Normaliser:
    """Holds what outlives a chunk: identity caches and the record ids already seen in the file
    (a later line repeating one is rejected)."""

    def __init__(self, kind: str, *, allowed_clues: frozenset[str] | None = None) -> None:
        self.kind = kind
        self.spec = SPECS[kind]
        self.identity = IdentityBatch()
        self.seen: dict[str, int] = {}
        self.allowed_clues = allowed_clues
        self._key_index = 0  # record_id is first for roll/patients, clues first for units

    def remember(self, line: int, values: Sequence[str]) -> None:
        """Replay of an already committed line on resume: only its id is needed."""
        key = values[self._key_index].strip()
        if key:
            self.seen.setdefault(key, line)

    def add(self, chunk: Chunk, lines: list[int], rows: list[tuple[str, ...]]) -> None:
        """Rows are tuples in ``spec.columns`` order ('' when absent)."""
        if self.kind == "units":
            self._units(chunk, lines, rows)
        elif rows:
            self._identity(chunk, lines, list(zip(*rows, strict=True)))

    def add_columns(
        self, chunk: Chunk, lines: list[int], columns: Sequence[Sequence[str]], *, short: bool = False
    ) -> None:
        """Like ``add``, the values given column by column (``spec.columns`` order, one per line).
        ``short``: no value is longer than ``MAX_FIELD_CHARS`` (the caller saw the records' lengths)."""
        if self.kind == "units":
            self._units(chunk, lines, list(zip(*columns, strict=True)))
        else:
            self._identity(chunk, lines, columns, short=short)

    def add_arrow(self, chunk: Chunk, lines: list[int], columns: Sequence[pa.Array], *, short: bool) -> None:
        """Like ``add_columns``, the columns as Arrow string arrays; roll and patients rows are staged as
        ``chunk.table``."""
        if self.kind == "units":
            self._units(chunk, lines, list(zip(*(c.to_pylist() for c in columns), strict=True)))
            return
        assert chunk.table is None
        assert not chunk.staged
        chunk.table = identity_table(
            self.identity,
            self.seen,
            patients=self.kind == "patients",
            clues_format=CLUES_FORMAT.fullmatch,
            programas=PROGRAMAS,
            lines=lines,
            raw_columns=columns,
            rejects=chunk.rejects,
            short=short,
        )

    def _claim(self, chunk: Chunk, line: int, key: str) -> bool:
        first = self.seen.setdefault(key, line)
        if first != line:
            chunk.rejects.append((line, key, stored.keep("ingest.reject.duplicate", first=first)))
            return False
        return True

    # -- roll and patients ---------------------------------------------------------------------------
    def _identity(
        self, chunk: Chunk, lines: list[int], columns: Sequence[Sequence[str]], *, short: bool = False
    ) -> None:
        identity_rows(
            self.identity,
            self.seen,
            patients=self.kind == "patients",
            clues_format=CLUES_FORMAT.fullmatch,
            programas=PROGRAMAS,
            lines=lines,
            raw_columns=columns,
            staged=chunk.staged,
            rejects=chunk.rejects,
            short=short,
        )

    # -- units ---------------------------------------------------------------------------------------
    def _units(self, chunk: Chunk, lines: list[int], rows: list[tuple[str, ...]]) -> None:
        ib = self.identity
        for line, raw in zip(lines, rows, strict=True):
            values = tuple(v.strip() for v in raw)
            clues = values[0].upper()
            if max(map(len, values)) > MAX_FIELD_CHARS:
                chunk.rejects.append(
                    (line, None, stored.keep("ingest.reject.field_too_long", max=MAX_FIELD_CHARS))
                )
                continue
            if not CLUES_FORMAT.fullmatch(clues):
                chunk.rejects.append(
                    (
                        line,
                        None,
                        stored.keep("ingest.reject.clues_invalid" if clues else "ingest.reject.clues_empty"),
                    )
                )
                continue
            if not self._claim(chunk, line, clues):
                continue
            if not values[1]:
                chunk.rejects.append((line, clues, stored.keep("ingest.reject.nombre_empty")))
                continue
            entidad = ib.entidad(values[2]) if values[2] else None
            if entidad is None:
                chunk.rejects.append((line, clues, stored.keep("ingest.reject.entidad_unknown")))
                continue
            if values[5] not in ("1", "2", "3"):
                chunk.rejects.append((line, clues, stored.keep("ingest.reject.nivel_invalid")))
                continue
            if not values[8]:
                chunk.rejects.append((line, clues, stored.keep("ingest.reject.estatus_empty")))
                continue
            issues: list[dict[str, str]] = []
            lat = _coordinate(values[6], 90.0, "latitud", issues)
            lon = _coordinate(values[7], 180.0, "longitud", issues)
            if (lat is None) != (lon is None):
                lat = lon = None
            anterior = values[9].upper() or None
            if anterior is not None and not CLUES_FORMAT.fullmatch(anterior):
                issues.append(
                    {"field": "clues_anterior", "raw": values[9], "reason": "not an 11-character CLUES"}
                )
                anterior = None
            tipo = unit_type(values[10]) if values[10] else None
            if values[10] and tipo is None:
                issues.append({"field": "tipo_unidad", "raw": values[10], "reason": "not a known unit type"})
            cve_mun = _inegi(values[11], 3, "cve_mun", issues)
            cve_loc = _inegi(values[12], 4, "cve_loc", issues)
            # Rows without the optional columns (tipo_unidad, INEGI keys) digest as before those existed:
            # re-importing today's files changes nothing.
            digested = values if any(values[10:13]) else values[:10]
            chunk.staged.append(
                (
                    line,
                    clues,
                    anterior,
                    values[1],
                    entidad,
                    values[3] or None,
                    values[4] or None,
                    int(values[5]),
                    lat,
                    lon,
                    values[8],
                    fold_name(values[8]) in OPERATING_STATUSES,
                    digest(digested),
                    _issues(issues),
                    tipo,
                    cve_mun,
                    cve_loc,
                )
            )


def _inegi(raw: str, digits: int, name: str, issues: list[dict[str, str]]) -> str | None:
    """An INEGI key (municipality 3 digits, locality 4); a shorter number is zero-padded (spreadsheets
    drop leading zeros), anything else is kept as an issue and stored as missing."""
    if not raw:
        return None
    if raw.isdigit() and len(raw) <= digits:
        return raw.zfill(digits)
    issues.append({"field": name, "raw": raw, "reason": f"not an INEGI key of {digits} digits"})
    return None


def _coordinate(raw: str, bound: float, name: str, issues: list[dict[str, str]]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        issues.append({"field": name, "raw": raw, "reason": f"not a {name} in decimal degrees"})
        return None
    return value
