"""Refusals over HTTP speak es-MX by default and English when asked (``Accept-Language: en``): FHIR search,
the visit transaction, ``$match``, Subscription, the token endpoint (RFC 6749 codes unchanged) and an import's
rejected lines. Status codes, error codes and FHIR issue codes do not depend on the language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.ingest.factories import ROLL_HEADER, csv_text, roll_row

from interop.job.worker import Worker

Headers = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}


async def _both(send: Callable[[dict[str, str]], Any]) -> tuple[httpx.Response, httpx.Response]:
    return await send({}), await send(EN)


def _diagnostics(response: httpx.Response) -> str:
    issue = response.json()["issue"][0]
    return str(issue["diagnostics"])


async def test_a_bad_count_in_a_fhir_search(client: httpx.AsyncClient, auth_headers: Headers) -> None:
    h = auth_headers("clinic", clues=["DFIMB000123"])
    es, en = await _both(lambda lang: client.get("/fhir/Task?_count=many", headers={**h, **lang}))
    assert es.status_code == en.status_code == 400
    assert es.headers["content-language"] == "es-MX"
    assert _diagnostics(es) == "_count debe ser un número"
    assert _diagnostics(en) == "_count must be a number"
    assert es.json()["issue"][0]["code"] == en.json()["issue"][0]["code"] == "invalid"


async def test_a_post_to_fhir_that_is_not_a_transaction(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    h = auth_headers("bienestar")
    body = {"resourceType": "Patient"}
    es, en = await _both(lambda lang: client.post("/fhir", json=body, headers={**h, **lang}))
    assert es.status_code == en.status_code == 422
    assert _diagnostics(es) == "POST /fhir recibe un Bundle de tipo transaction"
    assert _diagnostics(en) == "POST /fhir takes a transaction Bundle"


async def test_match_without_a_resource(client: httpx.AsyncClient, auth_headers: Headers) -> None:
    h = auth_headers("bienestar")
    body = {"resourceType": "Parameters", "parameter": [{"name": "count", "valueInteger": 3}]}
    es, en = await _both(lambda lang: client.post("/fhir/Patient/$match", json=body, headers={**h, **lang}))
    assert es.status_code == en.status_code == 422, es.text
    assert _diagnostics(es) == "el parámetro 'resource' (un Patient) es obligatorio"
    assert _diagnostics(en) == "parameter 'resource' (a Patient) is required"


async def test_an_invalid_subscription(client: httpx.AsyncClient, auth_headers: Headers) -> None:
    h = auth_headers("clinic", clues=["DFIMB000123"])
    body = {"resourceType": "Subscription", "status": "requested", "criteria": "x", "reason": "r"}
    es, en = await _both(lambda lang: client.post("/fhir/Subscription", json=body, headers={**h, **lang}))
    assert es.status_code == en.status_code == 422, es.text
    assert _diagnostics(es).startswith("la Subscription no es válida: 1 problema(s), el primero en channel")
    assert _diagnostics(en).startswith("not a valid Subscription: 1 problem(s), first at channel")


async def test_the_token_endpoint_keeps_rfc_codes_and_says_why_in_the_request_language(
    client: httpx.AsyncClient,
) -> None:
    form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "wrong"}
    es, en = await _both(lambda lang: client.post("/auth/token", data=form, headers=lang))
    assert es.status_code == en.status_code == 401
    assert es.json() == {"error": "invalid_client", "error_description": "la autenticación del cliente falló"}
    assert en.json() == {"error": "invalid_client", "error_description": "client authentication failed"}
    es, en = await _both(lambda lang: client.post("/auth/token", json=form, headers=lang))
    assert es.status_code == en.status_code == 400
    assert es.json()["error"] == en.json()["error"] == "invalid_request"
    assert es.json()["error_description"] == (
        "el cuerpo de la solicitud debe ser application/x-www-form-urlencoded"
    )
    assert en.json()["error_description"] == "the body must be application/x-www-form-urlencoded"


async def test_a_bearer_challenge_stays_ascii_while_the_body_speaks_spanish(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/fhir/Task", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert _diagnostics(response) == "token mal formado"
    challenge = response.headers["www-authenticate"]
    assert 'error_description="malformed token"' in challenge
    assert challenge.isascii()


async def test_the_rejected_lines_of_an_import(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    h = auth_headers("bienestar")
    body = csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2", nombre="")])
    created = await client.post("/v1/imports?kind=roll", content=body.encode(), headers=h)
    assert created.status_code == 202, created.text
    worker = Worker(app.state.settings, app.state.sessionmaker)
    while await worker.run_one():
        pass
    rejects = f"{created.headers['location']}/rejects"
    es, en = await _both(lambda lang: client.get(rejects, headers={**h, **lang}))
    assert es.json()["items"] == [{"line": 3, "record_id": "R2", "reason": "sin nombre de pila (nombre)"}]
    assert en.json()["items"] == [{"line": 3, "record_id": "R2", "reason": "no given name (nombre)"}]


@pytest.mark.parametrize("kind", ["nothing", ""])
async def test_an_import_of_an_unknown_kind(
    client: httpx.AsyncClient, auth_headers: Headers, kind: str
) -> None:
    h = auth_headers("bienestar")
    es, en = await _both(
        lambda lang: client.post(f"/v1/imports?kind={kind}", content=b"x", headers={**h, **lang})
    )
    assert es.status_code == en.status_code
    assert es.json()["error"]["code"] == en.json()["error"]["code"]
    assert es.json()["error"]["message"] != en.json()["error"]["message"]
    assert "import" in en.json()["error"]["message"] or "kind" in en.json()["error"]["message"]
