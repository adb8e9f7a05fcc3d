"""Alembic environment: async engine, every domain's tables as the target metadata.

``interop migrate`` passes the URL (and often a connection); run by hand (``alembic upgrade head`` beside
``alembic.ini``), the URL is the owner's from the settings (``INTEROP_DATABASE_OWNER_URL``, else
``DATABASE_URL``) unless ``-x url=…`` names one.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from interop.config import Settings
from interop.models import metadata

config = context.config


def _url() -> str:
    given = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if given:
        return given
    settings = Settings()
    return settings.database_owner_url or settings.database_url or ""


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=False,
        include_schemas=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
