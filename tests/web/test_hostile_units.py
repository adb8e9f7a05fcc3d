"""A hostile look at the unit worklist: once a unit rejects a referral it goes to the next unit, and the
clinic API stops showing the rejecting unit the ServiceRequest, the person and the findings
(docs/security.md, Clinic isolation). The page kept showing them — name, CURP, address, findings, and the
printable sheet — to the rejecting unit's staff for as long as they kept the link. Failed on the old
code (200 with the person on the page)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.web.conftest import MakeUser, csrf_of, sign_in

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"
CURP = "PELR500314MDFRPS09"


async def test_after_rejecting_a_referral_the_unit_sees_no_more_of_the_person_than_the_api_shows(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.4500, lon=-99.1330)
    body = visit_body("V-RECHAZO", person={"nombre": "FULGENCIA", "curp": CURP, "domicilio": "CERRADA 7"})
    posted = (await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))).json()
    task = posted["task"].removeprefix("Task/")
    await make_user("enf.a", "unit_staff", clues=[A])
    assert (await sign_in(client, "enf.a")).status_code == 303
    page = await client.get(f"/app/units/{task}")
    assert "FULGENCIA" in page.text  # its own pending referral: shown whole
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    rejected = await client.post(
        f"/app/units/{task}/reject",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1), "reason": "sin-personal"},
    )
    assert rejected.status_code == 303
    landing = await client.get(rejected.headers["location"])
    assert landing.status_code == 200
    assert "Referencia rechazada" in landing.text
    assert "FULGENCIA" not in landing.text
    # What the clinic API shows the rejecting unit now: its Task, not the referral nor the person.
    clinic = auth_headers("clinic", clues=[A])
    assert (await client.get(f"/fhir/{posted['service_request']}", headers=clinic)).status_code == 404
    assert (await client.get(f"/fhir/{posted['match']['patient']}", headers=clinic)).status_code == 404
    # The page and the sheet say the same: not found, with nothing of the person.
    after = await client.get(f"/app/units/{task}")
    assert after.status_code == 404
    for secret in ("FULGENCIA", CURP, "CERRADA 7", "E11.9", "Diabetes"):
        assert secret not in after.text
    sheet = await client.get(f"/app/units/{task}/sheet.pdf")
    assert sheet.status_code == 404
    assert sheet.headers["content-type"].startswith("text/html")
    # The next unit's staff see it whole.
    await make_user("enf.b", "unit_staff", clues=[B])
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        assert (await sign_in(other, "enf.b")).status_code == 303
        assert "FULGENCIA" in (await other.get("/app/units")).text
