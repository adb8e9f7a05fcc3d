"""Posting visits: routing rules end to end, the ServiceRequest and Task created, follow-up, errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.referral.models import ReferralTask

Headers = Callable[..., dict[str, str]]


async def _units(session: AsyncSession) -> None:
    # near: 0.5 km from the Zócalo; far: ~4 km; hospital: ~2 km, level 2; closed: right at the Zócalo.
    await add_unit(session, "DFIMB000001", lat=19.4370, lon=-99.1350, nivel=1)
    await add_unit(session, "DFIMB000002", lat=19.4660, lon=-99.1400, nivel=1, localidad="TLATELOLCO")
    await add_unit(session, "DFIMB000003", lat=19.4200, lon=-99.1500, nivel=2)
    await add_unit(session, "DFIMB000004", lat=19.4326, lon=-99.1332, nivel=1, operating=False)


async def test_post_visit_routes_to_nearest_operating_unit_and_creates_sr_and_task(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    resp = await client.post("/v1/visits", json=visit_body("V-0001"), headers=auth_headers("bienestar"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["unit"]["clues"] == "DFIMB000001"  # the closed unit at 0 km is skipped
    assert body["routing"]["rule"] == "nearest-from-coordinates"
    assert "km from the visit coordinates" in body["routing"]["reason"]
    assert body["match"]["provisional"] is True
    assert body["match"]["grade"] == "certainly-not"  # no model trained: no candidates

    clinic = auth_headers("clinic", clues=["DFIMB000001"])
    sr = (await client.get(f"/fhir/{body['service_request']}", headers=clinic)).json()
    ServiceRequest.model_validate(sr)
    assert sr["status"] == "active"
    assert sr["intent"] == "order"
    assert sr["category"][0]["coding"][0]["code"] == "3457005"
    assert sr["reasonCode"][0]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10",
        "code": "E11.9",
        "display": "Diabetes mellitus tipo 2 sin complicaciones",
    }
    assert sr["identifier"] == [{"system": "https://www.gob.mx/bienestar/visita", "value": "V-0001"}]
    assert sr["performer"][0]["identifier"]["value"] == "DFIMB000001"
    assert len(sr["supportingInfo"]) == 2
    assert sr["contained"][1]["component"][0]["valueQuantity"]["value"] == 150
    assert any("nearest-from-coordinates" in n["text"] for n in sr["note"])
    task = (await client.get(f"/fhir/{body['task']}", headers=clinic)).json()
    Task.model_validate(task)
    assert task["status"] == "requested"
    assert task["code"]["coding"][0]["code"] == "fulfill"
    assert task["focus"]["reference"] == body["service_request"]
    assert task["for"]["reference"] == body["match"]["patient"]
    assert task["owner"]["identifier"] == {"system": "http://dgis.salud.gob.mx/clues", "value": "DFIMB000001"}
    patient = (await client.get(f"/fhir/{body['match']['patient']}", headers=clinic)).json()
    assert patient["meta"]["tag"][0]["code"] == "provisional"
    assert patient["name"][0]["family"] == "PEREZ LOPEZ"


async def test_locality_point_used_without_coordinates(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    body = visit_body("V-0002", person={"latitud": None, "longitud": None, "localidad": "TLATELOLCO"})
    resp = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["routing"]["rule"] == "nearest-from-locality"
    assert resp.json()["unit"]["clues"] == "DFIMB000002"


async def test_stat_needs_a_hospital(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    resp = await client.post(
        "/v1/visits", json=visit_body("V-0003", urgency="stat"), headers=auth_headers("bienestar")
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit"]["clues"] == "DFIMB000003"
    assert resp.json()["unit"]["level"] == 2
    urgent = await client.post(
        "/v1/visits", json=visit_body("V-0004", urgency="urgent"), headers=auth_headers("bienestar")
    )
    assert urgent.json()["unit"]["clues"] == "DFIMB000001"  # urgent → level 1 (documented)


async def test_follow_up_shows_state_unit_and_history(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    bienestar = auth_headers("bienestar")
    posted = (await client.post("/v1/visits", json=visit_body("V-0006"), headers=bienestar)).json()
    clinic = auth_headers("clinic", clues=["DFIMB000001"])
    r = await client.put(
        f"/fhir/{posted['task']}",
        headers={**clinic, "If-Match": 'W/"1"'},
        json={**(await client.get(f"/fhir/{posted['task']}", headers=clinic)).json(), "status": "accepted"},
    )
    assert r.status_code == 200, r.text
    follow = (await client.get("/v1/visits/V-0006", headers=bienestar)).json()
    assert follow["task_status"] == "accepted"
    assert follow["service_request_status"] == "active"
    assert follow["unit"]["clues"] == "DFIMB000001"
    assert [s["status"] for s in follow["history"]] == ["requested", "accepted"]
    other = await client.get(
        "/v1/visits/V-0006", headers=auth_headers("bienestar", client_id="other-bienestar")
    )
    assert other.status_code == 404
    assert (await session.execute(select(func.count()).select_from(ReferralTask))).scalar_one() == 1
