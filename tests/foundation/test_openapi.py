"""openapi/ holds exactly what the app serves; regenerate with `interop openapi`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tests.auth.test_route_policies import ROUTES

from interop.openapi import documents

OPENAPI_DIR = Path(__file__).resolve().parents[2] / "openapi"


def test_openapi_documents_match_the_app() -> None:
    for name, doc in documents().items():
        stored = json.loads((OPENAPI_DIR / name).read_text())
        assert stored == json.loads(json.dumps(doc)), f"openapi/{name} is stale: run `interop openapi`"


def test_fhir_and_v1_documents_are_split() -> None:
    docs = documents()
    assert all(path.startswith("/fhir") for path in docs["fhir.json"]["paths"])
    assert not any(path.startswith("/fhir") for path in docs["v1.json"]["paths"])
    assert "/readyz" in docs["v1.json"]["paths"]


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for doc in documents().values()
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
    }


def test_every_guarded_operation_declares_its_scope_and_its_refusals() -> None:
    """The scope in the document is the one the route's guard asks; 401 and 403 bodies are described.
    (They were missing on most guarded routes, and no security scheme was declared at all.)"""
    operations = _operations()
    checked = 0
    for method, path, policies in ROUTES:
        operation = operations.get((method, path))
        if operation is None:
            continue  # not in the documents (pages, the docs themselves)
        declared = [scope for req in operation.get("security", []) for scope in req.get("smart", [])]
        assert declared == [f"system/{r}.{p}" for r, p in policies], (method, path)
        if policies:
            checked += 1
            for status in ("401", "403"):
                content = operation["responses"][status]["content"]
                wanted = "OperationOutcome" if path.startswith("/fhir") else "ErrorResponse"
                (schema,) = (media["schema"] for media in content.values())
                assert schema == {"$ref": f"#/components/schemas/{wanted}"}, (method, path, status)
    assert checked > 40
    for doc in documents().values():
        flow = doc["components"]["securitySchemes"]["smart"]["flows"]["clientCredentials"]
        assert flow["tokenUrl"] == "/auth/token"


def test_no_operation_promises_fastapis_validation_body() -> None:
    """422s are the service's JSON error or an OperationOutcome, never ``{"detail": [...]}``."""
    for (method, path), operation in _operations().items():
        refused = operation["responses"].get("422")
        if refused is None:
            continue
        (schema,) = (media["schema"] for media in refused["content"].values())
        wanted = "OperationOutcome" if path.startswith("/fhir") else "ErrorResponse"
        assert schema == {"$ref": f"#/components/schemas/{wanted}"}, (method, path)
    for doc in documents().values():
        assert "HTTPValidationError" not in doc["components"]["schemas"]


async def test_the_refusals_sent_have_the_declared_shape(
    client: httpx.AsyncClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    docs = documents()
    error = docs["v1.json"]["components"]["schemas"]["ErrorResponse"]
    outcome = docs["fhir.json"]["components"]["schemas"]["OperationOutcome"]

    def shaped(body: dict[str, Any], schema: dict[str, Any]) -> bool:
        inner = schema["properties"]["error"]["required"] if "error" in schema["properties"] else []
        return set(schema["required"]) <= set(body) and set(inner) <= set(body.get("error", {}))

    no_token = await client.get("/v1/match-runs/1")
    assert no_token.status_code == 401
    assert shaped(no_token.json(), error), no_token.json()
    wrong_role = await client.get("/v1/match-runs/1", headers=auth_headers("clinic"))
    assert wrong_role.status_code == 403
    assert shaped(wrong_role.json(), error), wrong_role.json()
    invalid = await client.post("/v1/visits", json={}, headers=auth_headers("bienestar"))
    assert invalid.status_code == 422
    assert shaped(invalid.json(), error), invalid.json()
    fhir = await client.get("/fhir/Task")
    assert fhir.status_code == 401
    assert shaped(fhir.json(), outcome), fhir.json()
    assert fhir.json()["resourceType"] == "OperationOutcome"


def test_a_finding_must_name_itself_in_the_schema_as_the_service_enforces() -> None:
    """A condition needs a code, codings, a text or a display; an observation a code or a text. Both were
    enforced but not declared, so schema-valid requests were refused."""
    schemas = documents()["v1.json"]["components"]["schemas"]
    for name, fields in (
        ("ConditionFound", {"code", "codings", "text", "display"}),
        ("ObservationFound", {"code", "text"}),
    ):
        alternatives = schemas[name]["anyOf"]
        assert {alt["required"][0] for alt in alternatives} == fields
        for alt in alternatives:
            (field,) = alt["required"]
            absent = alt["properties"][field]["not"]["anyOf"]
            assert {"type": "null"} in absent
