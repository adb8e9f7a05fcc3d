"""Engines and session makers, born where they are used (lifespan, worker, CLI)."""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from interop.config import Settings


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# A pooled connection idle this long is pinged before use (a firewall or an idle timeout may have cut it
# without a word); one used more recently is trusted unless its socket is already known closed.
PING_AFTER_IDLE_S = 30.0
_IDLE_SINCE = "interop.idle_since"


def _mark_idle(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """A new or returned connection is idle from now (``_on_checkout`` reads it)."""
    record.info[_IDLE_SINCE] = time.monotonic()


def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """What ``pool_pre_ping`` did, without its three round trips (``BEGIN``, ``;``, ``ROLLBACK``) on every
    checkout. A server that restarted or ended the backend closed the socket, and asyncpg has seen it
    (``is_closed``, no round trip); a connection idle for ``PING_AFTER_IDLE_S`` is pinged. Either way a
    ``DisconnectionError`` makes the pool replace the connection and retry, as the pre-ping did."""
    driver = dbapi_connection.driver_connection
    if driver is None or driver.is_closed():
        raise DisconnectionError("the database closed this connection")
    if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) >= PING_AFTER_IDLE_S:
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the connection did not answer a ping") from exc


# Set at connect on the lookup engine's connections (``create_engine(generic_plans=True)``).
GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}


def create_engine(settings: Settings, url: str, *, generic_plans: bool = False) -> AsyncEngine:
    """The app's engine. ``generic_plans``: every connection plans each prepared statement once,
    without its values (``plan_cache_mode = force_generic_plan`` from connect on): only for readers
    whose every statement is an index lookup on its generic plan (``api.deps.LookupSessionDep``)."""
    server_settings = {"application_name": "interop", "timezone": "UTC"}
    if generic_plans:
        server_settings.update(GENERIC_PLANS)
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # The checks below replace ``pool_pre_ping`` (three round trips per request, 3 of 11 on $match).
        pool_pre_ping=False,
        # JSONB columns (snapshots, FHIR fragments) are read on every page: orjson is ~5x the stdlib.
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "server_settings": server_settings,
        },
    )
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", _mark_idle)
    event.listen(pool, "checkin", _mark_idle)
    event.listen(pool, "checkout", _on_checkout)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def asyncpg_dsn(url: str) -> str:
    """The same URL for asyncpg itself (COPY and LISTEN need the raw driver)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
