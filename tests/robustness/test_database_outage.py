"""PostgreSQL stopped under load: requests fail fast with 503 while it is down, the service recovers by
itself when it is back, and every write acknowledged before the outage is still there."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from interop.config import Settings
from interop.db import migrate
from interop.db.embedded import start_embedded


@pytest.fixture
def own_database(tmp_path: Path) -> Any:
    """A server of the test's own, so stopping it disturbs no other test."""
    server = asyncio.run(start_embedded(tmp_path / "pg"))
    migrate.upgrade(server.url())
    holder = {"server": server, "root": tmp_path / "pg"}
    yield holder
    holder["server"].stop()


def _timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    return response, time.perf_counter() - started


def test_outage_gives_fast_503_and_recovery(
    own_database: Any, tmp_path: Path, live_server_class: Any
) -> None:
    settings = Settings(
        database_url=own_database["server"].url(),
        data_dir=tmp_path / "data",
        run_worker=True,
        db_connect_timeout_s=2.0,
    )
    live = live_server_class(settings)
    live.start()
    try:
        headers = {"Authorization": f"Bearer {live.token('admin')}"}
        with httpx.Client(base_url=live.url, timeout=30, headers=headers) as client:
            assert client.get("/readyz").status_code == 200
            acknowledged = [_write(client, n) for n in range(5)]

            own_database["server"].stop()
            for _ in range(5):
                response, elapsed = _timed(client, "GET", "/readyz")
                assert response.status_code == 503
                assert elapsed < 3.0, f"readiness took {elapsed:.1f}s while the database was down"
            response, elapsed = _timed(client, "GET", _probe_path())
            assert response.status_code == 503, response.text
            assert response.headers.get("retry-after")
            assert elapsed < 3.0
            # under concurrent load, reads and writes alike fail fast and cleanly (503, never 500)
            with ThreadPoolExecutor(max_workers=16) as pool:
                burst = list(pool.map(lambda n: _attempt(live.url, headers, n), range(48)))
            assert {status for status, _ in burst} == {503}, sorted({status for status, _ in burst})
            assert max(elapsed for _, elapsed in burst) < 5.0

            own_database["server"] = asyncio.run(start_embedded(own_database["root"]))
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover by itself"
                time.sleep(0.2)
            for written in acknowledged:
                assert _read_back(client, written), f"acknowledged write {written} lost"
            assert client.get(_probe_path()).status_code == 200
            with ThreadPoolExecutor(max_workers=8) as pool:
                after = list(pool.map(lambda n: _write(client, 100 + n), range(16)))
            assert all(_read_back(client, written) for written in after)
    finally:
        live.stop()


def _attempt(url: str, headers: dict[str, str], n: int) -> tuple[int, float]:
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        if n % 2:
            response, elapsed = _timed(client, "GET", _probe_path())
        else:
            body = "clues,nombre,entidad,municipio,localidad,nivel,latitud,longitud,estatus\n"
            response, elapsed = _timed(
                client,
                "POST",
                "/v1/imports",
                params={"kind": "units"},
                content=body.encode(),
                headers={"content-type": "text/csv"},
            )
    return response.status_code, elapsed


def _probe_path() -> str:
    return "/fhir/Organization?_count=1"


def _write(client: httpx.Client, n: int) -> str:
    """An acknowledged write: a units import of a one-row file; returns its id."""
    body = (
        "clues,nombre,entidad,municipio,localidad,nivel,latitud,longitud,estatus\n"
        f"DFIMB{n:06d},UNIDAD {n},DF,015,0001,1,19.4,-99.1,EN OPERACION\n"
    )
    response = client.post(
        "/v1/imports", params={"kind": "units"}, content=body.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _read_back(client: httpx.Client, import_id: str) -> bool:
    return client.get(f"/v1/imports/{import_id}").status_code == 200


def test_exhausted_pool_is_503_not_500(
    database_url: str, owner_database_url: str, tmp_path: Path, live_server_class: Any
) -> None:
    """A request holds the only pooled connection (its audit record's INSERT blocked by a SHARE lock the
    test holds on audit_intake, as the tables' owner); the next request waits past the pool timeout and
    gets a fast 503, not a 500."""
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        run_worker=False,
        db_pool_size=1,
        db_max_overflow=0,
        db_connect_timeout_s=0.5,
    )
    live = live_server_class(settings)
    live.start()
    headers = {"Authorization": f"Bearer {live.token('admin')}"}

    async def hold_lock() -> asyncpg.Connection:
        conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
        await conn.execute("BEGIN")
        await conn.execute("LOCK TABLE audit_intake IN SHARE MODE")
        return conn

    loop = asyncio.new_event_loop()
    try:
        locker = loop.run_until_complete(hold_lock())
        with ThreadPoolExecutor(max_workers=1) as pool:
            blocked = pool.submit(
                lambda: httpx.get(f"{live.url}{_probe_path()}", headers=headers, timeout=30)
            )
            time.sleep(1.0)
            with httpx.Client(base_url=live.url, timeout=30, headers=headers) as client:
                response, elapsed = _timed(client, "GET", _probe_path())
            assert response.status_code == 503, response.text
            assert response.headers.get("retry-after")
            assert elapsed < 3.0
            loop.run_until_complete(locker.execute("ROLLBACK"))
            assert blocked.result(timeout=30).status_code == 200
        loop.run_until_complete(locker.close())
    finally:
        loop.close()
        live.stop()
