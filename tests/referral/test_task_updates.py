"""Task updates over FHIR: If-Match, every illegal transition over HTTP, effects on the ServiceRequest,
re-routing after a rejection, JSON Patch, immutable elements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"


async def _setup(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, visit_id: str = "V-1"
) -> dict[str, Any]:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.4500, lon=-99.1330)
    r = await client.post("/v1/visits", json=visit_body(visit_id), headers=auth_headers("bienestar"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _put(
    client: httpx.AsyncClient, h: dict[str, str], ref: str, status: str, version: int | None, **extra: Any
) -> httpx.Response:
    current = (await client.get(f"/fhir/{ref}", headers=h)).json()
    headers = {**h, **({"If-Match": f'W/"{version}"'} if version is not None else {})}
    return await client.put(f"/fhir/{ref}", headers=headers, json={**current, "status": status, **extra})


async def test_lifecycle_to_completed_completes_service_request(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    h = auth_headers("clinic", clues=[A])
    r = await _put(client, h, posted["task"], "accepted", 1)
    assert r.status_code == 200
    assert r.headers["ETag"] == 'W/"2"'
    assert r.json()["meta"]["versionId"] == "2"
    assert (await _put(client, h, posted["task"], "in-progress", 2)).status_code == 200
    done = await _put(
        client,
        h,
        posted["task"],
        "completed",
        3,
        businessStatus={
            "coding": [
                {
                    "system": "https://www.gob.mx/bienestar/fhir/CodeSystem/referral-outcome",
                    "code": "attended",
                }
            ]
        },
        output=[{"type": {"text": "outcome"}, "valueString": "attended; referred onward to nutrition"}],
    )
    assert done.status_code == 200, done.text
    Task.model_validate(done.json())
    assert done.json()["businessStatus"]["coding"][0]["code"] == "attended"
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=h)).json()
    assert sr["status"] == "completed"
    assert sr["meta"]["versionId"] == "2"
    hist = (await client.get(f"/fhir/{posted['task']}/_history", headers=h)).json()
    Bundle.model_validate(hist)
    assert [e["resource"]["status"] for e in hist["entry"]] == [
        "completed",
        "in-progress",
        "accepted",
        "requested",
    ]
    v2 = await client.get(f"/fhir/{posted['task']}/_history/2", headers=h)
    assert v2.json()["status"] == "accepted"
    assert v2.headers["ETag"] == 'W/"2"'
    assert (await client.get(f"/fhir/{posted['task']}/_history/9", headers=h)).status_code == 404


async def test_stale_if_match_is_412(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    h = auth_headers("clinic", clues=[A])
    assert (await _put(client, h, posted["task"], "accepted", 1)).status_code == 200
    stale = await _put(client, h, posted["task"], "in-progress", 1)
    assert stale.status_code == 412
    assert stale.json()["resourceType"] == "OperationOutcome"
    assert (await client.get(f"/fhir/{posted['task']}", headers=h)).json()["status"] == "accepted"
    bad = await client.put(
        f"/fhir/{posted['task']}",
        headers={**h, "If-Match": "nonsense"},
        json=(await client.get(f"/fhir/{posted['task']}", headers=h)).json(),
    )
    assert bad.status_code == 412


PATH = {
    "requested": [],
    "accepted": ["accepted"],
    "in-progress": ["accepted", "in-progress"],
    "completed": ["accepted", "in-progress", "completed"],
    "failed": ["accepted", "in-progress", "failed"],
    "rejected": ["rejected"],
}
ALL = ["requested", "accepted", "rejected", "cancelled", "in-progress", "completed", "failed"]
# A client never cancels (only the service does, when Bienestar withdraws): "cancelled" is no start here.
LEGAL = {
    ("requested", "accepted"),
    ("requested", "rejected"),
    ("accepted", "in-progress"),
    ("in-progress", "completed"),
    ("in-progress", "failed"),
}
CASES = [
    (a, b)
    for a in PATH
    for b in ALL
    if (a, b) not in LEGAL and not (a == b and a in ("requested", "accepted", "in-progress"))
]


@pytest.mark.parametrize(("start", "target"), CASES)
async def test_every_illegal_transition_is_409(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, start: str, target: str
) -> None:
    posted = await _setup(client, session, auth_headers)
    h = auth_headers("clinic", clues=[A])
    for i, step in enumerate(PATH[start], start=1):
        assert (await _put(client, h, posted["task"], step, i)).status_code == 200
    version = len(PATH[start]) + 1
    r = await _put(client, h, posted["task"], target, version)
    assert r.status_code == 409, (start, target, r.text)
    outcome = r.json()
    OperationOutcome.model_validate(outcome)
    assert outcome["issue"][0]["code"] == "business-rule"
    assert (await client.get(f"/fhir/{posted['task']}", headers=h)).json()["meta"]["versionId"] == str(
        version
    )


@pytest.mark.parametrize("target", ["draft", "on-hold", "entered-in-error"])
async def test_status_outside_the_machine_is_422(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, target: str
) -> None:
    posted = await _setup(client, session, auth_headers)
    r = await _put(client, auth_headers("clinic", clues=[A]), posted["task"], target, 1)
    assert r.status_code == 422
    assert r.json()["resourceType"] == "OperationOutcome"


async def test_immutable_elements_and_bad_bodies_are_422(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    h = auth_headers("clinic", clues=[A])
    moved = await _put(client, h, posted["task"], "accepted", 1, owner={"reference": "Organization/other"})
    assert moved.status_code == 422
    assert "owner" in moved.json()["issue"][0]["diagnostics"]
    invalid = await _put(client, h, posted["task"], "accepted", 1, intent=7)
    assert invalid.status_code == 422


async def test_rejection_reroutes_to_next_unit(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    ha, hb = auth_headers("clinic", clues=[A]), auth_headers("clinic", clues=[B])
    r = await _put(client, ha, posted["task"], "rejected", 1, statusReason={"text": "sin cupo"})
    assert r.status_code == 200
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=hb)).json()
    assert sr["performer"][0]["identifier"]["value"] == B
    assert "reenviada tras el rechazo de DFIMB000001" in sr["extension"][0]["extension"][1]["valueString"]
    tasks = (await client.get("/fhir/Task", headers=hb)).json()
    assert len(tasks["entry"]) == 1
    new = tasks["entry"][0]["resource"]
    assert new["status"] == "requested"
    assert new["extension"][0]["valueReference"]["reference"] == posted["task"]
    # B rejects too: no further unit, the referral stays active with the reason.
    assert (await _put(client, hb, f"Task/{new['id']}", "rejected", 1)).status_code == 200
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=auth_headers("admin"))).json()
    assert sr["status"] == "active"
    assert "no hay otra unidad del nivel requerido" in sr["extension"][0]["extension"][1]["valueString"]


async def test_a_clinic_cannot_cancel_its_task(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    """Cancelling would revoke the ServiceRequest for everyone: a clinic rejects instead (issue 14 #3)."""
    posted = await _setup(client, session, auth_headers)
    for h in (auth_headers("clinic", clues=[A]), auth_headers("admin")):
        r = await _put(client, h, posted["task"], "cancelled", None)
        assert r.status_code == 409, r.text
        OperationOutcome.model_validate(r.json())
        patched = await client.patch(
            f"/fhir/{posted['task']}",
            headers={**h, "Content-Type": "application/json-patch+json"},
            json=[{"op": "replace", "path": "/status", "value": "cancelled"}],
        )
        assert patched.status_code == 409, patched.text
    admin = auth_headers("admin")
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=admin)).json()
    assert sr["status"] == "active"
    assert (await client.get(f"/fhir/{posted['task']}", headers=admin)).json()["status"] == "requested"


async def test_json_patch_with_if_match(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    h = {**auth_headers("clinic", clues=[A]), "Content-Type": "application/json-patch+json"}
    ops = [
        {"op": "test", "path": "/status", "value": "requested"},
        {"op": "replace", "path": "/status", "value": "accepted"},
        {"op": "add", "path": "/businessStatus", "value": {"text": "cita agendada"}},
    ]
    r = await client.patch(f"/fhir/{posted['task']}", headers={**h, "If-Match": 'W/"1"'}, json=ops)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert r.json()["businessStatus"]["text"] == "cita agendada"
    stale = await client.patch(f"/fhir/{posted['task']}", headers={**h, "If-Match": 'W/"1"'}, json=ops[1:])
    assert stale.status_code == 412
    failed_test = await client.patch(f"/fhir/{posted['task']}", headers=h, json=ops)
    assert failed_test.status_code == 422
    illegal = await client.patch(
        f"/fhir/{posted['task']}",
        headers=h,
        json=[{"op": "replace", "path": "/status", "value": "completed"}],
    )
    assert illegal.status_code == 409
    owner = await client.patch(
        f"/fhir/{posted['task']}",
        headers=h,
        json=[{"op": "replace", "path": "/owner/reference", "value": "Organization/x"}],
    )
    assert owner.status_code == 422


async def test_other_unit_cannot_read_or_update(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    posted = await _setup(client, session, auth_headers)
    hb = auth_headers("clinic", clues=[B])
    assert (await client.get(f"/fhir/{posted['task']}", headers=hb)).status_code == 404
    assert (await client.get(f"/fhir/{posted['service_request']}", headers=hb)).status_code == 404
    assert (await client.get(f"/fhir/{posted['match']['patient']}", headers=hb)).status_code == 404
    assert (await client.get(f"/fhir/{posted['task']}/_history", headers=hb)).status_code == 404
    current = (await client.get(f"/fhir/{posted['task']}", headers=auth_headers("clinic", clues=[A]))).json()
    r = await client.put(f"/fhir/{posted['task']}", headers=hb, json={**current, "status": "accepted"})
    assert r.status_code == 404
    # Bienestar reads its own visit's Task but cannot update it (no Task.u scope).
    hbien = auth_headers("bienestar")
    assert (await client.get(f"/fhir/{posted['task']}", headers=hbien)).status_code == 200
    assert (await client.put(f"/fhir/{posted['task']}", headers=hbien, json=current)).status_code == 403
    assert (
        await client.get(f"/fhir/{posted['task']}", headers=auth_headers("bienestar", client_id="b-other"))
    ).status_code == 404
