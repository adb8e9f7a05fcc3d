"""A module-scoped live server for fuzzing and fault tests, over its own database."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from interop.config import Settings

_counter = itertools.count()


def _fresh_database(pg_server: Any) -> str:
    name = f"fuzz_{os.getpid()}_{next(_counter)}"

    async def create() -> None:
        conn = await asyncpg.connect(pg_server.url("postgres").replace("+asyncpg", ""))
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "interop_template" STRATEGY WAL_LOG')
        finally:
            await conn.close()

    asyncio.run(create())
    return str(pg_server.url(name))


@pytest.fixture(scope="module")
def module_server(
    pg_server: Any, tmp_path_factory: pytest.TempPathFactory, live_server_class: Any
) -> Iterator[Any]:
    settings = Settings(
        database_url=_fresh_database(pg_server),
        data_dir=Path(tmp_path_factory.mktemp("fuzz-data")),
        run_worker=True,
        job_stale_after_s=5.0,
        rate_limit_per_minute=10_000_000,
    )
    server = live_server_class(settings)
    server.start()
    yield server
    server.stop()
