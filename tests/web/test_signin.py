"""Sign-in for people over real HTTP: passwords, TOTP, lockout, CSRF, roles, session end, audit."""

from __future__ import annotations

import re

import httpx
import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import PASSWORD, MakeUser, csrf_of, sign_in


async def test_local_sign_in_reaches_home_and_the_cookie_is_locked_down(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("rev1", "reviewer")
    anonymous = await client.get("/app/")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/app/login")
    response = await sign_in(client, "rev1")
    assert response.status_code == 303
    assert response.headers["location"] == "/app/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/app" in cookie
    home = await client.get("/app/")
    assert home.status_code == 200
    assert "rev1" in home.text
    assert 'lang="es-MX"' in home.text
    # One CSP, the page's own (a second, stricter one from the API middleware blocked the stylesheet).
    assert len(home.headers.get_list("content-security-policy")) == 1
    assert "style-src 'self'" in home.headers["content-security-policy"]
    assert home.headers.get_list("cache-control") == ["no-store"]


async def test_totp_is_asked_after_the_password_and_a_wrong_code_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    secret = await make_user("aud1", "auditor", totp=True)
    assert secret
    page = await client.get("/app/login")
    step = await client.post(
        "/app/login", data={"username": "aud1", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert step.headers["location"] == "/app/login/totp"
    assert (await client.get("/app/")).status_code == 303  # not signed in after the password alone
    form = await client.get("/app/login/totp")
    wrong = str((int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000).zfill(6)
    refused = await client.post("/app/login/totp", data={"totp": wrong, "csrf_token": csrf_of(form.text)})
    assert refused.status_code == 401
    ok = await client.post(
        "/app/login/totp", data={"totp": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(refused.text)}
    )
    assert ok.status_code == 303
    assert (await client.get("/app/")).status_code == 200
    # The same code again (replayed) does not sign in a second session.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        page = await other.get("/app/login")
        await other.post(
            "/app/login", data={"username": "aud1", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        form = await other.get("/app/login/totp")
        used = ok.request.content.decode().split("totp=")[1].split("&")[0]
        replay = await other.post("/app/login/totp", data={"totp": used, "csrf_token": csrf_of(form.text)})
        assert replay.status_code == 401


async def test_admin_and_auditor_need_a_second_factor(make_user: MakeUser) -> None:
    from interop.accounts.errors import AccountInvalid

    with pytest.raises(AccountInvalid, match="totp"):
        await make_user("adm0", "admin")
    with pytest.raises(AccountInvalid, match="totp"):
        await make_user("aud0", "auditor")
    assert await make_user("rev0", "reviewer") is None  # optional for the other roles


async def test_lockout_after_repeated_failures_refuses_even_the_right_password(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    await make_user("rev2", "reviewer")
    for _ in range(5):
        response = await sign_in(client, "rev2", password="incorrecta-del-todo")
        assert response.status_code == 401
    assert "bloqueada" in response.text
    locked = await sign_in(client, "rev2")
    assert locked.status_code == 401
    assert "bloqueada" in locked.text
    events = (
        await session.execute(
            text("SELECT outcome, count(*) FROM audit_record WHERE subtype = 'login' GROUP BY outcome")
        )
    ).all()
    assert dict(events).get("4", 0) >= 6


async def test_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("rev3", "reviewer")
    await client.get("/app/login")
    bare = await client.post("/app/login", data={"username": "rev3", "password": PASSWORD})
    assert bare.status_code == 403
    forged = await client.post(
        "/app/login", data={"username": "rev3", "password": PASSWORD, "csrf_token": "x" * 32}
    )
    assert forged.status_code == 403
    assert (await sign_in(client, "rev3")).status_code == 303
    logout = await client.post("/app/logout", data={})
    assert logout.status_code == 403
    assert (await client.get("/app/")).status_code == 200  # still signed in: the bare POST did nothing


async def test_disabling_an_account_ends_its_open_session(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    from interop.accounts import service as accounts_service

    await make_user("rev4", "reviewer")
    await sign_in(client, "rev4")
    assert (await client.get("/app/")).status_code == 200
    await accounts_service.disable_user(session, username="rev4")
    await session.commit()
    assert (await client.get("/app/")).status_code == 303


async def test_a_forged_cookie_is_no_session(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("rev5", "reviewer")
    await sign_in(client, "rev5")
    value = client.cookies.get("interop_app")
    assert value
    client.cookies.clear()
    client.cookies.set("interop_app", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    response = await client.get("/app/")
    assert response.status_code == 303


async def test_a_one_time_password_must_be_replaced_first(client: httpx.AsyncClient, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    from interop.accounts import service as accounts_service

    async with sessionmaker() as s:
        creds = await accounts_service.add_user(s, username="rev6", role="reviewer")
        await s.commit()
    assert creds.password
    response = await sign_in(client, "rev6", password=creds.password)
    assert response.headers["location"] == "/app/password"
    assert (await client.get("/app/")).headers["location"] == "/app/password"
    page = await client.get("/app/password")
    changed = await client.post(
        "/app/password",
        data={"password": PASSWORD, "repeat": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert changed.status_code == 303
    assert (await client.get("/app/")).status_code == 200


async def test_a_locked_account_answers_as_an_unknown_name_does(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Only a real account can be locked: a distinct "locked" answer told a stranger which names exist."""
    await make_user("rev3", "reviewer")
    for _ in range(6):
        locked = await sign_in(client, "rev3", password="incorrecta-del-todo")
        stranger = await sign_in(client, "nadie-aqui", password="incorrecta-del-todo")
    assert locked.status_code == stranger.status_code == 401
    assert _error_of(locked.text) == _error_of(stranger.text)
    assert "bloqueada" in _error_of(locked.text)  # the one message still tells a locked person why


def _error_of(html: str) -> str:
    found = re.search(r"<p class=\"alert\" role=\"alert\">(.*?)</p>", html, re.S)
    assert found, "page has no error"
    return found.group(1).strip()


async def test_the_login_page_weighs_the_browsers_languages_as_the_api_does(
    client: httpx.AsyncClient,
) -> None:
    # Spanish preferred by weight though English is listed first: the page was English before.
    weighed = await client.get("/app/login", headers={"accept-language": "en;q=0.1, es;q=0.9"})
    assert weighed.status_code == 200
    assert 'lang="es-MX"' in weighed.text
    assert "Contraseña" in weighed.text
    # q=0 means "not acceptable": the page falls back to es-MX rather than English.
    refused = await client.get("/app/login", headers={"accept-language": "de, en;q=0"})
    assert 'lang="es-MX"' in refused.text
    english = await client.get("/app/login", headers={"accept-language": "en-GB,en;q=0.9,es;q=0.5"})
    assert 'lang="en"' in english.text
    assert "Password" in english.text
