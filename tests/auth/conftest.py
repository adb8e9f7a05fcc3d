"""Auth test kit: apps with tuned settings, a protected probe route, client registration, client keys."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.api.policy import require
from interop.auth import service as auth_service
from interop.config import Settings
from interop.context import RequestContext
from interop.main import create_app

PROBE = "/_probe/task"


def add_probe(app: FastAPI) -> None:
    """A route guarded by ``require("Task", "u")`` so these tests do not depend on other domains' routes."""

    async def probe(ctx: Annotated[RequestContext, Depends(require("Task", "u"))]) -> dict[str, Any]:
        return {"client": ctx.actor.client_id, "role": ctx.actor.role, "clues": sorted(ctx.actor.clues)}

    app.add_api_route(PROBE, probe, methods=["GET"])


@asynccontextmanager
async def serve(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings.model_copy(update=overrides))
    add_probe(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with the public base URL these tests reach (``private_key_jwt`` needs it: it is
    the assertion audience, never taken from the Host header)."""
    return settings.model_copy(update={"base_url": "http://testserver"})


@pytest.fixture
async def probe_client(app: FastAPI, client: httpx.AsyncClient) -> httpx.AsyncClient:
    add_probe(app)
    return client


@dataclass
class ClientKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": "ES384", "use": "sig"})
        return {"keys": [jwk]}

    def assertion(
        self,
        client_id: str,
        *,
        aud: str = "http://testserver/auth/token",
        exp_in: int = 120,
        iat_offset: int = 0,
        jti: str | None = None,
        kid: str | None = None,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "exp": now + exp_in,
            "iat": now + iat_offset,
            "jti": jti or uuid.uuid4().hex,
            **extra,
        }
        return jwt.encode(claims, self.private_key, algorithm="ES384", headers={"kid": kid or self.kid})


def new_client_key(kid: str | None = None) -> ClientKey:
    return ClientKey(
        kid=kid or f"k-{uuid.uuid4().hex[:8]}", private_key=ec.generate_private_key(ec.SECP384R1())
    )


@pytest.fixture
def client_key() -> ClientKey:
    return new_client_key()


@pytest.fixture
def make_client_key() -> Callable[..., ClientKey]:
    """A fresh P-384 key (``make_client_key(kid)`` forges one under a registered key's id)."""
    return new_client_key


@pytest.fixture
def serve_with() -> Callable[..., Any]:
    """``async with serve_with(settings, rate_limit_per_minute=3) as (app, http)``: other settings."""
    return serve


Register = Callable[..., Any]


@pytest.fixture
def register(sessionmaker: async_sessionmaker[AsyncSession]) -> Register:
    """``secret = await register("clinic-a", "clinic", clues=[...], jwks=...)``: a committed client."""

    async def make(
        name: str,
        role: str,
        *,
        clues: list[str] | None = None,
        jwks: dict[str, Any] | None = None,
        with_secret: bool = True,
    ) -> str | None:
        async with sessionmaker() as session:
            _, secret = await auth_service.create_client(
                session, name=name, role=role, clues=clues or [], jwks=jwks, with_secret=with_secret
            )
            await session.commit()
        return secret

    return make


@pytest.fixture
def revoke(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[str], Any]:
    async def run(name: str) -> None:
        async with sessionmaker() as session:
            await auth_service.revoke_client(session, name=name)
            await session.commit()

    return run
