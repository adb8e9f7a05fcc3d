"""Request-scoped dependencies: the session (the edge owns the transaction) and the caller's context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from interop.config import Settings


@asynccontextmanager
async def _committed(request: Request, maker: Callable[[], AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of ``maker``: committed when the endpoint returns, rolled back when it raises."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    _answered(request)


def _answered(request: Request) -> None:
    outage = getattr(request.app.state, "db_outage", None)
    if outage is not None and outage.down:
        outage.succeeded()  # the database answers again (one log line, from whoever sees it first)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back when it raises."""
    async with _committed(request, request.app.state.sessionmaker) as session:
        yield session


async def get_reading_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose every statement runs alone, in autocommit: one round trip a statement, with no
    BEGIN before it and no COMMIT after (two of the three round trips of a one-statement request). Only for
    routes that answer from one statement (one snapshot) and write nothing: nothing it writes would be
    undone by an error."""
    async with request.app.state.reading_sessionmaker() as session:
        yield session
    _answered(request)


async def get_lookup_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route whose every statement is an index lookup that plans well without its values,
    and whose one write is its audit record (``Patient/$match``): each statement runs alone in autocommit
    (no BEGIN round trip; each statement of a READ COMMITTED transaction takes its own snapshot anyway)
    on a connection that plans every prepared statement generically from connect on (no
    ``SET LOCAL plan_cache_mode`` round trip; ``db.engine.create_engine(generic_plans=True)``). The
    audit records are written at the end, all in one statement (``audit.service``) before the response
    is sent: a 2xx still means they are on disk. An error before that writes none of them."""
    async with _committed(request, request.app.state.lookup_sessionmaker) as session:
        yield session


def settings_of(app: FastAPI) -> Settings:
    """The settings the app was started with: the one place that reads them off the app's state."""
    settings: Settings = app.state.settings
    return settings


async def get_settings(request: Request) -> Settings:
    """``SettingsDep``: routes take the settings as a dependency, never from ``request.app.state``.

    A coroutine on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop
    (wake a worker, hand the result back) on every request that asks for the settings."""
    return settings_of(request.app)


# scope="function": commit before the response is sent, so a failed commit is an error, not a lost write.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# scope="function": the connection goes back to the pool before the response is sent.
ReadingSessionDep = Annotated[AsyncSession, Depends(get_reading_session, scope="function")]
# scope="function": the audit is written before the response is sent (a failed write is an error).
LookupSessionDep = Annotated[AsyncSession, Depends(get_lookup_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# Database ids are bigint: larger values are the caller's mistake (422), not a driver error.
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]
