"""Scratch databases on the session's embedded server, for migration tests that need one of their own
(a database migrated to a chosen revision, filled by hand, migrated on)."""

from __future__ import annotations

from typing import Any

import asyncpg

from interop.db.embedded import EmbeddedServer


async def fresh_database(server: EmbeddedServer, name: str) -> str:
    """An empty database ``name`` (dropped first if a run left it), and its URL."""
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


async def execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()
