"""The token endpoint's own limits (issue 14, item 10): per network address and per client name, much
lower than the general rate limit; X-Forwarded-For believed only from the trusted proxies of a setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.main import create_app

from .conftest import Register

FORM = {"grant_type": "client_credentials"}


@asynccontextmanager
async def _app(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        yield app


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_token_endpoint_has_its_own_low_limit_per_address(
    settings: Settings, register: Register
) -> None:
    secret = await register("busy", "bienestar")
    assert secret is not None
    # The general limit stays high; the token endpoint's own one is what refuses.
    async with _app(settings, rate_limit_per_minute=6000, token_rate_limit_per_minute=3) as app:
        async with _from(app, "203.0.113.7") as http:
            codes = [
                (await http.post("/auth/token", data=FORM, auth=("busy", secret))).status_code
                for _ in range(4)
            ]
            assert codes == [200, 200, 200, 429]
            # Another name from the same address does not get a fresh budget.
            other = await http.post("/auth/token", data=FORM, auth=("other", "guess"))
            assert other.status_code == 429
            assert int(other.headers["retry-after"]) >= 1
        async with _from(app, "203.0.113.8") as http:
            assert (await http.post("/auth/token", data=FORM, auth=("busy", secret))).status_code == 200


async def test_failed_authentications_per_client_name_are_limited_across_addresses(
    settings: Settings, register: Register
) -> None:
    secret = await register("victim", "bienestar")
    assert secret is not None
    async with _app(settings, token_rate_limit_per_minute=3) as app:
        for n in range(3):
            async with _from(app, f"198.51.100.{n + 1}") as http:
                guess = await http.post("/auth/token", data=FORM, auth=("victim", f"guess-{n}"))
                assert guess.status_code == 401
        async with _from(app, "198.51.100.50") as http:
            # A fourth guess, from a fresh address, is refused before any argon2 verification.
            blocked = await http.post("/auth/token", data=FORM, auth=("victim", "guess-4"))
            assert blocked.status_code == 429


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    settings: Settings, register: Register, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    secret = await register("behind-proxy", "bienestar")
    assert secret is not None
    async with _app(settings, token_rate_limit_per_minute=2) as app, _from(app, "192.0.2.10") as http:
        # Not a trusted proxy: rotating X-Forwarded-For does not buy new budgets.
        codes = [
            (
                await http.post(
                    "/auth/token",
                    data=FORM,
                    auth=("behind-proxy", secret),
                    headers={"X-Forwarded-For": f"10.9.9.{n}"},
                )
            ).status_code
            for n in range(3)
        ]
        assert codes == [200, 200, 429]
    trusting = _app(settings, token_rate_limit_per_minute=2, trusted_proxies=["192.0.2.0/28"])
    async with trusting as app, _from(app, "192.0.2.10") as http:
        for n in range(3):
            issued = await http.post(
                "/auth/token",
                data=FORM,
                auth=("behind-proxy", secret),
                headers={"X-Forwarded-For": f"6.6.6.6, 203.0.113.{n + 1}"},
            )
            assert issued.status_code == 200
    async with sessionmaker() as session:
        addresses = (
            (await session.execute(text("SELECT network_address FROM audit_record WHERE subtype = 'login'")))
            .scalars()
            .all()
        )
    assert "203.0.113.3" in addresses
    assert "10.9.9.0" not in addresses
    assert "6.6.6.6" not in addresses


def test_resolve_walks_forwarded_for_from_the_right_past_trusted_proxies() -> None:
    from interop.api.addresses import resolve

    trusted = ["10.0.0.0/8", "::1"]
    assert resolve("203.0.113.5", ["1.2.3.4"], trusted) == "203.0.113.5"
    assert resolve("10.0.0.1", ["1.2.3.4, 10.0.0.2"], trusted) == "1.2.3.4"
    assert resolve("10.0.0.1", ["6.6.6.6, 1.2.3.4"], trusted) == "1.2.3.4"
    assert resolve("10.0.0.1", ["6.6.6.6", "1.2.3.4"], trusted) == "1.2.3.4"
    assert resolve("10.0.0.1", [], trusted) == "10.0.0.1"
    assert resolve("10.0.0.1", ["not-an-address, 10.0.0.3"], trusted) == "10.0.0.3"
    assert resolve("::1", ["[2001:db8::1]:443"], trusted) == "2001:db8::1"
    assert resolve("10.0.0.1", ["1.2.3.4"], []) == "10.0.0.1"
    assert resolve(None, ["1.2.3.4"], trusted) == "unknown"


def test_uvicorn_applies_no_forwarded_rule_of_its_own() -> None:
    from interop.serving import _config

    config = _config(Settings(database_url="postgresql+asyncpg://unused/unused"), "127.0.0.1", 8000)
    assert config.proxy_headers is False
