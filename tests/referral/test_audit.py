"""Every read, search, create and update of referral data leaves an audit event in the same transaction,
naming the patient by reference only (no names, CURPs or diagnoses)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
A = "DFIMB000001"


async def test_referral_interactions_are_audited(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    posted = (
        await client.post(
            "/v1/visits",
            json=visit_body("AU-1", person={"curp": "PELR500314MDFRPS09"}),
            headers=auth_headers("bienestar"),
        )
    ).json()
    h = auth_headers("clinic", clues=[A])
    await client.get("/fhir/Task", headers=h)
    await client.get(f"/fhir/{posted['task']}", headers=h)
    await client.get(f"/fhir/{posted['service_request']}/_history", headers=h)
    await client.get(f"/fhir/{posted['match']['patient']}", headers=h)
    cur = (await client.get(f"/fhir/{posted['task']}", headers=h)).json()
    await client.put(f"/fhir/{posted['task']}", headers=h, json={**cur, "status": "accepted"})
    await client.patch(
        f"/fhir/{posted['task']}",
        headers=h,
        json=[{"op": "replace", "path": "/status", "value": "in-progress"}],
    )
    await client.get("/fhir/Patient?identifier=https://www.gob.mx/curp|PELR500314MDFRPS09", headers=h)
    rows = (
        await session.execute(
            text(
                "SELECT action, subtype, client_id, p.patient, entities::text, coalesce(query, '') "
                "FROM audit_record e LEFT JOIN LATERAL "
                "jsonb_array_elements_text(CAST(e.patients AS jsonb)) AS p(patient) ON true "
                "WHERE client_id IN ('test-bienestar', 'test-clinic') ORDER BY seq"
            )
        )
    ).all()
    kinds = [(r[0], r[1]) for r in rows]
    assert ("C", "create") in kinds
    assert kinds.count(("E", "search-type")) == 2
    assert ("R", "read") in kinds
    assert ("R", "history") in kinds
    assert ("U", "update") in kinds
    assert ("U", "patch") in kinds
    patient = posted["match"]["patient"]
    assert all(r[3] == patient for r in rows)
    dump = " ".join(" ".join(map(str, r)) for r in rows)
    for secret in ("ROSA", "PEREZ", "PELR500314MDFRPS09", "E11.9", "Diabetes"):
        assert secret not in dump
