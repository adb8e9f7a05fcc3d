"""The column-wise import path (Arrow CSV reading, ``identity_columns``, binary COPY) gives exactly what
the row-wise reference gives (``csv.reader`` + ``identity_rows``), and what ``interop.identity`` says
value by value, on corrupted data; and what it writes is what PostgreSQL stores."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db import copy_binary
from interop.identity.curp import assess_curp, validate_curp
from interop.identity.dates import parse_date
from interop.identity.keys import curp16_of
from interop.identity.names import normalize_given_names, normalize_surname
from interop.identity.phones import normalize_phone
from interop.identity.sex import parse_sex
from interop.identity.states import state_code
from interop.ingest.chunks import ChunkReader
from interop.ingest.columns import SPECS
from interop.ingest.csv_columns import parse_columns
from interop.ingest.line_blocks import _BLOCK_CHARS, LineBlocks, simple_records
from interop.ingest.normalise import STAGE_COLUMNS, Chunk, Normaliser
from interop.ingest.reading import MAX_RECORD_CHARS
from interop.messages import stored

from .corruption import corrupted_rows, write_csv
from .factories import import_file

Staged = list[tuple[Any, ...]]


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], list[list[str]]]]:
    return {
        kind: corrupted_rows(tmp_path_factory.mktemp(kind), people=5000, seed=23, source=source)
        for kind, source in (("roll", "pension_roll.csv"), ("patients", "patients.csv"))
    }


def _table_rows(chunk: Chunk) -> Staged:
    assert chunk.table is not None
    assert (
        tuple(chunk.table.column_names)
        == STAGE_COLUMNS["roll" if "programa" in chunk.table.column_names else "patients"]
    )
    return list(zip(*(column.to_pylist() for column in chunk.table.columns), strict=True))


def _both_paths(
    kind: str, header: list[str], rows: list[list[str]], size: int
) -> tuple[Staged, Staged, list[Any], list[Any]]:
    """(reference staged, columnar staged, reference rejects, columnar rejects), in batches of ``size``."""
    order = [header.index(c) for c in SPECS[kind].columns]
    reference, columnar = Normaliser(kind), Normaliser(kind)
    ref_rows: Staged = []
    new_rows: Staged = []
    ref_rejects: list[Any] = []
    new_rejects: list[Any] = []
    for start in range(0, len(rows), size):
        batch = [tuple(row[i] for i in order) for row in rows[start : start + size]]
        lines = list(range(start + 2, start + 2 + len(batch)))
        ref_chunk, new_chunk = Chunk(), Chunk()
        reference.add(ref_chunk, lines, batch)
        columns = [pa.array(list(values), pa.string()) for values in zip(*batch, strict=True)]
        columnar.add_arrow(new_chunk, lines, columns, short=False)
        ref_rows += ref_chunk.staged
        new_rows += _table_rows(new_chunk) if new_chunk.table is not None else []
        ref_rejects += ref_chunk.rejects
        new_rejects += new_chunk.rejects
    return ref_rows, new_rows, ref_rejects, new_rejects


@pytest.mark.parametrize("kind", ["roll", "patients"])
def test_columnar_rows_equal_the_reference_on_corrupted_rows(
    corrupted: dict[str, tuple[list[str], list[list[str]]]], kind: str
) -> None:
    header, rows = corrupted[kind]
    ref_rows, new_rows, ref_rejects, new_rejects = _both_paths(kind, header, rows, size=1_500)
    assert new_rejects == ref_rejects
    assert len(new_rows) == len(ref_rows)
    for ref, new in zip(ref_rows, new_rows, strict=True):
        assert new == ref, ref[1]
    # The sample reaches every rule: each reject reason and each kind of field issue.
    reasons = {stored.said(reason, "en").split(" of line")[0] for _, _, reason in ref_rejects}
    assert {"record_id is empty", "duplicate", "no given name (nombre)"} <= reasons
    assert any(r.startswith("a field is longer") for r in reasons)
    fields = {issue["field"] for row in ref_rows for issue in json.loads(row[21])}
    expected = {"fecha_nacimiento", "sexo", "entidad", "telefono", "curp"}
    assert expected | ({"programa"} if kind == "roll" else set()) <= fields


@pytest.mark.parametrize("kind", ["roll", "patients"])
def test_columnar_rows_agree_with_interop_identity_value_by_value(
    corrupted: dict[str, tuple[list[str], list[list[str]]]], kind: str
) -> None:
    header, rows = corrupted[kind]
    _, new_rows, _, _ = _both_paths(kind, header, rows, size=2_000)
    names = STAGE_COLUMNS[kind]
    checked = 0
    for values in new_rows:
        row = dict(zip(names, values, strict=True))
        src = dict(zip(header, (v.strip() for v in rows[row["line"] - 2]), strict=True))
        given = normalize_given_names(src["nombre"])
        assert given is not None
        assert (row["given_norm"], row["given_main"]) == (given.value, given.main)
        for field, column in (("paternal_norm", "primer_apellido"), ("maternal_norm", "segundo_apellido")):
            surname = normalize_surname(src[column])
            assert row[field] == (surname.value if surname is not None else None)
        birth = parse_date(src["fecha_nacimiento"]).value if src["fecha_nacimiento"] else None
        assert row["fecha_nacimiento"] == birth
        sex = parse_sex(src["sexo"]) if src["sexo"] else None
        assert row["sexo"] == (sex.value if sex is not None else None)
        state = state_code(src["entidad"]) if src["entidad"] else None
        assert row["entidad"] == state
        phone = normalize_phone(src["telefono"]).value if src["telefono"] else None
        assert row["telefono"] == phone, src["telefono"]
        if src["curp"]:
            check = validate_curp(src["curp"])
            assert row["curp"] == (check.value if check.valid else None), src["curp"]
            if check.valid:
                verdict = assess_curp(
                    src["curp"],
                    given_names=src["nombre"] or None,
                    paternal_surname=src["primer_apellido"] or None,
                    maternal_surname=src["segundo_apellido"] or None,
                    birth_date=birth,
                    sex=row["sexo"],
                    state=state,
                )
                assert row["curp_trusted"] == verdict.trusted, src["curp"]
        else:
            assert (row["curp"], row["curp_trusted"]) == (None, False)
        expected16 = curp16_of(
            given_names=src["nombre"] or None,
            paternal_surname=src["primer_apellido"] or None,
            maternal_surname=src["segundo_apellido"] or None,
            birth_date=birth,
            sex=row["sexo"],
            state=state,
        )
        assert row["curp16_computed"] == expected16, src
        checked += 1
    assert checked > 3_000


_DAMAGE = {
    "blank": lambda line: [line, ""],
    "spaces": lambda line: [line, "   \t"],
    "odd quote": lambda line: [line.replace(",", ',"', 1)],
    "quoted line break": lambda line: [line.replace(",", ',"A\nB",', 1)],
    "extra field": lambda line: [line + ",X"],
    "missing field": lambda line: [line.rsplit(",", 1)[0]],
    "crlf": lambda line: [line + "\r"],
    "nul": lambda line: [line.replace("A", "\x00", 1)],
    "too long": lambda line: [line + "Y" * 70_000],
    "quote inside": lambda line: [line.replace("A", 'A"B', 1)],
    "text after quote": lambda line: [line.replace(",", ',"Q"Z', 1)],
    "space before quote": lambda line: [line.replace(",", ', "Q"', 1)],
}


def _damaged_file(
    path: Path, header: list[str], rows: list[list[str]], kinds: list[str], seed: int, *, crlf: str = ""
) -> Path:
    """``crlf``: "all" lines end CRLF, "some" every third, "" none (before the damage)."""
    write_csv(path, header, rows)
    rng = random.Random(seed)
    lines = path.read_text(encoding="utf-8").split("\n")
    if crlf:
        lines = [line + "\r" if crlf == "all" or i % 3 == 0 else line for i, line in enumerate(lines)]
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        if line and i % 1_500 == 1_100:  # one damaged line in about every other batch of 700
            out.extend(_DAMAGE[rng.choice(kinds)](line))
        else:
            out.append(line)
    path.write_text("\n".join(out).rstrip("\n"), encoding="utf-8", newline="")
    return path


def _read(
    path: Path, kind: str, *, columnar: bool, chunk_rows: int, start_after: int = 0
) -> tuple[Staged, list[Any], list[tuple[int, int]], int]:
    reader = ChunkReader(
        path,
        kind=kind,
        fmt="csv",
        encoding="utf-8",
        normaliser=Normaliser(kind),
        chunk_rows=chunk_rows,
        start_after=start_after,
        columnar=columnar,
    )
    staged: Staged = []
    rejects: list[Any] = []
    bounds: list[tuple[int, int]] = []
    tables = 0
    try:
        while (chunk := reader.next_chunk()) is not None:
            if chunk.table is not None:
                tables += 1
                staged += _table_rows(chunk)
            staged += chunk.staged
            rejects += chunk.rejects
            bounds.append((chunk.rows, chunk.last_line))
    finally:
        reader.close()
    return staged, rejects, bounds, tables


@pytest.mark.parametrize(
    ("kind", "damage", "start_after", "crlf"),
    [
        ("roll", ["extra field", "missing field", "nul", "text after quote", "space before quote"], 0, ""),
        ("roll", list(_DAMAGE), 0, ""),
        ("patients", ["blank", "spaces", "crlf", "quote inside"], 0, ""),
        ("patients", ["extra field", "too long", "quoted line break"], 0, ""),
        ("roll", ["extra field", "nul", "odd quote"], 1_234, ""),
        ("roll", [], 2_001, ""),
        ("roll", [], 0, "all"),
        ("patients", ["extra field", "nul", "crlf"], 0, "all"),
        ("roll", ["text after quote", "extra field"], 1_500, "some"),
    ],
)
def test_columnar_file_reading_equals_the_reference(
    corrupted: dict[str, tuple[list[str], list[list[str]]]],
    tmp_path: Path,
    kind: str,
    damage: list[str],
    start_after: int,
    crlf: str,
) -> None:
    """Same rows, rejects (lines, reasons) and batch boundaries from a damaged file, also resumed."""
    header, rows = corrupted[kind]
    path = _damaged_file(
        tmp_path / f"{kind}.csv", header, rows, damage or ["blank"], seed=len(damage), crlf=crlf
    )
    if not damage and not crlf:
        write_csv(path, header, rows)
    ref = _read(path, kind, columnar=False, chunk_rows=700, start_after=start_after)
    new = _read(path, kind, columnar=True, chunk_rows=700, start_after=start_after)
    assert new[1] == ref[1]
    assert new[2] == ref[2]
    assert new[0] == ref[0]
    assert ref[3] == 0
    assert new[3] > 0, "the columnar path must have read some batches"


async def test_binary_copy_stores_exactly_the_values(database_url: str) -> None:
    values: dict[str, tuple[str, list[Any], pa.DataType]] = {
        "t": ("text", ["ÑANDÚ", None, "", "=SUM(A1)", "a\tb\nc\\d", "\u3000x"], pa.string()),
        "b": ("bool", [True, False, True, False, True, False], pa.bool_()),
        "i": ("int4", [0, None, -1, 2**31 - 1, -(2**31), 7], pa.int32()),
        "d": (
            "date",
            [date(1950, 3, 14), None, date(1899, 12, 31), date(2000, 1, 1), date(2100, 2, 28), date(1, 1, 1)],
            pa.date32(),
        ),
        "j": (
            "jsonb",
            ["[]", None, '[{"field": "curp", "raw": "é\\"x", "reason": "r"}]', "{}", "[1]", "null"],
            pa.string(),
        ),
    }
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "CREATE TEMP TABLE copied (t text, c8 bigint, b boolean, i integer, d date, j jsonb, k text)"
        )
        columns: list[copy_binary.Column] = [
            ("text", pa.array(values["t"][1], pa.string())),
            ("int8", copy_binary.Constant(2**40, "int8")),
            ("bool", pa.array(values["b"][1], pa.bool_())),
            ("int4", pa.array(values["i"][1], pa.int32())),
            ("date", pa.array(values["d"][1], pa.date32())),
            ("jsonb", pa.array(values["j"][1], pa.string())),
            ("text", copy_binary.Constant("roll", "text")),
        ]
        payload = copy_binary.copy_payload(copy_binary.encode_rows(columns, 6))
        await conn.copy_to_table("copied", source=copy_binary.blocks(payload), format="binary")
        stored = [tuple(r) for r in await conn.fetch("SELECT t, c8, b, i, d, j::text, k FROM copied")]
        expected_json = [
            None if j is None else await conn.fetchval("SELECT $1::jsonb::text", j) for j in values["j"][1]
        ]
    finally:
        await conn.close()
    assert stored == [
        (t, 2**40, b, i, d, j, "roll")
        for t, b, i, d, j in zip(
            values["t"][1], values["b"][1], values["i"][1], values["d"][1], expected_json, strict=True
        )
    ]


_DB_COLUMNS = [c for c in STAGE_COLUMNS["roll"] if c != "line"]


async def test_imported_corrupted_roll_is_stored_as_the_reference_normalises_it(
    corrupted: dict[str, tuple[list[str], list[list[str]]]],
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    database_url: str,
) -> None:
    """End to end (Arrow reading, binary COPY straight into roll_record, then a second file merged
    through staging): the stored rows are the reference's staged rows, value for value."""
    header, rows = corrupted["roll"]
    path = write_csv(tmp_path / "roll.csv", header, rows)
    await import_file(sessionmaker, settings, "roll", path, chunk_rows=1_000)
    changed = [list(r) for r in rows]
    for row in changed[::7]:
        row[header.index("domicilio")] = "CALLE NUEVA 1"
    second = write_csv(tmp_path / "roll2.csv", header, changed)
    summary = await import_file(sessionmaker, settings, "roll", second, chunk_rows=1_000)
    assert summary["new_versions"] > 0
    ref_first = _read(path, "roll", columnar=False, chunk_rows=1_000)
    ref_second = _read(second, "roll", columnar=False, chunk_rows=1_000)
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        stored = await conn.fetch(f"SELECT version, is_current, {', '.join(_DB_COLUMNS)} FROM roll_record")
    finally:
        await conn.close()

    def as_stored(values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            json.loads(v) if c == "field_issues" else v for c, v in zip(_DB_COLUMNS, values, strict=True)
        )

    by_version = {(r["record_id"], r["version"]): r for r in stored}
    first = {row[1]: row[1:] for row in ref_first[0]}
    latest = {row[1]: row[1:] for row in ref_second[0]}
    assert len(stored) == len(first) + summary["new_versions"] + summary["new_records"]
    for record_id, ref in latest.items():
        if record_id not in first:  # rejected from the first file, stored from the second
            assert as_stored(tuple(by_version[(record_id, 1)][c] for c in _DB_COLUMNS)) == as_stored(ref)
    for record_id, ref in first.items():
        db = by_version[(record_id, 1)]
        assert as_stored(tuple(db[c] for c in _DB_COLUMNS)) == as_stored(ref)
        if record_id in latest and latest[record_id][1] != ref[1]:  # changed: version 2 from the second
            new = by_version[(record_id, 2)]
            assert (db["is_current"], new["is_current"]) == (False, True)
            assert as_stored(tuple(new[c] for c in _DB_COLUMNS)) == as_stored(latest[record_id])
        else:
            assert db["is_current"]


_TRICKY = [
    "\ufeffR1,A,B",
    "NULL,N/A,NA",
    "nan,#N/A,-nan",
    'R2,"",true',
    'R3,"A,B","C""D"',
    'R4,"""",""""""',
    'R5,A"B,C',
    'R6,"A"B,C',
    'R7, "A",B',
    'R8,"A" ,B',
    "R9,A,B,C",
    "R10,A",
    "",
    "   ",
    "R11,\x1f,\u3000",
    'R12,"A\nB",C',
    "R13,A\r,B",
    "R14,é,ñ",
    "R15,\x00,B",
]


@pytest.mark.parametrize("start", range(len(_TRICKY)))
def test_arrow_csv_reads_what_csv_reader_reads_or_declines(start: int) -> None:
    """Whenever the Arrow reading is used it equals ``csv.reader``'s, whatever opens the batch."""
    lines = [*_TRICKY[start:], *_TRICKY[:start]]
    for size in (1, 2, 3, len(lines)):
        texts = [line + "\n" for line in lines[:size]]
        columns = parse_columns(texts, 3)
        if columns is not None:
            expected = [tuple(row) for row in csv.reader(texts)]
            assert list(zip(*(c.to_pylist() for c in columns), strict=True)) == expected


class _CountingReader(io.StringIO):
    most = 0

    def read(self, size: int | None = -1) -> str:
        piece = super().read(size)
        _CountingReader.most = max(_CountingReader.most, self.tell())
        return piece


def test_block_reading_stops_at_a_huge_field_and_the_file_reads_as_the_reference(
    corrupted: dict[str, tuple[list[str], list[list[str]]]], tmp_path: Path
) -> None:
    """A field of many blocks is not gathered in memory: reading stops one block past the start of
    the over-long line and ``_records`` takes over, with the same rows and rejects as the reference."""
    huge = "Y" * (3 * _BLOCK_CHARS)
    lines = ["R1,,ROSA,PEREZ,,,,,,,,,", f"R2,,ROSA,PEREZ,,,,,,,{huge},,", "R3,,ROSA,PEREZ,,,,,,,,,"]
    blocks = LineBlocks(_CountingReader("\n".join(lines) + "\n"), lines_before=1)
    taken = blocks.take(1_000)
    assert taken[0] == lines[0]
    assert len(taken) == 2
    assert simple_records(taken, "\n".join(taken)) is None
    assert _CountingReader.most <= 2 * _BLOCK_CHARS
    header, rows = corrupted["roll"]
    path = write_csv(tmp_path / "roll.csv", header, rows[:3_000])
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
        handle.write("\n".join(",".join(row) for row in rows[3_000:3_500] if '"' not in ",".join(row)) + "\n")
    ref = _read(path, "roll", columnar=False, chunk_rows=700)
    new = _read(path, "roll", columnar=True, chunk_rows=700)
    assert new[:3] == ref[:3]
    assert (3_002 + 1, None, stored.keep("ingest.reject.line_too_long", max=MAX_RECORD_CHARS)) in new[1]
