"""What the OpenAPI documents say about access and refusals, read from the routes themselves.

FastAPI describes a route from its signature; the guard that admits it (``api.policy.require``) is a
dependency FastAPI cannot see into, and the service's error bodies are rendered by ``error_handlers``, not
by FastAPI's default ``{"detail": …}``. Left alone, the documents declared no security scheme, no 401 or
403 on most guarded routes, and a 422 body the service never sends — an integrator generating a client
from them would get all three wrong. This module adds, for every route with a policy:

- ``security``: the SMART scope that admits it (``system/{resource}.{permission}``), under one OAuth2
  client-credentials scheme whose token URL is ``/auth/token``;
- 401 (no valid token) and 403 (the token lacks the scope) responses;

and, on every route, the 422 body the service sends: the one JSON error of ``/v1`` or a FHIR
OperationOutcome under ``/fhir``. Descriptions already written on a route are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from interop.api.policy import POLICY_ATTR

SCHEME = "smart"
FHIR_JSON = "application/fhir+json"
_ERROR = "ErrorResponse"
_OUTCOME = "OperationOutcome"
_PERMISSIONS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}

_ERROR_SCHEMA: dict[str, Any] = {
    "title": _ERROR,
    "type": "object",
    "description": "Every /v1 refusal: a stable code, a message in the caller's language, the request id.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "es-MX, or English with Accept-Language: en."},
                "request_id": {"type": ["string", "null"]},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
_OUTCOME_SCHEMA: dict[str, Any] = {
    "title": _OUTCOME,
    "type": "object",
    "description": "FHIR R4 OperationOutcome; issue.expression names the FHIR path at fault.",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_DESCRIPTIONS = {
    401: "No valid bearer token (missing, expired, forged or revoked)",
    403: "The token lacks the scope this operation needs",
    422: "Invalid request",
}


def install(app: FastAPI) -> None:
    """Serve (and let ``interop openapi`` write) the described document instead of FastAPI's own."""
    plain: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(plain(), app)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe(schema: dict[str, Any], app: FastAPI) -> None:
    """Add the security scheme, each guarded operation's scope and refusals, and the real 422 bodies."""
    scopes: dict[str, str] = {}
    for path, method, policies in _operations(app):
        operation = schema.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        fhir = path == "/fhir" or path.startswith("/fhir/")
        responses = operation.setdefault("responses", {})
        if policies:
            needed = [f"system/{resource}.{permission}" for resource, permission in policies]
            for (resource, permission), scope in zip(policies, needed, strict=True):
                scopes[scope] = f"{_PERMISSIONS.get(permission, permission)} {resource}"
            operation["security"] = [{SCHEME: needed}]
            for status in (401, 403):
                _refusal(responses, status, fhir)
        if "422" in responses:
            _refusal(responses, 422, fhir, replace=True)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update({_ERROR: _ERROR_SCHEMA, _OUTCOME: _OUTCOME_SCHEMA})
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    components["securitySchemes"] = {
        SCHEME: {
            "type": "oauth2",
            "description": (
                "SMART Backend Services: client_credentials at /auth/token with a signed JWT assertion "
                "(private_key_jwt) or a client secret; the bearer token carries system/ scopes."
            ),
            "flows": {
                "clientCredentials": {"tokenUrl": "/auth/token", "scopes": dict(sorted(scopes.items()))}
            },
        }
    }


def _refusal(responses: dict[str, Any], status: int, fhir: bool, *, replace: bool = False) -> None:
    existing = responses.get(str(status), {})
    media, ref = (FHIR_JSON, _OUTCOME) if fhir else ("application/json", _ERROR)
    if existing.get("content") and not replace:
        return
    description = existing.get("description")
    if not description or description == "Validation Error":
        description = _DESCRIPTIONS[status]
    responses[str(status)] = {
        "description": description,
        "content": {media: {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _operations(app: FastAPI) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
    """(path, method, policies) of every route in the document; no policy for public ones."""
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if route.path is None or dependant is None or not getattr(route, "include_in_schema", True):
            continue
        policies = list(_policies(dependant))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield str(route.path), method.lower(), policies


def _policies(dependant: Dependant) -> Iterator[tuple[str, str]]:
    for sub in dependant.dependencies:
        policy = getattr(sub.call, POLICY_ATTR, None)
        if policy is not None:
            yield policy
        yield from _policies(sub)
