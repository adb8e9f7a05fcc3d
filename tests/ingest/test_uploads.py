"""Uploads as a hostile client sends them (issue 14, item 8): bounded while streaming, refused when the
disk is nearly full, private on disk, deleted once their import is over (never an operator's own file),
and only text encodings accepted."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.ingest.errors import FileRefused
from interop.ingest.reading import python_encoding
from interop.job.models import Job
from interop.job.worker import TransientJobError, Worker
from interop.main import create_app

from .factories import ROLL_HEADER, csv_text, import_file, roll_row, write

Headers = Callable[..., dict[str, str]]


@asynccontextmanager
async def _app(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


async def _run_jobs(app: FastAPI) -> None:
    worker = Worker(app.state.settings, app.state.sessionmaker)
    while await worker.run_one():
        pass


def _uploads(app: FastAPI) -> Path:
    return Path(app.state.settings.resolved_data_dir) / "uploads"


def _stored(app: FastAPI) -> list[str]:
    folder = _uploads(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def _blocks(total: int, block: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        size = min(block, total - sent)
        sent += size
        yield b"x" * size


async def test_an_upload_over_the_limit_is_refused_while_it_streams(
    settings: Settings, auth_headers: Headers
) -> None:
    async with _app(settings, upload_max_bytes=100_000) as (app, http):
        headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
        # No Content-Length (chunked): the limit must hold on the bytes themselves.
        streamed = await http.post("/v1/imports?kind=roll", content=_blocks(3_000_000), headers=headers)
        assert streamed.status_code == 413, streamed.text
        assert streamed.json()["error"]["code"] in ("upload-too-large", "payload-too-large")
        # Just over the limit, within the multipart slack of the middleware: the route's own bound.
        over = await http.post("/v1/imports?kind=roll", content=_blocks(100_001), headers=headers)
        assert over.status_code == 413
        assert over.json()["error"]["code"] == "upload-too-large"
        # A declared length over the limit is refused before anything is read.
        declared = await http.post(
            "/v1/imports?kind=roll",
            content=b"x" * 200_000,
            headers={**headers, "Content-Length": "200000"},
        )
        assert declared.status_code == 413
        files = {"file": ("padron.csv", b"x" * 3_000_000, "text/csv")}
        multipart = await http.post("/v1/imports?kind=roll", files=files, headers=auth_headers("bienestar"))
        assert multipart.status_code == 413
        assert not [name for name in _stored(app) if not name.startswith(".")]
        assert not _stored(app)


async def test_an_upload_is_refused_when_the_data_folder_is_nearly_full(
    settings: Settings, auth_headers: Headers
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1")]).encode()
    async with _app(settings, upload_min_free_bytes=10**18) as (app, http):
        headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
        refused = await http.post("/v1/imports?kind=roll", content=body, headers=headers)
        assert refused.status_code == 507, refused.text
        assert refused.json()["error"]["code"] == "upload-storage-full"
        assert not _stored(app)


async def test_an_upload_is_private_and_deleted_once_its_import_is_over(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2")]).encode()
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    created = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    assert created.status_code == 202
    sha = created.json()["sha256"]
    stored = _uploads(app) / f"{sha}.csv"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(_uploads(app).stat().st_mode) == 0o700
    await _run_jobs(app)
    done = (await client.get(created.headers["location"], headers=auth_headers("bienestar"))).json()
    assert done["state"] == "succeeded"
    assert done["sha256"] == sha  # the digest stays
    assert not stored.exists()

    # The same file again: a finished duplicate, whose upload is not kept either.
    again = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    assert again.status_code == 202
    assert again.json()["state"] == "succeeded"
    assert not stored.exists()

    # A refused file (no data row) is final too.
    empty = await client.post(
        "/v1/imports?kind=roll", content=csv_text(ROLL_HEADER, []).encode(), headers=headers
    )
    await _run_jobs(app)
    refused = (await client.get(empty.headers["location"], headers=auth_headers("bienestar"))).json()
    assert refused["state"] == "refused"
    assert not _stored(app)


async def test_an_upload_is_deleted_after_the_last_retry_of_its_import_fails(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1")]).encode()
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    created = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    stored = _uploads(app) / f"{created.json()['sha256']}.csv"

    async def broken(*_: Any, **__: Any) -> dict[str, Any]:
        raise TransientJobError("the database went away")

    monkeypatch.setattr("interop.ingest.tasks.run_import", broken)
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with sessionmaker() as session:
        await session.execute(update(Job).values(max_attempts=2, run_after=func.now()))
        await session.commit()
    worker = Worker(app.state.settings, sessionmaker)
    assert await worker.run_one()
    assert stored.exists()  # a retry will need it
    async with sessionmaker() as session:
        await session.execute(update(Job).values(run_after=func.now()))
        await session.commit()
    assert await worker.run_one()
    failed = (await client.get(created.headers["location"], headers=auth_headers("bienestar"))).json()
    assert failed["state"] == "failed"
    assert not stored.exists()


async def test_an_operators_own_file_is_never_deleted(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    from interop.ingest.uploads import discard

    own = write(tmp_path, "padron.csv", csv_text(ROLL_HEADER, [roll_row("R1")]))
    summary = await import_file(sessionmaker, settings, "roll", own)
    assert summary["state"] == "succeeded"
    assert own.exists()
    uploads = settings.resolved_data_dir / "uploads"
    uploads.mkdir(parents=True)
    assert not discard(own, uploads)
    link = uploads / "link.csv"
    link.symlink_to(own)
    assert not discard(link, uploads)
    assert not discard(uploads / ".." / own.name, uploads)
    assert own.exists()
    received = uploads / "abc.csv"
    received.write_text("x")
    assert discard(received, uploads)


@pytest.mark.parametrize("codec", ["zlib_codec", "zlib", "bz2_codec", "base64", "hex", "rot13", "uu"])
def test_only_text_encodings_are_accepted(codec: str) -> None:
    with pytest.raises(FileRefused):
        python_encoding(codec)


def test_text_encodings_still_are() -> None:
    assert python_encoding("cp1252") == "cp1252"
    assert python_encoding("latin-1") == "iso8859-1"
    assert python_encoding(None) == "utf-8"


async def test_a_compression_codec_is_refused_over_http(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    refused = await client.post("/v1/imports?kind=roll&encoding=zlib_codec", content=b"x", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "file-refused"


def test_a_compression_codec_is_refused_by_the_cli(database_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys
    import zlib

    packed = write(tmp_path, "padron.csv", zlib.compress(csv_text(ROLL_HEADER, [roll_row("R1")]).encode()))
    env = dict(os.environ, DATABASE_URL=database_url, INTEROP_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "interop.cli", "import", "roll", str(packed), "--encoding", "zlib_codec"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "codificación de texto" in result.stderr


async def test_a_deterministic_import_failure_fails_at_once_and_releases_its_upload(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1")]).encode()
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    created = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    stored = _uploads(app) / f"{created.json()['sha256']}.csv"

    async def broken(*_: Any, **__: Any) -> dict[str, Any]:
        raise ValueError("a row the importer cannot handle")  # not the database's fault: retrying repeats it

    monkeypatch.setattr("interop.ingest.tasks.run_import", broken)
    worker = Worker(app.state.settings, app.state.sessionmaker)
    assert await worker.run_one()
    failed = (await client.get(created.headers["location"], headers=auth_headers("bienestar"))).json()
    assert failed["state"] == "failed"
    # Its kind, never its text: an exception's text may quote the row it failed on.
    assert failed["error"] == "falla inesperada (ValueError); consulte el registro del servicio"
    assert not stored.exists()
    assert not await worker.run_one()  # nothing queued for a retry
