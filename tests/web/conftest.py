"""Fixtures for the pages: people's accounts made through the accounts service, and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.accounts import service as accounts_service

PASSWORD = "correcto-caballo-bateria"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

MakeUser = Callable[..., Awaitable[str | None]]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


@pytest.fixture
def make_user(sessionmaker: async_sessionmaker[AsyncSession]) -> MakeUser:
    """Create an account with PASSWORD; returns its TOTP seed when ``totp``."""

    async def make(name: str, role: str, *, totp: bool = False, **kwargs: object) -> str | None:
        async with sessionmaker() as session:
            creds = await accounts_service.add_user(
                session, username=name, role=role, password=PASSWORD, totp=totp, **kwargs
            )
            await session.commit()
        return secret_of(creds.totp_uri) if creds.totp_uri else None

    return make


async def sign_in(
    http: httpx.AsyncClient, name: str, *, secret: str | None = None, password: str = PASSWORD
) -> httpx.Response:
    page = await http.get("/app/login")
    response = await http.post(
        "/app/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/app/"},
    )
    if (
        secret is not None
        and response.status_code == 303
        and response.headers["location"] == "/app/login/totp"
    ):
        page = await http.get("/app/login/totp")
        response = await http.post(
            "/app/login/totp", data={"totp": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page.text)}
        )
    return response
