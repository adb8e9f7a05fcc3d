"""``interop audit …``: verify the chain, export a date range, sign the head now."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import export as audit_export
from interop.audit import service as audit_service
from interop.audit import verification
from interop.audit.signing import Verifier
from interop.command import database, run_session
from interop.config import Settings
from interop.context import RequestContext, system_context
from interop.db.engine import asyncpg_dsn

app = typer.Typer(no_args_is_help=True)
LABEL = "interop audit"
T = TypeVar("T")
_err = Console(stderr=True)


def _ctx() -> RequestContext:
    return system_context(request_id=f"cli-{secrets.token_hex(8)}", trace_id=secrets.token_hex(16))


@app.command("verify")
def verify(
    workers: Annotated[
        int, typer.Option(help="Processes walking seq ranges in parallel (0: CPU count).")
    ] = 0,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key", exists=True, dir_okay=False, help="Trust this Ed25519 public key (PEM)."
        ),
    ] = None,
) -> None:
    """Walk the hash chain and every signed checkpoint, then the Merkle tree and every signed head; exit 1
    naming the first bad entry."""
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()
        verifier = Verifier.from_pem(public_key.read_bytes()) if public_key else signer.verifier
        with _err.status("walking the audit chain…"):
            report = verification.verify_parallel(
                asyncpg_dsn(url), verifier=verifier, workers=workers or None
            )

        async def note(session: AsyncSession) -> None:
            await audit_service.record(
                session, _ctx(), action="E", subtype="verify", outcome="0" if report.ok else "4"
            )

        run_session(LABEL, settings, url, note)
    rate = report.events_checked / report.seconds if report.seconds else 0.0
    summary = (
        f"{report.events_checked} events up to seq {report.head_seq}, "
        f"{report.checkpoints_checked} checkpoints (key {report.key_id}), "
        f"tree of {report.leaves_checked} leaves with {report.heads_checked} signed heads "
        f"in {report.seconds:.1f} s ({rate:,.0f} events/s)"
    )
    if not report.ok:
        if report.first_bad_seq is not None:
            typer.echo(f"audit chain BROKEN: first bad entry seq {report.first_bad_seq}: {report.reason}")
        else:
            typer.echo(f"audit tree BROKEN: first bad leaf {report.first_bad_leaf}: {report.reason}")
        typer.echo(summary)
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {summary}")


def _instant(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter("a date (YYYY-MM-DD) or an ISO 8601 instant") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("export")
def export(
    from_: Annotated[str, typer.Option("--from", help="Start (inclusive): date or instant, UTC.")],
    to: Annotated[str, typer.Option("--to", help="End (exclusive): date or instant, UTC.")],
    out: Annotated[Path, typer.Option("--out", help="NDJSON file to write.")],
) -> None:
    """Write the events of a date range as NDJSON, ending with the signed checkpoint that covers them."""
    start, end = _instant(from_), _instant(to)
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> int:
            plan = await audit_export.plan(session, start=start, end=end)
            checkpoint = None
            if plan.last_seq is not None:
                checkpoint = await audit_export.covering_checkpoint(session, seq=plan.last_seq, signer=signer)
            await audit_service.record(
                session,
                _ctx(),
                action="R",
                subtype="export",
                query=f"from={start.isoformat()}&to={end.isoformat()}",
            )
            await session.commit()
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as handle:
                async for line in audit_export.lines(
                    session, export=plan, checkpoint=checkpoint, public_pem=signer.verifier.public_pem()
                ):
                    handle.write(line)
            return plan.count

        count = run_session(LABEL, settings, url, work)
    typer.echo(f"wrote {count} events to {out}")


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain head now (periodic checkpoints happen every audit_checkpoint_every events)."""
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> str:
            await audit_service.record(session, _ctx(), action="C", subtype="checkpoint")
            made = await audit_service.checkpoint(session, signer=signer)
            return (
                f"signed entry {made.seq} hash {made.hash} with key {made.key_id}"
                if made
                else "chain is empty"
            )

        typer.echo(run_session(LABEL, settings, url, work))
