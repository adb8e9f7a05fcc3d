"""A ready database for the CLI and the server: embedded or DATABASE_URL, reachable, migrated to head."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.db import migrate, roles
from interop.db.embedded import EmbeddedServer, EmbeddedServerError, start_embedded
from interop.db.engine import asyncpg_dsn, create_engine, create_sessionmaker


class DatabaseUnavailable(RuntimeError):
    """One line saying why the database cannot be used."""


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


def _asyncpg_url(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+asyncpg://", 1) if url.startswith("postgresql://") else url
    )


async def resolve_url(settings: Settings) -> tuple[str, EmbeddedServer | None]:
    """The URL to use, starting the embedded server when no DATABASE_URL is set."""
    if settings.database_url:
        url = _asyncpg_url(settings.database_url)
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


def prepare(
    settings: Settings, *, migrate_db: bool = True, as_owner: bool = False
) -> tuple[str, EmbeddedServer | None]:
    """Blocking: resolve the URL and migrate to head (as the tables' owner). The URL returned is the
    application's login role (``interop.db.roles``), or the owner's with ``as_owner`` (backup, restore).
    The caller stops the returned server when done."""
    url, server = asyncio.run(resolve_url(settings))
    owner_url = _asyncpg_url(settings.database_owner_url) if settings.database_owner_url else url
    try:
        if migrate_db:
            try:
                migrate.upgrade(owner_url)
            except Exception as exc:
                raise DatabaseUnavailable(
                    f"migrations failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                ) from exc
        if as_owner:
            return owner_url, server
        if server is not None:
            url = asyncio.run(_embedded_app_url(owner_url, settings))
    except BaseException:
        if server is not None:
            server.stop()
        raise
    return url, server


async def _embedded_app_url(owner_url: str, settings: Settings) -> str:
    try:
        return await roles.embedded_app_url(owner_url, settings.resolved_data_dir)
    except (OSError, asyncpg.PostgresError) as exc:
        raise DatabaseUnavailable(
            f"the application's database role could not be prepared: {type(exc).__name__}"
        ) from exc


@asynccontextmanager
async def open_database(settings: Settings, url: str) -> AsyncIterator[Database]:
    engine = create_engine(settings, url)
    try:
        yield Database(url=url, engine=engine, sessionmaker=create_sessionmaker(engine))
    finally:
        await engine.dispose()
