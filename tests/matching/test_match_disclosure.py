"""``Patient/$match`` discloses per role what that role may read, and audits every disclosed record
(issue 14 #1): a clinic gets only Patients it may already read (nothing of another unit's patient or of
the pension roll: no CURP, name, birth date, address, phone or unit, not even an id); Bienestar gets its
roll and the Patients of its own referrals; reviewers and administrators every candidate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people
from tests.matching.test_router import _linked_person, _patient, _run_via_api
from tests.referral.factories import add_unit, visit_body

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEventRead

Headers = Callable[..., dict[str, str]]
HOME, ELSEWHERE = "DFIMB000001", "OCIMB000999"  # every registry record of the population is at HOME
PADRON = "https://www.gob.mx/bienestar/padron"


def visit_person(p: Any) -> dict[str, Any]:
    """A visit's person block for this generated person, at the home unit's place."""
    return {
        "curp": p.curp,
        "nombre": p.nombre,
        "primer_apellido": p.primer_apellido,
        "segundo_apellido": p.segundo_apellido,
        "fecha_nacimiento": p.fecha_nacimiento.isoformat(),
        "sexo": p.sexo,
        "entidad": p.entidad,
        "latitud": 19.4330,
        "longitud": -99.1330,
    }


async def _events(sessionmaker: async_sessionmaker[AsyncSession], trace: str) -> list[AuditEventRead]:
    async with sessionmaker() as session:
        found = await audit_service.trace(session, trace_id=trace)
    return [e for e in found.events if e.trace_id == trace]


async def test_match_discloses_per_role_and_audits_each_record(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    auth_headers: Headers,
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await add_unit(session, HOME, lat=19.4330, lon=-99.1330)
    await _run_via_api(client, app, auth_headers)
    key, clinic_patient = await _linked_person(session)
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": _patient(people[key])},
            {"name": "count", "valueInteger": 5},
        ],
    }
    roll_ref, registry_ref = f"roll:R{key}", f"Patient/{clinic_patient}"

    async def match(n: int, headers: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
        trace = f"{0xE000 + n:032x}"
        response = await client.post(
            "/fhir/Patient/$match",
            json=params,
            headers={
                **headers,
                "Content-Type": "application/fhir+json",
                "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
            },
        )
        assert response.status_code == 200, response.text
        return trace, response.json().get("entry", [])

    def refs(entries: list[dict[str, Any]]) -> set[str]:
        out = set()
        for e in entries:
            res = e["resource"]
            roll = [i["value"] for i in res.get("identifier", []) if i["system"] == PADRON]
            out.add(f"roll:{roll[0]}" if roll else f"Patient/{res['id']}")
        return out

    # Reviewers and administrators: the roll record and the registry Patient, whole.
    for n, role in enumerate(("admin", "reviewer")):
        _, entries = await match(n, auth_headers(role))
        assert {roll_ref, registry_ref} <= refs(entries), role
        assert any("birthDate" in e["resource"] for e in entries)

    # A clinic at another unit: nothing at all (no opaque id either: it may not read any of them).
    far_trace, far = await match(10, auth_headers("clinic", clues=[ELSEWHERE]))
    assert far == []
    [far_event] = await _events(sessionmaker, far_trace)
    assert far_event.entities == []
    assert far_event.patient is None

    # The clinic where the person is registered: its own Patient, whole; never the roll record.
    home_trace, home = await match(11, auth_headers("clinic", clues=[HOME]))
    assert registry_ref in refs(home)
    assert not any(r.startswith("roll:") for r in refs(home))
    assert all(
        e["resource"].get("managingOrganization", {}).get("identifier", {}).get("value") == HOME for e in home
    )
    home_events = await _events(sessionmaker, home_trace)
    assert {e.patient for e in home_events} == {f"Patient/{e['resource']['id']}" for e in home}

    # Bienestar: its padrón record, not the clinic's patient (no referral of its own names them).
    bien_trace, bien = await match(12, auth_headers("bienestar"))
    assert roll_ref in refs(bien)
    assert not any(r.startswith("Patient/") for r in refs(bien))
    bien_events = await _events(sessionmaker, bien_trace)
    audited = {(x["type"], x["id"], x["role"]) for e in bien_events for x in e.entities}
    assert ("RollRecord", f"R{key}", "patient") in audited
    assert len(bien_events) == len(bien)  # one event per disclosed record

    # Once a visit of Bienestar's is referred with that Patient as subject, Bienestar reads it: $match too.
    p = people[key]
    person = visit_person(p)
    visit = await client.post(
        "/v1/visits", json=visit_body("MD-1", person=person), headers=auth_headers("bienestar")
    )
    assert visit.status_code == 201, visit.text
    assert visit.json()["match"]["patient"] == registry_ref
    _, after = await match(13, auth_headers("bienestar"))
    assert {roll_ref, registry_ref} <= refs(after)
    # … and another Bienestar client, whose visit it is not, still may not.
    _, other = await match(14, auth_headers("bienestar", client_id="bienestar-otro"))
    assert registry_ref not in refs(other)
