"""``interop import units|roll|patients FILE``: check the file, queue its import and run the job here,
with a progress bar and a final summary. Re-running after an interruption resumes the same import."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from interop.command import database
from interop.config import Settings
from interop.context import system_context
from interop.db.runtime import open_database
from interop.ingest import service as ingest_service
from interop.ingest.errors import FileRefused
from interop.ingest.reading import Inspection, detect_format, inspect_file
from interop.job import service as job_service
from interop.job.worker import Worker
from interop.messages import help_text, stored, text

app = typer.Typer(no_args_is_help=True)
err = Console(stderr=True)

EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help=help_text("cli.help.import.encoding"),
    ),
]


def _fail(kind: str, message: str, code: int = 2) -> typer.Exit:
    err.print(f"interop import {kind}: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def _run(kind: str, file: Path, encoding: str | None) -> None:
    fmt = detect_format(file.name)
    if fmt == "ndjson" and kind != "patients":
        raise _fail(kind, text("cli.import.ndjson_patients_only"))
    try:
        with err.status(text("cli.import.checking", file=file.name)):
            inspection = inspect_file(file, kind=kind, fmt=fmt, encoding=encoding)
    except FileRefused as exc:
        raise _fail(kind, exc.localised()) from None
    settings = Settings()
    with database(f"interop import {kind}", settings) as url:
        summary = asyncio.run(_import(settings, url, kind, file.resolve(), fmt, encoding, inspection))
    _print_summary(kind, summary)
    if summary["state"] != "succeeded":
        raise _fail(kind, str(summary.get("error") or f"import {summary['state']}"), code=1)


async def _import(
    settings: Settings,
    url: str,
    kind: str,
    file: Path,
    fmt: str,
    encoding: str | None,
    inspection: Inspection,
) -> dict[str, Any]:
    ctx = system_context(request_id=f"cli-{secrets.token_hex(6)}", trace_id=secrets.token_hex(16))
    async with open_database(settings, url) as db:
        async with db.sessionmaker() as session:
            imp = await ingest_service.create_import(
                session,
                ctx,
                new=ingest_service.NewImport(
                    kind=kind,
                    fmt=fmt,
                    filename=file.name,
                    path=str(file),
                    sha256=inspection.sha256,
                    size_bytes=inspection.size_bytes,
                    encoding=encoding and inspection.encoding,
                    inspected=True,
                ),
            )
            await session.commit()
        if imp.duplicate_of is not None:
            err.print(text("cli.import.duplicate", import_id=imp.duplicate_of))
            return ingest_service.summary(imp)
        if imp.last_line:
            err.print(text("cli.import.resuming", import_id=imp.id, line=imp.last_line))
        assert imp.job_id is not None
        worker = Worker(settings, db.sessionmaker)
        runner = asyncio.create_task(worker.run_until_done(imp.job_id))
        with Progress(
            TextColumn(f"[bold]{kind}[/bold] {file.name}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        ) as progress:
            bar = progress.add_task(kind, total=inspection.size_bytes, completed=imp.bytes_done)
            while not runner.done():
                await asyncio.wait([runner], timeout=0.5)
                async with db.sessionmaker() as session:
                    job = await job_service.get_job(session, job_id=imp.job_id)
                if job is not None and job.progress.get("bytes_done"):
                    progress.update(bar, completed=job.progress["bytes_done"])
            state = runner.result()
            if state == "succeeded":
                progress.update(bar, completed=inspection.size_bytes)
        async with db.sessionmaker() as session:
            done = await ingest_service.load(session, import_id=imp.id)
            job = await job_service.get_job(session, job_id=imp.job_id)
        assert done is not None
        summary = ingest_service.summary(done)
        if state != "succeeded" and done.state not in ("refused",):
            summary["state"] = "failed"
            summary["error"] = stored.said(job.error) if job and job.error else text("ingest.job_failed")
        return summary


def _print_summary(kind: str, summary: dict[str, Any]) -> None:
    counts = {
        k: f"{summary[k]:,}"
        for k in ("rows", "stored", "new_records", "new_versions", "unchanged", "rejected")
    }
    err.print(
        text(
            "cli.import.summary", import_id=summary["import_id"], kind=kind, state=summary["state"], **counts
        ),
        markup=False,
        highlight=False,
    )
    if summary["rejected"]:
        err.print(text("cli.import.rejects", import_id=summary["import_id"]), markup=False)


FileArg = Annotated[Path, typer.Argument(help=help_text("cli.help.import.file"), show_default=False)]


@app.command("units", help=help_text("cli.help.import.units"))
def units(file: FileArg, encoding: EncodingOption = None) -> None:
    """Import the CLUES catalogue (CSV)."""
    _run("units", file, encoding)


@app.command("roll", help=help_text("cli.help.import.roll"))
def roll(file: FileArg, encoding: EncodingOption = None) -> None:
    """Import the pension roll (CSV)."""
    _run("roll", file, encoding)


@app.command("patients", help=help_text("cli.help.import.patients"))
def patients(file: FileArg, encoding: EncodingOption = None) -> None:
    """Import a clinic registry (CSV, or FHIR R4 Patient NDJSON when the file ends in .ndjson)."""
    _run("patients", file, encoding)
