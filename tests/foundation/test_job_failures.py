"""A job fails once for a deterministic error and is retried only for one that may pass by itself; the
reason of a failed match run reaches its caller in words, through ``interop match run`` and ``/v1``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import ROLL_HEADER, csv_text, import_file, roll_row, write
from typer.testing import CliRunner

from interop.cli import app as cli_app
from interop.config import Settings
from interop.job import service as job_service
from interop.job.failures import is_transient
from interop.job.worker import JobContext, Worker, handler
from interop.messages import stored

# A driver's or library's text may quote the row it failed on; the job must not keep it.
_QUOTED = "duplicate key value (curp)=(GOMA500101HDFRRN09)"


@handler("test.deterministic")
async def _deterministic(ctx: JobContext) -> None:
    raise ValueError(_QUOTED)


@handler("test.deadlock")
async def _deadlock(ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt < 2:
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
    return {"attempt": ctx.attempt}


async def _job(sm: async_sessionmaker[AsyncSession], kind: str) -> int:
    async with sm() as s:
        job = await job_service.enqueue(s, kind=kind, payload={})
        await s.commit()
    return job.id


async def test_a_deterministic_error_fails_the_job_at_its_first_attempt(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job_id = await _job(sessionmaker, "test.deterministic")
    assert await Worker(settings, sessionmaker).run_until_done(job_id) == "failed"
    async with sessionmaker() as s:
        job = await job_service.get_job(s, job_id=job_id)
    assert job is not None
    assert job.attempts == 1
    assert job.error is not None
    assert "GOMA500101HDFRRN09" not in job.error
    assert (
        stored.said(job.error, "es-MX") == "falla inesperada (ValueError); consulte el registro del servicio"
    )
    assert stored.said(job.error, "en") == "unexpected failure (ValueError); see the service log"


async def test_a_deadlock_is_retried(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job_id = await _job(sessionmaker, "test.deadlock")
    worker = Worker(settings, sessionmaker)
    assert await worker.run_one(only_id=job_id)
    async with sessionmaker() as s:
        job = await job_service.get_job(s, job_id=job_id)
        assert job is not None
        assert job.state == "queued"
        job.run_after = job.created_at  # no back-off wait in the test
        await s.commit()
    assert await worker.run_until_done(job_id) == "succeeded"


async def test_a_real_lock_timeout_counts_as_transient_and_bad_data_does_not(database_url: str) -> None:
    dsn = database_url.replace("+asyncpg", "")
    a, b = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await a.execute("SELECT pg_advisory_lock(1)")
        await b.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        await b.execute("SELECT 1")
        await b.execute("SET LOCAL lock_timeout = '50ms'")
        try:
            await b.execute("SELECT pg_advisory_xact_lock(1)")
        except asyncpg.PostgresError as exc:  # 55P03 lock_not_available: taken by another session
            caught: BaseException = exc
        else:
            raise AssertionError("the lock should have been refused")
        await b.execute("ROLLBACK")
    finally:
        await a.close()
        await b.close()
    assert is_transient(caught)
    assert not is_transient(ValueError("bad data"))
    assert not is_transient(asyncpg.exceptions.UniqueViolationError("duplicate"))


async def test_an_untrainable_run_says_why_through_the_cli_and_v1(
    tmp_path: Path,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    auth_headers: Any,
) -> None:
    rows = [
        roll_row(f"R{i}", nombre=f"NOMBRE{chr(65 + i)}", primer_apellido=f"APELLIDO{chr(65 + i)}")
        for i in range(12)
    ]
    for row in rows:
        for column in ("segundo_apellido", "fecha_nacimiento", "sexo", "entidad", "curp"):
            row[ROLL_HEADER.index(column)] = ""
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "r.csv", csv_text(ROLL_HEADER, rows)))

    env = {"DATABASE_URL": str(settings.database_url), "INTEROP_DATA_DIR": str(settings.data_dir)}
    started = asyncio.get_running_loop().time()
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["match", "run"], env=env)
    assert asyncio.get_running_loop().time() - started < 60  # no minutes of identical retries
    assert result.exit_code == 1, result.output
    assert "ningún par de registros coincide en nombre y primer apellido" in result.output
    assert "los datos no traen CURP, fecha de nacimiento" in result.output
    assert "Importe registros que traigan esos datos" in result.output  # what to do
    run_id = int(result.output.split("corrida de vinculación ", 1)[1].split()[0])

    body = (await client.get(f"/v1/match-runs/{run_id}", headers=auth_headers("admin"))).json()
    assert body["status"] == "failed"
    assert "ningún par de registros coincide" in body["error"]
    assert "no pair of records" not in body["error"]  # one language, not both glued together
    english = {**auth_headers("admin"), "Accept-Language": "en"}
    said = (await client.get(f"/v1/match-runs/{run_id}", headers=english)).json()["error"]
    assert "no pair of records agrees on given name and first surname" in said
    assert "the data lacks CURP, birth date" in said
    assert "ningún" not in said
    async with sessionmaker() as s:
        job = await job_service.get_job(s, job_id=body["job_id"])
    assert job is not None
    assert job.attempts == 1
