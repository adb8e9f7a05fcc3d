"""`interop backup` / `interop restore` round-trip the database, audit protections included."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from interop.db.embedded import EmbeddedServer

INTEROP = [sys.executable, "-m", "interop.cli"]


async def _sql(url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


def test_backup_then_restore_into_an_empty_database(
    pg_server: EmbeddedServer, database_url: str, tmp_path: Path
) -> None:
    asyncio.run(_sql(database_url, "INSERT INTO job (kind, payload) VALUES ('backup.probe', '{\"n\": 42}')"))
    env = {k: v for k, v in os.environ.items() if k != "INTEROP_DATABASE_URL"}
    env["DATABASE_URL"] = database_url
    dump = tmp_path / "interop.dump"
    made = subprocess.run(
        [*INTEROP, "backup", "--out", str(dump)], env=env, capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 0

    asyncio.run(_sql(pg_server.url("postgres"), 'DROP DATABASE IF EXISTS "restored" WITH (FORCE)'))
    asyncio.run(_sql(pg_server.url("postgres"), 'CREATE DATABASE "restored"'))
    env["DATABASE_URL"] = pg_server.url("restored")
    restored = subprocess.run(
        [*INTEROP, "restore", str(dump)], env=env, capture_output=True, text=True, check=False
    )
    assert restored.returncode == 0, restored.stderr
    rows = asyncio.run(_sql(pg_server.url("restored"), "SELECT payload FROM job WHERE kind = 'backup.probe'"))
    assert len(rows) == 1
    tables_before = asyncio.run(
        _sql(database_url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname='public'")
    )
    tables_after = asyncio.run(
        _sql(pg_server.url("restored"), "SELECT count(*) AS n FROM pg_tables WHERE schemaname='public'")
    )
    assert tables_before[0]["n"] == tables_after[0]["n"]
    triggers_before = asyncio.run(
        _sql(database_url, "SELECT count(*) AS n FROM pg_trigger WHERE NOT tgisinternal")
    )
    triggers_after = asyncio.run(
        _sql(pg_server.url("restored"), "SELECT count(*) AS n FROM pg_trigger WHERE NOT tgisinternal")
    )
    assert triggers_before[0]["n"] == triggers_after[0]["n"]


def test_restore_of_a_missing_file_is_a_clear_error(database_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "INTEROP_DATABASE_URL"}
    env["DATABASE_URL"] = database_url
    result = subprocess.run(
        [*INTEROP, "restore", str(tmp_path / "nope.dump")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no existe el archivo de respaldo" in result.stderr
    assert "Traceback" not in result.stderr
