"""Where the runner gets its batches from: a worker thread for small files, a child process for big ones.

Reading and normalising is pure Python and holds the GIL; in a thread it starves the event loop that
streams the previous batch to PostgreSQL. A child process (spawned: the parent runs an event loop and
threads, which ``fork`` would copy half-way) reads and normalises the next batch truly in parallel with
the COPY and merge of the current one. Batches cross the process boundary pickled (a few µs per row).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from interop.fhir.patient_ndjson import Systems
from interop.ingest.chunks import ChunkReader
from interop.ingest.normalise import Chunk, Normaliser

# Below this size the child's start-up (imports: ~1 s) costs more than the overlap gains.
PROCESS_FROM_BYTES = 16 * 1024 * 1024


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
        return self._reader.next_chunk()

    async def next(self) -> Chunk | None:
        return await asyncio.to_thread(self._next)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


# The child process's reader (one per child: the pool has a single worker).
_child_reader: ChunkReader | None = None


def _child_next(spec: ReaderSpec) -> Chunk | None:
    global _child_reader
    if _child_reader is None:
        _child_reader = open_reader(spec)
    chunk = _child_reader.next_chunk()
    if chunk is None:
        _child_reader.close()
        _child_reader = None
    return chunk


class ProcessSource:
    def __init__(self, spec: ReaderSpec) -> None:
        self._spec = spec
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    async def next(self) -> Chunk | None:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _child_next, self._spec)

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)


def source_for(spec: ReaderSpec, size_bytes: int) -> ThreadSource | ProcessSource:
    return ProcessSource(spec) if size_bytes >= PROCESS_FROM_BYTES else ThreadSource(spec)
