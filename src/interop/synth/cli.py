"""``interop synth``: write a synthetic population, with progress and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from interop.messages import help_text, text
from interop.synth.generate import SynthSummary, synthesize
from interop.synth.kin.generate import synthesize_kin
from interop.synth.kin.model import KinModel
from interop.synth.profile import ErrorModel

GENERATORS = ("default", "kin")


def command(
    out: Annotated[Path, typer.Option("--out", help=help_text("cli.help.synth.out"))],
    people: Annotated[
        int, typer.Option("--people", min=1, help=help_text("cli.help.synth.people"))
    ] = 100_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help=help_text("cli.help.synth.seed"))] = 0,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", exists=True, dir_okay=False, help=help_text("cli.help.synth.profile")),
    ] = None,
    generator: Annotated[
        str,
        typer.Option(
            "--generator",
            help=help_text("cli.help.synth.generator"),
        ),
    ] = "default",
) -> None:
    """Write pension_roll.csv, patients.csv, units.csv, truth.csv, hard_negatives.csv and noise.csv."""
    console = Console(stderr=True)
    if generator not in GENERATORS:
        raise typer.BadParameter(f"one of {', '.join(GENERATORS)}", param_hint="--generator")
    try:
        if generator == "kin":
            kin = KinModel.from_file(profile) if profile is not None else KinModel()
        else:
            model = ErrorModel.from_file(profile) if profile is not None else ErrorModel()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from exc

    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary: SynthSummary = (
            synthesize_kin(out, people=people, seed=seed, model=kin, progress=report)
            if generator == "kin"
            else synthesize(out, people=people, seed=seed, model=model, progress=report)
        )

    title = text("cli.synth.title", people=summary.people, seed=summary.seed)
    table = Table(title=title + (" (kin)" if generator == "kin" else ""))
    for n, column in enumerate(text("cli.synth.columns").split("|")):
        table.add_column(column, justify="right" if n in (1, 3) else "left")
    pairs = ", ".join(f"{k} {v:,}" for k, v in summary.hard_negative_pairs.items())
    rows = {
        "pension_roll.csv": (
            summary.roll_rows,
            text(
                "cli.synth.roll",
                pam=summary.roll_pam,
                pcd=summary.roll_pcd,
                duplicates=summary.roll_duplicates,
            ),
        ),
        "patients.csv": (summary.patient_rows, text("cli.synth.patients")),
        "units.csv": (summary.units, text("cli.synth.units", count=summary.units_not_operating)),
        "truth.csv": (summary.roll_rows + summary.patient_rows, "source,record_id,person_id"),
        "hard_negatives.csv": (sum(summary.hard_negative_pairs.values()), pairs),
        "noise.csv": (None, text("cli.synth.noise")),
    }
    for name, (count, detail) in rows.items():
        size = summary.files.get(name, 0) / 1e6
        table.add_row(name, "" if count is None else f"{count:,}", detail, f"{size:.1f}")
    Console().print(table)
    Console().print(
        text("cli.synth.written", path=out, seconds=summary.seconds), markup=False, highlight=False
    )
