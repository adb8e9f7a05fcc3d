"""Job handlers of the matching domain."""

from __future__ import annotations

from typing import Any

from interop.job.failures import is_transient, kept, sqlstate
from interop.job.worker import JobContext, PermanentJobError, TransientJobError, handler
from interop.matching import calibration_fit, models_store, runs
from interop.matching.errors import MatchEngineUnavailable, MatchRunNotFound, MatchRunUntrainable
from interop.messages import stored


@handler("matching.run")
async def run_matching(ctx: JobContext) -> dict[str, Any] | None:
    run_id = ctx.payload.get("run_id")
    if not isinstance(run_id, int):
        raise PermanentJobError(stored.keep("job.bad_payload", kind="matching.run", field="run_id"))
    engine = ctx.payload.get("engine")
    if engine is not None and not isinstance(engine, str):
        raise PermanentJobError(stored.keep("job.bad_payload", kind="matching.run", field="engine"))
    try:
        return await runs.execute_run(
            ctx.sessionmaker, ctx.settings, run_id=run_id, report=ctx.report, engine=engine
        )
    except (MatchRunNotFound, MatchRunUntrainable, MatchEngineUnavailable, LookupError) as exc:
        raise PermanentJobError(kept(exc)) from None
    except Exception as exc:
        # Database and engine errors may quote row values (names, CURPs): keep only their kind and code.
        code = sqlstate(exc)
        kind = f"{type(exc).__name__}{f', SQLSTATE {code}' if code else ''}"
        if is_transient(exc):
            raise TransientJobError(stored.keep("matching.run_retry", kind=kind)) from None
        raise PermanentJobError(stored.keep("matching.run_failed", kind=kind, job_id=ctx.job_id)) from None


@handler(calibration_fit.CALIBRATE_JOB)
async def calibrate(ctx: JobContext) -> dict[str, Any] | None:
    """Refit the active model's calibration on the decisions taken so far (queued as they accumulate)."""
    async with ctx.sessionmaker() as session:
        model = await models_store.active_model(session)
        if model is None:
            return None
        fitted = await calibration_fit.refit(
            session, model=model, auto_threshold=ctx.settings.match_auto_threshold
        )
        await session.commit()
        return fitted
