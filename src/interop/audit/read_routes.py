"""The tree log's read-only routes — keys, signed heads, inclusion and consistency proofs — answered as
plain Starlette routes placed ahead of FastAPI's, for the requests they can answer exactly as FastAPI would.

A served proof cost ~1.9 ms of the server's CPU where the proof itself is ~0.5 ms (bench/audit/RESULTS.md,
session 7): most of the rest was FastAPI's per-request work — solving the dependency tree, validating the
query against the signature, validating and serialising the response model. These routes do the same
steps by hand: the same policy check (taken from the FastAPI route of the same path, so it cannot drift),
the same service call, the same JSON bytes. The two proofs and the latest head send their one statement
through asyncpg itself (SQLAlchemy's statement handling was half of what was left, bench/audit/RESULTS.md,
session 8); a head by size, read once and then kept, uses the reading session as its FastAPI route does.
The middleware stack (request and trace ids, access log, metrics, security headers), the error handlers (a
refusal is rendered and audited by them) and the exception handling around the routes are the app's own,
unchanged.

A request is taken only when its query is the plain case (every parameter a decimal integer in range, as
``0|[1-9][0-9]*``); anything else — a missing, malformed, negative or duplicated-and-malformed parameter,
another method, a trailing slash — is not matched here and goes on to the FastAPI route, which answers it
as it always has (its 422 and 405 bodies included). FastAPI stays the description of these routes: the
OpenAPI document is built from its routes, and these are left out of it.

Answers that can never change are kept, encoded, per app (one app, one database): a proof between two
sizes with signed heads, and a signed head by size (heads and leaves are append-only, by trigger). The
latest head is read every time.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import asyncpg
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from interop.api.deps import get_reading_session
from interop.api.policy import POLICY_ATTR, require
from interop.api.route_guard import route_path
from interop.audit import proofs, signing
from interop.audit import service as audit_service
from interop.db.outage import is_unreachable

PREFIX = "/v1/audit"
# What pydantic reads as the same integer as Python's int() does; at most 18 digits (a bigint). Anything
# else is left to FastAPI's validation.
_PLAIN = re.compile(r"0|[1-9][0-9]{0,17}")
_VALUES = "interop.audit_read_values"  # the scope key under which the matcher leaves the parsed values
_STATEMENT = "audit read (asyncpg)"  # how a driver error names the statement
ANSWERS_KEPT = 4096  # encoded answers per app: ~1 KB each at 10 M leaves

Key = tuple[str, int, int]
T = TypeVar("T")
Read = Callable[[AsyncSession], Awaitable[BaseModel]]


class Answers:
    """Encoded answers that cannot change, least recently used dropped first."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._keys: tuple[signing.Signer, bytes] | None = None  # (signer, encoded key list)

    def get(self, key: Key) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Key, body: bytes) -> None:
        self._bodies[key] = body
        if len(self._bodies) > self.size:
            self._bodies.popitem(last=False)

    def keys_of(self, signer: signing.Signer) -> bytes:
        """The public keys' document of ``signer`` (a new signer, after a reconfiguration, is read anew)."""
        if self._keys is None or self._keys[0] is not signer:
            self._keys = (signer, encode(proofs.keys(signer)))
        return self._keys[1]


def encode(model: BaseModel) -> bytes:
    """The bytes FastAPI sends for a route's response model (pydantic's JSON, by alias)."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True)


def _answers(request: Request) -> Answers:
    answers: Answers = request.app.state.audit_answers
    return answers


_reading_session = asynccontextmanager(get_reading_session)  # as ReadingSessionDep opens and closes it


async def _answer(request: Request, key: Key | None, build: Callable[[], Awaitable[BaseModel]]) -> Response:
    """The answer kept under ``key``, else built, encoded and kept (``key`` None: never kept)."""
    answers = _answers(request)
    body = answers.get(key) if key is not None else None
    if body is None:
        body = encode(await build())
        if key is not None:
            answers.put(key, body)
    return Response(body, media_type="application/json")


def _in_session(request: Request, read: Read) -> Callable[[], Awaitable[BaseModel]]:
    async def build() -> BaseModel:
        async with _reading_session(request) as session:
            return await read(session)

    return build


def _values(request: Request) -> tuple[int, ...]:
    values: tuple[int, ...] = request.scope[_VALUES]
    return values


async def _keys(request: Request) -> Response:
    await _admit(request)
    return Response(_answers(request).keys_of(audit_service.current_signer()), media_type="application/json")


async def _latest_head(request: Request) -> Response:
    await _admit(request)
    return await _answer(request, None, lambda: _on_driver(request, proofs.driver_latest_head))


async def _head(request: Request) -> Response:
    await _admit(request)
    (size,) = _values(request)
    build = _in_session(request, lambda s: proofs.head_at(s, tree_size=size))
    return await _answer(request, ("head", size, 0), build)


async def _inclusion(request: Request) -> Response:
    await _admit(request)
    index, size = _values(request)
    nodes = _driver_nodes(request)
    return await _answer(
        request, ("inclusion", index, size), lambda: proofs.inclusion_from(nodes, index=index, tree_size=size)
    )


async def _consistency(request: Request) -> Response:
    await _admit(request)
    first, second = _values(request)
    nodes = _driver_nodes(request)
    return await _answer(
        request,
        ("consistency", first, second),
        lambda: proofs.consistency_from(nodes, first=first, second=second),
    )


def _driver_nodes(request: Request) -> proofs.NodeFetch:
    """The proof's one statement through asyncpg itself (``_on_driver``)."""

    async def fetch(sizes: list[int], levels: list[int], idxs: list[int]) -> Iterable[Any]:
        return await _on_driver(request, lambda driver: proofs.driver_nodes(driver)(sizes, levels, idxs))

    return fetch


async def _on_driver(request: Request, run: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """``run`` on asyncpg itself, on a pooled connection taken only when the statement is sent (a request
    refused before it takes none, as with the reading session). No transaction: the statement runs alone,
    as in the reading session's autocommit."""
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, asyncpg.Connection)
        try:
            result = await run(driver)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            # Wrapped as SQLAlchemy wraps the driver's errors, so the same handlers answer them (503 for a
            # database gone, without a traceback); a dead connection is not put back in the pool.
            away = is_unreachable(exc)
            if away:
                await conn.invalidate()
            error = OperationalError if away else DBAPIError
            raise error(_STATEMENT, None, exc, connection_invalidated=away) from exc
    outage = getattr(request.app.state, "db_outage", None)
    if outage is not None and outage.down:
        outage.succeeded()  # the database answers again (as interop.api.deps says it)
    return result


async def _admit(request: Request) -> Any:
    """The policy of the FastAPI route of the same path (``install`` copied it onto the matched route)."""
    route: ReadRoute = request.scope["route"]
    return await route.admit(request)


# path under PREFIX, the handler, and the query parameters it takes with their least value (the FastAPI
# route's ``Query(ge=…)``; tests/audit/test_read_routes.py checks both agree).
ROUTES: tuple[tuple[str, Callable[[Request], Awaitable[Response]], tuple[tuple[str, int], ...]], ...] = (
    ("/keys", _keys, ()),
    ("/heads/latest", _latest_head, ()),
    ("/heads", _head, (("tree_size", 1),)),
    ("/proofs/inclusion", _inclusion, (("index", 0), ("tree_size", 1))),
    ("/proofs/consistency", _consistency, (("first", 1), ("second", 1))),
)


def plain_values(query_string: bytes, params: tuple[tuple[str, int], ...]) -> tuple[int, ...] | None:
    """The parameters' values when each is a plain decimal at or above its least value, else None. The last
    of repeated parameters counts, as in Starlette's ``QueryParams.get`` (what FastAPI reads)."""
    if not params:
        return ()
    given = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    out: list[int] = []
    for name, least in params:
        text = given.get(name)
        if text is None or not _PLAIN.fullmatch(text):
            return None
        value = int(text)
        if value < least:
            return None
        out.append(value)
    return tuple(out)


class ReadRoute(Route):
    """A GET route that matches only the requests its handler answers as the FastAPI route would; it
    carries that route's dependency tree (``dependant``), so the app's route table shows its policy."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        params: tuple[tuple[str, int], ...],
        twin: Any,
    ) -> None:
        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)
        self.methods = {"GET"}  # HEAD goes on to FastAPI's route, as before
        self.params = params
        self.dependant: Dependant = twin.dependant
        resource, permission = single_policy(self.dependant)
        self.admit = require(resource, permission)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or route_path(scope) != self.path:
            return Match.NONE, {}
        values = plain_values(scope.get("query_string", b""), self.params)
        if values is None:
            return Match.NONE, {}
        return Match.FULL, {"endpoint": self.endpoint, "path_params": {}, "route": self, _VALUES: values}


def policies(dependant: Dependant) -> Iterator[tuple[str, str]]:
    for sub in dependant.dependencies:
        policy = getattr(sub.call, POLICY_ATTR, None)
        if policy is not None:
            yield policy
        yield from policies(sub)


def single_policy(dependant: Dependant) -> tuple[str, str]:
    found = set(policies(dependant))
    if len(found) != 1:  # a route this module does not know how to admit: a bug, never an open door
        raise RuntimeError(f"expected one policy, found {sorted(found)}")
    (policy,) = found
    return policy


def install(app: FastAPI) -> None:
    """Put the read routes first in the app's route table, each admitting as its FastAPI twin does (the
    twins, already included, keep answering everything else and describing the routes in OpenAPI)."""
    twins = {
        ctx.path: ctx
        for ctx in iter_route_contexts(app.routes)
        if ctx.path and "GET" in (ctx.methods or ()) and getattr(ctx, "dependant", None) is not None
    }
    routes = [
        ReadRoute(PREFIX + path, endpoint, params, twins[PREFIX + path]) for path, endpoint, params in ROUTES
    ]
    app.state.audit_answers = Answers()
    app.router.routes[0:0] = routes
