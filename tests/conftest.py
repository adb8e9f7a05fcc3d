"""One embedded PostgreSQL per test session; the schema is built once by the migrations into a template
database, and every test that needs the database gets a fresh copy of it."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.auth.scopes import ROLE_SCOPES, Role
from interop.auth.tokens import mint
from interop.config import Settings
from interop.db import migrate
from interop.db.embedded import EmbeddedServer, start_embedded
from interop.db.engine import create_engine, create_sessionmaker
from interop.main import create_app

TEMPLATE = "interop_template"
# Tests connect as the application does: a LOGIN role in interop_app, not the tables' owner.
TEST_APP_ROLE = "interop_test_app"
TEST_APP_PASSWORD = "interop-test-only"
TEST_SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "256MB",
    "max_connections": "300",
}
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedServer]:
    root = Path(tempfile.mkdtemp(prefix="interop-test-pg-"))
    # A throwaway cluster: no fsync, so creating a database per test costs milliseconds, not a checkpoint.
    server = asyncio.run(start_embedded(root, overrides=TEST_SERVER_SETTINGS))
    asyncio.run(_create_database(server, TEMPLATE, template=None))
    migrate.upgrade(server.url(TEMPLATE))
    asyncio.run(_create_app_role(server))
    try:
        yield server
    finally:
        server.stop()
        # Each session's cluster is ~200 MB; left behind, a day of test runs filled /tmp with them.
        shutil.rmtree(root, ignore_errors=True)


async def _create_app_role(server: EmbeddedServer) -> None:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        await conn.execute(
            f"CREATE ROLE {TEST_APP_ROLE} LOGIN PASSWORD '{TEST_APP_PASSWORD}' IN ROLE interop_app"
        )
    finally:
        await conn.close()


def as_app_role(url: str) -> str:
    """An owner URL of the test server (``postgresql+asyncpg://postgres@/…``) as the application's role."""
    return url.replace("://postgres@", f"://{TEST_APP_ROLE}:{TEST_APP_PASSWORD}@", 1)


async def _create_database(server: EmbeddedServer, name: str, *, template: str | None) -> None:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        if template:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(server: EmbeddedServer, name: str) -> None:
    conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def owner_database_url(pg_server: EmbeddedServer) -> AsyncIterator[str]:
    """A fresh database, migrated to head, for this test alone, as its owner (the migrating user)."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    await _create_database(pg_server, name, template=TEMPLATE)
    yield pg_server.url(name)
    await _drop_database(pg_server, name)


@pytest.fixture
def database_url(owner_database_url: str) -> str:
    """The same database as the application's login role sees it (a member of interop_app)."""
    return as_app_role(owner_database_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        run_worker=False,
        job_stale_after_s=2.0,
        worker_poll_interval_s=0.05,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def sessionmaker(
    settings: Settings, database_url: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings, database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session on the test's database; commit freely, the database is dropped afterwards."""
    async with sessionmaker() as s:
        yield s


TokenFactory = Callable[..., str]


@pytest.fixture
def token_for(app: FastAPI) -> TokenFactory:
    """Mint a token from the app's embedded issuer: ``token_for("clinic", clues=["DFIMB000123"])``."""

    def make(
        role: str,
        *,
        clues: tuple[str, ...] | list[str] = (),
        client_id: str | None = None,
        scopes: frozenset[str] | None = None,
        ttl_s: int | None = None,
        **_: Any,
    ) -> str:
        return mint(
            app.state.keyring,
            app.state.settings,
            client_id=client_id or f"test-{role}",
            role=role,
            scopes=scopes if scopes is not None else ROLE_SCOPES[Role(role)],
            clues=frozenset(clues),
            ttl_s=ttl_s,
        )

    return make


@pytest.fixture
def auth_headers(token_for: TokenFactory) -> Callable[..., dict[str, str]]:
    """``auth_headers("bienestar")`` → an Authorization header for that role."""

    def make(role: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(role, **kwargs)}"}

    return make


class LiveServer:
    """The app served by a real uvicorn on 127.0.0.1 (a thread of this process), for real HTTP clients."""

    def __init__(self, settings: Settings) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def token(
        self, role: str, *, clues: tuple[str, ...] | list[str] = (), client_id: str | None = None
    ) -> str:
        return mint(
            self.app.state.keyring,
            self.app.state.settings,
            client_id=client_id or f"test-{role}",
            role=role,
            scopes=ROLE_SCOPES[Role(role)],
            clues=frozenset(clues),
        )


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """A real server on loopback over the test's database (worker on, so jobs run)."""
    live_settings = settings.model_copy(update={"run_worker": True})
    server = LiveServer(live_settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server_class() -> type[LiveServer]:
    """For fixtures of wider scope that build their own live server."""
    return LiveServer
