"""``interop audit …``: verify the chain and the tree, export a date range, sign the head now, prove one
event's inclusion, check that the log only grew since a saved head."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import export as audit_export
from interop.audit import proofs, sequencer, verification, verify_proof
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Verifier
from interop.command import database, run_session
from interop.config import Settings
from interop.context import RequestContext, system_context
from interop.db.engine import asyncpg_dsn
from interop.messages import help_text, text
from interop.messages.stored import said

app = typer.Typer(no_args_is_help=True)
LABEL = "interop audit"
T = TypeVar("T")
_err = Console(stderr=True)


def _ctx() -> RequestContext:
    return system_context(request_id=f"cli-{secrets.token_hex(8)}", trace_id=secrets.token_hex(16))


@app.command("verify", help=help_text("cli.help.audit.verify"))
def verify(
    workers: Annotated[int, typer.Option(help=help_text("cli.help.audit.workers"))] = 0,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key", exists=True, dir_okay=False, help=help_text("cli.help.audit.public_key")
        ),
    ] = None,
) -> None:
    """Walk the hash chain and every signed checkpoint, then the Merkle tree and every signed head; exit 1
    naming the first bad entry."""
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()
        verifier = Verifier.from_pem(public_key.read_bytes()) if public_key else signer.verifier
        with _err.status(text("cli.audit.walking")):
            report = verification.verify_parallel(
                asyncpg_dsn(url), verifier=verifier, workers=workers or None
            )

        async def note(session: AsyncSession) -> None:
            await audit_service.record(
                session, _ctx(), action="E", subtype="verify", outcome="0" if report.ok else "4"
            )

        run_session(LABEL, settings, url, note)
    checked = report.events_checked + report.leaves_checked
    rate = checked / report.seconds if report.seconds else 0.0
    summary = text(
        "cli.audit.summary",
        leaves=report.leaves_checked,
        heads=report.heads_checked,
        events=report.events_checked,
        head_seq=report.head_seq,
        checkpoints=report.checkpoints_checked,
        key=report.key_id,
        seconds=report.seconds,
        rate=rate,
    )
    if not report.ok:
        if report.first_bad_seq is not None:
            typer.echo(
                text("cli.audit.chain_broken", seq=report.first_bad_seq, reason=said(report.reason or ""))
            )
        else:
            typer.echo(
                text("cli.audit.tree_broken", leaf=report.first_bad_leaf, reason=said(report.reason or ""))
            )
        typer.echo(summary)
        raise typer.Exit(1)
    typer.echo(text("cli.audit.intact", summary=summary))


def _instant(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(text("cli.audit.bad_instant")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("export", help=help_text("cli.help.audit.export"))
def export(
    from_: Annotated[str, typer.Option("--from", help=help_text("cli.help.audit.from"))],
    to: Annotated[str, typer.Option("--to", help=help_text("cli.help.audit.to"))],
    out: Annotated[Path, typer.Option("--out", help=help_text("cli.help.audit.out"))],
) -> None:
    """Write the tree leaves of a date range as NDJSON, ending with the signed head that covers them."""
    start, end = _instant(from_), _instant(to)
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> int:
            plan = await audit_export.plan(
                session, start=start, end=end, signer=signer, origin=audit_service.log_origin()
            )
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
                    session, export=plan, public_pem=signer.verifier.public_pem()
                ):
                    handle.write(line)
            return plan.count

        count = run_session(LABEL, settings, url, work)
    typer.echo(text("cli.audit.exported", count=count, path=out))


@app.command("checkpoint", help=help_text("cli.help.audit.checkpoint"))
def checkpoint() -> None:
    """Sequence the committed events and sign the tree head now (the job worker does it within
    audit_max_merge_delay_s anyway)."""
    settings = Settings()
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> str:
            await audit_service.record(session, _ctx(), action="C", subtype="checkpoint")
            made = await audit_service.checkpoint(session, signer=signer)
            if made is None:
                return text("cli.audit.empty")
            return text("cli.audit.signed", size=made.tree_size, root=made.root_hash, kid=made.kid)

        typer.echo(run_session(LABEL, settings, url, work))


def _event_seq(value: str) -> int:
    """The record behind an AuditEvent id: ``seq``, or ``seq-k`` for the k-th other patient of one record
    (the leaf, and so the proof, is the record's)."""
    digits, _, part = value.removeprefix("AuditEvent/").partition("-")
    if not digits.isdigit() or len(digits) > 18 or (part and not part.isdigit()):
        raise typer.BadParameter(text("cli.audit.bad_event"))
    return int(digits)


@app.command("prove", help=help_text("cli.help.audit.prove"))
def prove(
    event: Annotated[str, typer.Argument(help=help_text("cli.help.audit.event"))],
    out: Annotated[
        Path | None, typer.Option("--out", file_okay=False, help=help_text("cli.help.audit.prove_out"))
    ] = None,
) -> None:
    """Prove that one event is in the latest signed tree: the documents the standalone verifier checks
    (``python -m interop.audit.verify_proof inclusion …``), checked here too before they are written."""
    settings = Settings()
    seq = _event_seq(event)
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> dict[str, Any]:
            index = await proofs.leaf_index_of(session, seq=seq)
            if index is None:  # not sequenced yet: one step now (the worker's would come within a second)
                await sequencer.step(session, signer=signer, origin=settings.audit_log_origin)
                index = await proofs.leaf_index_of(session, seq=seq)
            if index is None:
                raise typer.BadParameter(text("cli.audit.no_event", seq=seq))
            head = await proofs.latest_head(session)
            await audit_service.record(
                session,
                _ctx(),
                action="R",
                subtype="read",
                entities=[AuditEntity(type="AuditEvent", id=str(seq))],
            )
            return {
                "keys": proofs.keys(signer).model_dump(),
                "head": head.model_dump(mode="json"),
                "entry": (await proofs.leaf(session, index=index)).model_dump(),
                "proof": (
                    await proofs.inclusion(session, index=index, tree_size=head.tree_size)
                ).model_dump(),
            }

        docs = run_session(LABEL, settings, url, work)
    keys = verify_proof.load_keys(docs["keys"])
    verify_proof.verify_inclusion(docs["head"], docs["entry"], docs["proof"], keys)
    if out is None:
        typer.echo(json.dumps(docs, indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    index, size = docs["entry"]["index"], docs["head"]["tree_size"]
    typer.echo(text("cli.audit.proved", seq=seq, index=index, size=size, files=", ".join(docs), path=out))


@app.command("check-consistency", help=help_text("cli.help.audit.check_consistency"))
def check_consistency(
    old_head_file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help=help_text("cli.help.audit.old_head")),
    ],
) -> None:
    """Check that the latest signed tree extends the saved one (nothing changed or removed); exit 1 if not."""
    settings = Settings()
    try:
        old = json.loads(old_head_file.read_text())
    except ValueError as exc:
        raise typer.BadParameter(text("cli.audit.bad_head")) from exc
    with database(LABEL, settings) as url:
        signer = audit_service.current_signer()

        async def work(session: AsyncSession) -> tuple[dict[str, Any], dict[str, Any]]:
            new = await proofs.latest_head(session)
            first = int(old.get("tree_size", 0))
            if not 1 <= first <= new.tree_size:
                return new.model_dump(mode="json"), {"first": first, "second": new.tree_size, "hashes": []}
            proof = await proofs.consistency(session, first=first, second=new.tree_size)
            return new.model_dump(mode="json"), proof.model_dump()

        new, proof = run_session(LABEL, settings, url, work)
    try:
        verify_proof.verify_consistency(
            old, new, proof, verify_proof.load_keys(proofs.keys(signer).model_dump())
        )
    except verify_proof.VerificationFailed as exc:
        typer.echo(text("cli.audit.inconsistent", reason=exc))
        raise typer.Exit(1) from None
    typer.echo(text("cli.audit.consistent", size=new["tree_size"], old_size=old["tree_size"]))
