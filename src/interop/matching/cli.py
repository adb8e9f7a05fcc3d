"""Placeholder: filled by its owner."""

from __future__ import annotations

import typer

match_app = typer.Typer(no_args_is_help=True)
persons_app = typer.Typer(no_args_is_help=True)
