"""`interop serve` as an operator runs it: a real process, a real port, embedded or external PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from interop.db.embedded import EmbeddedServer

INTEROP = [sys.executable, "-m", "interop.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
    env["INTEROP_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"serve exited early with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''!r}"
            )
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("serve did not become ready")


@pytest.fixture
def serve_process() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _start(
    port: int, env: dict[str, str], procs: list[subprocess.Popen[bytes]], *args: str
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*INTEROP, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    procs.append(proc)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def _postmaster_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_embedded_default_then_reuse(
    tmp_path: Path, serve_process: list[subprocess.Popen[bytes]]
) -> None:
    data = tmp_path / "data"
    port = _free_port()
    proc = _start(port, _env(data), serve_process)
    _wait_ready(port, proc)
    metadata = httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=5)
    assert metadata.status_code == 200
    CapabilityStatement.model_validate(metadata.json())
    jwks_first = httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=5)
    assert _stop(proc) == 0
    assert not _postmaster_running(data / "pgdata"), "embedded PostgreSQL left running after SIGTERM"
    stamp = (data / "pgdata" / "PG_VERSION").stat().st_mtime

    proc = _start(port, _env(data), serve_process)
    _wait_ready(port, proc)
    assert (data / "pgdata" / "PG_VERSION").stat().st_mtime == stamp, "the cluster was re-created"
    if jwks_first.status_code == 200:
        again = httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=5)
        assert again.json() == jwks_first.json(), "signing keys were not reused"
    assert _stop(proc) == 0


def test_serve_with_database_url(
    tmp_path: Path, pg_server: EmbeddedServer, serve_process: list[subprocess.Popen[bytes]]
) -> None:
    async def fresh() -> str:
        conn = await asyncpg.connect(pg_server.url("postgres").replace("+asyncpg", ""))
        await conn.execute('DROP DATABASE IF EXISTS "serve_ext" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "serve_ext"')
        await conn.close()
        return pg_server.url("serve_ext")

    url = asyncio.run(fresh())
    port = _free_port()
    data = tmp_path / "data"
    proc = _start(port, _env(data, url), serve_process)
    ready = _wait_ready(port, proc)
    assert ready.json()["status"] == "ready"
    assert not (data / "pgdata").exists(), "an embedded server was started despite DATABASE_URL"
    assert httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=5).status_code == 200
    assert _stop(proc) == 0


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(x) for x in path.read_text().split()} if path.exists() else set()


def _is_live_worker(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z" and "postgres" not in Path(f"/proc/{pid}/cmdline").read_text()
    except (FileNotFoundError, IndexError):
        return False


def _worker_pids(pid: int, expected: int, timeout: float = 60, without: int = 0) -> set[int]:
    """The serve process's uvicorn workers (the embedded postmaster is also its child, so skip it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = {c for c in _children(pid) if _is_live_worker(c)}
        if len(workers) == expected and without not in workers:
            return workers
        time.sleep(0.3)
    raise AssertionError(f"expected {expected} workers, saw {_children(pid)}")


def test_serve_with_several_workers(tmp_path: Path, serve_process: list[subprocess.Popen[bytes]]) -> None:
    data = tmp_path / "data"
    port = _free_port()
    proc = _start(port, _env(data), serve_process, "--workers", "2")
    _wait_ready(port, proc)
    workers = _worker_pids(proc.pid, 2)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        # Fresh connections land on either worker; the counters are the sum over both processes.
        for _ in range(20):
            assert http.get("/healthz", headers={"Connection": "close"}).status_code == 200
        text = http.get("/metrics").text
        line = next(
            x for x in text.splitlines() if x.startswith("interop_http_requests_total{") and "/healthz" in x
        )
        assert float(line.rsplit(" ", 1)[1]) >= 20
        assert "interop_audit_chain_length" in text
        keys = http.get("/.well-known/jwks.json").json()["keys"]
        assert all(
            http.get("/.well-known/jwks.json", headers={"Connection": "close"}).json()["keys"] == keys
            for _ in range(6)
        ), "workers serve different signing keys"

        # A worker that dies is replaced, and the service keeps answering.
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced = _worker_pids(proc.pid, 2, without=victim)
        _wait_ready(port, proc)

    assert _stop(proc) == 0
    assert not _postmaster_running(data / "pgdata"), "embedded PostgreSQL left running after SIGTERM"
    assert not any(Path(f"/proc/{pid}").exists() for pid in replaced), "a worker outlived the supervisor"


def test_workers_end_when_the_supervisor_is_killed(
    tmp_path: Path, serve_process: list[subprocess.Popen[bytes]]
) -> None:
    data = tmp_path / "data"
    port = _free_port()
    proc = _start(port, _env(data), serve_process, "--workers", "2")
    _wait_ready(port, proc)
    workers = _worker_pids(proc.pid, 2)
    try:
        proc.kill()  # no chance to stop anything: the kernel must end the workers
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(_is_live_worker(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_is_live_worker(pid) for pid in workers), "workers outlived a killed supervisor"
    finally:
        pid_file = data / "pgdata" / "postmaster.pid"
        if pid_file.exists():  # the orphaned embedded server: stop it fast
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGQUIT)


def _run_failing(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INTEROP, "serve", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_port_taken_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _run_failing(_env(tmp_path / "d"), "--port", str(port))
    assert result.returncode != 0
    assert "ya está en uso" in result.stderr  # es-MX unless INTEROP_LANGUAGE says otherwise
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_line_speaks_english_when_asked(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _run_failing({**_env(tmp_path / "d"), "INTEROP_LANGUAGE": "en"}, "--port", str(port))
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "ya está en uso" not in result.stderr


def test_unwritable_data_folder_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run_failing(_env(blocker / "data"), "--port", str(_free_port()))
    assert result.returncode != 0
    assert "data folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "d", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    result = _run_failing(env, "--port", str(_free_port()))
    assert result.returncode != 0
    assert "cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
