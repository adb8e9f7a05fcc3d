"""Where the runner gets its batches from: a worker thread reads and normalises the next batch while the
event loop streams the current one to PostgreSQL.

A child process was tried (true parallelism, batches pickled across): on the shared 2-core machine it
was slower (86 s against 59 s for a million rows), the pickling and a third busy process costing more
than the overlap gained; the thread stays until a many-core host shows otherwise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from interop.fhir.patient_identity import Systems
from interop.ingest import staging
from interop.ingest.chunks import ChunkReader
from interop.ingest.normalise import Chunk, Normaliser
from interop.roll import service as roll_service


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    path: Path
    kind: str
    fmt: str
    encoding: str
    start_after: int
    chunk_rows: int
    systems: Systems
    allowed_clues: frozenset[str] | None
    # Set when batches go straight into roll_record (runner: ``fresh``): the import writing them.
    direct_import_id: int | None = None


def open_reader(spec: ReaderSpec) -> ChunkReader:
    return ChunkReader(
        spec.path,
        kind=spec.kind,
        fmt=spec.fmt,
        encoding=spec.encoding,
        normaliser=Normaliser(spec.kind, allowed_clues=spec.allowed_clues),
        start_after=spec.start_after,
        chunk_rows=spec.chunk_rows,
        systems=spec.systems,
    )


class ThreadSource:
    def __init__(self, spec: ReaderSpec) -> None:
        self._spec = spec
        self._reader: ChunkReader | None = None

    def _next(self) -> Chunk | None:
        if self._reader is None:
            self._reader = open_reader(self._spec)
        chunk = self._reader.next_chunk()
        if chunk is not None and chunk.table is not None:
            # Encoded here, beside the database's work on the previous batch, not in the event loop.
            if self._spec.direct_import_id is not None:
                chunk.payload = roll_service.direct_payload(chunk.table, self._spec.direct_import_id)
            else:
                chunk.payload = staging.stage_payload(self._spec.kind, chunk.table)
        return chunk

    async def next(self) -> Chunk | None:
        return await asyncio.to_thread(self._next)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


def source_for(spec: ReaderSpec) -> ThreadSource:
    return ThreadSource(spec)
