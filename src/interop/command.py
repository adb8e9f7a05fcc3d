"""Running CLI work against the database: one place that prepares it (embedded or DATABASE_URL, migrated),
turns failures into a plain message and exit code, and stops the embedded server afterwards.

Exit codes: 2 when the database cannot be used, 1 when the work itself is refused (a domain error).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.config import Settings
from interop.db.runtime import DatabaseUnavailable, open_database, prepare
from interop.errors import DomainError

T = TypeVar("T")


def fail(label: str, message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"{label}: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def database(
    label: str, settings: Settings, *, migrate_db: bool = True, as_owner: bool = False
) -> Iterator[str]:
    """The database URL, ready (the application's role; the owner's with ``as_owner``); the embedded
    server (if started here) is stopped on the way out."""
    try:
        url, server = prepare(settings, migrate_db=migrate_db, as_owner=as_owner)
    except DatabaseUnavailable as exc:
        raise fail(label, str(exc), 2) from None
    # Work done from the CLI is audited like work done over HTTP, periodic checkpoints included.
    audit_service.configure(settings)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


def run_session(label: str, settings: Settings, url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on a prepared database, committed when it returns."""

    async def run() -> T:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            result = await work(session)
            await session.commit()
            return result

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise fail(label, exc.message) from None


def in_session(label: str, settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Prepare the database, then run ``work`` in one transaction."""
    with database(label, settings) as url:
        return run_session(label, settings, url, work)
