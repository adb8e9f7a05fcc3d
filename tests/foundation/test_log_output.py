"""``interop serve`` writes short lines for a person at a terminal and JSON lines for a pipe, with the
embedded servers' start-up chatter only at debug level; the formatters themselves keep to their shape."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from interop.api.logs import ChatterFilter, HumanFormatter, JsonFormatter, resolve_format

INTEROP = [sys.executable, "-m", "interop.cli"]
CHATTER = ("Started server process", "Waiting for application startup", "Context impl", "Uvicorn running")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
    env.update(INTEROP_DATA_DIR=str(data_dir), INTEROP_EMBEDDED_ALLOW_UNSAFE="true", **extra)
    env.pop("XDG_RUNTIME_DIR", None)  # the warning a fresh container shows must not appear either
    return env


def _serve_and_stop(
    data_dir: Path, stderr_fd: int, read: Callable[[float], str], **extra: str
) -> tuple[int, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [*INTEROP, "serve", "--port", str(port), "--no-worker"],
        env=_env(data_dir, **extra),
        stdin=subprocess.DEVNULL,
        stdout=stderr_fd,
        stderr=stderr_fd,
    )
    out = ""
    try:
        deadline = time.monotonic() + 90
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            out += read(0.3)
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                ready = False
            if ready:
                break
        assert ready, f"serve did not become ready: {out}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return port, out + read(0.5)


def test_serve_on_a_terminal_prints_short_lines_and_on_a_pipe_json(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    leader, follower = pty.openpty()

    def read_pty(wait: float) -> str:
        chunks = []
        while select.select([leader], [], [], wait)[0]:
            try:
                chunks.append(os.read(leader, 65536).decode(errors="replace"))
            except OSError:
                break
            wait = 0.05
        return "".join(chunks)

    port, terminal = _serve_and_stop(data_dir, follower, read_pty)
    os.close(follower)
    os.close(leader)
    lines = [line for line in terminal.replace("\r", "").splitlines() if line.strip()]
    assert any("INFO  embedded postgres ready" in line for line in lines), terminal
    assert not any(line.lstrip().startswith("{") for line in lines), terminal
    for noise in (*CHATTER, "RuntimeDirWarning", "XDG_RUNTIME_DIR"):
        assert noise not in terminal, (noise, terminal)
    # The "listening on" line and the admin bootstrap's curl line name the port actually used.
    assert f"interop escucha en http://127.0.0.1:{port} (datos en {data_dir})" in terminal
    assert f"http://127.0.0.1:{port}/auth/token" in terminal

    log_file = tmp_path / "pipe.log"
    with log_file.open("wb") as fh:
        port, _ = _serve_and_stop(data_dir, fh.fileno(), lambda wait: (time.sleep(wait), "")[1])
    piped = log_file.read_text()
    assert f"interop escucha en http://127.0.0.1:{port}" in piped
    records = [json.loads(line) for line in piped.splitlines() if line.startswith("{")]
    assert any(r["msg"] == "embedded postgres ready" and r["level"] == "info" for r in records), piped
    for noise in (*CHATTER, "XDG_RUNTIME_DIR"):
        assert noise not in piped, (noise, piped)

    # Asked for, debug brings the chatter back (as debug records).
    log_file.write_text("")
    with log_file.open("wb") as fh:
        _serve_and_stop(
            data_dir, fh.fileno(), lambda wait: (time.sleep(wait), "")[1], INTEROP_LOG_LEVEL="DEBUG"
        )
    debug = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    assert any(r["msg"].startswith("Started server process") and r["level"] == "debug" for r in debug)


def test_formatters_and_format_choice() -> None:
    record = logging.LogRecord("interop.job.worker", logging.WARNING, __file__, 1, "job failed", None, None)
    record.job_id = 7
    record.kind = "import.run"
    human = HumanFormatter().format(record)
    assert human.endswith("WARN  job failed  job_id=7 kind=import.run"), human
    assert json.loads(JsonFormatter().format(record))["job_id"] == 7

    chatter = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started server process [1]", None, None
    )
    assert ChatterFilter(logging.INFO).filter(chatter) is False
    assert chatter.levelname == "DEBUG"
    other = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Shutting down", None, None)
    assert ChatterFilter(logging.INFO).filter(other) is True

    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("human", io.StringIO()) == "human"
