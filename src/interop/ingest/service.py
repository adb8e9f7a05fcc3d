"""Imports: who may import what, creating and finding imports, their progress and rejects. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import Actor, RequestContext
from interop.db.bulk import MergeCounts
from interop.ingest.errors import ImportForbidden, ImportNotFound, UnknownKind
from interop.ingest.models import IMPORT_KINDS, Import, Reject
from interop.job import service as job_service
from interop.messages import stored

JOB_KIND = "import.run"
# One import at a time: two merges touching the same record_id would race on its current version,
# and units should be loaded before the registries that refer to them.
QUEUE_KEY = "import"
UNFINISHED = ("queued", "running")
FINISHED = ("succeeded", "refused", "failed")

# What each role may import (admin and the service itself: everything).
ROLE_KINDS: dict[str, frozenset[str]] = {
    "bienestar": frozenset({"roll"}),
    "clinic": frozenset({"patients"}),
    "admin": frozenset(IMPORT_KINDS),
    "system": frozenset(IMPORT_KINDS),
}


def check_may_import(actor: Actor, kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise UnknownKind.said(
            "ingest.kind_unknown_expected", kind=repr(kind), expected=", ".join(IMPORT_KINDS)
        )
    if kind not in ROLE_KINDS.get(actor.role, frozenset()):
        raise ImportForbidden.said("ingest.role_may_not_import", role=actor.role, kind=kind)
    if actor.role == "clinic" and not actor.clues:
        raise ImportForbidden.said("ingest.clinic_without_clues")


def _allowed_clues(actor: Actor) -> list[str] | None:
    return sorted(actor.clues) if actor.role == "clinic" else None


@dataclass(frozen=True, slots=True)
class NewImport:
    kind: str
    fmt: str
    filename: str
    path: str
    sha256: str
    size_bytes: int
    encoding: str | None
    inspected: bool = False


async def _imported_since(session: AsyncSession, *, kind: str, after: int) -> bool:
    later = await session.execute(
        select(Import.id)
        .where(
            Import.kind == kind,
            Import.id > after,
            Import.duplicate_of.is_(None),
            Import.state == "succeeded",
        )
        .limit(1)
    )
    return later.first() is not None


async def create_import(session: AsyncSession, ctx: RequestContext, *, new: NewImport) -> Import:
    """Record an import and queue its job. Idempotent on the file digest: a file already imported
    (same kind, digest and CLUES scope), with no other file of its kind imported since, becomes a
    finished import that points at the first one and changes nothing; an unfinished or failed one is
    returned, with a new job when its job gave up, and resumes after its last committed line."""
    check_may_import(ctx.actor, new.kind)
    if new.fmt == "ndjson" and new.kind != "patients":
        raise UnknownKind.said("ingest.ndjson_patients_only")
    allowed = _allowed_clues(ctx.actor)
    previous = (
        await session.execute(
            select(Import)
            .where(
                Import.kind == new.kind,
                Import.sha256 == new.sha256,
                Import.state.in_(("succeeded", "failed", *UNFINISHED)),
                Import.duplicate_of.is_(None),
                Import.allowed_clues.is_(None) if allowed is None else Import.allowed_clues == allowed,
            )
            .order_by(Import.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if previous is not None and previous.state in (*UNFINISHED, "failed"):
        previous.path = new.path  # the same bytes (same digest), wherever they are now
        return await _keep_running(session, previous)
    if previous is not None and await _imported_since(session, kind=new.kind, after=previous.id):
        # Another file of this kind was imported since: it may have changed rows of this one, so the
        # rows are compared again (unchanged ones stay unchanged; changed-back ones become versions).
        previous = None
    imp = Import(
        kind=new.kind,
        format=new.fmt,
        filename=new.filename,
        path=new.path,
        sha256=new.sha256,
        size_bytes=new.size_bytes,
        encoding=new.encoding,
        client_id=ctx.actor.client_id,
        allowed_clues=allowed,
        trace_id=ctx.trace_id,
        state="queued",
        last_line=0,
        bytes_done=0,
        rows_read=0,
        new_records=0,
        new_versions=0,
        unchanged=0,
        rejected=0,
    )
    if previous is not None:
        imp.state = "succeeded"
        imp.duplicate_of = previous.id
        imp.rows_read = previous.rows_read
        imp.unchanged = previous.stored
        imp.rejected = previous.rejected
        imp.last_line = previous.last_line
        imp.bytes_done = previous.size_bytes
        imp.finished_at = func.now()  # type: ignore[assignment]
    session.add(imp)
    await session.flush()
    if previous is None:
        job = await job_service.enqueue(
            session,
            kind=JOB_KIND,
            payload={"import_id": imp.id, "inspected": new.inspected},
            queue_key=QUEUE_KEY,
            trace_id=ctx.trace_id,
        )
        imp.job_id = job.id
        await session.flush()
    await audit_service.record(
        session, ctx, action="C", subtype="import", entities=[AuditEntity(type="Import", id=str(imp.id))]
    )
    await session.refresh(imp)
    return imp


async def _keep_running(session: AsyncSession, imp: Import) -> Import:
    """An unfinished import whose job gave up (attempts exhausted) gets a new job, which resumes it."""
    job = await job_service.get_job(session, job_id=imp.job_id) if imp.job_id is not None else None
    if job is None or job.state in ("failed", "cancelled", "succeeded"):
        fresh = await job_service.enqueue(
            session,
            kind=JOB_KIND,
            payload={"import_id": imp.id, "inspected": False},
            queue_key=QUEUE_KEY,
            trace_id=imp.trace_id,
        )
        imp.job_id = fresh.id
        imp.state = "queued"
        imp.error = None
        await session.flush()
    return imp


def _visible(ctx: RequestContext, imp: Import) -> bool:
    return ctx.actor.role in ("admin", "system") or imp.client_id == ctx.actor.client_id


async def get_import(session: AsyncSession, ctx: RequestContext, *, import_id: int) -> Import:
    """An import the caller may see (its own, or any for admin); otherwise not found."""
    imp = await session.get(Import, import_id, populate_existing=True)
    if imp is None or not _visible(ctx, imp):
        raise ImportNotFound.said("ingest.import_not_found", id=import_id)
    if imp.state in UNFINISHED and imp.job_id is not None:
        # A job that exhausted its attempts leaves its import behind: say so (a re-submission resumes it).
        job = await job_service.get_job(session, job_id=imp.job_id)
        if job is not None and job.state == "failed":
            await set_state(
                session, import_id=imp.id, state="failed", error=job.error or stored.keep("ingest.job_failed")
            )
            imp = await session.get(Import, import_id, populate_existing=True)
            assert imp is not None
    return imp


async def list_rejects(
    session: AsyncSession, ctx: RequestContext, *, import_id: int, offset: int = 0, limit: int = 100
) -> tuple[Sequence[Reject], int]:
    """Rejected lines in line order (a duplicate import lists those of the import it repeats)."""
    imp = await get_import(session, ctx, import_id=import_id)
    source = imp.duplicate_of or imp.id
    total = int(
        (
            await session.execute(select(func.count()).select_from(Reject).where(Reject.import_id == source))
        ).scalar_one()
    )
    query = select(Reject).where(Reject.import_id == source).order_by(Reject.line).offset(offset).limit(limit)
    return (await session.execute(query)).scalars().all(), total


# -- used by the import job (the job is the edge: it commits) ------------------------------------------
async def load(session: AsyncSession, *, import_id: int) -> Import | None:
    return await session.get(Import, import_id, populate_existing=True)


async def set_state(session: AsyncSession, *, import_id: int, state: str, error: str | None = None) -> None:
    values: dict[str, object] = {"state": state, "updated_at": func.now()}
    if state in FINISHED:
        values["finished_at"] = func.now()
    if error is not None:
        values["error"] = error
    await session.execute(update(Import).where(Import.id == import_id).values(**values))


async def advance(
    session: AsyncSession,
    *,
    import_id: int,
    last_line: int,
    bytes_done: int,
    rows: int,
    rejected: int,
    counts: MergeCounts,
) -> None:
    """Record a committed batch: in the same transaction as its rows, so a resumed run starts after it."""
    await session.execute(
        update(Import)
        .where(Import.id == import_id)
        .values(
            last_line=last_line,
            bytes_done=bytes_done,
            rows_read=Import.rows_read + rows,
            rejected=Import.rejected + rejected + counts.rejected,
            new_records=Import.new_records + counts.new_records,
            new_versions=Import.new_versions + counts.new_versions,
            unchanged=Import.unchanged + counts.unchanged,
            updated_at=func.now(),
        )
    )


async def find_unfinished(session: AsyncSession, *, kind: str, sha256: str) -> Import | None:
    query = (
        select(Import)
        .where(Import.kind == kind, Import.sha256 == sha256, Import.state.in_(UNFINISHED))
        .order_by(Import.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def path_in_use(session: AsyncSession, *, path: str, other_than: int | None = None) -> bool:
    """Whether an unfinished import (other than ``other_than``) still reads the file at ``path``: two
    imports of the same bytes in different CLUES scopes share one stored upload."""
    query = select(Import.id).where(Import.path == path, Import.state.in_(UNFINISHED))
    if other_than is not None:
        query = query.where(Import.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


def summary(imp: Import) -> dict[str, object]:
    return {
        "import_id": imp.id,
        "state": imp.state,
        "rows": imp.rows_read,
        "stored": imp.stored,
        "rejected": imp.rejected,
        "new_records": imp.new_records,
        "new_versions": imp.new_versions,
        "unchanged": imp.unchanged,
        "duplicate_of": imp.duplicate_of,
        "error": stored.said(imp.error) if imp.error else None,
    }
