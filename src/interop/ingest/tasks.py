"""The import job: ``import.run`` with payload ``{"import_id": …, "inspected": bool}``."""

from __future__ import annotations

from typing import Any

from interop.ingest.runner import ImportFileChanged, run_import
from interop.job.worker import JobContext, PermanentJobError, handler


@handler("import.run")
async def run(ctx: JobContext) -> dict[str, Any] | None:
    """Resumable: a re-run (after a crash or kill) continues after the import's last committed line."""
    try:
        return await run_import(
            ctx.sessionmaker,
            ctx.settings,
            import_id=int(ctx.payload["import_id"]),
            # Only the first attempt may rely on the submitter's inspection of the file.
            inspected=bool(ctx.payload.get("inspected")) and ctx.attempt == 1,
            report=ctx.report,
            trace_id=ctx.trace_id,
            chunk_rows=ctx.settings.import_chunk_rows,
        )
    except (ImportFileChanged, LookupError) as exc:
        raise PermanentJobError(str(exc)) from exc
