"""After a clinic rejects a referral and it is re-routed, the rejecting clinic keeps its own Task and
nothing else: not the ServiceRequest (nor its later versions: the next unit, the outcome), not the
Patient, not the ServiceRequest through ``_include=Task:focus`` (issue 14 #2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"


async def _put(client: httpx.AsyncClient, h: dict[str, str], ref: str, status: str) -> httpx.Response:
    current = (await client.get(f"/fhir/{ref}", headers=h)).json()
    headers = {**h, "If-Match": f'W/"{current["meta"]["versionId"]}"'}
    return await client.put(f"/fhir/{ref}", headers=headers, json={**current, "status": status})


async def _entries(client: httpx.AsyncClient, h: dict[str, str], query: str) -> list[dict[str, Any]]:
    response = await client.get(f"/fhir/{query}", headers=h)
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", [])]


async def test_the_rejecting_clinic_keeps_its_task_and_loses_the_rest(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.4500, lon=-99.1330)
    posted = (
        await client.post("/v1/visits", json=visit_body("V-REJ"), headers=auth_headers("bienestar"))
    ).json()
    sr, task, patient = posted["service_request"], posted["task"], posted["match"]["patient"]
    ha, hb = auth_headers("clinic", clues=[A]), auth_headers("clinic", clues=[B])

    # While A holds the Task it sees the whole referral.
    for ref in (sr, task, patient, f"{sr}/_history"):
        assert (await client.get(f"/fhir/{ref}", headers=ha)).status_code == 200, ref

    assert (await _put(client, ha, task, "rejected")).status_code == 200
    [next_task] = await _entries(client, hb, "Task")
    assert (await _put(client, hb, f"Task/{next_task['id']}", "accepted")).status_code == 200

    # B, now holding it, sees everything.
    for ref in (sr, patient, f"Task/{next_task['id']}"):
        assert (await client.get(f"/fhir/{ref}", headers=hb)).status_code == 200, ref
    # A: its own past Task, as it left it …
    own = await client.get(f"/fhir/{task}", headers=ha)
    assert own.status_code == 200
    assert own.json()["status"] == "rejected"
    assert (await client.get(f"/fhir/{task}/_history", headers=ha)).status_code == 200
    # … and nothing of what happened after: no ServiceRequest (any version), no Patient, no next Task.
    for ref in (
        sr,
        f"{sr}/_history",
        f"{sr}/_history/1",
        f"{sr}/_history/3",
        patient,
        f"Task/{next_task['id']}",
    ):
        response = await client.get(f"/fhir/{ref}", headers=ha)
        assert response.status_code == 404, (ref, response.text)
    pulled = await _entries(client, ha, "Task?_include=Task:focus")
    assert [(r["resourceType"], r["id"]) for r in pulled] == [("Task", task.split("/")[1])]
    assert await _entries(client, ha, "ServiceRequest") == []
    assert await _entries(client, ha, "ServiceRequest?_include=ServiceRequest:subject") == []
    assert await _entries(client, ha, "Patient") == []
    assert await _entries(client, ha, f"Patient?_id={patient.split('/')[1]}") == []
    # Bienestar, whose visit it is, follows it throughout.
    assert (await client.get(f"/fhir/{sr}", headers=auth_headers("bienestar"))).status_code == 200
