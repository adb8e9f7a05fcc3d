"""The unit worklist over real HTTP: a unit's staff see only their units' referrals, answer them through the
same service as the FHIR Task API (state, re-routing, audit with the person as agent), print the sheet; and
nothing of another unit's referral is shown, whatever the URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.web.conftest import MakeUser, csrf_of, sign_in

from interop.web.outcomes import OUTCOME_SYSTEM

Headers = Callable[..., dict[str, str]]
A, B, C = "DFIMB000001", "DFIMB000002", "DFIMB000003"


async def _post_visit(client: httpx.AsyncClient, auth_headers: Headers, visit_id: str, **kw: Any) -> str:
    r = await client.post("/v1/visits", json=visit_body(visit_id, **kw), headers=auth_headers("bienestar"))
    assert r.status_code == 201, r.text
    return str(r.json()["task"]).removeprefix("Task/")


async def _units(session: AsyncSession) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.4500, lon=-99.1330)
    await add_unit(session, C, lat=19.4700, lon=-99.1330)


async def _form(client: httpx.AsyncClient, task: str, action: str, **data: str) -> httpx.Response:
    page = await client.get(f"/app/units/{task}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version, page.text[:500]
    body = {"csrf_token": csrf_of(page.text), "version": version.group(1), **data}
    return await client.post(f"/app/units/{task}/{action}", data=body)


async def test_accept_and_complete_move_the_task_as_the_fhir_api_does(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await _units(session)
    task = await _post_visit(client, auth_headers, "V-1", person={"domicilio": "CALLE 5 DE MAYO 10"})
    await make_user("enf.a", "unit_staff", clues=[A])
    assert (await sign_in(client, "enf.a")).status_code == 303
    listing = await client.get("/app/units")
    assert listing.status_code == 200
    assert f"/app/units/{task}" in listing.text
    assert "ROSA MARIA" in listing.text
    assert 'lang="es-MX"' in listing.text
    page = await client.get(f"/app/units/{task}")
    assert "CALLE 5 DE MAYO 10" in page.text
    accepted = await _form(client, task, "accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/app/units/{task}?done=accepted"
    done = await _form(client, task, "complete", outcome="atendido-domicilio", note="control en casa")
    assert done.status_code == 303
    fhir = (await client.get(f"/fhir/Task/{task}", headers=auth_headers("clinic", clues=[A]))).json()
    assert fhir["status"] == "completed"
    assert fhir["meta"]["versionId"] == "4"  # requested → accepted → in-progress → completed
    sr = (await client.get(f"/fhir/{fhir['focus']['reference']}", headers=auth_headers("admin"))).json()
    assert sr["status"] == "completed"
    (outcome,) = [e for e in sr.get("extension", []) if e["url"].endswith("referral-outcome")]
    coding = next(x for x in outcome["extension"] if x["url"] == "code")["valueCodeableConcept"]["coding"][0]
    assert (coding["system"], coding["code"]) == (OUTCOME_SYSTEM, "atendido-domicilio")
    assert "Atendido en el domicilio" in (await client.get(f"/app/units/{task}")).text
    agents = (
        await session.execute(
            text(
                "SELECT DISTINCT action, subtype FROM audit_record "
                "WHERE user_id = 'enf.a' AND client_id = 'interop-web' ORDER BY 1, 2"
            )
        )
    ).all()
    assert ("U", "update") in agents  # the answers
    assert ("R", "read") in agents  # the referral page
    assert ("E", "search-type") in agents  # the list


async def test_reject_with_a_reason_reroutes_to_the_next_unit(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await _units(session)
    task = await _post_visit(client, auth_headers, "V-2")
    await make_user("enf.a", "unit_staff", clues=[A])
    await sign_in(client, "enf.a")
    refused = await _form(client, task, "reject", reason="inventado")
    assert refused.status_code == 422
    assert "Elija una opción" in refused.text
    r = await _form(client, task, "reject", reason="sin-personal", detail="sin médico hoy")
    assert r.status_code == 303
    fhir = (await client.get(f"/fhir/Task/{task}", headers=auth_headers("admin"))).json()
    assert fhir["status"] == "rejected"
    assert fhir["statusReason"]["text"] == "Sin personal o insumos para atenderlo: sin médico hoy"
    nxt = await client.get(f"/fhir/Task?owner={B}", headers=auth_headers("clinic", clues=[B]))
    assert [e["resource"]["status"] for e in nxt.json()["entry"]] == ["requested"]
    # The rejected referral has left the unit's worklist.
    assert f'/app/units/{task}"' not in (await client.get("/app/units")).text


async def test_another_units_referral_is_not_found_and_shows_nothing_of_it(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await _units(session)
    theirs = await _post_visit(
        client, auth_headers, "V-OTRA", person={"nombre": "EUSEBIA", "domicilio": "CERRADA SECRETA 7"}
    )
    await make_user("enf.c", "unit_staff", clues=[C])  # the visit went to A, the nearest
    await sign_in(client, "enf.c")
    listing = await client.get("/app/units")
    assert "EUSEBIA" not in listing.text
    for path in (f"/app/units/{theirs}", f"/app/units/{theirs}/sheet.pdf"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "EUSEBIA" not in r.text
        assert "CERRADA SECRETA" not in r.text
        assert "V-OTRA" not in r.text
    page = await client.get("/app/login")  # any page for a CSRF token of this session
    for action in ("accept", "reject", "complete"):
        r = await client.post(
            f"/app/units/{theirs}/{action}",
            data={"csrf_token": csrf_of(page.text), "version": "1", "reason": "otro", "outcome": "atendido"},
        )
        assert r.status_code == 404, action
    fhir = (await client.get(f"/fhir/Task/{theirs}", headers=auth_headers("admin"))).json()
    assert (fhir["status"], fhir["meta"]["versionId"]) == ("requested", "1")
    assert (await client.get("/app/units/not-a-uuid")).status_code == 404


async def test_forms_without_the_csrf_token_and_stale_versions_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await _units(session)
    task = await _post_visit(client, auth_headers, "V-3")
    await make_user("enf.a", "unit_staff", clues=[A])
    await sign_in(client, "enf.a")
    no_token = await client.post(f"/app/units/{task}/accept", data={"version": "1"})
    assert no_token.status_code == 403
    page = await client.get(f"/app/units/{task}")
    # The clinic's system accepts it meanwhile: the page's version is stale.
    clinic = auth_headers("clinic", clues=[A])
    current = (await client.get(f"/fhir/Task/{task}", headers=clinic)).json()
    assert (
        await client.put(f"/fhir/Task/{task}", headers=clinic, json={**current, "status": "accepted"})
    ).status_code == 200
    stale = await client.post(
        f"/app/units/{task}/accept", data={"csrf_token": csrf_of(page.text), "version": "1"}
    )
    assert stale.status_code == 409
    assert "cambió esta referencia" in stale.text
    fhir = (await client.get(f"/fhir/Task/{task}", headers=clinic)).json()
    assert fhir["meta"]["versionId"] == "2"


async def test_the_referral_sheet_is_a_pdf_of_the_units_referral(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await _units(session)
    task = await _post_visit(client, auth_headers, "V-4")
    await make_user("enf.a", "unit_staff", clues=[A])
    await sign_in(client, "enf.a")
    r = await client.get(f"/app/units/{task}/sheet.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    assert "no-store" in r.headers["cache-control"]  # personal data: never cached


async def test_other_roles_cannot_open_the_worklist(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("rev", "reviewer")
    await sign_in(client, "rev")
    assert (await client.get("/app/units")).status_code == 403


async def test_pages_send_one_content_security_policy_that_lets_their_stylesheet_load(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Browsers enforce every CSP header: the API's ``default-src 'none'`` beside the page's own blocked the
    stylesheet, and the pages showed unstyled (seen on the screenshots)."""
    await make_user("enf.a", "unit_staff", clues=[A])
    await sign_in(client, "enf.a")
    r = await client.get("/app/units")
    policies = r.headers.get_list("content-security-policy")
    assert len(policies) == 1
    assert "style-src 'self'" in policies[0]
    assert r.headers.get_list("cache-control") == ["no-store"]
    api = await client.get("/healthz")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_staff_bound_to_the_units_old_ssa_code_see_its_referrals(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, make_user: MakeUser
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330, clues_anterior="DFSSA000111")
    task = await _post_visit(client, auth_headers, "V-SSA")
    await make_user("enf.ssa", "unit_staff", clues=["DFSSA000111"])
    await sign_in(client, "enf.ssa")
    assert f"/app/units/{task}" in (await client.get("/app/units")).text
    assert (await _form(client, task, "accept")).status_code == 303


async def test_the_worklist_pages_through_pending_referrals_most_urgent_first(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    make_user: MakeUser,
    monkeypatch: Any,
) -> None:
    from interop.referral import worklist

    monkeypatch.setattr(worklist, "WORKLIST_PAGE", 2)
    await _units(session)
    routine = [await _post_visit(client, auth_headers, f"V-P{n}") for n in range(2)]
    urgent = await _post_visit(client, auth_headers, "V-PU", urgency="urgent")
    await make_user("enf.a", "unit_staff", clues=[A])
    await sign_in(client, "enf.a")
    first = (await client.get("/app/units")).text
    assert "página 1 de 2" in first
    tasks_shown = re.findall(r'href="/app/units/([0-9a-f-]{36})"', first)
    assert tasks_shown == [urgent, routine[0]]  # urgent first, then the oldest
    second = (await client.get("/app/units?page=2")).text
    assert re.findall(r'href="/app/units/([0-9a-f-]{36})"', second) == [routine[1]]
    assert 'href="/app/units?page=1"' in second
    assert (await client.get("/app/units?page=0")).status_code == 422
