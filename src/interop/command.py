"""Running CLI work against the database: one place that prepares it (embedded or DATABASE_URL, migrated),
turns failures into a plain message and exit code, and stops the embedded server afterwards.

Exit codes: 2 when the database cannot be used, 1 when the work itself is refused (a domain error).

Below the domains' CLI modules: what a process must set up once its database is ready (the audit trail's
signing) is registered by the ``interop`` command (``on_database_ready``), so this module imports no domain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interop.config import Settings
from interop.db.embedded import EmbeddedServer
from interop.db.runtime import Database, DatabaseUnavailable, open_database, prepare
from interop.errors import DomainError

T = TypeVar("T")
_ready_hooks: list[Callable[[Settings], object]] = []


def on_database_ready(hook: Callable[[Settings], object]) -> None:
    """Run ``hook(settings)`` whenever a command's database is ready (once per hook)."""
    if hook not in _ready_hooks:
        _ready_hooks.append(hook)


def fail(label: str, message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"{label}: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def prepared(
    label: str, settings: Settings, *, migrate_db: bool = True, as_owner: bool = False
) -> Iterator[tuple[str, EmbeddedServer | None]]:
    """The database URL, ready, and the embedded server when this process started one (stopped on the way
    out). A database that cannot be used ends the command with exit code 2."""
    try:
        url, server = prepare(settings, migrate_db=migrate_db, as_owner=as_owner)
    except DatabaseUnavailable as exc:
        raise fail(label, str(exc), 2) from None
    try:
        for hook in _ready_hooks:
            hook(settings)
        yield url, server
    finally:
        if server is not None:
            server.stop()


@contextmanager
def database(
    label: str, settings: Settings, *, migrate_db: bool = True, as_owner: bool = False
) -> Iterator[str]:
    """The database URL, ready (the application's role; the owner's with ``as_owner``); the embedded
    server (if started here) is stopped on the way out."""
    with prepared(label, settings, migrate_db=migrate_db, as_owner=as_owner) as (url, _server):
        yield url


def with_database(label: str, settings: Settings, work: Callable[[Settings, Database], Awaitable[T]]) -> T:
    """Prepare the database, open it (engine and session maker) and run ``work``; ``settings.database_url``
    is the prepared one while it runs. ``work`` commits what it needs to."""
    with database(label, settings) as url:
        settings.database_url = url

        async def run() -> T:
            async with open_database(settings, url) as db:
                return await work(settings, db)

        try:
            return asyncio.run(run())
        except DomainError as exc:
            raise fail(label, exc.localised()) from None


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
        raise fail(label, exc.localised()) from None


def in_session(label: str, settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Prepare the database, then run ``work`` in one transaction."""
    with database(label, settings) as url:
        return run_session(label, settings, url, work)
