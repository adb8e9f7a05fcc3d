"""The migrations build exactly the models' schema, and they round-trip."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from interop.db import migrate
from interop.db.embedded import EmbeddedServer
from interop.models import metadata


async def _fresh(server: EmbeddedServer, name: str) -> str:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


async def _diff(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(ctx, metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


def test_migrations_equal_models(pg_server: EmbeddedServer) -> None:
    url = asyncio.run(_fresh(pg_server, "schema_check"))
    migrate.upgrade(url)
    diff = asyncio.run(_diff(url))
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_and_upgrade_round_trip(pg_server: EmbeddedServer) -> None:
    url = asyncio.run(_fresh(pg_server, "round_trip"))
    migrate.upgrade(url)
    at_head = asyncio.run(_tables(url))
    assert "job" in at_head
    migrate.downgrade(url, "base")
    assert asyncio.run(_tables(url)) <= {"alembic_version"}
    migrate.upgrade(url)
    assert asyncio.run(_tables(url)) == at_head
    assert asyncio.run(_diff(url)) == []
