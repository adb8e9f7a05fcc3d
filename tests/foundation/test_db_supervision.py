"""The embedded PostgreSQL under `interop serve` is supervised: killed with SIGKILL while visits are being
posted, it is started again on the same data folder, `/readyz` is 200 again within 30 s without anyone
doing anything, every acknowledged visit is still there, and posts resume. When it cannot be started
again, the service stops with a clear message and a non-zero exit."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

INTEROP = [sys.executable, "-m", "interop.cli"]
RECOVERY_LIMIT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
    env.update({"INTEROP_DATA_DIR": str(data_dir), "INTEROP_LOG_LEVEL": "WARNING", **extra})
    return env


UNITS_CSV = (
    "clues,nombre,entidad,municipio,localidad,nivel,latitud,longitud,estatus\n"
    "DFIMB000001,CENTRO DE SALUD CENTRO,DF,CUAUHTEMOC,CENTRO,1,19.4326,-99.1332,EN OPERACION\n"
)


class Served:
    def __init__(self, tmp_path: Path, *args: str, units: bool = False, **env: str) -> None:
        self.data = tmp_path / "data"
        if units:  # a unit to route visits to, imported the way an operator would, before serving
            (tmp_path / "units.csv").write_text(UNITS_CSV)
            subprocess.run(
                [*INTEROP, "import", "units", str(tmp_path / "units.csv")],
                env=_env(self.data),
                capture_output=True,
                timeout=300,
                check=True,
            )
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "serve.log"
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [*INTEROP, "serve", "--port", str(self.port), *args],
                env=_env(self.data, **env),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.stderr()[-2000:]}")
            if self.ready():
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"not ready within {timeout} s: {self.stderr()[-2000:]}")

    def token(self) -> str:
        # Not on a terminal, serve writes the admin secret to a 0600 file in the data folder.
        secret_file = self.data.resolve() / "admin-secret"
        assert secret_file.exists(), self.stderr()[-2000:]
        issued = httpx.post(
            f"{self.base}/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("admin", secret_file.read_text().splitlines()[0].strip()),
            timeout=10,
        )
        assert issued.status_code == 200, issued.text
        return str(issued.json()["access_token"])

    def postmaster(self) -> int:
        return int((self.data / "pgdata" / "postmaster.pid").read_text().split()[0])


@pytest.fixture
def workdir() -> Iterator[Path]:
    """Outside pytest's temporary root: other pytest sessions on the machine reset that root to 0700, which
    would lock the server's own system user (when run as root) out of its data folder mid-test."""
    root = Path(tempfile.mkdtemp(prefix="interop-sup-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for one in started:
        if one.proc.poll() is None:
            one.proc.send_signal(signal.SIGTERM)
            try:
                one.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                one.proc.kill()
                one.proc.wait()
        pid_file = one.data / "pgdata" / "postmaster.pid"
        if pid_file.exists():  # never leave a server behind
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)


def _visit(visit_id: str) -> dict[str, object]:
    return {
        "visit_id": visit_id,
        "visit_date": "2026-11-20",
        "health_worker_id": "PROM-0042",
        "person": {
            "nombre": "ROSA MARIA",
            "primer_apellido": "PEREZ",
            "segundo_apellido": "LOPEZ",
            "fecha_nacimiento": "1950-03-14",
            "sexo": "M",
            "entidad": "DF",
            "municipio": "CUAUHTEMOC",
            "localidad": "CENTRO",
            "latitud": 19.4326,
            "longitud": -99.1332,
        },
        "urgency": "routine",
        "findings": {"conditions": [{"code": "E11.9"}]},
    }


class Poster:
    """Posts visits back to back from a thread; remembers which ones were acknowledged (2xx) and when."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(10.0)
        )
        self.acked: list[tuple[str, float]] = []
        self.refused = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            visit_id = f"SUP-{n:06d}"
            try:
                response = self.http.post("/v1/visits", json=_visit(visit_id))
            except httpx.HTTPError:
                self.refused += 1
                time.sleep(0.05)
                continue
            if 200 <= response.status_code < 300:
                self.acked.append((visit_id, time.monotonic()))
            else:
                assert response.status_code == 503, response.text  # an outage answers 503, never 500
                self.refused += 1
                time.sleep(0.05)

    def __enter__(self) -> Poster:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.http.close()


def _wait_for(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_killed_postmaster_restarts_and_nothing_acknowledged_is_lost(
    workdir: Path, served: list[Served]
) -> None:
    one = Served(workdir, units=True)
    served.append(one)
    one.wait_ready(120)
    token = one.token()
    with Poster(one.base, token) as poster:
        _wait_for(lambda: len(poster.acked) >= 20, 60)
        victim = one.postmaster()
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        acked_before = [v for v, at in poster.acked if at < killed_at]
        _wait_for(lambda: not one.ready(), 10)
        scraped = httpx.get(f"{one.base}/metrics", timeout=10)  # still answers, and says for how long
        recovered_in = one.wait_ready(RECOVERY_LIMIT_S)
        assert one.postmaster() != victim
        _wait_for(lambda: any(at > killed_at + recovered_in for _, at in poster.acked), 20)
    print(f"ready again {recovered_in:.1f} s after SIGKILL; {len(acked_before)} acknowledged before")
    assert recovered_in < RECOVERY_LIMIT_S
    assert scraped.status_code == 200
    unreachable = re.search(r"^interop_db_unreachable_seconds (\S+)$", scraped.text, re.M)
    assert unreachable, scraped.text[-500:]
    assert float(unreachable.group(1)) > 0
    after = httpx.get(f"{one.base}/metrics", timeout=10).text
    assert re.search(r"^interop_db_unreachable_seconds 0\.0$", after, re.M)
    assert "interop_audit_chain_length" in after
    with httpx.Client(base_url=one.base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        missing = [v for v, _ in poster.acked if http.get(f"/v1/visits/{v}").status_code != 200]
    assert acked_before, "no visit was acknowledged before the kill"
    assert not missing, f"acknowledged visits lost: {missing[:5]} ({len(missing)})"
    log = one.stderr()
    assert log.count("embedded postgres is gone") == 1
    assert log.count("embedded postgres started again") == 1
    assert "worker loop error" not in log
    assert "Exception in ASGI application" not in log  # refused requests are answered, not re-raised
    noisy = [line for line in log.splitlines() if '"level":"warning"' in line or '"level":"error"' in line]
    assert len(noisy) <= 6, noisy  # gone, started again, and the process's lost / back: not per request


def test_supervisor_gives_up_when_the_server_cannot_start_again(workdir: Path, served: list[Served]) -> None:
    one = Served(
        workdir,
        "--workers",
        "2",
        INTEROP_EMBEDDED_RESTART_LIMIT="2",
        INTEROP_EMBEDDED_RESTART_BACKOFF_MAX_S="1",
    )
    served.append(one)
    one.wait_ready(120)
    # With several API processes the supervisor's own loop watches the server: a first kill heals.
    os.kill(one.postmaster(), signal.SIGKILL)
    _wait_for(lambda: not one.ready(), 10)
    one.wait_ready(RECOVERY_LIMIT_S)
    # Then the data folder is broken under it: every restart fails, and the service stops by itself.
    pgdata = one.data / "pgdata"
    shutil.move(pgdata / "global" / "pg_control", workdir / "pg_control")
    os.kill(one.postmaster(), signal.SIGKILL)
    code = one.proc.wait(timeout=60)
    last = one.stderr().strip().splitlines()[-1]
    assert code == 3, one.stderr()[-2000:]
    assert last.startswith("interop serve: PostgreSQL embebido no se mantiene en marcha tras 2 intentos")
    assert "Traceback" not in one.stderr()


def test_serve_refuses_an_embedded_server_without_durability(workdir: Path) -> None:
    import asyncio

    from interop.db.embedded import start_embedded

    data = workdir / "data"
    unsafe = asyncio.run(start_embedded(data, overrides={"fsync": "off", "synchronous_commit": "off"}))
    unsafe.stop()
    result = subprocess.run(
        [*INTEROP, "serve", "--port", str(_free_port())],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("interop serve: PostgreSQL embebido con fsync=off, synchronous_commit=off")
    assert not (data / "pgdata" / "postmaster.pid").exists(), "the server was left running"
