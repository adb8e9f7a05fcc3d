"""JSON shapes of ``/v1/imports``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from interop.ingest.models import Import, Reject
from interop.messages import stored


class ImportProgress(BaseModel):
    last_line: int = Field(description="Last input line whose fate is committed.")
    bytes_done: int
    bytes_total: int
    fraction: float = Field(ge=0, le=1)


class ImportCounts(BaseModel):
    rows: int = Field(description="Data rows read so far (blank lines are not rows).")
    stored: int = Field(description="new_records + new_versions + unchanged")
    new_records: int
    new_versions: int
    unchanged: int
    rejected: int


class ImportRead(BaseModel):
    id: int
    kind: str
    format: str
    filename: str
    state: str = Field(description="queued, running, succeeded, refused (whole file refused) or failed")
    sha256: str
    size_bytes: int
    encoding: str | None = Field(description="Encoding converted from, when conversion was asked")
    duplicate_of: int | None = Field(description="An earlier import of the same file; nothing changed")
    counts: ImportCounts
    progress: ImportProgress
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    rejects_url: str

    @classmethod
    def of(cls, imp: Import) -> ImportRead:
        total = max(imp.size_bytes, 1)
        done = imp.size_bytes if imp.state == "succeeded" else min(imp.bytes_done, imp.size_bytes)
        return cls(
            id=imp.id,
            kind=imp.kind,
            format=imp.format,
            filename=imp.filename,
            state=imp.state,
            sha256=imp.sha256,
            size_bytes=imp.size_bytes,
            encoding=imp.encoding,
            duplicate_of=imp.duplicate_of,
            counts=ImportCounts(
                rows=imp.rows_read,
                stored=imp.stored,
                new_records=imp.new_records,
                new_versions=imp.new_versions,
                unchanged=imp.unchanged,
                rejected=imp.rejected,
            ),
            progress=ImportProgress(
                last_line=imp.last_line, bytes_done=done, bytes_total=imp.size_bytes, fraction=done / total
            ),
            error=stored.said(imp.error) if imp.error else None,
            created_at=imp.created_at,
            finished_at=imp.finished_at,
            rejects_url=f"/v1/imports/{imp.id}/rejects",
        )


class RejectRead(BaseModel):
    line: int = Field(description="Physical line the record starts on (the header is line 1)")
    record_id: str | None
    reason: str

    @classmethod
    def of(cls, reject: Reject) -> RejectRead:
        return cls(line=reject.line, record_id=reject.record_id, reason=stored.said(reject.reason))


class RejectList(BaseModel):
    items: list[RejectRead]
    total: int
    offset: int
    limit: int
    next: str | None = Field(description="URL of the next page, if any")
