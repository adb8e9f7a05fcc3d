"""Route policies. Every route is denied unless it declares ``require(resource, permission)``;
a test walks the app's route table and fails on any route without a policy that is not public.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from interop.auth import scopes
from interop.auth.tokens import KeyRing, verify
from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.errors import Forbidden, Unauthenticated

POLICY_ATTR = "__interop_policy__"


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, Any]:
    value = 'Bearer realm="interop"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return {"_headers": {"WWW-Authenticate": value}}


def authenticate(request: Request) -> Actor:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated("a bearer token is required", details=_challenge())
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required", details=_challenge("invalid_request"))
    keyring: KeyRing = request.app.state.keyring
    settings: Settings = request.app.state.settings
    try:
        actor = verify(keyring, settings, token.strip())
    except Unauthenticated as exc:
        exc.details.update(_challenge("invalid_token", exc.message))
        raise
    acting_user = request.headers.get("x-acting-user")
    if acting_user:
        actor = Actor(actor.client_id, actor.role, actor.scopes, actor.clues, acting_user[:128])
    return actor


def context_for(request: Request, actor: Actor) -> RequestContext:
    client = request.client
    return RequestContext(
        actor=actor,
        request_id=request.state.request_id,
        trace_id=request.state.trace_id,
        network_address=client.host if client else None,
    )


def require(resource: str, permission: str) -> Callable[[Request], Awaitable[RequestContext]]:
    """A dependency: authenticate, check the SMART scope, and return the request's context."""

    async def policy(request: Request) -> RequestContext:
        actor = authenticate(request)
        request.state.actor = actor
        if not scopes.allows(actor.scopes, resource, permission):
            raise Forbidden(
                f"scope system/{resource}.{permission} required",
                details=_challenge("insufficient_scope"),
            )
        ctx = context_for(request, actor)
        request.state.context = ctx
        return ctx

    setattr(policy, POLICY_ATTR, (resource, permission))
    return policy
