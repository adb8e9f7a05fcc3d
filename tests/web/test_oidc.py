"""OpenID Connect sign-in against a real provider (oidc-provider-mock, served on loopback in a thread)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI
from oidc_provider_mock import User, run_server_in_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.web.conftest import MakeUser

from interop.accounts import service as accounts_service
from interop.accounts.errors import AccountExists, AccountInvalid
from interop.accounts.schemas import SignInStatus
from interop.config import Settings
from interop.main import create_app


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    users = [
        User(sub="sub-123", claims={"preferred_username": "rev-oidc"}),
        User(sub="sub-999", claims={"preferred_username": "desconocido"}),
        # Renamed themselves at the provider to a local administrator's name: must not become them.
        User(sub="sub-666", claims={"preferred_username": "admin-local"}),
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
    await make_user("rev-oidc", "reviewer", oidc_subject="sub-123")
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


async def test_a_provider_name_equal_to_a_local_account_does_not_sign_in_as_it(
    oidc_app: FastAPI, make_user: MakeUser
) -> None:
    """A person who renamed themselves at the provider to an administrator's name stays a stranger: the
    account is found by the bound subject, not by ``preferred_username``."""
    await make_user("admin-local", "admin", totp=True)
    http, done = await _sign_in_as(oidc_app, "sub-666")
    try:
        assert done.status_code == 401
        assert (await http.get("/app/")).status_code == 303
    finally:
        await http.aclose()


async def test_a_provider_only_account_has_no_local_password_and_signs_in_by_its_subject(
    oidc_app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        creds = await accounts_service.add_user(
            session, username="aud-oidc", role="auditor", oidc_subject="sub-123"
        )
        await session.commit()
    assert creds.password is None
    assert creds.totp_uri is None
    assert creds.account.has_oidc
    async with sessionmaker() as session:
        local = await accounts_service.check_password(
            session,
            username="aud-oidc",
            password="",
            totp_required_roles=("admin", "auditor"),
            lockout_attempts=5,
            lockout_s=60,
        )
    assert local.status is SignInStatus.REFUSED
    http, done = await _sign_in_as(oidc_app, "sub-123")
    try:
        assert done.status_code == 303, done.text
        assert "aud-oidc" in (await http.get("/app/")).text
    finally:
        await http.aclose()


async def test_unbinding_the_subject_ends_the_session_and_the_provider_sign_in(
    oidc_app: FastAPI, make_user: MakeUser, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await make_user("rev-oidc", "reviewer", oidc_subject="sub-123")
    http, done = await _sign_in_as(oidc_app, "sub-123")
    try:
        assert done.status_code == 303
        assert (await http.get("/app/")).status_code == 200
        async with sessionmaker() as session:
            await accounts_service.bind_oidc_subject(session, username="rev-oidc", subject=None)
            await session.commit()
        assert (await http.get("/app/")).status_code == 303
    finally:
        await http.aclose()
    http, again = await _sign_in_as(oidc_app, "sub-123")
    await http.aclose()
    assert again.status_code == 401


async def test_one_subject_binds_one_account(
    make_user: MakeUser, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await make_user("rev-a", "reviewer", oidc_subject="sub-x")
    await make_user("rev-b", "reviewer")
    async with sessionmaker() as session:
        with pytest.raises(AccountExists):
            await accounts_service.bind_oidc_subject(session, username="rev-b", subject="sub-x")
        with pytest.raises(AccountInvalid):
            await accounts_service.bind_oidc_subject(session, username="rev-b", subject="\x00bad")
