"""Search fan-out (issue 14, item 9): a parameter carries a bounded number of values, and what a search
costs in database statements does not grow with the codes, ids or CURPs it names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from fhir.resources.R4B.operationoutcome import OperationOutcome

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _cost(app: FastAPI, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    with statements(app) as seen:
        r = await client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return len(seen)


async def test_too_many_values_in_one_parameter_are_refused(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    app.state.settings.search_max_values = 50
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    codes = [f"DFIMB9{i:05d}" for i in range(51)]
    r = await client.get(f"/fhir/Task?owner={','.join(codes)}", headers=ha)
    assert r.status_code == 400, r.text
    assert "owner" in (OperationOutcome.model_validate(r.json()).issue[0].diagnostics or "")
    repeated = "&".join(f"performer:identifier={c}" for c in codes)  # repeats count as well
    assert (await client.get(f"/fhir/ServiceRequest?{repeated}", headers=ha)).status_code == 400
    # A _search form just under its 64 KB limit: ~5,000 codes (~30k with shorter codes) in one body.
    form = urlencode({"owner": ",".join(f"DFIMB{i:06d}" for i in range(5000))}, safe=",")
    r = await client.post(
        "/fhir/Task/_search",
        content=form,
        headers={**ha, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400, r.text
    ok = ",".join(codes[:50])
    assert (await client.get(f"/fhir/Task?owner={ok}", headers=ha)).status_code == 200


async def test_cost_of_a_unit_search_does_not_grow_with_the_codes_it_names(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await client.post("/v1/visits", json=visit_body("V-1"), headers=auth_headers("bienestar"))
    ha = auth_headers("clinic", clues=[A])
    await client.get("/fhir/Task", headers=ha)  # warm the client's cached state
    unknown = [f"DFIMB8{i:05d}" for i in range(60)]
    one = await _cost(app, client, f"/fhir/Task?owner={A},{unknown[0]}", ha)
    many = await _cost(app, client, f"/fhir/Task?owner={','.join([A, *unknown])}", ha)
    assert many == one
    one = await _cost(app, client, f"/fhir/ServiceRequest?performer:identifier={unknown[1]}", ha)
    many = await _cost(app, client, f"/fhir/ServiceRequest?performer:identifier={','.join(unknown[1:])}", ha)
    assert many == one


async def test_cost_of_a_patient_search_does_not_grow_with_the_candidates(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.9000, lon=-99.1330)
    hb = auth_headers("bienestar")
    for i in range(4):
        person = {"nombre": f"PERSONA{i}", "curp": None}
        await client.post("/v1/visits", json=visit_body(f"V-{i}", person=person), headers=hb)
    tasks = (await client.get("/fhir/Task", headers=auth_headers("admin"))).json()["entry"]
    patients = [e["resource"]["for"]["reference"].split("/")[1] for e in tasks]
    assert len(set(patients)) == 4
    strangers = [str(uuid.uuid4()) for _ in range(60)]
    hx = auth_headers("clinic", clues=[B])  # sees none of them: every candidate is checked, none shown
    await client.get("/fhir/Patient", headers=hx)
    one = await _cost(app, client, f"/fhir/Patient?_id={patients[0]},{strangers[0]}", hx)
    many = await _cost(app, client, f"/fhir/Patient?_id={','.join([*patients, *strangers])}", hx)
    assert many == one
    curps = [f"PEPR50031{i:02d}MDFRRS0{i % 10}" for i in range(60)]
    one = await _cost(app, client, f"/fhir/Patient?identifier={curps[0]}", hx)
    many = await _cost(app, client, f"/fhir/Patient?identifier={','.join(curps)}", hx)
    assert many == one
    visible = (await client.get(f"/fhir/Patient?_id={','.join(patients)}", headers=hb)).json()
    assert sorted(e["resource"]["id"] for e in visible["entry"]) == sorted(patients)


async def test_cost_of_an_organization_id_search_does_not_grow_with_the_ids(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    unit_a = await add_unit(session, A, lat=19.4330, lon=-99.1330)
    unit_b = await add_unit(session, B, lat=19.9000, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    await client.get("/fhir/Organization", headers=ha)
    strangers = [str(uuid.uuid4()) for _ in range(60)]
    one = await _cost(app, client, f"/fhir/Organization?_id={unit_a.organization_id}", ha)
    ids = [str(unit_b.organization_id), *strangers, str(unit_a.organization_id)]
    many = await _cost(app, client, f"/fhir/Organization?_id={','.join(ids)}", ha)
    assert many == one
    found = (await client.get(f"/fhir/Organization?_id={','.join(ids)}", headers=ha)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [
        str(unit_b.organization_id),
        str(unit_a.organization_id),
    ]
