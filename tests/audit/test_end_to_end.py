"""A visit's whole path through the app: traceable end to end, and no name, CURP or diagnosis anywhere in
the trail. (Extend as more of the app lands: every new audited action should pass through here.)"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.referral.factories import add_registry_patient, add_unit, visit_body

from interop.audit import service as audit_service
from interop.audit import verification
from interop.identity.curp import contains_curp

Headers = Callable[..., dict[str, str]]
CURP = "PELR500314MDFRPS09"
UNIT = "DFIMB000001"
TRACE = "5bf92f3577b34da6a3ce929d0e0e4736"
# Everything personal the scenario sends: none of it may reach an audit event.
FORBIDDEN = [
    CURP,
    "ROSA",
    "MARIA",
    "PEREZ",
    "LOPEZ",
    "E11.9",
    "DIABETES",
    "MAREO",
    "5 DE MAYO",
    "1950-03-14",
    "5512345678",
]


async def test_visit_case_is_traceable_and_the_trail_holds_no_personal_data(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await add_unit(session, UNIT, lat=19.4370, lon=-99.1350, nivel=1)
    await add_registry_patient(session, "R-1", clues=UNIT, curp=CURP)
    bienestar = {
        **auth_headers("bienestar"),
        "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01",
        "X-Acting-User": "PROM-0042",
    }
    body = visit_body("V-9001", person={"curp": CURP, "telefono": "5512345678"})
    posted = await client.post("/v1/visits", json=body, headers=bienestar)
    assert posted.status_code == 201, posted.text
    result = posted.json()

    clinic = {**auth_headers("clinic", clues=[UNIT]), "X-Acting-User": "dr-ruiz"}
    assert (await client.get(f"/fhir/{result['service_request']}", headers=clinic)).status_code == 200
    task = (await client.get(f"/fhir/{result['task']}", headers=clinic)).json()
    accepted = await client.put(
        f"/fhir/{result['task']}",
        json={**task, "status": "accepted"},
        headers={**clinic, "If-Match": 'W/"1"'},
    )
    assert accepted.status_code == 200, accepted.text
    searched = await client.get(f"/fhir/Patient?identifier=https://www.gob.mx/curp|{CURP}", headers=clinic)
    assert searched.status_code == 200
    await client.get("/fhir/Task", headers=auth_headers("bienestar"))  # a refusal (no clues) or a read

    trace = (await client.get(f"/v1/trace/{TRACE}", headers=auth_headers("auditor"))).json()
    steps = [(e["client_id"], e["action"], e["subtype"]) for e in trace["events"]]
    assert steps[0][:2] == ("test-bienestar", "C")  # the visit comes first …
    task_id = result["task"].split("/")[1]
    clinic_steps = [
        (e["action"], e["subtype"])
        for e in trace["events"]
        if e["client_id"] == "test-clinic"
        and {"type": "Task", "id": task_id, "role": "domain-resource"} in e["entities"]
    ]
    assert ("R", "read") in clinic_steps  # … then the clinic reading the Task it was sent …
    assert ("U", "update") in clinic_steps  # … and accepting it, from requests with their own traces
    assert [e["seq"] for e in trace["events"]] == sorted(e["seq"] for e in trace["events"])

    async with sessionmaker() as check:
        rows = (
            (await check.execute(text("SELECT row_to_json(e)::text AS line FROM audit_record e")))
            .scalars()
            .all()
        )
        report = await verification.verify(check, verifier=audit_service.current_signer().verifier)
    assert len(rows) >= 5
    trail = "\n".join(rows).upper()
    for value in FORBIDDEN:
        assert value.upper() not in trail, f"{value!r} reached the audit trail"
    assert not contains_curp(trail)
    assert report.ok
