"""``readable_patient_ids`` (what ``Patient/$match`` discloses through) answers for many Patients at once
exactly what ``get_patient`` answers for each: registry Patients by unit, provisional ones and others'
Patients through visible referrals, unknown ids never."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_registry_patient, add_unit, visit_body

from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound
from interop.referral.scopes import Scope

HOME, OTHER = "DFIMB000001", "OCIMB000999"


async def test_readable_patient_ids_agree_with_reading_each_patient(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Callable[..., dict[str, str]]
) -> None:
    await add_unit(session, HOME, lat=19.4330, lon=-99.1330)
    await add_unit(session, OTHER, lat=17.0600, lon=-96.7200, entidad="OC")
    at_home = await add_registry_patient(session, "P-HOME", clues=HOME, nombre="LUCIA")
    elsewhere = await add_registry_patient(session, "P-OTHER", clues=OTHER, nombre="ELENA")
    visit = await client.post(
        "/v1/visits", json=visit_body("V-1"), headers=auth_headers("bienestar", client_id="bien-a")
    )
    assert visit.status_code == 201, visit.text
    provisional = uuid.UUID(visit.json()["match"]["patient"].removeprefix("Patient/"))
    ids = [at_home.patient_id, elsewhere.patient_id, provisional, uuid.uuid4()]
    scopes = [
        Scope(clues=frozenset({HOME})),
        Scope(clues=frozenset({OTHER})),
        Scope(requester="bien-a"),
        Scope(requester="bien-b"),
        Scope(),
    ]
    seen: list[set[uuid.UUID]] = []
    for scope in scopes:
        one_by_one = set()
        for pid in ids:
            try:
                await referral_service.get_patient(session, scope=scope, patient_id=pid)
            except ReferralNotFound:
                continue
            one_by_one.add(pid)
        at_once = await referral_service.readable_patient_ids(session, scope=scope, patient_ids=ids)
        assert at_once == one_by_one, scope
        seen.append(at_once)
    # The cases differ: the comparison above is not between empty sets.
    assert seen[0] >= {at_home.patient_id, provisional}  # its own patient; the visit was referred here
    assert elsewhere.patient_id not in seen[0]
    assert seen[1] == {elsewhere.patient_id}
    assert seen[2] == {provisional}
    assert seen[3] == set()
    assert seen[4] == set(ids[:3])
