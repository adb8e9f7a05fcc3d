"""Route matching that skips an included router when the request's path cannot be one of its routes.

FastAPI (0.165) includes routers lazily: for every request the app asks each included router in turn
whether one of its routes matches, and each asks every route below it. A request for a route of the last
router walks every route of the app: 0.3–0.7 ms of CPU a request on this box (bench/audit/RESULTS.md,
"Session 7"), most of what a served inclusion proof costs beyond its one statement.

A route's path can only match paths that begin with its literal part (the text before its first
parameter: Starlette compiles the rest of it into the pattern). So an included router whose routes' literal
parts all fail to begin the path answers "no match", full or partial, and is not asked. The guard is only
that necessary condition: the routes, their order and every answer are FastAPI's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_Matches = Callable[[Scope], tuple[Match, Scope]]


def literal_prefixes(router: APIRouter, prefix: str = "") -> tuple[str, ...] | None:
    """What every path a route of ``router`` (included with ``prefix``) matches begins with; None when
    that is not known without FastAPI's internals (a router that includes routers and has no prefix)."""
    if router.prefix:  # routers included in it inherit it
        return (prefix + router.prefix,)
    literals: set[str] = set()
    for route in router.routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        literals.add(prefix + path.split("{", 1)[0])
    return tuple(sorted(literals))


def route_path(scope: Scope) -> str:
    # Starlette's own reading (``starlette._utils.get_route_path``): the path under the app's root path.
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def guard(route: BaseRoute, literals: tuple[str, ...]) -> None:
    """Answer "no match" for ``route`` (an included router of the app) without asking it, when the path
    begins with none of ``literals``."""
    ask: _Matches = route.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket") and not route_path(scope).startswith(literals):
            return Match.NONE, {}
        return ask(scope)

    # On this one object, which the app's route table holds (its class is FastAPI's private one).
    route.matches = matches  # type: ignore[method-assign]


def include(parent: APIRouter, router: APIRouter, *, prefix: str = "", **options: Any) -> None:
    """``parent.include_router(router, prefix=prefix, **options)``, guarded by the literal parts of its
    routes."""
    parent.include_router(router, prefix=prefix, **options)
    literals = literal_prefixes(router, prefix)
    if literals is not None:
        guard(parent.routes[-1], literals)
