"""``interop match run|evaluate`` and ``interop persons export``."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from interop.command import with_database
from interop.config import Settings
from interop.context import RequestContext, system_context
from interop.db.runtime import Database
from interop.messages import help_text, stored, text

match_app = typer.Typer(no_args_is_help=True)
persons_app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")


def _context() -> RequestContext:
    return system_context(request_id=secrets.token_hex(8), trace_id=secrets.token_hex(16))


def _with_database(work: Callable[[Settings, Database], Awaitable[T]]) -> T:
    return with_database("interop", Settings(), work)


@match_app.command("run", help=help_text("cli.help.match.run"))
def run_command(
    retrain: Annotated[bool, typer.Option(help=help_text("cli.help.match.retrain"))] = False,
    engine: Annotated[
        str | None,
        typer.Option(help=help_text("cli.help.match.engine")),
    ] = None,
) -> None:
    """Batch deduplication and linkage over everything loaded; prints counts per decision."""
    from interop.matching.engines import ENGINES

    if engine is not None and engine not in ENGINES:
        typer.echo(text("cli.match.unknown_engine", engine=engine, choices=", ".join(ENGINES)), err=True)
        raise typer.Exit(2)
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from interop.job.worker import Worker
    from interop.matching import reviews, service

    async def work(settings: Settings, db: Database) -> dict[str, Any]:
        ctx = _context()
        async with db.sessionmaker() as session:
            run = await service.start_run(session, ctx, retrain=retrain, engine=engine)
            job_id, run_id = run.job_id, run.id
            await session.commit()
        assert job_id is not None
        worker = Worker(settings, db.sessionmaker)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as bar:
            task = bar.add_task(text("cli.match.progress", stage="…"), total=None)
            done = asyncio.create_task(worker.run_until_done(job_id))
            while not done.done():
                async with db.sessionmaker() as session:
                    _, progress = await service.get_run(session, run_id=run_id)
                stage = progress.get("stage", "queued")
                bar.update(task, description=text("cli.match.progress", stage=stage))
                await asyncio.sleep(0.5)
            state = await done
        async with db.sessionmaker() as session:
            run_row, _ = await service.get_run(session, run_id=run_id)
            outcome = await reviews.run_review_outcome(session, run_id=run_id)
            return {
                "state": state,
                "reviews": outcome.model_dump(),
                "run_id": run_id,
                "model_version": run_row.model_version,
                "error": stored.said(run_row.error) if run_row.error else None,
                **run_row.counts,
            }

    result = _with_database(work)
    if result["state"] != "succeeded":
        reason = f": {result['error']}" if result.get("error") else ""
        typer.echo(
            text("cli.match.failed", run_id=result["run_id"], state=result["state"], reason=reason), err=True
        )
        raise typer.Exit(1)
    model, engine_used = result["model_version"], result.get("engine")
    typer.echo(text("cli.match.done", run_id=result["run_id"], model=model, engine=engine_used))
    for key in (
        "records",
        "scored",
        "pairs_scored",
        "auto_pairs",
        "persons_new",
        "reviews_new",
        "reviews_open",
        "kept_apart",
    ):
        typer.echo(f"  {text('cli.match.count.' + key)}: {result.get(key)}")
    typer.echo("  " + text("cli.match.fields", fields=", ".join(result.get("fields") or [])))
    if result.get("relatives_rules") is False:
        typer.echo("  " + text("cli.match.no_relatives_rules"))
    outcome = result["reviews"]
    typer.echo(
        "  "
        + text(
            "cli.match.reviews",
            queued=outcome["queued"],
            decided=outcome["decided"],
            matches=outcome["matches"],
        )
    )
    for decision, n in sorted(result.get("links", {}).items()):
        typer.echo("  " + text("cli.match.links", decision=decision, count=n))
    _echo_calibration(result.get("calibration"))
    untrained = result.get("untrained_levels") or []
    if untrained:
        typer.echo("  " + text("cli.match.untrained", count=len(untrained), levels="; ".join(untrained)))


def _echo_calibration(fitted: dict[str, Any] | None) -> None:
    if not fitted:
        return
    labels = fitted.get("labels", {})
    kinds = ", ".join(f"{k.split(':', 1)[1]} {n}" for k, n in labels.items() if k.startswith("kind:"))
    said = text(
        "cli.match.calibration",
        calibration_id=fitted.get("calibration_id"),
        labels=kinds or text("cli.match.none"),
        rescored=fitted.get("reviews_rescored"),
    )
    typer.echo("  " + said)


@match_app.command("calibrate", help=help_text("cli.help.match.calibrate"))
def calibrate_command() -> None:
    """Refit the score calibration of the active model (labels from settled CURPs and reviewers'
    decisions) and rescore the open reviews."""
    from interop.matching import service

    async def work(settings: Settings, db: Database) -> dict[str, Any] | None:
        async with db.sessionmaker() as session:
            fitted = await service.calibrate(session, settings=settings)
            await session.commit()
            return fitted

    fitted = _with_database(work)
    if fitted is None:
        typer.echo(text("cli.match.no_model"), err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(fitted, indent=2))


@match_app.command("evaluate", help=help_text("cli.help.match.evaluate"))
def evaluate_command(
    truth: Annotated[Path, typer.Option(exists=True, dir_okay=False, help=help_text("cli.help.match.truth"))],
    as_json: Annotated[bool, typer.Option("--json", help=help_text("cli.help.match.json"))] = False,
) -> None:
    """Pairwise precision / recall / F1 of the current links against a truth file."""
    from interop.matching import service

    truth_map = service.read_truth(truth)

    async def work(settings: Settings, db: Database) -> dict[str, Any]:
        async with db.sessionmaker() as session:
            return (await service.evaluate(session, truth=truth_map)).model_dump()

    report = _with_database(work)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        text("cli.match.truth", in_truth=report["records_in_truth"], assigned=report["records_assigned"])
    )
    for name in ("auto", "auto_and_review"):
        typer.echo(f"{name}:")
        for pair, s in report[name].items():
            scores = text(
                "cli.match.scores",
                precision=s["precision"],
                recall=s["recall"],
                f1=s["f1"],
                tp=s["true_positives"],
                predicted=s["predicted_pairs"],
                true=s["true_pairs"],
            )
            typer.echo(f"  {pair:18} {scores}")


@persons_app.command("export", help=help_text("cli.help.persons.export"))
def export_command(
    out: Annotated[Path, typer.Option(dir_okay=False, help=help_text("cli.help.persons.out"))],
) -> None:
    """One row per source record: source,record_id,person_id."""
    from interop.matching import service

    async def work(settings: Settings, db: Database) -> int:
        async with db.sessionmaker() as session:
            n = await service.export_persons(session, _context(), out=out)
            await session.commit()
            return n

    n = _with_database(work)
    typer.echo(text("cli.persons.exported", count=n, path=out))
