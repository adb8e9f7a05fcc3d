"""Every dependency of every route is a coroutine: FastAPI runs a plain ``def`` dependency in its thread
pool, a thread hop (wake a worker, hand the result back across threads) on each request that uses it. The
settings dependency was one, on every ``/fhir`` and ``/v1`` request (``Patient/$match`` among them)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI

from interop.api.routes import operations


def _is_async(call: Any) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or (not inspect.isfunction(call) and inspect.iscoroutinefunction(type(call).__call__))
    )


def _sync_dependencies(dependant: Any, path: str, out: list[str]) -> None:
    for sub in dependant.dependencies:
        if sub.call is not None and not _is_async(sub.call):
            out.append(f"{path}: {getattr(sub.call, '__qualname__', sub.call)}")
        _sync_dependencies(sub, path, out)


def test_no_route_depends_on_a_plain_function(app: FastAPI) -> None:
    found: list[str] = []
    routes = operations(app)
    for route in routes:
        _sync_dependencies(route.dependant, route.path, found)
    assert any(r.path == "/fhir/Patient/$match" for r in routes)
    assert found == []
