"""The check behind route policies (``interop.api.policy.require``). Every route is denied unless it declares
``require(resource, permission)``; a test walks the app's route table and fails on any route without a
policy that is not public.

A request passes when its bearer token verifies (embedded keys, or the external issuer's JWKS), its client
is not revoked, it is within the client's rate limit, and a granted SMART scope covers the policy.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request

from interop import messages
from interop.api.addresses import client_address
from interop.api.deps import settings_of

# Re-exported for routers written against this module; new code imports them from interop.api.policy.
from interop.api.policy import POLICY_ATTR as POLICY_ATTR
from interop.api.policy import require as require
from interop.api.routes import template_of
from interop.auth import scopes
from interop.auth import service as auth_service
from interop.auth.errors import ActingUserInvalid
from interop.auth.jwks import RemoteKeySet, verify_external
from interop.auth.ratelimit import RateLimiter
from interop.auth.tokens import KeyRing, directory_stamp, verify_until
from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.errors import DomainError, Forbidden, TooManyRequests, Unauthenticated

_USER_ID = re.compile(r"^[A-Za-z0-9._@:-]{1,128}$")
_CURP_LIKE = re.compile(r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d", re.IGNORECASE)
KEY_RELOAD_INTERVAL_S = 1.0


@dataclass
class AuthRuntime:
    """Per-process auth state, created on first use and kept on ``app.state.auth_runtime``."""

    keys_dir: Path
    keys_stamp: int
    limiter: RateLimiter
    remote: RemoteKeySet | None
    # /auth/token: every request per network address, failed authentications per client name.
    token_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    keys_checked_at: float = float("-inf")
    clients: dict[str, tuple[bool | None, float]] = field(default_factory=dict)
    # Verified tokens: an ES256 check costs ~0.3 ms of CPU per request, and a client sends the same token
    # until it expires. An entry is good for the keyring object it was checked with (a rotation or
    # retirement replaces that object) and until the token's own expiry.
    tokens: dict[str, tuple[Actor, float, KeyRing]] = field(default_factory=dict)


def runtime(app: FastAPI) -> AuthRuntime:
    found: AuthRuntime | None = getattr(app.state, "auth_runtime", None)
    if found is not None:
        return found
    settings = settings_of(app)
    keys_dir = settings.resolved_data_dir / "keys"
    made = AuthRuntime(
        keys_dir=keys_dir,
        keys_stamp=-1,  # unknown: the first check reloads, in case the folder changed since start-up
        limiter=RateLimiter(settings.rate_limit_per_minute),
        token_limiter=RateLimiter(settings.token_rate_limit_per_minute),
        remote=RemoteKeySet(settings.auth_jwks_url, ttl_s=settings.auth_jwks_cache_s)
        if settings.auth_jwks_url
        else None,
    )
    app.state.auth_runtime = made
    return made


def current_keyring(app: FastAPI) -> KeyRing:
    """The embedded keys, reloaded when ``interop clients rotate-key``/``retire-key`` changed the folder."""
    rt = runtime(app)
    now = time.monotonic()
    if now - rt.keys_checked_at >= KEY_RELOAD_INTERVAL_S:
        rt.keys_checked_at = now
        stamp = directory_stamp(rt.keys_dir)
        if stamp != rt.keys_stamp:
            app.state.keyring = KeyRing.load_or_create(rt.keys_dir)
            rt.keys_stamp = stamp
    keyring: KeyRing = app.state.keyring
    return keyring


def _verified(app: FastAPI, settings: Settings, token: str) -> Actor:
    keyring = current_keyring(app)
    rt = runtime(app)
    hit = rt.tokens.get(token)
    if hit is not None and hit[2] is keyring and time.time() < hit[1]:
        return hit[0]
    actor, expires = verify_until(keyring, settings, token)
    if len(rt.tokens) >= 10_000:
        rt.tokens.clear()
    rt.tokens[token] = (actor, expires, keyring)
    return actor


async def client_state(app: FastAPI, name: str) -> bool | None:
    """Active / revoked / unknown, cached for ``auth_client_cache_s`` so few checks reach the database."""
    rt = runtime(app)
    settings = settings_of(app)
    now = time.monotonic()
    hit = rt.clients.get(name)
    if hit is not None and now - hit[1] < settings.auth_client_cache_s:
        return hit[0]
    async with app.state.sessionmaker() as session:
        state = await auth_service.client_active(session, name=name)
    if len(rt.clients) > 10_000:
        rt.clients.clear()
    rt.clients[name] = (state, now)
    return state


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    value = 'Bearer realm="interop"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return {"WWW-Authenticate": value}


def _in_english(exc: DomainError) -> str:
    """RFC 6750 §3: a challenge's error_description is ASCII, so the header says it in English whatever the
    request's language (the body says it in that language)."""
    return messages.render(exc.key, exc.params, messages.ENGLISH) if exc.key else exc.message


async def authenticate(request: Request) -> Actor:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated.said_with("auth.bearer_required", {}, headers=_challenge())
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Unauthenticated.said_with("auth.bearer_required", {}, headers=_challenge("invalid_request"))
    app: FastAPI = request.app
    settings = settings_of(app)
    rt = runtime(app)
    try:
        if rt.remote is not None:
            actor = await verify_external(rt.remote, settings, token.strip())
        else:
            actor = _verified(app, settings, token.strip())
        # Rows are never deleted, so "unknown" means a client this database never registered (an external
        # issuer's, or a test's); a registered client that was revoked loses its live tokens here.
        if await client_state(app, actor.client_id) is False:
            raise Unauthenticated.said("auth.client_revoked")
    except Unauthenticated as exc:
        exc.headers.update(_challenge("invalid_token", _in_english(exc)))
        raise
    # The client is known from here on: a refusal of what follows is audited in its name.
    request.state.actor = actor
    acting_user = request.headers.get("x-acting-user")
    if acting_user:
        actor = Actor(actor.client_id, actor.role, actor.scopes, actor.clues, acting_user_id(acting_user))
    return actor


def acting_user_id(value: str) -> str:
    """The person acting, as the client names them: an opaque user id for the audit trail, never a name or
    a CURP (audit events hold identifiers only, and would refuse it later, failing the request).

    The service does not authenticate this person: the client asserts them, and the audit records the user
    as asserted by that client (docs/security.md)."""
    value = value.strip()
    if not _USER_ID.match(value) or _CURP_LIKE.search(value):
        raise ActingUserInvalid.said("auth.acting_user_invalid")
    return value


def context_for(request: Request, actor: Actor) -> RequestContext:
    return RequestContext(
        actor=actor,
        request_id=request.state.request_id,
        trace_id=request.state.trace_id,
        network_address=client_address(request),
    )


def route_template(request: Request) -> str:
    """The matched route's full template (``/fhir/Task/{id}``): audit events never hold concrete ids."""
    return template_of(request.scope)


async def guard(request: Request, resource: str, permission: str) -> RequestContext:
    """The policy check behind ``require``: authenticate, rate-limit, check the SMART scope, and return the
    request's context. Installed by the app factory as ``app.state.policy_guard``."""
    # A refusal (401/403) is audited by the error handler (interop.error_handlers), with the actor set here.
    actor = await authenticate(request)
    request.state.actor = actor
    wait = runtime(request.app).limiter.take(actor.client_id)
    if wait is not None:
        raise TooManyRequests.said_with("auth.rate_limited", {}, headers={"Retry-After": str(wait)})
    if not scopes.allows(actor.scopes, resource, permission):
        raise Forbidden.said_with(
            "auth.scope_required",
            {"scope": f"system/{resource}.{permission}"},
            headers=_challenge("insufficient_scope"),
        )
    ctx = context_for(request, actor)
    request.state.context = ctx
    return ctx
