"""What a person sees and can do, in a real browser (Debian's chromium): sign-in (local with TOTP, and
OpenID Connect), a review worked end to end with the keyboard, a case traced from a CURP, a stranger's
role refused; axe-core finds no serious or critical problem on any page; screenshots at two widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.browser.conftest import in_db
from tests.web.browser_harness import check_page
from tests.web.conftest import CASE_CURP, CASE_UNIT, PASSWORD, secret_of, seed_reviews

from interop.accounts import service as accounts_service
from interop.config import Settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _user(settings: Settings, name: str, role: str, *, totp: bool = False, **kw: Any) -> str | None:
    async def work(session: AsyncSession) -> str | None:
        creds = await accounts_service.add_user(
            session, username=name, role=role, password=PASSWORD, totp=totp, **kw
        )
        return secret_of(creds.totp_uri) if creds.totp_uri else None

    return in_db(settings, work)


def _sign_in(page: Page, name: str, secret: str | None = None, *, shots: str | None = None) -> None:
    page.goto("/app/login")
    if shots:
        check_page(page, f"{shots}-login")
    page.get_by_label("Usuario").fill(name)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    if secret:
        expect(page.get_by_role("heading", name="Segundo factor")).to_be_visible()
        if shots:
            check_page(page, f"{shots}-totp")
        page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verificar").click()
    expect(page.get_by_text(f"Sesión de {name}")).to_be_visible()


def test_local_sign_in_with_totp_and_a_refused_role(page: Page, live_settings: Settings) -> None:
    secret = _user(live_settings, "auditora", "auditor", totp=True)
    _sign_in(page, "auditora", secret, shots="signin")
    check_page(page, "home")
    # A form posted from elsewhere (the session cookie goes along, the CSRF token cannot): refused.
    forged = page.request.post("/app/logout", form={"csrf_token": "not-this-session"})
    assert forged.status == 403
    page.reload()
    expect(page.get_by_text("Sesión de auditora")).to_be_visible()
    page.goto("/app/reviews")
    expect(page.get_by_role("alert")).to_contain_text("Su rol no permite")
    check_page(page, "forbidden")
    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
    page.goto("/app/")
    expect(page).to_have_url(re.compile(r"/app/login\?next="))


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(
        user_claims=[User(sub="sub-1", claims={"preferred_username": "rev-oidc"})]
    ) as s:
        yield f"http://localhost:{s.server_port}"


@pytest.fixture
def live_settings(settings: Settings, provider: str) -> Settings:
    return settings.model_copy(
        update={
            "run_worker": True,
            "oidc_issuer": provider,
            "oidc_client_id": "interop-browser",
            "oidc_client_secret": "s3creto",
        }
    )


def test_oidc_sign_in(page: Page, live_settings: Settings) -> None:
    _user(live_settings, "rev-oidc", "reviewer", oidc_subject="sub-1")
    page.goto("/app/login")
    page.get_by_role("link", name="Entrar con la cuenta institucional").click()
    page.get_by_role("button", name="sub-1").click()  # the provider's page: sign in as that person
    expect(page.get_by_text("Sesión de rev-oidc")).to_be_visible()
    assert page.url.endswith("/app/")


def test_a_review_worked_end_to_end_with_the_keyboard(page: Page, live_settings: Settings) -> None:
    ids = in_db(live_settings, seed_reviews)
    _user(live_settings, "revisora", "reviewer")
    _sign_in(page, "revisora")
    page.get_by_role("link", name="Revisión de identidades").first.click()
    expect(page.locator("#count")).to_contain_text("4 pendientes")
    check_page(page, "reviews")
    page.get_by_label("Probabilidad").select_option("alta")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.locator("#count")).to_contain_text("1 pendientes")
    page.get_by_role("link", name=f"Abrir n.º {ids['likely']}").click()
    expect(page.locator("#evidence")).to_contain_text("+6.10")
    check_page(page, "review")
    page.keyboard.press("v")  # no reason yet: the reason field takes the focus, nothing is sent
    expect(page.locator("#reason")).to_be_focused()
    page.locator("#reason").fill("Misma CURP y fecha en el expediente en papel")
    page.keyboard.press("Escape")
    page.keyboard.press("v")
    expect(page.get_by_role("status")).to_contain_text(
        f"Decisión guardada en la revisión n.º {ids['likely']}"
    )

    async def decided(session: AsyncSession) -> tuple[Any, ...]:
        row = await session.execute(
            text("SELECT status, decision, decided_by FROM match_review WHERE id = :i"), {"i": ids["likely"]}
        )
        return tuple(row.one())

    assert in_db(live_settings, decided) == ("decided", "link", "revisora")


def test_a_case_traced_from_a_curp(page: Page, live: Any, live_settings: Settings) -> None:
    from tests.referral.factories import add_unit, visit_body

    async def unit(session: AsyncSession) -> None:
        await add_unit(session, CASE_UNIT, lat=19.4330, lon=-99.1330)

    in_db(live_settings, unit)
    with httpx.Client(base_url=live.url) as http:
        posted = http.post(
            "/v1/visits",
            json=visit_body("CASO-B", person={"curp": CASE_CURP}),
            headers={"Authorization": f"Bearer {live.token('bienestar')}"},
        ).json()
        clinic = {"Authorization": f"Bearer {live.token('clinic', clues=[CASE_UNIT])}"}
        task = http.get(f"/fhir/{posted['task']}", headers=clinic).json()
        http.put(f"/fhir/{posted['task']}", headers=clinic, json={**task, "status": "accepted"})
    secret = _user(live_settings, "auditor-b", "auditor", totp=True)
    _sign_in(page, "auditor-b", secret)
    page.get_by_role("link", name="Casos (auditoría)").first.click()
    check_page(page, "cases-search")
    page.get_by_label("Dato a buscar").fill(CASE_CURP)
    page.get_by_role("button", name="Buscar").click()
    expect(page.locator("#timeline")).to_contain_text("IMSS-Bienestar")
    expect(page.get_by_role("cell", name="CASO-B")).to_be_visible()
    # The worker's sequencer signs the events within its merge delay: search again until verified.
    for _ in range(40):
        if page.locator("#verification").get_attribute("data-status") == "verified":
            break
        page.wait_for_timeout(250)
        page.get_by_role("button", name="Buscar").click()
    expect(page.locator("#verification")).to_have_attribute("data-status", "verified")
    check_page(page, "case")
    with page.expect_download() as download:
        page.get_by_role("button", name="PDF").click()
    assert download.value.suggested_filename == "caso-curp.pdf"
