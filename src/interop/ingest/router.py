"""``/v1/imports``: upload a file (streamed to disk while hashed), follow its job, list its rejected lines.

The body is either the file itself (``Content-Type: text/csv`` or ``application/fhir+ndjson``; ``kind``
in the query) or ``multipart/form-data`` with a ``file`` part (``kind`` in the query or a form field).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.errors import DomainError
from interop.ingest import service as ingest_service
from interop.ingest.errors import UnknownKind
from interop.ingest.reading import detect_format, python_encoding
from interop.ingest.schemas import ImportRead, RejectList, RejectRead
from interop.ingest.uploads import UploadLimits, check_room, discard, save_stream, uploads_dir

router = APIRouter(tags=["imports"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "The token's role may not import this kind"},
    422: {"description": "Invalid parameters"},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, str]] = {
    413: {"description": "The file is larger than the upload limit (INTEROP_UPLOAD_MAX_BYTES)"},
    507: {"description": "The data folder is nearly full (INTEROP_UPLOAD_MIN_FREE_BYTES); nothing stored"},
}
_UPLOAD_BLOCK = 1 << 20


async def _file_blocks(upload: UploadFile) -> AsyncIterator[bytes]:
    while block := await upload.read(_UPLOAD_BLOCK):
        yield block


async def _discard_unless_used(
    session: AsyncSession, path: FilePath, uploads: FilePath, *, import_id: int | None
) -> None:
    if not await ingest_service.path_in_use(session, path=str(path), other_than=import_id):
        await anyio.to_thread.run_sync(discard, path, uploads)


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportRead,
    summary="Upload a units, roll or patients file for import",
    responses={
        **_ERRORS,
        **_UPLOAD_ERRORS,
        202: {"description": "Accepted; Location names the import to poll"},
    },
)
async def create_import(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Import", "c"))],
    kind: Annotated[str | None, Query(description="units, roll or patients")] = None,
    encoding: Annotated[
        str | None,
        Query(description="Convert from this encoding (e.g. cp1252); default: the file must be UTF-8"),
    ] = None,
    filename: Annotated[str | None, Query(description="Original file name (.csv or .ndjson)")] = None,
) -> JSONResponse:
    """The file is written to disk as it arrives (never held in memory), bounded in size, and imported by
    a job; the stored copy is deleted once the import is over."""
    content_type = request.headers.get("content-type", "")
    if kind is not None:
        ingest_service.check_may_import(ctx.actor, kind)  # refuse before receiving the body
    if encoding is not None:
        python_encoding(encoding)
    uploads = uploads_dir(settings.resolved_data_dir)
    limits = UploadLimits(max_bytes=settings.upload_max_bytes, min_free_bytes=settings.upload_min_free_bytes)
    declared = request.headers.get("content-length", "")
    await check_room(uploads, limits, declared=int(declared) if declared.isdigit() else None)
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise UnknownKind.said("ingest.upload_needs_file")
        field_kind = form.get("kind")
        kind = kind or (field_kind if isinstance(field_kind, str) else None)
        filename = filename or part.filename or "upload"
        fmt = detect_format(filename, part.content_type)
        if kind is None:
            raise UnknownKind.said("ingest.kind_required")
        ingest_service.check_may_import(ctx.actor, kind)
        saved = await save_stream(_file_blocks(part), uploads, suffix=f".{fmt}", limits=limits)
    else:
        if kind is None:
            raise UnknownKind.said("ingest.kind_required")
        filename = filename or "upload"
        fmt = detect_format(filename, content_type)
        saved = await save_stream(request.stream(), uploads, suffix=f".{fmt}", limits=limits)
    try:
        imp = await ingest_service.create_import(
            session,
            ctx,
            new=ingest_service.NewImport(
                kind=kind,
                fmt=fmt,
                filename=filename,
                path=str(saved.path),
                sha256=saved.sha256,
                size_bytes=saved.size_bytes,
                encoding=python_encoding(encoding) if encoding else None,
            ),
        )
    except DomainError:
        await _discard_unless_used(session, saved.path, uploads, import_id=None)
        raise
    if imp.state in ingest_service.FINISHED:
        # A file already imported: its digest is all the new import keeps.
        await _discard_unless_used(session, saved.path, uploads, import_id=imp.id)
    body = ImportRead.of(imp).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/v1/imports/{imp.id}"})


@router.get(
    "/imports/{import_id}",
    response_model=ImportRead,
    summary="State, counts and progress of an import",
    responses={**_ERRORS, 404: {"description": "No such import visible to the caller"}},
)
async def get_import(
    import_id: Annotated[int, Path(ge=1)],
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Import", "r"))],
) -> ImportRead:
    return ImportRead.of(await ingest_service.get_import(session, ctx, import_id=import_id))


@router.get(
    "/imports/{import_id}/rejects",
    response_model=RejectList,
    summary="Rejected lines of an import, with line number and reason",
    responses={**_ERRORS, 404: {"description": "No such import visible to the caller"}},
)
async def list_rejects(
    import_id: Annotated[int, Path(ge=1)],
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Import", "r"))],
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RejectList:
    rejects, total = await ingest_service.list_rejects(
        session, ctx, import_id=import_id, offset=offset, limit=limit
    )
    await audit_service.record(
        session, ctx, action="R", subtype="read", entities=[AuditEntity(type="Import", id=str(import_id))]
    )
    following = offset + len(rejects)
    return RejectList(
        items=[RejectRead.of(r) for r in rejects],
        total=total,
        offset=offset,
        limit=limit,
        next=f"/v1/imports/{import_id}/rejects?offset={following}&limit={limit}"
        if following < total
        else None,
    )
