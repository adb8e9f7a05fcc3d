"""The app's HTTP operations as a flat list, whatever way the FastAPI version nests included routers.

Used by the OpenAPI split, the policy (default-deny) test and the route × role matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant


@dataclass(frozen=True)
class Operation:
    path: str
    methods: frozenset[str]
    endpoint: Callable[..., Any]
    dependant: Dependant
    include_in_schema: bool


def operations(app: FastAPI) -> list[Operation]:
    return list(_iter(app))


def _iter(app: FastAPI) -> Iterator[Operation]:
    iter_contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if iter_contexts is None:  # FastAPI without lazy included routers: routes are already flat
        for route in app.routes:
            if isinstance(route, fastapi_routing.APIRoute):
                yield Operation(
                    route.path,
                    frozenset(route.methods or ()),
                    route.endpoint,
                    route.dependant,
                    route.include_in_schema,
                )
        return
    for ctx in iter_contexts(app.routes):
        original = ctx.original_route
        if not isinstance(original, fastapi_routing.APIRoute):
            continue
        path = ctx.path or original.path
        yield Operation(
            path,
            frozenset(original.methods or ()),
            original.endpoint,
            original.dependant,
            bool(getattr(ctx, "include_in_schema", original.include_in_schema)),
        )


def template_of(scope: Mapping[str, Any]) -> str:
    """The matched route's full template (``/fhir/Task/{task_id}``), for metrics, logs and audit events,
    which never hold concrete ids.

    FastAPI with lazily included routers leaves the prefix-less original route in ``scope["route"]``; the
    full template is on the effective route context it records for the request.
    """
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) if effective is not None else None
    route = scope.get("route")
    template = template or getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"
