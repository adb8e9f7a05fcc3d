"""The migrations build exactly the models' schema, and they round-trip."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.ext.asyncio import create_async_engine
from tests.scratch_databases import fresh_database as _fresh

from interop.db import migrate
from interop.db.embedded import EmbeddedServer
from interop.models import metadata

# Alembic compares an index on an expression by its text, which PostgreSQL rewrites: those are
# compared by their definitions as PostgreSQL stores them instead (test_expression_indexes_...).
_EXPRESSION_INDEXES = {
    str(index.name)
    for table in metadata.tables.values()
    for index in table.indexes
    if any(not isinstance(e, Column) for e in index.expressions)
}


def _compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in _EXPRESSION_INDEXES)


async def _diff(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                ctx = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": _compared}
                )
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


async def _index_definitions(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        return {r["indexname"]: r["indexdef"] for r in rows}
    finally:
        await conn.close()


async def _create_all(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def test_expression_indexes_equal_models(pg_server: EmbeddedServer) -> None:
    assert _EXPRESSION_INDEXES, "no index on an expression: this test checks nothing"
    migrated_url = asyncio.run(_fresh(pg_server, "expression_migrated"))
    migrate.upgrade(migrated_url)
    created_url = asyncio.run(_fresh(pg_server, "expression_created"))
    asyncio.run(_create_all(created_url))
    migrated = asyncio.run(_index_definitions(migrated_url))
    created = asyncio.run(_index_definitions(created_url))
    assert {n: migrated.get(n) for n in _EXPRESSION_INDEXES} == {n: created[n] for n in _EXPRESSION_INDEXES}


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
