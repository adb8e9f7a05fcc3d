"""Default deny, checked against the app's own route table, so routes added later are covered too.

1. Every route declares a ``require(resource, permission)`` policy unless it is explicitly public.
2. A generated matrix: every route × every role (and no token, an expired token, a forged token) gets the
   status its declared policy and the role's scopes imply — 401 with a Bearer challenge for missing or bad
   tokens, 403 for insufficient scope, and for allowed roles neither (the request itself may 404/422: only
   the authorisation outcome is asserted).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from interop.auth import scopes
from interop.auth.dependencies import POLICY_ATTR, require
from interop.config import Settings
from interop.main import create_app
from interop.web.deps import PERSON_POLICY_ATTR

# Routes anyone may call. Adding to this list is a security decision: say why next to the entry.
PUBLIC_PATHS = {
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/metrics": "Prometheus scrape (no identifiers)",
    "/fhir/metadata": "FHIR CapabilityStatement is public by the spec",
    "/fhir/CodeSystem/resultado-referencia": "a published vocabulary (codes and displays, no personal data)",
    "/auth/token": "the token endpoint authenticates clients itself",
    "/.well-known/jwks.json": "public keys",
    "/.well-known/smart-configuration": "SMART discovery",
    "/docs": "API documentation",
    "/docs/oauth2-redirect": "API documentation",
    "/redoc": "API documentation",
    "/openapi.json": "API documentation",
    # Pages for people (interop.web): the sign-in steps themselves, the language switch and the stylesheet.
    "/app/login": "the sign-in form authenticates people itself (CSRF-checked)",
    "/app/login/totp": "second sign-in step, bound to the first by the signed session",
    "/app/login/oidc": "starts OpenID Connect sign-in",
    "/app/login/oidc/callback": "OpenID Connect sign-in returns here (state, nonce and PKCE checked)",
    "/app/lang/{code}": "language choice (no data)",
    "/app/static/{name}": "stylesheet and script (no data)",
}
DUMMY = "00000000-0000-4000-8000-000000000000"
CLINIC_CLUES = ["DFIMB000123"]
_PARAM = re.compile(r"\{[^}]+\}")

Policy = tuple[str, str]


def policies_of(dependant: Dependant) -> list[Policy]:
    """Every ``require`` policy anywhere in a route's dependency tree."""
    found: list[Policy] = []
    for sub in dependant.dependencies:
        policy = getattr(sub.call, POLICY_ATTR, None)
        if policy is not None:
            found.append(policy)
        found.extend(policies_of(sub))
    return found


def flat_routes(app: FastAPI) -> list[Any]:
    """Every route the app serves, with its full path and effective dependencies. FastAPI ≥ 0.13x keeps
    included routers as branches instead of copying their routes up, so ``app.routes`` alone is not enough."""
    return list(iter_route_contexts(app.routes))


def person_policies_of(dependant: Dependant) -> list[tuple[str, ...]]:
    """Every ``require_person`` gate (pages for people: signed-in session, not a bearer token)."""
    found: list[tuple[str, ...]] = []
    for sub in dependant.dependencies:
        policy = getattr(sub.call, PERSON_POLICY_ATTR, None)
        if policy is not None:
            found.append(policy)
        found.extend(person_policies_of(sub))
    return found


def unguarded(app: FastAPI) -> list[str]:
    """Routes (method and path) that are neither public nor guarded by a policy. A mounted sub-application
    bypasses FastAPI dependencies entirely, so it has no policy and must be listed as public."""
    out: list[str] = []
    for route in flat_routes(app):
        path = route.path or "?"
        if path in PUBLIC_PATHS:
            continue
        dependant = getattr(route, "dependant", None)
        if dependant is None or not (policies_of(dependant) or person_policies_of(dependant)):
            out.append(f"{','.join(sorted(route.methods or {'ANY'}))} {path}")
    return out


def _route_table() -> list[tuple[str, str, tuple[Policy, ...]]]:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    table = []
    for route in flat_routes(app):
        dependant = getattr(route, "dependant", None)
        policies = tuple(policies_of(dependant)) if dependant is not None else ()
        if str(route.path).startswith("/app/"):
            continue  # pages take a session cookie, not a bearer token: tests/web checks their gates
        for method in sorted((route.methods or set()) - {"HEAD"}):
            table.append((method, str(route.path), policies))
    return table


ROUTES = _route_table()


def test_every_route_declares_a_policy_or_is_public() -> None:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    assert unguarded(app) == []
    # The token endpoint and discovery are reachable, and at least the health probes exist: the table is real.
    paths = {path for _, path, _ in ROUTES}
    assert {"/auth/token", "/.well-known/jwks.json", "/healthz", "/fhir/metadata"} <= paths


async def _nested(ctx: Annotated[Any, Depends(require("Task", "r"))]) -> Any:
    return ctx


def test_the_check_catches_a_route_without_policy() -> None:
    app = FastAPI()

    @app.get("/guarded-directly")
    async def guarded(ctx: Annotated[Any, Depends(require("Task", "r"))]) -> None: ...

    @app.get("/guarded-nested")
    async def guarded_nested(ctx: Annotated[Any, Depends(_nested)]) -> None: ...

    @app.get("/forgotten")
    async def forgotten() -> None: ...

    guarded_router = APIRouter(dependencies=[Depends(require("Patient", "s"))])

    @guarded_router.get("/by-router")
    async def by_router() -> None: ...

    loose_router = APIRouter()

    @loose_router.post("/{thing_id}/loose")
    async def loose(thing_id: str) -> None: ...

    guarded_at_include = APIRouter()

    @guarded_at_include.get("/by-include")
    async def by_include() -> None: ...

    app.include_router(guarded_at_include, prefix="/v8", dependencies=[Depends(require("Task", "r"))])
    app.include_router(guarded_router, prefix="/v9")
    app.include_router(loose_router, prefix="/v9")
    app.mount("/static", FastAPI())
    found = unguarded(app)
    assert "POST /v9/{thing_id}/loose" in found
    assert "GET /v9/by-router" not in found
    assert "GET /v8/by-include" not in found  # a policy given at include time counts
    assert "GET /forgotten" in found
    assert any(f.endswith(" /static") for f in found)
    assert not any("guarded" in f for f in found), found


def _url(path: str) -> str:
    return _PARAM.sub(DUMMY, path)


def _forged(app: FastAPI) -> str:
    settings: Settings = app.state.settings
    claims = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "test-admin",
        "role": "admin",
        "scope": "system/*.cruds",
        "iat": 1_900_000_000 - 10,
        "exp": 4_000_000_000,
    }
    stranger = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": app.state.keyring.current.kid})


@pytest.fixture
async def raw_client(app: FastAPI) -> Any:
    # Other domains' handlers may fail on dummy ids; the matrix judges only the auth outcome, so a handler's
    # exception must come back as its 500 response rather than abort the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def check_route(
    app: FastAPI,
    http: httpx.AsyncClient,
    token_for: Any,
    method: str,
    path: str,
    policies: tuple[Policy, ...],
) -> dict[str, int]:
    """Call one route with every token case and assert the auth outcome; the statuses seen, by case."""
    url = _url(path)
    seen: dict[str, int] = {}
    if path in PUBLIC_PATHS:
        response = await http.request(method, url)
        assert response.status_code not in (401, 403), f"public {method} {path} refused anonymously"
        return {"anonymous": response.status_code}
    assert policies, f"{method} {path} has no policy"
    bad_tokens = {"no token": None, "expired": token_for("admin", ttl_s=-120), "forged": _forged(app)}
    for label, token in bad_tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.request(method, url, headers=headers)
        assert response.status_code == 401, f"{method} {path} with {label}: {response.status_code}"
        assert response.headers["www-authenticate"].startswith("Bearer"), f"{method} {path} {label}"
        seen[label] = response.status_code
    for role in scopes.Role:
        token = token_for(role.value, clues=CLINIC_CLUES if role is scopes.Role.CLINIC else [])
        response = await http.request(method, url, headers={"Authorization": f"Bearer {token}"})
        allowed = all(scopes.allows(scopes.ROLE_SCOPES[role], res, perm) for res, perm in policies)
        if allowed:
            assert response.status_code not in (401, 403), (
                f"{role.value} should pass {policies} on {method} {path}: {response.status_code}"
            )
        else:
            assert response.status_code == 403, f"{role.value} should be refused on {method} {path}"
            assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        seen[role.value] = response.status_code
    return seen


@pytest.mark.parametrize(
    ("method", "path", "policies"),
    [pytest.param(m, p, pol, id=f"{m} {p}") for m, p, pol in ROUTES],
)
async def test_route_matrix(
    app: FastAPI,
    raw_client: httpx.AsyncClient,
    token_for: Any,
    method: str,
    path: str,
    policies: tuple[Policy, ...],
) -> None:
    await check_route(app, raw_client, token_for, method, path, policies)


async def test_matrix_judges_a_guarded_route(
    app: FastAPI, probe_client: httpx.AsyncClient, token_for: Any
) -> None:
    """The matrix's own yardstick on a known route (``require("Task", "u")``): clinic and admin pass."""
    seen = await check_route(app, probe_client, token_for, "GET", "/_probe/task", (("Task", "u"),))
    assert seen == {
        "no token": 401,
        "expired": 401,
        "forged": 401,
        "bienestar": 403,
        "clinic": 200,
        "reviewer": 403,
        "auditor": 403,
        "admin": 200,
    }
