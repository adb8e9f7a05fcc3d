"""The job worker while the database is away: it backs off, logs when the state changes (not per attempt),
and a job interrupted mid-run resumes by itself from what it had committed once the database is back.

The outage is real: the worker reaches PostgreSQL through a socket relay the test cuts (every open
connection dropped, new ones refused) for ``DOWN_S`` seconds, then restores.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from interop.config import Settings
from interop.db.engine import create_engine, create_sessionmaker
from interop.db.outage import Outage
from interop.job import service as job_service
from interop.job.worker import JobContext, Worker, handler

DOWN_S = 20.0
STEPS = 60


@handler("test.steps")
async def _steps(ctx: JobContext) -> dict[str, Any]:
    """A long job that commits its progress step by step and, run again, goes on from the last step."""
    first = int(ctx._progress.get("step", 0))  # what it had reported (committed) before
    for step in range(first, ctx.payload["steps"]):
        await asyncio.sleep(0.05)
        await ctx.report(step=step + 1)
    return {"resumed_from": first, "attempt": ctx.attempt}


class Relay:
    """A Unix-socket relay in front of PostgreSQL's socket; ``cut`` drops every connection and refuses new
    ones, as a crashed server would, ``restore`` lets them through again."""

    def __init__(self, target: str, folder: Path) -> None:
        self.target = target
        self.path = str(folder / ".s.PGSQL.5432")
        self.server: asyncio.AbstractServer | None = None
        self.open: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_unix_server(self._serve, path=self.path)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.open):
            writer.transport.abort()
        self.open.clear()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.target)
        except OSError:
            writer.transport.abort()
            return
        self.open.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def relayed_url(database_url: str) -> AsyncIterator[tuple[str, Relay]]:
    socket_dir = parse_qs(urlparse(database_url).query)["host"][0]
    folder = Path(tempfile.mkdtemp(prefix="relay-"))
    relay = Relay(f"{socket_dir}/.s.PGSQL.5432", folder)
    await relay.restore()
    yield database_url.replace(f"host={socket_dir}", f"host={folder}"), relay
    if relay.server is not None:
        relay.server.close()
    shutil.rmtree(folder, ignore_errors=True)


async def _until(condition: Any, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.1)


async def test_worker_is_quiet_while_the_database_is_down_and_resumes_the_job(
    relayed_url: tuple[str, Relay], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, relay = relayed_url
    # The default stale-heartbeat delay (60 s) is longer than the whole test: the job comes back because the
    # worker releases what it held, not because its heartbeat went stale.
    settings = Settings(
        database_url=url,
        data_dir=tmp_path / "data",
        worker_poll_interval_s=0.05,
        db_retry_max_s=4.0,
        db_connect_timeout_s=1.0,
    )
    engine = create_engine(settings, url)
    sessionmaker = create_sessionmaker(engine)
    # Shared, as in the API process, where a request may see the database back before the worker does.
    shared = Outage(first_delay_s=settings.worker_poll_interval_s, max_delay_s=settings.db_retry_max_s)
    worker = Worker(settings, sessionmaker, outage=shared)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run_forever(stop))
    try:
        async with sessionmaker() as session:
            job = await job_service.enqueue(session, kind="test.steps", payload={"steps": STEPS})
            await session.commit()

        async def progress() -> int:
            async with sessionmaker() as session:
                current = await job_service.get_job(session, job_id=job.id)
                assert current is not None
                return int(current.progress.get("step", 0))

        async def started() -> bool:
            return await progress() >= 10

        await _until(started, 30)
        caplog.clear()
        caplog.set_level(logging.INFO)
        await relay.cut()
        await asyncio.sleep(DOWN_S)
        during = list(caplog.records)
        await relay.restore()
        shared.succeeded()  # a request got through first: the worker must still release its job

        async def finished() -> bool:
            async with sessionmaker() as session:
                current = await job_service.get_job(session, job_id=job.id)
                assert current is not None
                return current.state == "succeeded"

        await _until(finished, 30)
        async with sessionmaker() as session:
            done = await job_service.get_job(session, job_id=job.id)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        await engine.dispose()

    lines = [f"{r.name}: {r.getMessage()} {getattr(r, 'error', '')}" for r in caplog.records]
    print(f"down {DOWN_S:.0f} s; lines while down: {len(during)}; in all: {lines}")
    assert 1 <= len(during) <= 2, lines  # "unreachable" (and at most one other), not one per attempt
    assert len(lines) <= 3, lines  # with "reachable again" and "jobs requeued after a database outage"
    assert any(line.startswith("interop.db.outage: database unreachable") for line in lines)
    assert any("reachable again" in line for line in lines)
    assert done is not None
    assert done.result is not None
    assert done.result["attempt"] == 2
    assert 10 <= done.result["resumed_from"] < STEPS  # went on from its committed progress
    assert done.progress["step"] == STEPS
