"""A file read chunk by chunk into normalised batches (runs in a worker thread, beside the database).

Resuming: records whose first line is at or before the committed ``last_line`` are replayed only to
rebuild the set of identifiers already seen (duplicates are judged against the whole file).
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]

from interop.fhir.patient_identity import Systems
from interop.fhir.patient_ndjson import parse_patient
from interop.ingest.columns import SPECS
from interop.ingest.csv_columns import parse_columns
from interop.ingest.errors import FileRefused
from interop.ingest.line_blocks import LineBlocks, simple_records
from interop.ingest.normalise import Chunk, Normaliser
from interop.ingest.reading import (
    MAX_FIELD_CHARS,
    MAX_RECORD_CHARS,
    RawRecord,
    _records,
    check_header,
    parse_header,
)
from interop.messages import stored

CHUNK_ROWS = 50_000
NUL_REASON = stored.keep("ingest.reject.nul")


class ChunkReader:
    def __init__(
        self,
        path: Path,
        *,
        kind: str,
        fmt: str,
        encoding: str,
        normaliser: Normaliser,
        start_after: int = 0,
        chunk_rows: int = CHUNK_ROWS,
        systems: Systems | None = None,
        columnar: bool = True,
    ) -> None:
        """``columnar``: read roll and registry CSV in blocks with Arrow where that is exact (the
        default); False reads every record with ``_records`` and ``csv.reader`` (the reference)."""
        self.kind = kind
        self.fmt = fmt
        self.spec = SPECS[kind]
        self.normaliser = normaliser
        self.chunk_rows = chunk_rows
        self.start_after = start_after
        self.systems = systems
        self.columnar = columnar and fmt == "csv" and kind != "units"
        self._handle: IO[str] = path.open("r", encoding=encoding, newline="")
        self._records: Iterator[RawRecord] = _records(self._handle, csv_quotes=fmt == "csv")  # type: ignore[arg-type]
        self._header_width = 0
        self._pick: Callable[[list[str]], tuple[str, ...]] | None = None
        self._positions: list[int] = []
        self._blocks: LineBlocks | None = None
        if fmt == "csv":
            self._read_header()
        self._replayed = False

    def close(self) -> None:
        self._records.close()  # type: ignore[attr-defined]
        self._handle.close()

    @property
    def bytes_done(self) -> int:
        return int(self._handle.buffer.tell())  # type: ignore[attr-defined]

    def _read_header(self) -> None:
        for record in self._records:
            if record.too_long:
                raise FileRefused.said("ingest.header_too_long", max=MAX_RECORD_CHARS)
            if record.text.strip():
                header = parse_header(record.text)
                check_header(header, self.spec)
                self._header_width = len(header)
                # Missing optional columns read as "": a padding cell appended to every row.
                positions = [header.index(c) if c in header else len(header) for c in self.spec.columns]
                pick: Any = itemgetter(*positions)  # several columns: it returns a tuple
                self._pick = pick
                self._positions = positions
                if self.columnar and record.text.endswith("\n") and record.text.count("\n") == 1:
                    # The rest is read in blocks while its records are one line each (line_blocks).
                    self._blocks = LineBlocks(self._handle, lines_before=record.line)
                    self._records.close()  # type: ignore[attr-defined]
                return
        raise FileRefused.said("ingest.file_empty")

    def _values(self, row: list[str]) -> tuple[str, ...]:
        assert self._pick is not None
        row.append("")
        return self._pick(row)

    def next_chunk(self) -> Chunk | None:
        """The next batch of up to ``chunk_rows`` data rows (each staged or rejected), or None at the end.

        The cyclic garbage collector is paused meanwhile: a chunk allocates hundreds of thousands of
        small tuples and none form cycles, yet each allocation burst would trigger full collections."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._next_chunk()
        finally:
            if enabled:
                gc.enable()

    def _next_chunk(self) -> Chunk | None:
        if self._blocks is not None:
            chunk = self._next_block_chunk(self._blocks)
            if chunk is not False:
                return chunk
        chunk = Chunk()
        lines: list[int] = []
        texts: list[str] = []
        for record in self._records:
            if not record.too_long and not record.text.strip():
                continue
            if record.line <= self.start_after:
                self._replay(record)
                continue
            chunk.rows += 1
            chunk.last_line = record.line
            if record.too_long:
                chunk.rejects.append(
                    (record.line, None, stored.keep("ingest.reject.line_too_long", max=MAX_RECORD_CHARS))
                )
            elif self.fmt == "csv" and record.text.count('"') % 2:
                chunk.rejects.append((record.line, None, stored.keep("ingest.reject.unterminated_quote")))
            elif "\x00" in record.text:  # PostgreSQL text cannot hold it: the whole batch would fail
                chunk.rejects.append((record.line, None, NUL_REASON))
            else:
                lines.append(record.line)
                texts.append(record.text)
            if chunk.rows >= self.chunk_rows:
                break
        if chunk.rows == 0:
            return None
        if self.fmt == "csv":
            self._add_csv(chunk, lines, texts)
        else:
            self._add_ndjson(chunk, lines, texts)
        chunk.bytes_done = self.bytes_done
        return chunk

    def _next_block_chunk(self, blocks: LineBlocks) -> Chunk | Literal[False] | None:
        """The next batch read as whole lines, None at the end, or False once the lines stop being
        simple records: from there on ``_records`` reads them (``self._records`` is set)."""
        while True:
            replaying = blocks.lines_before < self.start_after
            texts = blocks.take(
                min(self.chunk_rows, self.start_after - blocks.lines_before) if replaying else self.chunk_rows
            )
            if not texts:
                return None
            records = simple_records(texts, "\n".join(texts))
            if records is None:
                self._records = _records(blocks.rest(texts), csv_quotes=True, first_line=blocks.lines_before)
                self._blocks = None
                return False
            texts, joined = records
            first = blocks.lines_before + 1
            blocks.lines_before += len(texts)
            if replaying:  # lines of committed batches: replayed for their identifiers only
                for k, text in enumerate(texts):
                    self._replay(RawRecord(first + k, text))
                continue
            chunk = Chunk(rows=len(texts), last_line=first + len(texts) - 1)
            self._add_csv(chunk, list(range(first, first + len(texts))), texts, joined=joined + "\n")
            chunk.bytes_done = self.bytes_done
            return chunk

    def _replay(self, record: RawRecord) -> None:
        if record.too_long or "\x00" in record.text:
            return
        if self.fmt == "csv":
            if record.text.count('"') % 2:
                return
            row = next(csv.reader([record.text]), [])
            if len(row) == self._header_width:
                self.normaliser.remember(record.line, self._values(row))
        else:
            parsed = self._parse_ndjson(record.text)
            if isinstance(parsed, tuple):
                self.normaliser.remember(record.line, parsed)

    def _add_csv(
        self, chunk: Chunk, lines: list[int], texts: list[str], *, joined: str | None = None
    ) -> None:
        if self.columnar and texts:
            parsed = parse_columns(texts, self._header_width, joined=joined)
            if parsed is not None:  # Arrow read exactly what csv.reader would
                absent = pa.array([""] * len(texts), pa.string())
                width = self._header_width
                self.normaliser.add_arrow(
                    chunk,
                    lines,
                    [parsed[i] if i < width else absent for i in self._positions],
                    short=max(map(len, texts)) <= MAX_FIELD_CHARS,
                )
                return
        try:
            rows = list(csv.reader(texts))
        except csv.Error:
            rows = []
        if len(rows) != len(texts):  # a malformed record: parse one by one to find it
            rows = []
            for text in texts:
                try:
                    rows.append(next(csv.reader([text]), []))
                except csv.Error:
                    rows.append([])
        width = self._header_width
        if rows and set(map(len, rows)) == {width}:  # every record well-formed: hand over its columns
            in_file = list(zip(*rows, strict=True))
            absent = ("",) * len(rows)
            self.normaliser.add_columns(
                chunk,
                lines,
                [in_file[i] if i < width else absent for i in self._positions],
                short=max(map(len, texts)) <= MAX_FIELD_CHARS,  # no field is longer than its record
            )
            return
        ok_lines: list[int] = []
        ok_rows: list[tuple[str, ...]] = []
        for line, row in zip(lines, rows, strict=True):
            if len(row) != width:
                reason = (
                    stored.keep("ingest.reject.field_count", fields=len(row), width=width)
                    if row
                    else stored.keep("ingest.reject.not_csv")
                )
                chunk.rejects.append((line, None, reason))
                continue
            ok_lines.append(line)
            ok_rows.append(self._values(row))
        self.normaliser.add(chunk, ok_lines, ok_rows)

    def _parse_ndjson(self, text: str) -> tuple[str, ...] | str:
        assert self.systems is not None
        parsed = parse_patient(text, self.systems)
        if isinstance(parsed, str):
            return parsed
        return tuple(parsed.get(c, "") for c in self.spec.columns)

    def _add_ndjson(self, chunk: Chunk, lines: list[int], texts: list[str]) -> None:
        ok_lines: list[int] = []
        ok_rows: list[tuple[str, ...]] = []
        for line, text in zip(lines, texts, strict=True):
            parsed = self._parse_ndjson(text)
            if isinstance(parsed, str):
                chunk.rejects.append((line, None, parsed))
            else:
                ok_lines.append(line)
                ok_rows.append(parsed)
        self.normaliser.add(chunk, ok_lines, ok_rows)
