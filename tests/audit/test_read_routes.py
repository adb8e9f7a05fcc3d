"""The tree log's read routes answered ahead of FastAPI's (``interop.audit.read_routes``) answer exactly as
the FastAPI routes of the same paths: the same bytes and headers, the same refusals (audited the same),
the same errors; kept answers equal fresh ones; anything not plain is left to FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from interop.api.policy import POLICY_ATTR
from interop.audit import proofs, read_routes, sequencer
from interop.audit import service as audit_service
from interop.audit.read_routes import ReadRoute

from .factories import record_many

Headers = Callable[..., dict[str, str]]
# Headers that differ between any two responses (fresh ids), whoever answers.
_PER_REQUEST = {"x-request-id", "traceparent"}


async def _grow(sessionmaker: async_sessionmaker[AsyncSession], n: int) -> None:
    await record_many(sessionmaker, n)
    await sequencer.catch_up(sessionmaker, signer=audit_service.current_signer(), origin="interop.test/audit")


@pytest.fixture
async def fastapi_only(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app (same database, keys, state) whose route table lacks the read routes: the
    FastAPI routes answer everything, as before they existed."""
    plain = FastAPI()
    plain.state = app.state
    plain.router.routes = [r for r in app.router.routes if not isinstance(r, ReadRoute)]
    plain.router.lifespan_context = app.router.lifespan_context
    plain.exception_handlers = app.exception_handlers
    plain.user_middleware = app.user_middleware
    transport = httpx.ASGITransport(app=plain, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _same(ours: httpx.Response, theirs: httpx.Response) -> None:
    assert ours.status_code == theirs.status_code, (ours.text, theirs.text)
    mine = {k: v for k, v in ours.headers.items() if k not in _PER_REQUEST}
    other = {k: v for k, v in theirs.headers.items() if k not in _PER_REQUEST}
    assert mine == other
    if ours.content and ours.headers.get("content-type") == "application/json" and "error" in ours.json():
        body, other_body = ours.json(), theirs.json()
        assert body["error"].pop("request_id") == ours.headers["x-request-id"]
        assert other_body["error"].pop("request_id") == theirs.headers["x-request-id"]
        assert body == other_body
    else:
        assert ours.content == theirs.content


_READS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/audit/keys", {}),
    ("/v1/audit/heads/latest", {}),
    ("/v1/audit/heads", {"tree_size": 5}),
    ("/v1/audit/heads", {"tree_size": 11}),
    ("/v1/audit/proofs/inclusion", {"index": 0, "tree_size": 11}),
    ("/v1/audit/proofs/inclusion", {"index": 7, "tree_size": 11}),
    ("/v1/audit/proofs/inclusion", {"index": 4, "tree_size": 5}),
    ("/v1/audit/proofs/consistency", {"first": 5, "second": 11}),
    ("/v1/audit/proofs/consistency", {"first": 11, "second": 11}),
]


async def test_answers_are_the_fastapi_routes_bytes_fresh_and_kept(
    app: FastAPI,
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _grow(sessionmaker, 5)
    await _grow(sessionmaker, 6)
    auditor = auth_headers("auditor")
    asked: list[str] = []
    matches = APIRoute.matches

    def counting(self: APIRoute, scope: Any) -> Any:
        asked.append(self.path)
        return matches(self, scope)

    monkeypatch.setattr(APIRoute, "matches", counting)
    for path, params in _READS:
        theirs = await fastapi_only.get(path, params=params, headers=auditor)
        assert theirs.status_code == 200, theirs.text
        asked.clear()
        fresh = await client.get(path, params=params, headers=auditor)
        assert asked == [], path  # answered by the read route, no FastAPI route asked
        kept = await client.get(path, params=params, headers=auditor)
        _same(fresh, theirs)
        _same(kept, theirs)
    answers: read_routes.Answers = app.state.audit_answers
    assert answers.get(("inclusion", 7, 11)) is not None
    assert answers.get(("head", 11, 0)) is not None
    # the latest head is never kept: a new head is served as soon as it is signed
    await _grow(sessionmaker, 2)
    latest = await client.get("/v1/audit/heads/latest", headers=auditor)
    assert latest.json()["tree_size"] == 13
    _same(latest, await fastapi_only.get("/v1/audit/heads/latest", headers=auditor))


async def test_refusals_and_errors_are_the_fastapi_routes(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _grow(sessionmaker, 3)
    denied: list[dict[str, Any]] = []
    record_denied = audit_service.record_denied

    async def spy(sessionmaker: Any, **kwargs: Any) -> None:
        denied.append({k: v for k, v in kwargs.items() if k not in ("request_id", "trace_id")})
        await record_denied(sessionmaker, **kwargs)

    monkeypatch.setattr(audit_service, "record_denied", spy)
    auditor = auth_headers("auditor")
    clinic = auth_headers("clinic", clues=["DFIMB000001"])
    cases: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        # who may not read the log
        ("/v1/audit/keys", {}, {}),
        ("/v1/audit/heads/latest", {}, {"Authorization": "Bearer nonsense"}),
        ("/v1/audit/heads/latest", {}, {"Authorization": "Basic abc"}),
        ("/v1/audit/proofs/inclusion", {"index": 0, "tree_size": 3}, clinic),
        ("/v1/audit/heads", {"tree_size": 3}, {**auditor, "X-Acting-User": "Juan Perez"}),
        # sizes and indexes outside the tree, heads never signed
        ("/v1/audit/heads", {"tree_size": 2}, auditor),
        ("/v1/audit/heads", {"tree_size": 4}, auditor),
        ("/v1/audit/proofs/inclusion", {"index": 3, "tree_size": 3}, auditor),
        ("/v1/audit/proofs/inclusion", {"index": 0, "tree_size": 99}, auditor),
        ("/v1/audit/proofs/consistency", {"first": 3, "second": 2}, auditor),
        ("/v1/audit/proofs/consistency", {"first": 2, "second": 3}, auditor),
        # malformed: left to FastAPI's own validation (the same 422 either way)
        ("/v1/audit/proofs/inclusion", {"index": -1, "tree_size": 3}, auditor),
        ("/v1/audit/proofs/inclusion", {"index": "x", "tree_size": 3}, auditor),
        ("/v1/audit/proofs/inclusion", {"tree_size": 3}, auditor),
        ("/v1/audit/heads", {"tree_size": 0}, auditor),
        ("/v1/audit/heads", {"tree_size": "9" * 30}, auditor),
        ("/v1/audit/proofs/consistency", {"first": "1.0", "second": 3}, auditor),
        ("/v1/audit/proofs/inclusion", {"index": -1, "tree_size": 3}, {}),  # no token and malformed: 401
    ]
    for path, params, headers in cases:
        denied.clear()
        theirs = await fastapi_only.get(path, params=params, headers=headers)
        their_audit = list(denied)
        denied.clear()
        ours = await client.get(path, params=params, headers=headers)
        assert ours.status_code >= 400, (path, params)
        _same(ours, theirs)
        assert denied == their_audit, (path, params)  # a refusal is audited alike (401/403 only)
    for lang in ("en", "es-MX"):
        headers = {**auditor, "Accept-Language": lang}
        params = {"index": 0, "tree_size": 99}
        _same(
            await client.get("/v1/audit/proofs/inclusion", params=params, headers=headers),
            await fastapi_only.get("/v1/audit/proofs/inclusion", params=params, headers=headers),
        )
    head = await client.head("/v1/audit/heads/latest", headers=auditor)
    _same(head, await fastapi_only.head("/v1/audit/heads/latest", headers=auditor))


def test_plain_values_only() -> None:
    params = (("index", 0), ("tree_size", 1))
    assert read_routes.plain_values(b"index=0&tree_size=1", params) == (0, 1)
    assert read_routes.plain_values(b"tree_size=12&index=7&other=x", params) == (7, 12)
    assert read_routes.plain_values(b"index=x&index=3&tree_size=5", params) == (3, 5)  # the last counts
    for query in (
        b"index=3&index=x&tree_size=5",
        b"index=03&tree_size=5",
        b"index=%2B3&tree_size=5",
        b"index=+3&tree_size=5",
        b"index=3&tree_size=0",
        b"index=-1&tree_size=5",
        b"index=3",
        b"index=&tree_size=5",
        b"index=1e3&tree_size=5",
        b"index=3&tree_size=1234567890123456789",  # past a bigint's digits
    ):
        assert read_routes.plain_values(query, params) is None, query


def test_kept_answers_drop_the_least_recently_used() -> None:
    answers = read_routes.Answers(size=2)
    answers.put(("inclusion", 1, 2), b"a")
    answers.put(("inclusion", 0, 2), b"b")
    assert answers.get(("inclusion", 1, 2)) == b"a"  # now the most recent
    answers.put(("head", 2, 0), b"c")
    assert answers.get(("inclusion", 0, 2)) is None
    assert answers.get(("inclusion", 1, 2)) == b"a"
    assert answers.get(("head", 2, 0)) == b"c"


def test_each_read_route_admits_and_validates_as_its_fastapi_route(app: FastAPI) -> None:
    twins = {
        ctx.path: ctx for ctx in iter_route_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)
    }
    reads = [r for r in app.router.routes if isinstance(r, ReadRoute)]
    assert {r.path for r in reads} == {read_routes.PREFIX + path for path, _, _ in read_routes.ROUTES}
    for route in reads:
        twin = twins[route.path]
        assert twin.methods == {"GET"}
        assert read_routes.single_policy(route.dependant) == read_routes.single_policy(twin.dependant)
        assert getattr(route.admit, POLICY_ATTR) == read_routes.single_policy(twin.dependant)
        least = {}
        for param in twin.dependant.query_params:
            assert param.field_info.is_required(), (route.path, param.name)
            (bound,) = [m.ge for m in param.field_info.metadata if hasattr(m, "ge")]
            least[param.alias] = bound
        assert dict(route.params) == least, route.path
    assert "/v1/audit/proofs/inclusion" in app.openapi()["paths"]


async def test_a_database_gone_mid_proof_is_503_and_its_connection_is_not_reused(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The driver's own error is answered as the session's was: 503, Retry-After, by the database handler
    (not the catch-all, which re-raises to the server: a traceback a request, and an error for this client);
    the connection it came from is dropped from the pool, as SQLAlchemy drops one it sees die."""
    await _grow(sessionmaker, 3)
    invalidated: list[object] = []
    invalidate = AsyncConnection.invalidate

    async def spy(self: AsyncConnection, exception: BaseException | None = None) -> None:
        invalidated.append(self)
        await invalidate(self, exception)

    def gone(_conn: object) -> proofs.NodeFetch:
        async def fetch(*_args: list[int]) -> list[Any]:
            raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")

        return fetch

    monkeypatch.setattr(AsyncConnection, "invalidate", spy)
    monkeypatch.setattr(proofs, "driver_nodes", gone)
    auditor = auth_headers("auditor")
    response = await client.get(
        "/v1/audit/proofs/inclusion", params={"index": 0, "tree_size": 3}, headers=auditor
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert len(invalidated) == 1
    # a refusal before the statement takes no connection: the same 422 whether the database is there or not
    response = await client.get(
        "/v1/audit/proofs/inclusion", params={"index": 3, "tree_size": 3}, headers=auditor
    )
    assert response.status_code == 422


async def test_the_latest_head_is_read_by_the_driver_with_the_fastapi_routes_answers(
    app: FastAPI,
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``GET /v1/audit/heads/latest`` takes no session (its one statement goes through asyncpg, as the
    proofs' do), never answers from what it kept, and answers what the FastAPI route answers: the 404 of an
    empty log, each new head as soon as it is signed, a 503 when the database goes away."""
    auditor = auth_headers("auditor")
    path = "/v1/audit/heads/latest"
    opened: list[object] = []
    reading = app.state.reading_sessionmaker

    def counting() -> AsyncSession:
        opened.append(reading)
        session: AsyncSession = reading()
        return session

    monkeypatch.setattr(app.state, "reading_sessionmaker", counting)
    empty = await client.get(path, headers=auditor)
    assert empty.status_code == 404
    assert empty.json()["error"]["code"] == "audit-tree-head-not-found", empty.text
    assert opened == []
    _same(empty, await fastapi_only.get(path, headers=auditor))
    assert len(opened) == 1  # the FastAPI route reads through the session (the spy does count)
    for n in (3, 1, 4):
        await _grow(sessionmaker, n)
        opened.clear()
        ours = await client.get(path, headers=auditor)
        assert opened == [], "the latest head went through a session"
        theirs = await fastapi_only.get(path, headers=auditor)
        _same(ours, theirs)
        assert ours.json()["tree_size"] == theirs.json()["tree_size"]
    assert ours.json()["tree_size"] == 8

    invalidated: list[object] = []
    invalidate = AsyncConnection.invalidate

    async def spy(self: AsyncConnection, exception: BaseException | None = None) -> None:
        invalidated.append(self)
        await invalidate(self, exception)

    async def gone(_conn: object) -> object:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")

    monkeypatch.setattr(AsyncConnection, "invalidate", spy)
    monkeypatch.setattr(proofs, "driver_latest_head", gone)
    response = await client.get(path, headers=auditor)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert len(invalidated) == 1
