"""A visit that asks for no referral, posted as a FHIR transaction Bundle (HTTP only): the Bundle holds no
ServiceRequest; its findings carry the visit identifier, date and health worker, and become readable
Conditions and Observations of the visit, as through ``/v1`` with ``referral_requested: false``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.bundles import visit_bundle
from tests.referral.factories import add_unit

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation

Headers = Callable[..., dict[str, str]]
VISIT = "https://www.gob.mx/bienestar/visita"
WORKER = {"identifier": {"system": "https://www.gob.mx/bienestar/promotor", "value": "PROM-7"}}
NEAR = "DFIMB000001"


def no_referral_bundle(visit_id: str) -> dict[str, Any]:
    bundle = visit_bundle(visit_id)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "ServiceRequest"]
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Condition":
            res.update(identifier=[{"system": VISIT, "value": visit_id}], recorder=WORKER)
            res["recordedDate"] = "2026-11-20T10:30:00-06:00"
        elif res["resourceType"] == "Observation":
            res.update(identifier=[{"system": VISIT, "value": visit_id}], performer=[WORKER])
            res["effectiveDateTime"] = "2026-11-20T10:30:00-06:00"
    return bundle


async def test_a_bundle_without_service_request_records_the_visit_and_its_findings(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    bienestar = auth_headers("bienestar")
    resp = await client.post("/fhir", json=no_referral_bundle("V-FNR-1"), headers=bienestar)
    assert resp.status_code == 200, resp.text
    entries = resp.json()["entry"]
    assert entries[0]["response"]["status"] == "201 Created"
    assert entries[0]["response"]["location"].startswith("Patient/")
    follow = (await client.get("/v1/visits/V-FNR-1", headers=bienestar)).json()
    assert follow["result"]["referral"] == "none"
    assert follow["result"]["service_request"] is None
    # Nothing reaches a unit; the findings are Conditions and Observations of the visit.
    clinic = auth_headers("clinic", clues=[NEAR])
    assert not (await client.get(f"/fhir/Task?owner={NEAR}", headers=clinic)).json().get("entry")
    found = (await client.get("/fhir/Condition?identifier=V-FNR-1", headers=bienestar)).json()
    [condition] = [e["resource"] for e in found["entry"]]
    Condition.model_validate(condition)
    assert condition["code"]["coding"][0]["code"] == "I10"
    assert condition["subject"]["reference"] == entries[0]["response"]["location"]
    observations = (await client.get("/fhir/Observation?identifier=V-FNR-1", headers=bienestar)).json()
    [bp] = [e["resource"] for e in observations["entry"]]
    Observation.model_validate(bp)
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    # The same Bundle again is a replay, and the /v1 body of the same visit shares its key.
    again = await client.post("/fhir", json=no_referral_bundle("V-FNR-1"), headers=bienestar)
    assert again.json()["entry"][0]["response"]["status"] == "200 OK"


async def test_a_bundle_without_service_request_must_name_its_visit(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    bienestar = auth_headers("bienestar")
    nameless = no_referral_bundle("V-FNR-2")
    for entry in nameless["entry"]:
        entry["resource"].pop("identifier", None) if entry["resource"]["resourceType"] != "Patient" else None
    resp = await client.post("/fhir", json=nameless, headers=bienestar)
    assert resp.status_code == 422
    issue = resp.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.identifier", "Condition.identifier"]
    two = no_referral_bundle("V-FNR-3")
    two["entry"][2]["resource"]["identifier"] = [{"system": VISIT, "value": "V-OTHER"}]
    assert (await client.post("/fhir", json=two, headers=bienestar)).status_code == 422
    only_patient = no_referral_bundle("V-FNR-4")
    only_patient["entry"] = only_patient["entry"][:1]
    assert (await client.post("/fhir", json=only_patient, headers=bienestar)).status_code == 422
    # doNotPerform forbids a service; it is not how a visit says "no referral".
    forbidding = copy.deepcopy(visit_bundle("V-FNR-5"))
    forbidding["entry"][-1]["resource"]["doNotPerform"] = True
    refused = await client.post("/fhir", json=forbidding, headers=bienestar)
    assert refused.status_code == 422
    assert refused.json()["issue"][0]["expression"][-1] == "ServiceRequest.doNotPerform"
