"""A hostile look at the people's sign-in (issue: outside review of last session's pages), over real HTTP.

Each test is an attack that worked on the code before its fix: a cookie copied before sign-out still
opened the pages; any signed-in session (a borrowed browser, a stolen cookie, an OpenID Connect sign-in)
could set a new local password without knowing the current one; behind the TLS proxy the documented
deployment uses, the session cookie never carried ``Secure``; and the OpenID Connect redirect URI was
built from the ``Host`` header and scheme the proxy passed on, not from the configured public URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi import FastAPI
from tests.web.conftest import PASSWORD, MakeUser, csrf_of, sign_in

from interop.config import Settings
from interop.main import create_app

PUBLIC = "https://interop.salud.example.mx"


async def test_a_cookie_copied_before_signing_out_no_longer_opens_the_pages(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("rev.out", "reviewer")
    assert (await sign_in(client, "rev.out")).status_code == 303
    stolen = client.cookies.get("interop_app")
    assert stolen
    home = await client.get("/app/")
    out = await client.post("/app/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await client.get("/app/")).status_code == 303
    client.cookies.clear()
    client.cookies.set("interop_app", stolen, path="/app")
    replay = await client.get("/app/reviews")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/app/login")
    # The person signs in again as usual afterwards.
    assert (await sign_in(client, "rev.out")).status_code == 303
    assert (await client.get("/app/")).status_code == 200


async def test_a_signed_in_session_cannot_replace_a_password_it_does_not_know(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("rev.pw", "reviewer")
    assert (await sign_in(client, "rev.pw")).status_code == 303
    home = await client.get("/app/")
    taken = "la-clave-del-intruso-123"
    changed = await client.post(
        "/app/password", data={"password": taken, "repeat": taken, "csrf_token": csrf_of(home.text)}
    )
    assert changed.status_code == 403
    fresh = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with fresh:
        assert (await sign_in(fresh, "rev.pw", password=taken)).status_code == 401
        assert (await sign_in(fresh, "rev.pw", password=PASSWORD)).status_code == 303


@pytest.fixture
async def public_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"base_url": PUBLIC}))
    async with application.router.lifespan_context(application):
        yield application


async def test_behind_the_tls_proxy_the_session_cookie_is_secure(
    public_app: FastAPI, make_user: MakeUser
) -> None:
    await make_user("rev.tls", "reviewer")
    # The proxy terminates TLS and speaks plain HTTP to the service (docs/security.md).
    transport = httpx.ASGITransport(app=public_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://interop-backend:8000") as http:
        form = await http.get("/app/login")  # the first cookie (the sign-in form's CSRF token)
        cookie = form.headers["set-cookie"].lower()
        assert "; secure" in cookie
        assert "httponly" in cookie
        # The browser sends it back over HTTPS (the proxy passes the request on as plain HTTP).
        http.cookies.set("interop_app", form.cookies["interop_app"], path="/app")
        signed = await http.post(
            "/app/login",
            data={"username": "rev.tls", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert signed.status_code == 303
        assert "; secure" in signed.headers["set-cookie"].lower()


async def test_the_oidc_redirect_uri_is_the_public_url_not_the_host_header(
    settings: Settings, make_user: MakeUser
) -> None:
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(user_claims=[]) as server:
        configured = settings.model_copy(
            update={
                "base_url": PUBLIC,
                "oidc_issuer": f"http://localhost:{server.server_port}",
                "oidc_client_id": "interop-test",
            }
        )
        application = create_app(configured)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://attacker.example") as http:
                start = await http.get("/app/login/oidc")
    assert start.status_code == 303
    (redirect_uri,) = parse_qs(urlparse(start.headers["location"]).query)["redirect_uri"]
    assert redirect_uri == f"{PUBLIC}/app/login/oidc/callback"


def _no_raise(app: FastAPI, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """A client that sees what a browser would (a 500 page) instead of the test raising the app's error."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def test_non_ascii_tokens_and_codes_are_refused_not_a_server_error(
    app: FastAPI, make_user: MakeUser
) -> None:
    """``hmac.compare_digest`` raises on non-ASCII text: a CSRF token or a TOTP code of other scripts'
    digits was a 500 for anyone (the CSRF check runs before any sign-in)."""
    secret = await make_user("aud.utf", "auditor", totp=True)
    assert secret
    async with _no_raise(app) as http:
        await http.get("/app/login")
        forged = await http.post(
            "/app/login", data={"username": "x", "password": "y", "csrf_token": "ñ" * 32}
        )
        assert forged.status_code == 403
        page = await http.get("/app/login")
        step = await http.post(
            "/app/login",
            data={"username": "aud.utf", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert step.headers["location"] == "/app/login/totp"
        form = await http.get("/app/login/totp")
        arabic = await http.post("/app/login/totp", data={"totp": "١٢٣٤٥٦", "csrf_token": csrf_of(form.text)})
        assert arabic.status_code == 401


async def test_a_non_ascii_oidc_state_is_a_refused_sign_in(settings: Settings) -> None:
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(user_claims=[]) as server:
        configured = settings.model_copy(
            update={"oidc_issuer": f"http://localhost:{server.server_port}", "oidc_client_id": "interop-test"}
        )
        application = create_app(configured)
        async with application.router.lifespan_context(application), _no_raise(application) as http:
            assert (await http.get("/app/login/oidc")).status_code == 303  # a sign-in is pending
            back = await http.get("/app/login/oidc/callback", params={"code": "x", "state": "estado-ñ"})
    assert back.status_code == 401
