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
from datetime import date
from typing import Any

import orjson

from interop.identity.names import fold_name
from interop.ingest.columns import SPECS
from interop.ingest.identity_batch import CurpResult, IdentityBatch
from interop.ingest.reading import MAX_FIELD_CHARS
from interop.ingest.records import COMMON_COLUMNS

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
    ),
}

Reject = tuple[int, str | None, str]  # line, record_id (identifier only), reason
NO_ISSUES = "[]"


@dataclass
class Chunk:
    staged: list[tuple[Any, ...]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0
    last_line: int = 0
    bytes_done: int = 0


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
        else:
            self._identity(chunk, lines, rows)

    def _claim(self, chunk: Chunk, line: int, key: str) -> bool:
        first = self.seen.setdefault(key, line)
        if first != line:
            chunk.rejects.append((line, key, f"duplicate of line {first} (same identifier)"))
            return False
        return True

    # -- roll and patients ---------------------------------------------------------------------------
    def _identity(self, chunk: Chunk, lines: list[int], rows: list[tuple[str, ...]]) -> None:
        ib = self.identity
        patients = self.kind == "patients"
        kept: list[tuple[int, tuple[str, ...], tuple[str, str], str | None, str | None]] = []
        for line, raw in zip(lines, rows, strict=True):
            values = tuple(v.strip() for v in raw)
            record_id = values[0]
            if max(map(len, values)) > MAX_FIELD_CHARS:
                chunk.rejects.append(
                    (
                        line,
                        record_id[:MAX_FIELD_CHARS] or None,
                        f"a field is longer than {MAX_FIELD_CHARS} characters",
                    )
                )
                continue
            if not record_id:
                chunk.rejects.append((line, None, "record_id is empty"))
                continue
            if not self._claim(chunk, line, record_id):
                continue
            given = ib.given(values[2])
            if given is None:
                chunk.rejects.append((line, record_id, "no given name (nombre)"))
                continue
            paternal = ib.surname(values[3])
            maternal = ib.surname(values[4])
            if paternal is None and maternal is None:
                chunk.rejects.append((line, record_id, "no surname (primer_apellido or segundo_apellido)"))
                continue
            if patients and not CLUES_FORMAT.fullmatch(values[12].upper()):
                reason = "clues is empty" if not values[12] else "clues is not an 11-character CLUES"
                chunk.rejects.append((line, record_id, reason))
                continue
            kept.append((line, values, given, paternal, maternal))
        if not kept:
            return
        births: list[date | None] = []
        sexes: list[str | None] = []
        states: list[str | None] = []
        issues_of: list[list[dict[str, str]]] = []
        for _, values, _, _, _ in kept:
            issues: list[dict[str, str]] = []
            birth = None
            if values[5]:
                parsed = ib.birth_date(values[5])
                birth = parsed.value
                if parsed.issue:
                    issues.append({"field": "fecha_nacimiento", "raw": values[5], "reason": parsed.issue})
            sex = ib.sex(values[6]) if values[6] else None
            if values[6] and sex is None:
                issues.append(
                    {"field": "sexo", "raw": values[6], "reason": "unknown sexo; expected H, M or X"}
                )
            state = ib.entidad(values[7]) if values[7] else None
            if values[7] and state is None:
                issues.append(
                    {
                        "field": "entidad",
                        "raw": values[7],
                        "reason": "unknown entidad; expected a two-letter CURP state code",
                    }
                )
            births.append(birth)
            sexes.append(sex)
            states.append(state)
            issues_of.append(issues)
        with_curp = [i for i, k in enumerate(kept) if k[1][1]]
        verdicts = ib.curps(
            [kept[i][1][1] for i in with_curp],
            [births[i] for i in with_curp],
            [sexes[i] for i in with_curp],
            [(kept[i][1][2], kept[i][1][3], kept[i][1][4]) for i in with_curp],
            [states[i] for i in with_curp],
        )
        curp_of: dict[int, CurpResult] = dict(zip(with_curp, verdicts, strict=True))
        staged = chunk.staged
        for i, (line, values, given, paternal, maternal) in enumerate(kept):
            issues = issues_of[i]
            verdict = curp_of.get(i)
            if verdict is not None and verdict.issue:
                issues.append({"field": "curp", "raw": values[1], "reason": verdict.issue})
            telefono = None
            if values[11]:
                telefono, reason = ib.phone(values[11])
                if telefono is None:
                    issues.append({"field": "telefono", "raw": values[11], "reason": reason or "invalid"})
            curp16 = ib.curp16(values[2], values[3], values[4], births[i], sexes[i], states[i])
            common = (
                line,
                values[0],
                digest(values),
                values[2] or None,
                values[3] or None,
                values[4] or None,
                given[0],
                paternal,
                maternal,
                given[1],
                verdict.curp if verdict else None,
                values[1] or None,
                verdict.trusted if verdict else False,
                curp16,
                births[i],
                sexes[i],
                states[i],
                values[8] or None,
                values[9] or None,
                values[10] or None,
                telefono,
            )
            if patients:
                staged.append((*common, _issues(issues), values[12].upper(), values[13] or None))
            else:
                programa = values[12].upper() or None
                if programa is not None and programa not in PROGRAMAS:
                    issues.append(
                        {
                            "field": "programa",
                            "raw": values[12],
                            "reason": "unknown programa; expected PAM or PCD",
                        }
                    )
                    programa = None
                staged.append((*common, _issues(issues), programa))

    # -- units ---------------------------------------------------------------------------------------
    def _units(self, chunk: Chunk, lines: list[int], rows: list[tuple[str, ...]]) -> None:
        ib = self.identity
        for line, raw in zip(lines, rows, strict=True):
            values = tuple(v.strip() for v in raw)
            clues = values[0].upper()
            if max(map(len, values)) > MAX_FIELD_CHARS:
                chunk.rejects.append((line, None, f"a field is longer than {MAX_FIELD_CHARS} characters"))
                continue
            if not CLUES_FORMAT.fullmatch(clues):
                chunk.rejects.append(
                    (line, None, "clues is empty" if not clues else "clues is not an 11-character CLUES")
                )
                continue
            if not self._claim(chunk, line, clues):
                continue
            if not values[1]:
                chunk.rejects.append((line, clues, "nombre is empty"))
                continue
            entidad = ib.entidad(values[2]) if values[2] else None
            if entidad is None:
                chunk.rejects.append((line, clues, "entidad is missing or unknown"))
                continue
            if values[5] not in ("1", "2", "3"):
                chunk.rejects.append((line, clues, "nivel must be 1, 2 or 3"))
                continue
            if not values[8]:
                chunk.rejects.append((line, clues, "estatus is empty"))
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
                    digest(values),
                    _issues(issues),
                )
            )


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
