"""A visit Bundle missing a required element is refused with an OperationOutcome whose ``expression``
names the element as FHIR spells it (in this Bundle and generically), never a field of ``/v1``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.bundles import visit_bundle
from tests.referral.factories import add_unit

from fhir.resources.R4B.operationoutcome import OperationOutcome

Headers = Callable[..., dict[str, str]]
# Names of VisitCreate (/v1) that must never reach a FHIR client.
V1_FIELDS = (
    "health_worker_id",
    "visit_id",
    "visit_date",
    "primer_apellido",
    "fecha_nacimiento",
    "person.",
    "urgency",
)


def _entry(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _index(bundle: dict[str, Any], kind: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind)


def _drop_family(bundle: dict[str, Any]) -> None:
    name = _entry(bundle, "Patient")["resource"]["name"][0]
    name.pop("family")
    name.pop("_family")


@pytest.mark.parametrize(
    ("mutate", "kind", "element"),
    [
        (lambda b: _entry(b, "ServiceRequest")["resource"].pop("requester"), "ServiceRequest", "requester"),
        (lambda b: _entry(b, "ServiceRequest")["resource"].pop("identifier"), "ServiceRequest", "identifier"),
        (lambda b: _entry(b, "ServiceRequest")["resource"].pop("authoredOn"), "ServiceRequest", "authoredOn"),
        (lambda b: _entry(b, "Patient")["resource"]["name"][0].pop("given"), "Patient", "name.given"),
        (_drop_family, "Patient", "name.family"),
        (
            lambda b: _entry(b, "ServiceRequest")["resource"].update(priority="whenever"),
            "ServiceRequest",
            "priority",
        ),
        (lambda b: _entry(b, "Patient")["resource"].update(birthDate="1950-02-30"), "Patient", "birthDate"),
    ],
)
async def test_a_missing_element_is_named_by_its_fhir_path(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    mutate: Callable[[dict[str, Any]], Any],
    kind: str,
    element: str,
) -> None:
    await add_unit(session, "DFIMB000001", lat=19.4330, lon=-99.1330)
    bundle = visit_bundle("V-MISSING")
    index = _index(bundle, kind)
    mutate(bundle)
    resp = await client.post("/fhir", json=bundle, headers=auth_headers("bienestar"))
    assert resp.status_code == 422, resp.text
    body = resp.json()
    OperationOutcome.model_validate(body)
    expressions = [e for issue in body["issue"] for e in issue.get("expression", [])]
    assert f"{kind}.{element}" in expressions, body
    assert f"Bundle.entry[{index}].resource.{element}" in expressions, body
    text = resp.text
    for field in V1_FIELDS:
        assert field not in text, (field, body)


@pytest.mark.parametrize(
    ("kind", "expression"),
    [
        ("Patient", ["Patient"]),
        # Without a ServiceRequest the visit asks for no referral, and its findings must name the visit.
        ("ServiceRequest", ["Bundle.entry[1].resource.identifier", "Condition.identifier"]),
    ],
)
async def test_a_missing_resource_is_named(
    client: httpx.AsyncClient, auth_headers: Headers, kind: str, expression: list[str]
) -> None:
    bundle = visit_bundle("V-NO-RESOURCE")
    bundle["entry"].pop(_index(bundle, kind))
    resp = await client.post("/fhir", json=bundle, headers=auth_headers("bienestar"))
    assert resp.status_code == 422, resp.text
    assert resp.json()["issue"][0]["expression"] == expression


@pytest.mark.parametrize(
    ("mutate", "spanish", "english"),
    [
        (  # refused by the Bundle's own reading (bundle.py)
            lambda b: _entry(b, "ServiceRequest")["resource"].pop("authoredOn"),
            "falta ServiceRequest.authoredOn",
            "the ServiceRequest needs authoredOn",
        ),
        (  # refused by the visit it becomes (visit_paths.issues_from_validation)
            lambda b: _entry(b, "Patient")["resource"]["name"][0].pop("given"),
            "falta Patient.name.given",
            "Patient.name.given is required",
        ),
        (  # a visit without referral that names no visit (visit_without_referral.py)
            lambda b: b["entry"].pop(_index(b, "ServiceRequest")),
            "un solo identificador de visita",
            "carry one visit identifier",
        ),
    ],
)
async def test_the_issues_speak_the_callers_language_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    mutate: Callable[[dict[str, Any]], Any],
    spanish: str,
    english: str,
) -> None:
    """es-MX by default and English on request; never both glued together (they read "es / en")."""
    await add_unit(session, "DFIMB000001", lat=19.4330, lon=-99.1330)
    said: dict[str, str] = {}
    for lang in ("es-MX", "en"):
        bundle = visit_bundle(f"V-WORDS-{lang}")
        mutate(bundle)
        headers = {**auth_headers("bienestar"), **({"Accept-Language": lang} if lang == "en" else {})}
        resp = await client.post("/fhir", json=bundle, headers=headers)
        assert resp.status_code == 422, resp.text
        said[lang] = " | ".join(i["diagnostics"] for i in resp.json()["issue"])
    assert spanish in said["es-MX"], said
    assert english not in said["es-MX"], said
    assert english in said["en"], said
    assert spanish not in said["en"], said
