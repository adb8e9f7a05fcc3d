"""The import job's body: it is the edge for imports and commits once per batch.

Each batch is one transaction: COPY into a temporary staging table, set-based merge through the roll /
registry / units service, the batch's rejects, and the import's ``last_line`` and counters. A roll
batch that can only hold new records (no other import's rows in ``roll_record``) is COPYed straight
into the table instead, falling back to staging if a record exists after all. A run
killed at any point leaves whole batches only; the next run starts after ``last_line``. Reading,
normalising and encoding the next batch as binary COPY (a worker thread) overlaps the database work
on the current one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import system_context
from interop.db.bulk import MergeCounts
from interop.errors import Conflict
from interop.fhir.patient_identity import Systems
from interop.ingest import service as ingest_service
from interop.ingest import staging
from interop.ingest.chunks import CHUNK_ROWS
from interop.ingest.errors import FileRefused, ImportNotFound
from interop.ingest.models import Import
from interop.ingest.normalise import Chunk
from interop.ingest.reading import inspect_file
from interop.ingest.sources import ReaderSpec, source_for
from interop.ingest.uploads import discard, uploads_dir
from interop.job import service as job_service
from interop.registry import service as registry_service
from interop.roll import service as roll_service
from interop.units import service as units_service

log = logging.getLogger(__name__)

Report = Callable[..., Awaitable[None]]


async def _merge_patients(session: AsyncSession, *, import_id: int, staged: int) -> MergeCounts:
    """The registry merges; the units service says which unit each staged CLUES names today."""
    codes = await registry_service.staged_clues(session)
    current = await units_service.current_codes(session, codes=codes)
    return await registry_service.merge_staged(
        session, import_id=import_id, staged=staged, current_clues=current
    )


_MERGE = {
    "roll": roll_service.merge_staged,
    "patients": _merge_patients,
    "units": units_service.merge_staged,
}


class ImportFileChanged(Conflict):
    """The file under an unfinished import is not the one that was registered."""

    code = "import-file-changed"


async def _store_batch(session: AsyncSession, imp: Import, chunk: Chunk, *, fresh: bool = False) -> None:
    # A batch's commit is also its checkpoint; waiting for the WAL flush on each would only slow the
    # load: after a server crash an unflushed batch is simply absent, together with its checkpoint.
    await session.execute(text("SET LOCAL synchronous_commit = off"))
    counts = MergeCounts()
    foreign = 0
    direct = None
    staged = chunk.staged_count
    rows = chunk.table if chunk.table is not None else chunk.staged
    if staged and fresh:
        direct = await roll_service.copy_new(session, import_id=imp.id, rows=rows, payload=chunk.payload)
    if direct is not None:
        counts = direct
    elif staged:
        await staging.stage(session, kind=imp.kind, rows=rows, payload=None if fresh else chunk.payload)
        if imp.kind == "patients" and imp.allowed_clues is not None:
            allowed = await units_service.codes_answering(session, codes=imp.allowed_clues)
            refused = await registry_service.reject_foreign_units(session, allowed=allowed)
            await staging.store_rejects(
                session,
                import_id=imp.id,
                rejects=[(line, record_id, registry_service.OTHER_UNIT) for line, record_id in refused],
            )
            foreign = len(refused)
        counts = await _MERGE[imp.kind](session, import_id=imp.id, staged=staged - foreign)
    if chunk.rejects:
        await staging.store_rejects(session, import_id=imp.id, rejects=chunk.rejects)
    await ingest_service.advance(
        session,
        import_id=imp.id,
        last_line=chunk.last_line,
        bytes_done=chunk.bytes_done,
        rows=chunk.rows,
        rejected=len(chunk.rejects) + foreign,
        counts=counts,
    )


def _size_of(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    import_id: int,
    inspected: bool = False,
    report: Report | None = None,
    trace_id: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Any]:
    """Run (or resume) import ``import_id`` to its end; returns its summary."""
    async with sessionmaker() as session:
        imp = await ingest_service.load(session, import_id=import_id)
        if imp is None:
            raise ImportNotFound.said("ingest.import_not_found", id=import_id)
        if imp.state in ingest_service.FINISHED:
            return ingest_service.summary(imp)
        await ingest_service.set_state(session, import_id=import_id, state="running")
        await session.commit()
    path = Path(imp.path)
    if await asyncio.to_thread(_size_of, path) != imp.size_bytes:
        raise ImportFileChanged.said("ingest.file_changed", import_id=import_id)
    if not inspected and imp.last_line == 0:
        try:
            inspection = await asyncio.to_thread(
                inspect_file, path, kind=imp.kind, fmt=imp.format, encoding=imp.encoding
            )
        except FileRefused as exc:
            return await _finish(
                sessionmaker, settings, imp, state="refused", error=exc.kept(), trace_id=trace_id
            )
        if inspection.sha256 != imp.sha256:
            raise ImportFileChanged.said("ingest.file_changed", import_id=import_id)
    # A roll import into a table holding only its own rows writes first versions directly.
    fresh = False
    if imp.kind == "roll":
        async with sessionmaker() as session:
            fresh = await roll_service.only_import(session, import_id=imp.id)
    spec = ReaderSpec(
        path=path,
        kind=imp.kind,
        fmt=imp.format,
        encoding=imp.encoding or "utf-8",
        start_after=imp.last_line,
        chunk_rows=chunk_rows,
        systems=Systems.of(settings),
        allowed_clues=frozenset(imp.allowed_clues or ()) or None,
        direct_import_id=imp.id if fresh else None,
    )
    source = source_for(spec)
    pending = asyncio.ensure_future(source.next())
    try:
        while True:
            try:
                chunk = await pending
            except FileRefused as exc:  # raised by the header, before any batch
                return await _finish(
                    sessionmaker, settings, imp, state="refused", error=exc.kept(), trace_id=trace_id
                )
            if chunk is None:
                break
            pending = asyncio.ensure_future(source.next())
            async with sessionmaker() as session:
                await _store_batch(session, imp, chunk, fresh=fresh)
                await session.commit()
            if report is not None:
                await report(line=chunk.last_line, bytes_done=chunk.bytes_done, bytes_total=imp.size_bytes)
    finally:
        with contextlib.suppress(BaseException):
            await pending
        await source.close()
    return await _finish(sessionmaker, settings, imp, state="succeeded", error=None, trace_id=trace_id)


async def give_up(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, import_id: int, error: str
) -> None:
    """The import's job will not run again (a permanent error, or its last attempt failed): the import is
    failed and its received file deleted. A re-submission of the same bytes resumes it."""
    async with sessionmaker() as session:
        imp = await ingest_service.load(session, import_id=import_id)
        if imp is None or imp.state in ingest_service.FINISHED:
            return
        await ingest_service.set_state(session, import_id=import_id, state="failed", error=error)
        await session.commit()
    await _forget_upload(sessionmaker, settings, imp)


async def _forget_upload(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, imp: Import
) -> None:
    """Delete a received file once its import is final (its digest stays); never an operator's own file."""
    async with sessionmaker() as session:
        if await ingest_service.path_in_use(session, path=imp.path, other_than=imp.id):
            return
    if await asyncio.to_thread(discard, imp.path, uploads_dir(settings.resolved_data_dir)):
        log.info("import upload deleted", extra={"import_id": imp.id})


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    imp: Import,
    *,
    state: str,
    error: str | None,
    trace_id: str | None,
) -> dict[str, Any]:
    async with sessionmaker() as session:
        await ingest_service.set_state(session, import_id=imp.id, state=state, error=error)
        if state == "succeeded" and imp.kind == "units":
            codes = await registry_service.unresolved_clues(session)
            current = await units_service.current_codes(session, codes=codes)
            await registry_service.resolve_units(session, current_clues=current)
            # Referrals waiting for a unit try the routing rules again (the referral domain's job).
            await job_service.enqueue(
                session,
                kind="referral.route_waiting",
                payload={},
                queue_key="referral.route_waiting",
                trace_id=trace_id,
            )
        ctx = system_context(request_id=f"import-{imp.id}", trace_id=trace_id or imp.trace_id or "0" * 32)
        await audit_service.record(
            session,
            ctx,
            action="C",
            subtype="import",
            entities=[AuditEntity(type="Import", id=str(imp.id))],
            outcome="0" if state == "succeeded" else "4",
        )
        await session.commit()
        done = await ingest_service.load(session, import_id=imp.id)
        assert done is not None
        log.info("import finished", extra={"import_id": imp.id, "state": state, "rows": done.rows_read})
    await _forget_upload(sessionmaker, settings, done)
    return ingest_service.summary(done)
