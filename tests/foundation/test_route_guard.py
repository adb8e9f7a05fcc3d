"""The app's route matching skips an included router whose routes cannot match the path, and answers
every path exactly as FastAPI's unguarded matching does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from interop import composition
from interop.api import route_guard
from interop.audit import router as audit_router
from interop.config import Settings
from interop.main import create_app
from interop.web.router import router as web_router

Headers = Callable[..., dict[str, str]]


async def test_a_proof_request_asks_no_route_outside_the_audit_router(
    client: httpx.AsyncClient, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    matches = APIRoute.matches

    def counting(self: APIRoute, scope: Scope) -> tuple[Match, Scope]:
        asked.append(self.path)
        return matches(self, scope)

    monkeypatch.setattr(APIRoute, "matches", counting)
    # "00" is not a plain decimal: the audit's read routes leave it to FastAPI's route (they answer the
    # plain "0" ahead of FastAPI's routes, asking none of them: below).
    response = await client.get(
        "/v1/audit/proofs/inclusion", params={"index": "00", "tree_size": 1}, headers=auth_headers("auditor")
    )
    assert response.status_code == 404  # no signed head yet: matched, routed, answered
    assert "/audit/proofs/inclusion" in asked
    assert [p for p in asked if not p.startswith(("/audit/", "/trace/"))] == []
    asked.clear()
    response = await client.get(
        "/v1/audit/proofs/inclusion", params={"index": 0, "tree_size": 1}, headers=auth_headers("auditor")
    )
    assert response.status_code == 404
    assert asked == []


def _paths(app: FastAPI) -> list[str]:
    """Every route's path with its parameters filled in, the same with a slash added or taken away, and
    a few paths no route has."""
    paths = {"/", "/v1", "/v1/", "/fhir", "/fhir/", "/app", "/nowhere", "/v1/audit", "/fhirx/metadata", ""}
    for operations in app.openapi()["paths"]:
        concrete = re.sub(r"\{[^}]+\}", "1", operations)
        paths |= {concrete, concrete + "/", concrete.rstrip("/") or "/"}
    for route in web_router.routes:
        for child in getattr(getattr(route, "original_router", None), "routes", []):
            paths.add("/app" + re.sub(r"\{[^}]+\}", "1", child.path))
    return sorted(paths)


def test_every_path_matches_as_unguarded(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1/none", data_dir=tmp_path)
    guarded = create_app(settings)  # never started: only its route table is read
    plain = FastAPI()
    for child, prefix in (*composition.ROUTERS, (web_router, "")):
        plain.include_router(child, prefix=prefix)
    guarded_routes = [r for r in guarded.router.routes if hasattr(r, "original_router")]
    plain_routes = [r for r in plain.router.routes if hasattr(r, "original_router")]
    assert len(guarded_routes) == len(plain_routes) == len(composition.ROUTERS) + 1
    skipped = 0
    for path in _paths(guarded):
        for method in ("GET", "POST", "PUT", "DELETE"):
            for root in ("", "/base"):
                scope = {"type": "http", "method": method, "path": root + path, "root_path": root}
                for mine, theirs in zip(guarded_routes, plain_routes, strict=True):
                    assert mine.matches(dict(scope)) == theirs.matches(dict(scope)), (method, root, path)
                    skipped += mine.matches(dict(scope))[0] == Match.NONE
    assert skipped > 0


def test_the_literal_part_of_each_route() -> None:
    assert route_guard.literal_prefixes(web_router) == ("/app",)
    literals = route_guard.literal_prefixes(audit_router.router, "/v1")
    assert literals is not None
    assert {"/v1/audit/entries/", "/v1/audit/proofs/inclusion", "/v1/trace/"} <= set(literals)
