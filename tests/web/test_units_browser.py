"""The unit worklist and the programme dashboard in a real Chromium: a unit accepts and completes a
referral; another unit's referral cannot be opened by URL; the dashboard shows the API's numbers and
nothing of another entidad; axe finds no serious or critical violation; screenshots at two widths."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession
from tests.conftest import LiveServer
from tests.referral.factories import add_unit, visit_body
from tests.web.browser_harness import chromium, screenshots, serious_violations, sign_in
from tests.web.conftest import PASSWORD, MakeUser
from tests.web.test_dashboard import DF1, OC1, world

Headers = Callable[..., dict[str, str]]
A, C = "DFIMB000001", "DFIMB000003"


async def test_a_unit_accepts_and_completes_a_referral_in_the_browser(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    make_user: MakeUser,
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330, nombre="Centro de Salud Centro Histórico")
    await add_unit(session, C, lat=19.4700, lon=-99.1330)
    posted = await client.post("/v1/visits", json=visit_body("V-B1"), headers=auth_headers("bienestar"))
    task = posted.json()["task"].removeprefix("Task/")
    await make_user("enf.a", "unit_staff", clues=[A])
    base = live_server.url
    async with chromium() as browser:
        page = await browser.new_page(locale="es-MX")
        await sign_in(page, base, "enf.a", PASSWORD)
        await page.get_by_role("link", name="Referencias de la unidad").first.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Referencias de la unidad")
        await expect(page.get_by_text("1 referencias pendientes")).to_be_visible()
        assert await serious_violations(page) == []
        await screenshots(page, "unidad-lista")
        await page.get_by_role("link", name=re.compile("ROSA MARIA")).click()
        await expect(page.locator("#task-status")).to_have_text("Por responder")
        assert await serious_violations(page) == []
        await screenshots(page, "unidad-referencia")
        await page.get_by_role("button", name="Aceptar referencia").click()
        await expect(page.get_by_role("status")).to_have_text("Referencia aceptada.")
        await expect(page.locator("#task-status")).to_have_text("Aceptada")
        await page.get_by_label("Resultado", exact=True).select_option("atendido")
        await page.get_by_role("button", name="Registrar resultado y concluir").click()
        await expect(page.get_by_role("status")).to_have_text(
            "Resultado registrado: la referencia terminó en esta unidad."
        )
        await expect(page.locator("#task-status")).to_have_text("Concluida")
        assert await serious_violations(page) == []
        await screenshots(page, "unidad-concluida")
        pdf = await page.request.get(f"{base}/app/units/{task}/sheet.pdf")
        assert pdf.status == 200
        assert (await pdf.body()).startswith(b"%PDF-")
    fhir = (await client.get(f"/fhir/Task/{task}", headers=auth_headers("admin"))).json()
    assert fhir["status"] == "completed"
    sr = (await client.get(f"/fhir/{fhir['focus']['reference']}", headers=auth_headers("admin"))).json()
    assert "atendido" in str(sr["extension"])


async def test_another_units_staff_cannot_open_the_referral_by_url(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    make_user: MakeUser,
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, C, lat=19.4700, lon=-99.1330)
    body = visit_body("V-B2", person={"nombre": "EUSEBIA", "domicilio": "CERRADA SECRETA 7"})
    task = (await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))).json()["task"]
    await make_user("enf.c", "unit_staff", clues=[C])
    async with chromium() as browser:
        page = await browser.new_page(locale="es-MX")
        await sign_in(page, live_server.url, "enf.c", PASSWORD)
        response = await page.goto(f"{live_server.url}/app/units/{task.removeprefix('Task/')}")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_text("No se encontró lo que busca.")).to_be_visible()
        content = await page.content()
        assert "EUSEBIA" not in content
        assert "CERRADA SECRETA" not in content
        assert "V-B2" not in content
        await page.goto(f"{live_server.url}/app/units")
        await expect(page.get_by_text("No hay referencias pendientes para su unidad.")).to_be_visible()


async def test_the_dashboard_shows_the_apis_numbers_and_nothing_of_another_entidad(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    make_user: MakeUser,
) -> None:
    await world(client, session, auth_headers)
    await make_user("deleg.df", "manager", entidades=["DF"])
    api = (await client.get("/v1/referral-stats?entidad=DF", headers=auth_headers("admin"))).json()[
        "referrals"
    ]
    async with chromium() as browser:
        page = await browser.new_page(locale="es-MX")
        await sign_in(page, live_server.url, "deleg.df", PASSWORD)
        await page.get_by_role("link", name="Tablero del programa").first.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tablero del programa")
        row = page.locator("#t-entidades tbody tr")
        await expect(row).to_have_count(1)
        cells = [c.replace(",", "") for c in await row.locator("td").all_inner_texts()]
        order = ("requested", "accepted", "in_progress", "completed", "failed", "cancelled", "rejected")
        assert [int(c) for c in cells[:7]] == [api["by_entidad"][0]["counts"][s] for s in order]
        units = await page.locator("#t-unidades tbody th").all_inner_texts()
        assert sorted(units) == sorted(u["clues"] for u in api["by_unit"])
        held = await page.locator('[data-key="held"]').inner_text()
        assert (
            int(held.replace(",", ""))
            == api["totals"]["requested"]
            + api["totals"]["accepted"]
            + api["totals"]["in_progress"]
            + api["totals"]["completed"]
            + api["totals"]["failed"]
            + api["totals"]["cancelled"]
        )
        chart = page.locator("svg#chart-entidades")
        await expect(chart).to_have_attribute("role", "img")
        text = await page.locator("main").inner_text()
        assert OC1 not in text
        assert DF1 in text
        assert "ROSARIO" not in text
        assert "EUSEBIA" not in text
        assert await serious_violations(page) == []
        await screenshots(page, "tablero")
        async with page.expect_download() as download:
            await page.get_by_role("link", name=re.compile("Descargar CSV: Unidades")).click()
        path = await (await download.value).path()
        assert OC1 not in path.read_text(encoding="utf-8-sig")
