"""A ready database for the CLI and the server: embedded or DATABASE_URL, reachable, migrated to head."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db import migrate
from interop.db.embedded import EmbeddedServer, EmbeddedServerError, start_embedded
from interop.db.engine import asyncpg_dsn, create_engine, create_sessionmaker


class DatabaseUnavailable(RuntimeError):
    """One line saying why the database cannot be used."""


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


async def resolve_url(settings: Settings) -> tuple[str, EmbeddedServer | None]:
    """The URL to use, starting the embedded server when no DATABASE_URL is set."""
    if settings.database_url:
        url = settings.database_url
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        try:
            conn = await asyncpg.connect(asyncpg_dsn(url), timeout=settings.db_connect_timeout_s)
            await conn.close()
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise DatabaseUnavailable(
                f"cannot reach the database at DATABASE_URL: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}"
            ) from exc
        return url, None
    try:
        server = await start_embedded(settings.resolved_data_dir)
    except EmbeddedServerError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    return server.url(), server


def prepare(settings: Settings, *, migrate_db: bool = True) -> tuple[str, EmbeddedServer | None]:
    """Blocking: resolve the URL and migrate to head. The caller stops the returned server when done."""
    url, server = asyncio.run(resolve_url(settings))
    if not migrate_db:
        return url, server
    try:
        migrate.upgrade(url)
    except Exception as exc:
        if server is not None:
            server.stop()
        raise DatabaseUnavailable(
            f"migrations failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        ) from exc
    return url, server


@asynccontextmanager
async def open_database(settings: Settings, url: str) -> AsyncIterator[Database]:
    engine = create_engine(settings, url)
    try:
        yield Database(url=url, engine=engine, sessionmaker=create_sessionmaker(engine))
    finally:
        await engine.dispose()
