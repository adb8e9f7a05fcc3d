"""Runs queued jobs: in the API process (lifespan) and inline from the CLI.

A handler owns its transactions (it commits per batch through ``ctx.sessionmaker``) and must be resumable:
after a crash the job is requeued once its heartbeat goes stale, and runs again from the start of its
handler, which picks up from what it had committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import sequencer as audit_sequencer
from interop.audit import service as audit_service
from interop.config import Settings
from interop.db.outage import Outage, is_unreachable
from interop.job import service as job_service
from interop.job.failures import PermanentJobError, TransientJobError, is_transient, kept
from interop.messages import stored

__all__ = ["HANDLERS", "JobContext", "PermanentJobError", "TransientJobError", "Worker", "handler"]

log = logging.getLogger(__name__)

# Domains register handlers in these modules; imported by name so this package depends on no domain.
TASK_MODULES = (
    "interop.ingest.tasks",
    "interop.matching.tasks",
    "interop.referral.tasks",
    # Renders the Bundle referral.tasks posts: the referral domain speaks no FHIR.
    "interop.fhir.subscription_resources",
)


def _own_file_error(exc: BaseException) -> bool:
    """An OSError a handler met in a file of its own (an upload gone), which says nothing about the database
    (whose missing socket also raises FileNotFoundError, but names no file)."""
    return isinstance(exc, OSError) and exc.filename is not None


@dataclass
class JobContext:
    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    trace_id: str | None
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    _progress: dict[str, Any] = field(default_factory=dict)

    async def report(self, **progress: Any) -> None:
        """Store progress (and a heartbeat) in its own short transaction."""
        self._progress.update(progress)
        async with self.sessionmaker() as session:
            await job_service.heartbeat(session, job_id=self.job_id, progress=dict(self._progress))
            await session.commit()


Handler = Callable[[JobContext], Awaitable[dict[str, Any] | None]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    for name in TASK_MODULES:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(name)
    return HANDLERS


class Worker:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        outage: Outage | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        # While the database is away the loop waits longer and longer (up to db_retry_max_s) and logs only
        # when that changes: lost, still lost (every minute), back.
        self.outage = outage or Outage(
            what="database (job worker)",
            first_delay_s=settings.worker_poll_interval_s,
            max_delay_s=settings.db_retry_max_s,
        )
        self._interrupted = False  # an outage may have left a job of ours marked running
        load_handlers()

    async def run_one(self, *, only_id: int | None = None, only_key: str | None = None) -> bool:
        """Claim and run one job; False when nothing was runnable."""
        async with self.sessionmaker() as session:
            await job_service.requeue_stale(session, stale_after_s=self.settings.job_stale_after_s)
            job = await job_service.claim_next(
                session, worker_id=self.worker_id, only_id=only_id, only_key=only_key
            )
            await session.commit()
        if job is None:
            return False
        ctx = JobContext(
            job_id=job.id,
            kind=job.kind,
            payload=dict(job.payload),
            attempt=job.attempts,
            trace_id=job.trace_id,
            settings=self.settings,
            sessionmaker=self.sessionmaker,
            _progress=dict(job.progress or {}),
        )
        fn = HANDLERS.get(job.kind)
        beat = asyncio.create_task(self._beat(job.id))
        try:
            if fn is None:
                raise PermanentJobError(stored.keep("job.no_handler", kind=job.kind))
            result = await fn(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_unreachable(exc) and not _own_file_error(exc):
                # Not the job's fault and nothing can be recorded now: the loop waits for the database,
                # then requeues the job (release_own), which resumes from what it had committed.
                raise
            # Only a failure that may pass by itself is retried (job.failures); bad data or a bug fails once.
            retryable = is_transient(exc)
            log.warning(
                "job failed",
                extra={"job_id": job.id, "kind": job.kind, "error": type(exc).__name__, "retry": retryable},
            )
            log.debug("job traceback", extra={"trace": traceback.format_exc()})
            async with self.sessionmaker() as session:
                await job_service.fail(session, job_id=job.id, error=kept(exc), retryable=retryable)
                await session.commit()
        else:
            async with self.sessionmaker() as session:
                await job_service.complete(session, job_id=job.id, result=result)
                await session.commit()
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        return True

    async def _beat(self, job_id: int) -> None:
        interval = max(self.settings.job_stale_after_s / 4, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.sessionmaker() as session:
                    await job_service.heartbeat(session, job_id=job_id)
                    await session.commit()
            except Exception as exc:  # the database may be briefly away; the next beat retries
                if is_unreachable(exc):
                    self.outage.failed(exc)
                else:
                    log.warning("job heartbeat failed", extra={"job_id": job_id, "error": type(exc).__name__})

    async def release_own(self) -> int:
        """Requeue the jobs this worker had claimed and is no longer running (a database outage interrupted
        them), so they resume now rather than after their heartbeat goes stale."""
        async with self.sessionmaker() as session:
            released = await job_service.release_worker(session, worker_id=self.worker_id)
            await session.commit()
        if released:
            log.info("jobs requeued after a database outage", extra={"jobs": released})
        return released

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run jobs until ``stop``; beside them, the audit sequencer (one step at a time across all
        workers: its own advisory lock)."""
        sequencing = asyncio.create_task(self._sequence_audit(stop), name="interop-audit-sequencer")
        try:
            await self._run_jobs(stop)
        finally:
            sequencing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sequencing

    async def _sequence_audit(self, stop: asyncio.Event) -> None:
        signer = audit_service.configure(self.settings)
        await audit_sequencer.run(
            self.sessionmaker,
            signer=signer,
            origin=self.settings.audit_log_origin,
            max_merge_delay_s=self.settings.audit_max_merge_delay_s,
            stop=stop,
            outage_wait=self._outage_wait,
        )

    def _outage_wait(self, exc: Exception) -> float | None:
        """How long the sequencer waits when the database is unreachable (None: not an outage)."""
        return self.outage.failed(exc) if is_unreachable(exc) else None

    async def _run_jobs(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = self.settings.worker_poll_interval_s
            try:
                if self._interrupted:  # (the shared tracker may already say "back": requests saw it first)
                    await self.release_own()
                    self._interrupted = False
                ran = await self.run_one()
                self.outage.succeeded()
            except Exception as exc:
                if is_unreachable(exc):
                    self._interrupted = True  # a job may have been cut off (or not marked done)
                    wait = self.outage.failed(exc)
                else:
                    log.exception("worker loop error")
                    wait = max(wait, 1.0)
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)

    async def run_until_done(self, job_id: int) -> str:
        """Run ``job_id`` here (CLI), retrying after back-off, until it succeeds or fails for good."""
        while True:
            async with self.sessionmaker() as session:
                job = await job_service.get_job(session, job_id=job_id)
            assert job is not None
            if job.state in ("succeeded", "failed", "cancelled"):
                return job.state
            ran = await self.run_one(only_id=job_id)
            # An older job of the same queue key goes first (e.g. one a killed command left behind, requeued
            # once its heartbeat went stale): run it here rather than wait for a server that may not exist.
            if not ran and job.queue_key is not None:
                ran = await self.run_one(only_key=job.queue_key)
            if not ran:
                await asyncio.sleep(self.settings.worker_poll_interval_s)
