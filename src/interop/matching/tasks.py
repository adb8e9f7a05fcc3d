"""Job handlers of the matching domain."""

from __future__ import annotations

from typing import Any

from interop.job.worker import JobContext, PermanentJobError, handler
from interop.matching import runs


@handler("matching.run")
async def run_matching(ctx: JobContext) -> dict[str, Any] | None:
    run_id = ctx.payload.get("run_id")
    if not isinstance(run_id, int):
        raise PermanentJobError("matching.run needs an integer run_id")
    try:
        return await runs.execute_run(ctx.sessionmaker, ctx.settings, run_id=run_id, report=ctx.report)
    except LookupError as exc:
        raise PermanentJobError(str(exc)) from exc
