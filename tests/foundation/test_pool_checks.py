"""How the app's pool checks a connection before a request uses it (``db.engine``): no round trip for a
connection in use moments ago (``pool_pre_ping`` cost three on every request: ``BEGIN``, ``;``,
``ROLLBACK``), a connection the server closed replaced without an error, one idle for long pinged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from interop.db import engine as db_engine

Headers = Callable[..., dict[str, str]]
PATH = "/fhir/Organization?_count=1"  # one database read, any caller with Organization.rs


@contextmanager
def _queries(app: FastAPI) -> Iterator[list[str]]:
    """Every query the app's pooled connections send to the server meanwhile (asyncpg's own log)."""
    seen: list[str] = []
    logged: set[int] = set()

    def log(record: Any) -> None:
        seen.append(record.query)

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if id(driver) not in logged:
            logged.add(id(driver))
            driver.add_query_logger(log)

    pool = app.state.engine.sync_engine.pool
    event.listen(pool, "checkout", on_checkout)
    try:
        yield seen
    finally:
        event.remove(pool, "checkout", on_checkout)


async def test_a_request_sends_no_ping(
    client: httpx.AsyncClient, app: FastAPI, auth_headers: Headers
) -> None:
    headers = auth_headers("admin")
    with _queries(app) as seen:
        for _ in range(4):  # the logger joins a connection at its first checkout here; pings come after
            assert (await client.get(PATH, headers=headers)).status_code == 200
    assert seen, "the requests read the database"
    assert ";" not in [q.strip() for q in seen], seen


async def test_a_connection_idle_for_long_is_pinged(
    client: httpx.AsyncClient, app: FastAPI, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = auth_headers("admin")
    assert (await client.get(PATH, headers=headers)).status_code == 200
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_S", 0.0)
    with _queries(app) as seen:
        for _ in range(3):
            assert (await client.get(PATH, headers=headers)).status_code == 200
    assert ";" in [q.strip() for q in seen], seen


async def test_a_connection_the_server_closed_is_replaced(
    client: httpx.AsyncClient, app: FastAPI, auth_headers: Headers, owner_database_url: str
) -> None:
    """The server ends the backend of every pooled connection (a restart, an administrator): the next
    requests get new connections, not an error."""
    headers = auth_headers("admin")
    for _ in range(3):
        assert (await client.get(PATH, headers=headers)).status_code == 200
    owner = await asyncpg.connect(owner_database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        ended = await owner.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'interop' AND datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await owner.close()
    assert ended >= 1
    await asyncio.sleep(0.2)  # the closed sockets reach the event loop
    for _ in range(3):
        response = await client.get(PATH, headers=headers)
        assert response.status_code == 200, response.text
