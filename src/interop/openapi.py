"""The OpenAPI documents: one for the JSON API (``/v1``, auth, health) and one for ``/fhir``."""

from __future__ import annotations

import copy
from typing import Any

from interop.config import Settings


def documents() -> dict[str, dict[str, Any]]:
    from interop.main import create_app

    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    full = app.openapi()
    fhir = copy.deepcopy(full)
    rest = copy.deepcopy(full)
    fhir["paths"] = {p: v for p, v in full["paths"].items() if p == "/fhir" or p.startswith("/fhir/")}
    rest["paths"] = {p: v for p, v in full["paths"].items() if not (p == "/fhir" or p.startswith("/fhir/"))}
    fhir["info"]["title"] = "interop FHIR R4 API"
    rest["info"]["title"] = "interop JSON API"
    for doc in (fhir, rest):
        _prune_components(doc)
        _prune_scopes(doc)
    return {"v1.json": rest, "fhir.json": fhir}


def _prune_scopes(doc: dict[str, Any]) -> None:
    """Each document's security scheme lists the scopes its own operations need."""
    used = {
        scope
        for operations in doc["paths"].values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for scopes in requirement.values()
        for scope in scopes
    }
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            flow["scopes"] = {k: v for k, v in flow.get("scopes", {}).items() if k in used}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _prune_components(doc: dict[str, Any]) -> None:
    """Keep only the schemas a document's paths reach, so each document stands alone."""
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    if not schemas:
        return
    keep: set[str] = set()
    _refs(doc["paths"], keep)
    frontier = set(keep)
    while frontier:
        reached: set[str] = set()
        for name in frontier:
            _refs(schemas.get(name, {}), reached)
        frontier = reached - keep
        keep |= reached
    doc["components"]["schemas"] = {k: v for k, v in schemas.items() if k in keep}
