"""Route policies, as every router declares them: ``require(resource, permission)`` is the dependency that
admits a request and returns its context. Routes without one are denied (a test walks the route table).

The check itself (bearer token, revocation, rate limit, SMART scope) is the auth domain's: the app
factory installs it as ``app.state.policy_guard``, so routers of every package, audit's among them,
declare policies without importing auth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from interop.context import RequestContext

POLICY_ATTR = "__interop_policy__"
Guard = Callable[[Request, str, str], Awaitable[RequestContext]]


def require(resource: str, permission: str) -> Callable[[Request], Awaitable[RequestContext]]:
    """A dependency: the installed guard admits the request for ``system/{resource}.{permission}``."""

    async def policy(request: Request) -> RequestContext:
        guard: Guard | None = getattr(request.app.state, "policy_guard", None)
        if guard is None:  # an app built without the factory: a bug, never an open door
            raise RuntimeError("no policy guard installed on the app")
        return await guard(request, resource, permission)

    setattr(policy, POLICY_ATTR, (resource, permission))
    return policy
