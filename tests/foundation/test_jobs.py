"""The Postgres job queue: claiming, retries with back-off, ordering per queue key, stale recovery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.job import service as job_service
from interop.job.worker import HANDLERS, JobContext, PermanentJobError, TransientJobError, Worker, handler
from interop.messages import stored

seen: list[tuple[str, Any]] = []


@handler("test.echo")
async def _echo(ctx: JobContext) -> dict[str, Any]:
    seen.append(("echo", ctx.payload["n"]))
    await ctx.report(done=1)
    return {"n": ctx.payload["n"]}


_RETRY = stored.keep("subscription.delivery_retry", reason="connect")


@handler("test.flaky")
async def _flaky(ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt < 2:
        raise TransientJobError(_RETRY)
    return {"attempt": ctx.attempt}


@handler("test.bad")
async def _bad(ctx: JobContext) -> None:
    raise PermanentJobError("bad input")


async def test_job_runs_and_records_result(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as s:
        job = await job_service.enqueue(s, kind="test.echo", payload={"n": 7})
        await s.commit()
    worker = Worker(settings, sessionmaker)
    assert await worker.run_until_done(job.id) == "succeeded"
    async with sessionmaker() as s:
        done = await job_service.get_job(s, job_id=job.id)
    assert done is not None
    assert done.result == {"n": 7}
    assert done.progress == {"done": 1}


async def test_retry_then_success(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as s:
        job = await job_service.enqueue(s, kind="test.flaky", payload={})
        await s.commit()
    worker = Worker(settings, sessionmaker)
    assert await worker.run_one(only_id=job.id)
    async with sessionmaker() as s:
        after_first = await job_service.get_job(s, job_id=job.id)
        assert after_first is not None
        assert after_first.state == "queued"
        assert after_first.error == _RETRY  # a job error's stored message is kept as raised
        # skip the back-off wait
        after_first.run_after = after_first.created_at
        await s.commit()
    assert await worker.run_until_done(job.id) == "succeeded"


async def test_permanent_error_fails_at_once(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as s:
        job = await job_service.enqueue(s, kind="test.bad", payload={})
        await s.commit()
    assert await Worker(settings, sessionmaker).run_until_done(job.id) == "failed"


async def test_queue_key_runs_in_order(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seen.clear()
    async with sessionmaker() as s:
        ids = [
            (await job_service.enqueue(s, kind="test.echo", payload={"n": n}, queue_key="sub-1")).id
            for n in range(3)
        ]
        await s.commit()
    async with sessionmaker() as s:
        # only the oldest of a key is claimable while it is queued
        claimed = await job_service.claim_next(s, worker_id="w", only_id=ids[1])
        assert claimed is None
        await s.rollback()
    worker = Worker(settings, sessionmaker)
    while await worker.run_one():
        pass
    assert [n for kind, n in seen if kind == "echo"] == [0, 1, 2]


async def test_stale_running_job_is_requeued(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as s:
        job = await job_service.enqueue(s, kind="test.echo", payload={"n": 1})
        await s.commit()
    async with sessionmaker() as s:
        claimed = await job_service.claim_next(s, worker_id="dead-worker")
        assert claimed is not None
        claimed.heartbeat_at = claimed.created_at.replace(year=2000)
        await s.commit()
    assert await Worker(settings, sessionmaker).run_until_done(job.id) == "succeeded"
    assert "test.echo" in HANDLERS


async def test_run_until_done_runs_an_older_job_of_its_key_left_by_a_dead_worker(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seen.clear()
    async with sessionmaker() as s:
        orphan = await job_service.enqueue(s, kind="test.echo", payload={"n": 1}, queue_key="import")
        await s.commit()
    async with sessionmaker() as s:
        claimed = await job_service.claim_next(s, worker_id="killed-cli", only_id=orphan.id)
        assert claimed is not None
        claimed.heartbeat_at = claimed.created_at.replace(year=2000)
        await s.commit()
    async with sessionmaker() as s:
        mine = await job_service.enqueue(s, kind="test.echo", payload={"n": 2}, queue_key="import")
        await s.commit()
    assert await Worker(settings, sessionmaker).run_until_done(mine.id) == "succeeded"
    assert [n for kind, n in seen if kind == "echo"] == [1, 2]
