"""Every resource the referral side emits validates with fhir.resources (R4B); the mappings match golden
files; the transaction Bundle path; the CapabilityStatement lists what is implemented."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.bundles import visit_bundle
from tests.referral.factories import add_unit

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from interop.config import Settings
from interop.fhir.patient import patient_resource
from interop.fhir.referral_resources import service_request, task
from interop.fhir.subscription_resources import notification_bundle

Headers = Callable[..., dict[str, str]]
GOLDEN = Path(__file__).parent / "golden"
A = "DFIMB000001"

SR_SNAPSHOT: dict[str, Any] = {
    "id": "0b8a4c52-3f0e-4d8e-9a51-6a1d2c3e4f50",
    "visit_pk": 1,
    "visit_id": "V-GOLD",
    "requester_client_id": "bienestar-1",
    "requester_worker_id": "PROM-0042",
    "status": "active",
    "priority": "urgent",
    "patient_id": "5d7c1e2a-9b8f-4c3d-8e7f-6a5b4c3d2e1f",
    "patient_provisional": True,
    "match_grade": "probable",
    "match_probability": 0.83,
    "performer_clues": A,
    "performer_org_id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    "performer_name": "Centro de Salud Centro",
    "tried_clues": [A],
    "required_level": 1,
    "origin_lat": 19.4326,
    "origin_lon": -99.1332,
    "routing_rule": "nearest-from-coordinates",
    "routing_reason": "nearest operating unit of level >= 1 for urgent: 0.5 km from the visit coordinates",
    "distance_km": 0.476,
    "reasons": [{"code": "I10", "display": "Hipertension esencial"}],
    "observations": [
        {
            "code": "85354-9",
            "display": "Blood pressure panel",
            "value": None,
            "unit": None,
            "value_text": None,
            "components": [
                {"code": "8480-6", "display": None, "value": 170, "unit": "mm[Hg]"},
                {"code": "8462-4", "display": None, "value": 100, "unit": "mm[Hg]"},
            ],
        },
        {
            "code": "2339-0",
            "display": None,
            "value": 245,
            "unit": "mg/dL",
            "value_text": None,
            "components": [],
        },
        {"code": "disability", "display": "Disability", "value_text": "motriz"},
    ],
    "note": "Cefalea intensa",
    "authored_on": "2026-11-20T16:30:00+00:00",
    "version": 1,
    "change_seq": 7,
    "created_at": "2026-11-20T16:30:00+00:00",
    "updated_at": "2026-11-20T16:30:00+00:00",
}
TASK_SNAPSHOT: dict[str, Any] = {
    "id": "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910",
    "referral_id": SR_SNAPSHOT["id"],
    "previous_task_id": None,
    "visit_id": "V-GOLD",
    "requester_client_id": "bienestar-1",
    "status": "completed",
    "priority": "urgent",
    "business_status": {
        "coding": [
            {
                "system": "https://www.gob.mx/bienestar/fhir/CodeSystem/referral-outcome",
                "code": "attended",
                "display": "Attended",
            }
        ]
    },
    "status_reason": None,
    "output": [{"type": {"text": "outcome"}, "valueString": "referred onward"}],
    "patient_id": SR_SNAPSHOT["patient_id"],
    "owner_clues": A,
    "owner_org_id": SR_SNAPSHOT["performer_org_id"],
    "owner_name": "Centro de Salud Centro",
    "authored_on": "2026-11-20T16:30:00+00:00",
    "version": 4,
    "change_seq": 12,
    "created_at": "2026-11-20T16:30:00+00:00",
    "updated_at": "2026-11-21T09:00:00+00:00",
}
PATIENT_VIEW: dict[str, Any] = {
    "id": "5d7c1e2a-9b8f-4c3d-8e7f-6a5b4c3d2e1f",
    "provisional": False,
    "nombre": "ROSA MARIA",
    "primer_apellido": "PEREZ",
    "segundo_apellido": "LOPEZ",
    "curp": "PELR500314MDFRPS09",
    "fecha_nacimiento": "1950-03-14",
    "sexo": "M",
    "entidad": "DF",
    "municipio": "CUAUHTEMOC",
    "localidad": "CENTRO",
    "domicilio": "CALLE 5 DE MAYO 10",
    "telefono": "+525512345678",
    "clues": A,
    "expediente": "EXP-77",
    "roll_record_id": None,
    "updated_at": "2026-11-20T16:30:00+00:00",
    "version": 2,
    "match_grade": None,
}


def _golden(name: str, value: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    assert value == json.loads(path.read_text())


@pytest.mark.parametrize(
    ("name", "render", "model"),
    [
        ("service_request", lambda s: service_request(SR_SNAPSHOT, s), ServiceRequest),
        ("task", lambda s: task(TASK_SNAPSHOT, s), Task),
        ("patient", lambda s: patient_resource(PATIENT_VIEW, s), Patient),
    ],
)
def test_mappings_match_golden_and_validate(
    name: str, render: Callable[[Settings], dict[str, Any]], model: Any
) -> None:
    resource = render(Settings())
    model.model_validate(resource)
    _golden(name, resource)


def test_notification_bundle_validates() -> None:
    from datetime import UTC, datetime

    b = notification_bundle(
        base="http://127.0.0.1:8000/fhir",
        subscription_id="s1",
        event_number=3,
        events_since_start=3,
        status="active",
        task_id=TASK_SNAPSHOT["id"],
        at=datetime(2026, 11, 21, tzinfo=UTC),
    )
    Bundle.model_validate(b)
    Parameters.model_validate(b["entry"][0]["resource"])
    assert b["type"] == "history"


async def test_transaction_bundle_creates_referral(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    h = auth_headers("bienestar")
    resp = await client.post("/fhir", json=visit_bundle("V-TX"), headers=h)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    Bundle.model_validate(out)
    assert out["type"] == "transaction-response"
    assert len(out["entry"]) == 4
    sr_entry = out["entry"][3]["response"]
    assert sr_entry["status"] == "201 Created"
    sr_ref = sr_entry["location"].split("/_history")[0]
    assert "enrutamiento nearest-from-coordinates" in sr_entry["outcome"]["issue"][0]["diagnostics"]
    assert out["entry"][0]["response"]["location"].startswith("Patient/")
    clinic = auth_headers("clinic", clues=[A])
    sr = (await client.get(f"/fhir/{sr_ref}", headers=clinic)).json()
    ServiceRequest.model_validate(sr)
    assert sr["priority"] == "urgent"
    assert sr["reasonCode"][0]["coding"][0]["code"] == "I10"
    obs = (await client.get(f"/fhir/{sr['supportingInfo'][0]['reference']}", headers=clinic)).json()
    assert obs["component"][1]["valueQuantity"]["value"] == 100
    assert sr["requester"]["identifier"]["value"] == "PROM-7"
    patient = (await client.get(f"/fhir/{out['entry'][0]['response']['location']}", headers=clinic)).json()
    Patient.model_validate(patient)
    assert patient["identifier"] == [{"system": "https://www.gob.mx/bienestar/padron", "value": "PAM-000123"}]
    assert patient["address"][0]["district"] == "CUAUHTEMOC"
    replay = (await client.post("/fhir", json=visit_bundle("V-TX"), headers=h)).json()
    assert replay["entry"][3]["response"]["status"] == "200 OK"
    assert replay["entry"][3]["response"]["location"] == out["entry"][3]["response"]["location"]
    # Same visit id, different content: 409 OperationOutcome.
    conflict = await client.post("/fhir", json=visit_bundle("V-TX", priority="stat"), headers=h)
    assert conflict.status_code == 409
    assert conflict.json()["resourceType"] == "OperationOutcome"
    for path in (
        f"/fhir/{sr_ref}/_history",
        "/fhir/Task?_include=Task:focus",
        "/fhir/ServiceRequest",
        "/fhir/Patient",
    ):
        Bundle.model_validate((await client.get(path, headers=clinic)).json())


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.update(type="batch"), "Bundle de tipo transaction"),
        (lambda b: b["entry"].pop(0), "exactamente un Patient"),
        (lambda b: b["entry"][3]["resource"].pop("identifier"), "ServiceRequest.identifier con system"),
        (lambda b: b["entry"][3]["resource"].pop("authoredOn"), "authoredOn"),
        (lambda b: b["entry"][0]["resource"]["name"][0].pop("given"), "Patient.name.given"),
        (lambda b: b["entry"][3]["resource"].update(priority="whenever"), "ServiceRequest.priority"),
        (
            lambda b: b["entry"].append(
                {
                    "resource": {"resourceType": "Practitioner"},
                    "request": {"method": "POST", "url": "Practitioner"},
                }
            ),
            "no admitidos",
        ),
    ],
)
async def test_bad_visit_bundles_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    mutate: Callable[[dict[str, Any]], Any],
    fragment: str,
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    bundle = visit_bundle("V-BAD")
    mutate(bundle)
    resp = await client.post("/fhir", json=bundle, headers=auth_headers("bienestar"))
    assert resp.status_code == 422, resp.text
    assert fragment in resp.json()["issue"][0]["diagnostics"]


async def test_capability_statement_lists_referral_resources(client: httpx.AsyncClient) -> None:
    cs = (await client.get("/fhir/metadata")).json()
    CapabilityStatement.model_validate(cs)
    rest = cs["rest"][0]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert {"Task", "ServiceRequest", "Patient", "Subscription"} <= set(by_type)
    task_params = {p["name"] for p in by_type["Task"]["searchParam"]}
    assert {
        "owner",
        "status",
        "_lastUpdated",
        "patient",
        "subject",
        "identifier",
        "_count",
        "_total",
        "focus",
    } <= task_params
    assert by_type["Task"]["searchInclude"] == ["Task:focus"]
    assert {"update", "patch", "vread", "history-instance"} <= {
        i["code"] for i in by_type["Task"]["interaction"]
    }
    assert by_type["ServiceRequest"]["searchInclude"] == ["ServiceRequest:subject", "ServiceRequest:patient"]
    assert by_type["Task"]["conditionalRead"] == "not-match"
    assert {"_sort", "_summary"} <= task_params
    assert {"code": "transaction"} in rest["interaction"]
    assert by_type["Patient"]["operation"][0]["name"] == "match"
    assert by_type["Subscription"]["profile"].endswith("backport-subscription")
