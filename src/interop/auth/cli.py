"""Placeholder: filled by its owner."""

from __future__ import annotations

import typer

clients_app = typer.Typer(no_args_is_help=True)


def token(client: str = typer.Option(..., "--client")) -> None:
    raise typer.Exit(1)
