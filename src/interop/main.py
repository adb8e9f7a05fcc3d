"""App factory and lifespan. Engines, keys and the job worker are born here, never at import."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import interop
from interop.api import errors, metrics
from interop.api.middleware import RequestContextMiddleware
from interop.api.router import router
from interop.api.telemetry import setup_tracing
from interop.audit import service as audit_service
from interop.auth.tokens import KeyRing
from interop.config import Settings
from interop.db.engine import create_engine, create_sessionmaker
from interop.job import service as job_service
from interop.job.worker import Worker
from interop.referral import service as referral_service

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise RuntimeError(
                "create_app needs settings.database_url; `interop serve` provides the embedded one"
            )
        engine = create_engine(settings, settings.database_url)
        sessionmaker = create_sessionmaker(engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.keyring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")
        audit_service.configure(settings)  # checkpoint signing key and interval for this process

        async def refresh_metrics() -> None:
            async with sessionmaker() as session:
                metrics.JOBS.clear()
                metrics.JOB_AGE.clear()
                for kind, state, count, age in await job_service.queue_stats(session):
                    metrics.JOBS.labels(kind, state).set(count)
                    metrics.JOB_AGE.labels(kind, state).set(age)
                metrics.AUDIT_CHAIN_LENGTH.set(await audit_service.chain_length(session))
                metrics.NOTIFICATION_FAILURES.set(await referral_service.count_failed_notifications(session))
                metrics.JOB_PROGRESS.clear()
                for kind, job_id, progress in await job_service.running_progress(session):
                    for measure, value in progress.items():
                        if isinstance(value, int | float) and not isinstance(value, bool):
                            metrics.JOB_PROGRESS.labels(kind, str(job_id), measure).set(value)

        app.state.refresh_metrics = refresh_metrics
        stop = asyncio.Event()
        worker_task: asyncio.Task[None] | None = None
        if settings.run_worker:
            worker = Worker(settings, sessionmaker)
            app.state.worker = worker
            worker_task = asyncio.create_task(worker.run_forever(stop), name="interop-worker")
        # What is loaded by now (FastAPI, SQLAlchemy, Splink, DuckDB) lives as long as the process; out of
        # the collector's reach, full collections stop pausing requests (~10 ms per 100-resource page).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            stop.set()
            if worker_task is not None:
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
            await engine.dispose()

    app = FastAPI(
        title="interop",
        version=interop.__version__,
        summary="Pensiones para el Bienestar ↔ IMSS-Bienestar: identity, referrals, audit.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.state.span_exporter = setup_tracing(app, settings)
    return app
