"""The import job: ``import.run`` with payload ``{"import_id": …, "inspected": bool}``."""

from __future__ import annotations

from typing import Any

from interop.ingest.errors import ImportNotFound
from interop.ingest.runner import ImportFileChanged, give_up, run_import
from interop.job import service as job_service
from interop.job.failures import is_transient, kept
from interop.job.worker import JobContext, PermanentJobError, handler


@handler("import.run")
async def run(ctx: JobContext) -> dict[str, Any] | None:
    """Resumable: a re-run (after a crash or kill) continues after the import's last committed line.
    After its last attempt the import is failed and its received file deleted."""
    import_id = int(ctx.payload["import_id"])
    try:
        return await run_import(
            ctx.sessionmaker,
            ctx.settings,
            import_id=import_id,
            # Only the first attempt may rely on the submitter's inspection of the file.
            inspected=bool(ctx.payload.get("inspected")) and ctx.attempt == 1,
            report=ctx.report,
            trace_id=ctx.trace_id,
            chunk_rows=ctx.settings.import_chunk_rows,
        )
    except (ImportFileChanged, ImportNotFound) as exc:
        await give_up(ctx.sessionmaker, ctx.settings, import_id=import_id, error=kept(exc))
        raise PermanentJobError(kept(exc)) from exc
    except Exception as exc:
        # The worker retries only what may pass by itself (job.failures); anything else fails now.
        if not is_transient(exc) or await _last_attempt(ctx):
            await give_up(ctx.sessionmaker, ctx.settings, import_id=import_id, error=kept(exc))
        raise


async def _last_attempt(ctx: JobContext) -> bool:
    async with ctx.sessionmaker() as session:
        job = await job_service.get_job(session, job_id=ctx.job_id)
    return job is None or ctx.attempt >= job.max_attempts
