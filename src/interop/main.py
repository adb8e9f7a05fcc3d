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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

import interop
from interop import composition, error_handlers
from interop.accounts import service as accounts_service
from interop.api import metrics, openapi_security, route_guard
from interop.api.middleware import RequestContextMiddleware
from interop.api.telemetry import setup_tracing
from interop.audit import sequencer as audit_sequencer
from interop.audit import service as audit_service
from interop.auth.dependencies import guard
from interop.auth.tokens import KeyRing
from interop.config import Settings
from interop.db.engine import create_engine, create_sessionmaker
from interop.db.outage import Outage, is_unreachable
from interop.fhir.interactions import FhirInteractions
from interop.job import service as job_service
from interop.job.worker import Worker
from interop.referral import service as referral_service
from interop.web.router import router as web_router

log = logging.getLogger(__name__)


async def _seed_escalation_sweep(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The job worker's self-renewing sweep of unanswered referrals starts with the first worker."""
    try:
        async with sessionmaker() as session:
            await referral_service.ensure_escalation_sweep(session)
            await session.commit()
    except Exception as exc:  # an unreachable database at start-up: the next start seeds it
        if not is_unreachable(exc):
            raise
        log.warning("escalation sweep not queued: database unreachable")


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
        # Statements outside any transaction (no BEGIN/COMMIT round trips), for routes that read one
        # statement and write nothing (interop.api.deps.ReadingSessionDep).
        app.state.reading_sessionmaker = create_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        # ``Patient/$match``'s connections (interop.api.deps.LookupSessionDep): autocommit, and planning each
        # prepared statement generically from connect on, which spares a call its BEGIN and its
        # ``SET LOCAL plan_cache_mode`` round trips. A pool of its own, as large as the main one ($match
        # could use all of that before): a connection of the main pool must keep planning with the values
        # (a visit's partial indexes). At peak a process may hold twice as many connections as before.
        lookup_engine = create_engine(settings, settings.database_url, generic_plans=True)
        app.state.lookup_engine = lookup_engine
        app.state.lookup_sessionmaker = create_sessionmaker(
            lookup_engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        app.state.keyring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")
        audit_service.configure(settings)  # checkpoint signing key and interval for this process
        # This process's view of the database: the job worker, /readyz and the metrics scrape report to it,
        # so an outage logs once (lost, still lost every minute, back) and is measured for /metrics.
        outage = Outage(first_delay_s=settings.worker_poll_interval_s, max_delay_s=settings.db_retry_max_s)
        app.state.db_outage = outage

        async def render_metrics() -> bytes:
            pool = engine.pool
            if isinstance(pool, QueuePool):
                for state, value in (("checked_out", pool.checkedout()), ("idle", pool.checkedin())):
                    metrics.DB_POOL.labels(state).set(value)
            try:
                async with sessionmaker() as session:
                    queue = await job_service.queue_stats(session)
                    chain_length = await audit_service.chain_length(session)
                    failed = await referral_service.count_failed_notifications(session)
                    referral_lists = await referral_service.list_counts(session)
                    progress = await job_service.running_progress(session)
                    merge_delay = await audit_sequencer.pending_age_seconds(session)
            except Exception as exc:
                if not is_unreachable(exc):
                    raise
                outage.failed(exc)
                return metrics.render(db_unreachable_s=outage.down_for())
            outage.succeeded()
            return metrics.render(
                queue=queue,
                chain_length=chain_length,
                failed_notifications=failed,
                progress=progress,
                audit_merge_delay=merge_delay,
                audit_max_merge_delay=settings.audit_max_merge_delay_s,
                referral_lists=referral_lists,
            )

        app.state.render_metrics = render_metrics
        stop = asyncio.Event()
        worker_task: asyncio.Task[None] | None = None
        if settings.run_worker:
            await _seed_escalation_sweep(sessionmaker)
            worker = Worker(settings, sessionmaker, outage=outage)
            app.state.worker = worker
            worker_task = asyncio.create_task(worker.run_forever(stop), name="interop-worker")
        await asyncio.to_thread(referral_service.load_code_catalogues)  # the CIE-10 list, before the freeze
        await asyncio.to_thread(accounts_service.prepare_sign_in)
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
            await lookup_engine.dispose()
            await engine.dispose()

    app = FastAPI(
        title="interop",
        version=interop.__version__,
        summary="Pensiones para el Bienestar ↔ IMSS-Bienestar: identity, referrals, audit.",
        lifespan=lifespan,
    )
    error_handlers.install(app)
    app.state.policy_guard = guard  # what every route's ``require`` asks (interop.api.policy)
    composition.include(app)
    route_guard.include(app.router, web_router)  # /app: pages for people (interop.web)
    openapi_security.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    app.add_middleware(FhirInteractions)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.upload_max_bytes,
    )
    app.state.span_exporter = setup_tracing(app, settings)
    return app
