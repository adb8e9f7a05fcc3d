"""The default flow as an operator runs it: ``interop serve`` on a fresh data folder creates ``admin`` once
and prints how to get a token; the printed secret and ``interop token`` both give working tokens."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from interop.config import Settings
from interop.main import create_app

INTEROP = [sys.executable, "-m", "interop.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _guarded_get_route() -> str:
    """Any GET route without path parameters that declares a policy (taken from the app's own table)."""
    from fastapi.routing import iter_route_contexts

    from interop.api.policy import POLICY_ATTR

    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        simple_get = "GET" in (route.methods or ()) and "{" not in (route.path or "{")
        if (
            simple_get
            and dependant is not None
            and any(hasattr(d.call, POLICY_ATTR) for d in dependant.dependencies)
        ):
            return str(route.path)
    raise AssertionError("no guarded GET route")


def _serve(env: dict[str, str], port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*INTEROP, "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc, log.read_text()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("serve did not become ready")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _flow(database_url: str, data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
    env.update({"DATABASE_URL": database_url, "INTEROP_DATA_DIR": str(data)})
    port = _free_port()
    route = _guarded_get_route()
    proc, first = _serve(env, port, data.parent / "serve-1.log")
    try:
        # Not a terminal: the secret goes to a 0600 file in the data folder, never to the log.
        secret_file = data.resolve() / "admin-secret"
        assert str(secret_file) in first, first[-2000:]
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        written = secret_file.read_text()
        secret = written.splitlines()[0].strip()
        assert secret not in first
        base = f"http://127.0.0.1:{port}"
        assert f"curl -s -u 'admin:{secret}' -d grant_type=client_credentials {base}/auth/token" in written
        issued = httpx.post(
            f"{base}/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("admin", secret),
            timeout=10,
        )
        assert issued.status_code == 200, issued.text
        by_cli = subprocess.run(
            [*INTEROP, "token", "--client", "admin"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        cli_token = by_cli.stdout.strip().splitlines()[-1]
        for token in (issued.json()["access_token"], cli_token):
            response = httpx.get(f"{base}{route}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert response.status_code not in (401, 403), (route, response.status_code)
        assert httpx.get(f"{base}{route}", timeout=10).status_code == 401
    finally:
        _stop(proc)
    proc, second = _serve(env, _free_port(), data.parent / "serve-2.log")
    _stop(proc)
    assert "created the API client" not in second


async def test_serve_bootstraps_admin_once_and_its_tokens_work(database_url: str, tmp_path: Path) -> None:
    await asyncio.to_thread(_flow, database_url, tmp_path / "data")
