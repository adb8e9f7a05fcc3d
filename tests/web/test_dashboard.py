"""The programme dashboard over real HTTP: its numbers equal ``GET /v1/referral-stats`` for the same
entidades, a manager sees nothing of another entidad (page and CSV), and no person is named."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.web.conftest import MakeUser, sign_in

Headers = Callable[..., dict[str, str]]
DF1, DF2, OC1 = "DFIMB000001", "DFIMB000002", "OCIMB000001"
OAXACA = (17.0732, -96.7266)
_ROW = re.compile(r"<tr><th scope=\"row\">([^<]*)</th>(.*?)</tr>", re.S)
_CELL = re.compile(r"<td[^>]*>([^<]*)</td>")


async def world(client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers) -> None:
    """Referrals in two entidades: DF with a rejection and a completion, OC with one waiting."""
    await add_unit(session, DF1, lat=19.4330, lon=-99.1330)
    await add_unit(session, DF2, lat=19.4500, lon=-99.1330)
    await add_unit(
        session, OC1, lat=OAXACA[0], lon=OAXACA[1], entidad="OC", nombre="Centro de Salud Tlacolula"
    )
    tasks = []
    for n in range(3):
        body = visit_body(f"V-DF-{n}", person={"nombre": "ROSARIO", "curp": None})
        r = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
        tasks.append(r.json()["task"])
    oc = visit_body(
        "V-OC", person={"nombre": "EUSEBIA", "entidad": "OC", "latitud": OAXACA[0], "longitud": OAXACA[1]}
    )
    assert (await client.post("/v1/visits", json=oc, headers=auth_headers("bienestar"))).status_code == 201
    h = auth_headers("clinic", clues=[DF1])
    for task, status in (
        (tasks[0], "rejected"),
        (tasks[1], "accepted"),
        (tasks[1], "in-progress"),
        (tasks[1], "completed"),
    ):
        current = (await client.get(f"/fhir/{task}", headers=h)).json()
        assert (
            await client.put(f"/fhir/{task}", headers=h, json={**current, "status": status})
        ).status_code == 200


def table_rows(html: str, key: str) -> list[list[str]]:
    found = re.search(rf'<table id="t-{key}">(.*?)</table>', html, re.S)
    if found is None:
        return []
    return [[head, *_CELL.findall(cells)] for head, cells in _ROW.findall(found.group(1))]


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


async def test_the_managers_page_shows_the_apis_numbers_for_their_entidad_only(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await world(client, session, auth_headers)
    await make_user("deleg.df", "manager", entidades=["DF"])
    await sign_in(client, "deleg.df")
    page = await client.get("/app/dashboard")
    assert page.status_code == 200
    api = (await client.get("/v1/referral-stats?entidad=DF", headers=auth_headers("admin"))).json()
    (row,) = table_rows(page.text, "entidades")
    counts = api["referrals"]["by_entidad"][0]["counts"]
    order = ("requested", "accepted", "in_progress", "completed", "failed", "cancelled", "rejected")
    assert row[0] == "DF"
    assert [number(c) for c in row[1:8]] == [counts[s] for s in order]
    assert counts["rejected"] == 1
    assert counts["completed"] == 1
    held = re.search(r'data-key="held">([^<]+)<', page.text)
    assert held
    assert number(held.group(1)) == sum(counts.values()) - counts["rejected"]
    units = table_rows(page.text, "unidades")
    assert {u[0] for u in units} == {u["clues"] for u in api["referrals"]["by_unit"]} == {DF1, DF2}
    # Nothing of Oaxaca, and no person: names, CURPs, visit ids never appear.
    for absent in (OC1, "Tlacolula", "EUSEBIA", "ROSARIO", "V-DF-"):
        assert absent not in page.text, absent
    assert "OC" not in re.sub(r"<[^>]+>", " ", page.text).split()
    svg = re.search(
        r"<svg[^>]*role=\"img\"[^>]*>.*?<title[^>]*>([^<]+)</title>\s*<desc[^>]*>([^<]+)</desc>",
        page.text,
        re.S,
    )
    assert svg
    assert "DF" in svg.group(2)


async def test_csv_downloads_hold_the_tables_rows_and_stay_in_the_entidad(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await world(client, session, auth_headers)
    await make_user("deleg.oc", "manager", entidades=["OC"])
    await sign_in(client, "deleg.oc")
    r = await client.get("/app/dashboard/unidades.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["CLUES", "Unidad", "Entidad"]
    assert [row[0] for row in rows[1:]] == [OC1]
    assert rows[1][3] == "1"  # one waiting for an answer
    assert DF1 not in r.text
    assert (await client.get("/app/dashboard/otra.csv")).status_code == 404


async def test_a_manager_of_a_quiet_entidad_sees_no_other_and_other_roles_no_page(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await world(client, session, auth_headers)
    await make_user("deleg.cs", "manager", entidades=["CS"])
    await sign_in(client, "deleg.cs")
    page = await client.get("/app/dashboard")
    assert page.status_code == 200
    assert DF1 not in page.text
    assert OC1 not in page.text
    assert table_rows(page.text, "entidades") == []
    assert "Sin datos" in page.text
    staff = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    await make_user("enf", "unit_staff", clues=[DF1])
    await sign_in(staff, "enf")
    assert (await staff.get("/app/dashboard")).status_code == 403
    assert (await staff.get("/app/dashboard/entidades.csv")).status_code == 403
    await staff.aclose()
