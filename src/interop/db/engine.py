"""Engines and session makers, born where they are used (lifespan, worker, CLI)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from interop.config import Settings


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        # JSONB columns (snapshots, FHIR fragments) are read on every page: orjson is ~5x the stdlib.
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "server_settings": {"application_name": "interop", "timezone": "UTC"},
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def asyncpg_dsn(url: str) -> str:
    """The same URL for asyncpg itself (COPY and LISTEN need the raw driver)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
