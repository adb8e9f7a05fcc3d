"""A referral's Conditions (``Condition/{referral}-c{n}``) carry the identifier of every visit that found
them, so ``Condition?identifier=`` by visit finds a referred visit's findings (HTTP only)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
NEAR = "DFIMB000001"
VISIT = "https://www.gob.mx/bienestar/visita"


def _values(condition: dict[str, object]) -> list[str]:
    return [i["value"] for i in condition["identifier"]]  # type: ignore[index, union-attr]


async def test_referral_conditions_carry_the_visits_that_found_them(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    bienestar, clinic = auth_headers("bienestar"), auth_headers("clinic", clues=[NEAR])
    person = {"roll_record_id": "PADRON-CI-1"}
    first = (
        await client.post("/v1/visits", json=visit_body("V-CI-1", person=person), headers=bienestar)
    ).json()
    again = visit_body("V-CI-2", person=person)
    # The same diabetes found again, and a new finding: both join the open referral (same need, E11).
    again["findings"]["conditions"] = [{"code": "E11.9"}, {"code": "I10"}]
    second = (await client.post("/v1/visits", json=again, headers=bienestar)).json()
    assert second["service_request"] == first["service_request"]
    referral = first["service_request"].removeprefix("ServiceRequest/")

    by_first = (await client.get("/fhir/Condition?identifier=V-CI-1", headers=clinic)).json()
    [diabetes] = [e["resource"] for e in by_first["entry"]]
    assert diabetes["id"] == f"{referral}-c0"
    assert _values(diabetes) == ["V-CI-1", "V-CI-2"]
    assert diabetes["identifier"][0]["system"] == VISIT

    by_second = (await client.get(f"/fhir/Condition?identifier={VISIT}|V-CI-2", headers=bienestar)).json()
    found = {e["resource"]["id"]: _values(e["resource"]) for e in by_second["entry"]}
    assert found == {f"{referral}-c0": ["V-CI-1", "V-CI-2"], f"{referral}-c1": ["V-CI-2"]}
    read = (await client.get(f"/fhir/Condition/{referral}-c1", headers=clinic)).json()
    assert _values(read) == ["V-CI-2"]
    assert read["code"]["coding"][0]["code"] == "I10"
