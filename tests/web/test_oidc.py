"""OpenID Connect sign-in against a real provider (oidc-provider-mock, served on loopback in a thread)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI
from oidc_provider_mock import User, run_server_in_thread
from tests.web.conftest import MakeUser

from interop.config import Settings
from interop.main import create_app


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    users = [
        User(sub="sub-123", claims={"preferred_username": "rev-oidc"}),
        User(sub="sub-999", claims={"preferred_username": "desconocido"}),
    ]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
async def oidc_app(settings: Settings, provider: str) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(
        update={"oidc_issuer": provider, "oidc_client_id": "interop-test", "oidc_client_secret": "s3creto"}
    )
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        yield application


async def _sign_in_as(app: FastAPI, sub: str) -> tuple[httpx.AsyncClient, httpx.Response]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    start = await http.get("/app/login/oidc?next=/app/")
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert "code_challenge=" in authorize
    assert "nonce=" in authorize
    async with httpx.AsyncClient() as browser:
        chosen = await browser.post(authorize, data={"sub": sub})
    assert chosen.status_code in (302, 303)
    back = urlparse(chosen.headers["location"])
    assert back.path == "/app/login/oidc/callback"
    return http, await http.get(f"{back.path}?{back.query}")


async def test_a_known_account_signs_in_through_the_provider(oidc_app: FastAPI, make_user: MakeUser) -> None:
    await make_user("rev-oidc", "reviewer")
    http, done = await _sign_in_as(oidc_app, "sub-123")
    try:
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/app/"
        home = await http.get("/app/")
        assert home.status_code == 200
        assert "rev-oidc" in home.text
    finally:
        await http.aclose()


async def test_a_provider_account_without_a_local_user_is_refused(
    oidc_app: FastAPI, make_user: MakeUser
) -> None:
    http, done = await _sign_in_as(oidc_app, "sub-999")
    try:
        assert done.status_code == 401
        assert (await http.get("/app/")).status_code == 303
    finally:
        await http.aclose()


async def test_a_callback_with_a_foreign_state_is_refused(oidc_app: FastAPI, make_user: MakeUser) -> None:
    await make_user("rev-oidc", "reviewer")
    transport = httpx.ASGITransport(app=oidc_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/app/login/oidc")
        forged = await http.get("/app/login/oidc/callback?code=abc&state=not-mine")
        assert forged.status_code == 401
        assert (await http.get("/app/")).status_code == 303
