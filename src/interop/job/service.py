"""Queue operations. Never commits: the worker (the edge for jobs) owns transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from interop.job.models import Job


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    queue_key: str | None = None,
    trace_id: str | None = None,
    max_attempts: int = 5,
    delay_s: float = 0.0,
) -> Job:
    job = Job(
        kind=kind,
        payload=payload,
        queue_key=queue_key,
        trace_id=trace_id,
        max_attempts=max_attempts,
        state="queued",
        attempts=0,
        progress={},
        run_after=datetime.now(UTC) + timedelta(seconds=delay_s),
    )
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, *, job_id: int) -> Job | None:
    return await session.get(Job, job_id, populate_existing=True)


_CLAIM = text(
    """
    UPDATE job SET state = 'running', attempts = attempts + 1, worker_id = :worker,
           heartbeat_at = now(), updated_at = now()
    WHERE id = (
        SELECT j.id FROM job j
        WHERE j.state = 'queued' AND j.run_after <= now()
          AND (CAST(:only_id AS bigint) IS NULL OR j.id = CAST(:only_id AS bigint))
          AND (CAST(:only_key AS text) IS NULL OR j.queue_key = CAST(:only_key AS text))
          AND (j.queue_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM job e WHERE e.queue_key = j.queue_key AND e.id < j.id
                  AND e.state IN ('queued', 'running')))
        ORDER BY j.id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
    RETURNING id
    """
)


async def claim_next(
    session: AsyncSession, *, worker_id: str, only_id: int | None = None, only_key: str | None = None
) -> Job | None:
    """Take the oldest runnable job (skipping ones other workers hold), marking it running; optionally only
    a given job, or only the next of a queue key."""
    params = {"worker": worker_id, "only_id": only_id, "only_key": only_key}
    job_id = (await session.execute(_CLAIM, params)).scalar_one_or_none()
    if job_id is None:
        return None
    return await get_job(session, job_id=job_id)


async def heartbeat(session: AsyncSession, *, job_id: int, progress: dict[str, Any] | None = None) -> None:
    values: dict[str, Any] = {"heartbeat_at": func.now(), "updated_at": func.now()}
    if progress is not None:
        values["progress"] = progress
    await session.execute(update(Job).where(Job.id == job_id).values(**values))


async def complete(session: AsyncSession, *, job_id: int, result: dict[str, Any] | None) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(state="succeeded", result=result, error=None, finished_at=func.now(), updated_at=func.now())
    )


async def fail(session: AsyncSession, *, job_id: int, error: str, retryable: bool = True) -> str:
    """Record a failure; retry with exponential back-off until attempts run out. Returns the new state."""
    job = await get_job(session, job_id=job_id)
    assert job is not None
    if retryable and job.attempts < job.max_attempts:
        delay = min(2**job.attempts, 300)
        job.state = "queued"
        job.run_after = datetime.now(UTC) + timedelta(seconds=delay)
    else:
        job.state = "failed"
        job.finished_at = datetime.now(UTC)
    job.error = error[:2000]
    job.updated_at = datetime.now(UTC)
    await session.flush()
    return job.state


async def requeue_stale(session: AsyncSession, *, stale_after_s: float) -> int:
    """Jobs whose worker died (no heartbeat) go back to the queue, to resume where they left off."""
    result = await session.execute(
        text(
            "UPDATE job SET state = 'queued', worker_id = NULL, updated_at = now() "
            "WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => :s)"
        ),
        {"s": stale_after_s},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def release_worker(session: AsyncSession, *, worker_id: str) -> int:
    """Jobs a live worker had claimed but is no longer running (the database went away under them) go back
    to the queue at once; their handlers resume from what they had committed."""
    result = await session.execute(
        text(
            "UPDATE job SET worker_id = NULL, run_after = now(), updated_at = now(), "
            # A job that was interrupted on every attempt (one that brings the server down?) stops here.
            "  state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, "
            "  finished_at = CASE WHEN attempts >= max_attempts THEN now() END, "
            "  error = CASE WHEN attempts >= max_attempts "
            "    THEN 'interrupted by the database going away on every attempt' ELSE error END "
            "WHERE state = 'running' AND worker_id = :worker"
        ),
        {"worker": worker_id},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def queue_stats(session: AsyncSession) -> list[tuple[str, str, int, float]]:
    """(kind, state, count, age in seconds of the oldest) for metrics."""
    rows = await session.execute(
        select(
            Job.kind, Job.state, func.count(), func.extract("epoch", func.now() - func.min(Job.created_at))
        )
        .where(Job.state.in_(("queued", "running", "failed")))
        .group_by(Job.kind, Job.state)
    )
    return [(k, s, int(c), float(a or 0)) for k, s, c, a in rows.all()]


async def running_progress(session: AsyncSession) -> list[tuple[str, int, dict[str, Any]]]:
    """(kind, id, progress) of running jobs, for metrics."""
    rows = await session.execute(select(Job.kind, Job.id, Job.progress).where(Job.state == "running"))
    return [(kind, int(job_id), dict(progress or {})) for kind, job_id, progress in rows.all()]


async def pending(session: AsyncSession, *, kind: str) -> int:
    """Jobs of this kind queued or running (a self-renewing job checks it before starting a second)."""
    stmt = select(func.count()).select_from(Job).where(Job.kind == kind, Job.state.in_(("queued", "running")))
    return int(await session.scalar(stmt) or 0)
