"""Search parameters on Task and ServiceRequest (and Patient), keyset paging, clinic isolation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.paging import walk
from tests.referral.factories import add_unit, visit_body

from fhir.resources.R4B.bundle import Bundle

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"
CLUES_SYSTEM = "http://dgis.salud.gob.mx/clues"
NEAR_A = {"latitud": 19.4330, "longitud": -99.1330}
NEAR_B = {"latitud": 19.5000, "longitud": -99.1330}


async def _world(client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers) -> dict[str, Any]:
    a = await add_unit(session, A, lat=19.4330, lon=-99.1330)
    b = await add_unit(session, B, lat=19.5000, lon=-99.1330, clues_anterior="DFSSA000002")
    h = auth_headers("bienestar")
    posted = []
    for i in range(5):
        near = NEAR_A if i < 3 else NEAR_B
        r = await client.post("/v1/visits", json=visit_body(f"V-{i}", person=near), headers=h)
        assert r.status_code == 201
        posted.append(r.json())
    return {"a": a, "b": b, "posted": posted}


def _ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    Bundle.model_validate(bundle)
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def _tid(p: dict[str, Any]) -> str:
    return str(p["task"].split("/")[1])


async def test_owner_forms_and_old_clues(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    w = await _world(client, session, auth_headers)
    admin = auth_headers("admin")
    in_a = [_tid(p) for p in w["posted"][:3]]
    in_b = [_tid(p) for p in w["posted"][3:]]
    for query in (
        f"owner=Organization/{w['a'].organization_id}",
        f"owner={A}",
        f"owner:identifier={CLUES_SYSTEM}|{A}",
        f"owner:identifier={A}",
    ):
        assert _ids((await client.get(f"/fhir/Task?{query}", headers=admin)).json()) == in_a, query
    assert _ids((await client.get("/fhir/Task?owner=DFSSA000002", headers=admin)).json()) == in_b
    both = (await client.get(f"/fhir/Task?owner={A},{B}", headers=admin)).json()
    assert sorted(_ids(both)) == sorted(in_a + in_b)
    sr = (
        await client.get(f"/fhir/ServiceRequest?performer:identifier={CLUES_SYSTEM}|{B}", headers=admin)
    ).json()
    assert _ids(sr) == [p["service_request"].split("/")[1] for p in w["posted"][3:]]
    sr2 = (
        await client.get(
            f"/fhir/ServiceRequest?performer=Organization/{w['b'].organization_id}", headers=admin
        )
    ).json()
    assert _ids(sr2) == _ids(sr)


async def test_clinic_sees_only_its_units(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    w = await _world(client, session, auth_headers)
    ha = auth_headers("clinic", clues=[A])
    assert _ids((await client.get("/fhir/Task", headers=ha)).json()) == [_tid(p) for p in w["posted"][:3]]
    assert _ids((await client.get(f"/fhir/Task?owner={B}", headers=ha)).json()) == []
    assert len(_ids((await client.get("/fhir/ServiceRequest", headers=ha)).json())) == 3
    # A clinic token carrying the old code of B sees B's Tasks.
    hb_old = auth_headers("clinic", clues=["DFSSA000002"])
    assert _ids((await client.get("/fhir/Task", headers=hb_old)).json()) == [_tid(p) for p in w["posted"][3:]]
    pats = (await client.get("/fhir/Patient", headers=ha)).json()
    assert sorted(_ids(pats)) == sorted(p["match"]["patient"].split("/")[1] for p in w["posted"][:3])


async def test_status_patient_identifier_id_focus(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    w = await _world(client, session, auth_headers)
    ha = auth_headers("clinic", clues=[A])
    first = w["posted"][0]
    cur = (await client.get(f"/fhir/{first['task']}", headers=ha)).json()
    assert (
        await client.put(f"/fhir/{first['task']}", headers=ha, json={**cur, "status": "accepted"})
    ).status_code == 200
    assert _ids((await client.get("/fhir/Task?status=accepted", headers=ha)).json()) == [_tid(first)]
    assert len(_ids((await client.get("/fhir/Task?status=requested", headers=ha)).json())) == 2
    assert len(_ids((await client.get("/fhir/Task?status=requested,accepted", headers=ha)).json())) == 3
    pid = first["match"]["patient"]
    for q in (f"patient={pid}", f"subject={pid}", f"patient={pid.split('/')[1]}"):
        assert _ids((await client.get(f"/fhir/Task?{q}", headers=ha)).json()) == [_tid(first)], q
        assert len(_ids((await client.get(f"/fhir/ServiceRequest?{q}", headers=ha)).json())) == 1
    for q in ("identifier=V-1", "identifier=https://www.gob.mx/bienestar/visita|V-1"):
        got = (await client.get(f"/fhir/ServiceRequest?{q}", headers=ha)).json()
        assert _ids(got) == [w["posted"][1]["service_request"].split("/")[1]]
    assert _ids((await client.get(f"/fhir/Task?_id={_tid(first)}", headers=ha)).json()) == [_tid(first)]
    assert _ids((await client.get("/fhir/Task?identifier=V-2", headers=ha)).json()) == [_tid(w["posted"][2])]
    sr0 = first["service_request"].split("/")[1]
    assert _ids((await client.get(f"/fhir/ServiceRequest?_id={sr0}", headers=ha)).json()) == [sr0]
    assert _ids((await client.get("/fhir/ServiceRequest?status=active", headers=ha)).json()) != []
    assert _ids((await client.get("/fhir/ServiceRequest?status=completed", headers=ha)).json()) == []
    pat = first["match"]["patient"].split("/")[1]
    assert _ids((await client.get(f"/fhir/Patient?_id={pat}", headers=ha)).json()) == [pat]
    sr_id = first["service_request"].split("/")[1]
    assert _ids((await client.get(f"/fhir/Task?focus=ServiceRequest/{sr_id}", headers=ha)).json()) == [
        _tid(first)
    ]
    assert (await client.get("/fhir/Task?identifier=other|V-1", headers=ha)).status_code == 400


async def test_last_updated_prefixes(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    w = await _world(client, session, auth_headers)
    ha = auth_headers("clinic", clues=[A])
    tasks = (await client.get("/fhir/Task", headers=ha)).json()["entry"]
    stamps = [e["resource"]["meta"]["lastUpdated"] for e in tasks]
    mid = stamps[1]
    enc = mid.replace("+", "%2B")
    assert _ids((await client.get(f"/fhir/Task?_lastUpdated=gt{enc}", headers=ha)).json()) == [
        _tid(w["posted"][2])
    ]
    assert len(_ids((await client.get(f"/fhir/Task?_lastUpdated=ge{enc}", headers=ha)).json())) == 2
    assert len(_ids((await client.get(f"/fhir/Task?_lastUpdated=lt{enc}", headers=ha)).json())) == 1
    assert len(_ids((await client.get(f"/fhir/Task?_lastUpdated=le{enc}", headers=ha)).json())) == 2
    today = datetime.now(UTC).date()
    assert (
        len(_ids((await client.get(f"/fhir/Task?_lastUpdated={today.isoformat()}", headers=ha)).json())) == 3
    )
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert _ids((await client.get(f"/fhir/Task?_lastUpdated=ge{tomorrow}", headers=ha)).json()) == []
    assert (await client.get("/fhir/Task?_lastUpdated=yesterday", headers=ha)).status_code == 400


async def test_include_total_count_and_unknown_params(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    w = await _world(client, session, auth_headers)
    ha = auth_headers("clinic", clues=[A])
    b = (await client.get("/fhir/Task?_include=Task:focus&_count=2&_total=accurate", headers=ha)).json()
    assert b["total"] == 3
    assert len(_ids(b)) == 2
    focus = {
        e["resource"]["focus"]["reference"].split("/")[1]
        for e in b["entry"]
        if e["search"]["mode"] == "match"
    }
    assert set(_ids(b, "include")) == focus
    assert all(
        e["resource"]["resourceType"] == "ServiceRequest"
        for e in b["entry"]
        if e["search"]["mode"] == "include"
    )
    assert "total" not in (await client.get("/fhir/Task", headers=ha)).json()
    s = (await client.get("/fhir/ServiceRequest?_include=ServiceRequest:subject", headers=ha)).json()
    subjects = {p["match"]["patient"].split("/")[1] for p in w["posted"][:3]}
    assert set(_ids(s, "include")) == subjects
    assert (await client.get("/fhir/Task?ownr=x", headers=ha)).status_code == 400
    assert (await client.get("/fhir/Task?_include=Task:owner", headers=ha)).status_code == 400


async def test_paging_has_no_gaps_or_repeats_while_referrals_arrive(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    hb = auth_headers("bienestar")
    ha = auth_headers("clinic", clues=[A])
    for i in range(10):
        assert (await client.post("/v1/visits", json=visit_body(f"P-{i}"), headers=hb)).status_code == 201

    async def arrive(page: int) -> None:
        if page < 4:  # new referrals arrive while the clinic pages
            await asyncio.gather(
                *[client.post("/v1/visits", json=visit_body(f"N-{page}-{k}"), headers=hb) for k in range(2)]
            )

    seen = await walk(client, "/fhir/Task?_count=3&status=requested", ha, after_page=arrive)
    assert len(seen) == len(set(seen)) == 18
    all_ids = _ids((await client.get("/fhir/Task?_count=100", headers=ha)).json())
    assert seen == all_ids  # same order, nothing skipped


async def test_patient_search_pages_without_gaps_or_repeats(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    hb = auth_headers("bienestar")
    ha = auth_headers("clinic", clues=[A])
    for i in range(7):
        assert (await client.post("/v1/visits", json=visit_body(f"PP-{i}"), headers=hb)).status_code == 201
    first = (await client.get("/fhir/Patient?_count=3&_total=accurate", headers=ha)).json()
    assert first["total"] == 7
    assert len(_ids(first)) == 3

    async def arrive(page: int) -> None:
        if page < 2:  # new patients are referred while the clinic pages
            posted = await client.post("/v1/visits", json=visit_body(f"PN-{page}"), headers=hb)
            assert posted.status_code == 201

    seen = await walk(client, "/fhir/Patient?_count=3", ha, after_page=arrive)
    assert len(seen) == len(set(seen)) == 9
    assert seen == _ids((await client.get("/fhir/Patient?_count=100", headers=ha)).json())


async def test_patient_read_search_by_curp_and_isolation(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    from tests.referral.factories import add_registry_patient

    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.5000, lon=-99.1330)
    rec = await add_registry_patient(session, "R-1", clues=A, curp="PELR500314MDFRPS09")
    ha, hb = auth_headers("clinic", clues=[A]), auth_headers("clinic", clues=[B])
    got = await client.get(f"/fhir/Patient/{rec.patient_id}", headers=ha)
    assert got.status_code == 200
    res = got.json()
    assert res["identifier"][0] == {"system": "https://www.gob.mx/curp", "value": "PELR500314MDFRPS09"}
    assert res["identifier"][1]["system"] == f"http://dgis.salud.gob.mx/clues/{A}/expediente"
    assert res["name"][0]["_family"]["extension"][0]["valueString"] == "PEREZ"
    assert (await client.get(f"/fhir/Patient/{rec.patient_id}", headers=hb)).status_code == 404
    found = (
        await client.get("/fhir/Patient?identifier=https://www.gob.mx/curp|PELR500314MDFRPS09", headers=ha)
    ).json()
    assert _ids(found) == [str(rec.patient_id)]
    assert _ids((await client.get("/fhir/Patient?identifier=PELR500314MDFRPS09", headers=hb)).json()) == []


async def test_a_searched_resource_equals_the_read_one(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    # Searches render plain rows, reads ORM rows: both must give the same resource, field for field.
    world = await _world(client, session, auth_headers)
    ha = auth_headers("clinic", clues=[A])
    task_id = _tid(world["posted"][0])
    read = (await client.get(f"/fhir/Task/{task_id}", headers=ha)).json()
    found = (await client.get(f"/fhir/Task?_id={task_id}&_include=Task:focus", headers=ha)).json()
    entries = {e["resource"]["resourceType"]: e["resource"] for e in found["entry"]}
    assert entries["Task"] == read
    focus = read["focus"]["reference"].split("/")[1]
    assert entries["ServiceRequest"] == (await client.get(f"/fhir/ServiceRequest/{focus}", headers=ha)).json()
