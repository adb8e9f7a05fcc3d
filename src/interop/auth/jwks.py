"""An external issuer's signing keys, fetched from its JWKS URL and cached, and verification against them.

Used when ``settings.auth_jwks_url`` is set: the embedded issuer is off and tokens come from elsewhere
(Keycloak, an API gateway, another SMART server). Keys are refetched when the cache ages out, or early when
a token names an unknown ``kid`` (the issuer rotated), at most once per ``REFETCH_COOLDOWN_S``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from interop.auth.tokens import actor_from_claims, checked_claims, unverified_header
from interop.config import Settings
from interop.context import Actor
from interop.errors import Unauthenticated, Unavailable

# Asymmetric only: a JWKS is public, so HMAC with a published key ("alg confusion") and "none" never pass.
EXTERNAL_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
REFETCH_COOLDOWN_S = 30.0

Fetch = Callable[[str], Awaitable[dict[str, Any]]]


async def fetch_jwks(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as http:
        response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict):
        raise ValueError("JWKS is not a JSON object")
    return data


class RemoteKeySet:
    def __init__(self, url: str, *, ttl_s: float, fetch: Fetch = fetch_jwks) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self._fetch = fetch
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if age < (REFETCH_COOLDOWN_S if force else self.ttl_s):
                return
            try:
                data = await self._fetch(self.url)
            except (httpx.HTTPError, ValueError) as exc:
                if self._keys:  # keep serving with the keys we have; the issuer may be briefly away
                    return
                raise Unavailable.said("auth.issuer_keys_unavailable") from exc
            keys = data.get("keys")
            self._keys = (
                {str(k.get("kid", "")): k for k in keys if isinstance(k, dict)}
                if isinstance(keys, list)
                else {}
            )
            self._fetched_at = time.monotonic()

    async def key_for(self, kid: str, alg: str) -> jwt.PyJWK:
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        jwk = self._keys.get(kid)
        if jwk is None:
            raise Unauthenticated.said("auth.token.unknown_key")
        if jwk.get("alg") not in (None, alg) or "d" in jwk or jwk.get("kty") not in ("RSA", "EC"):
            raise Unauthenticated.said("auth.token.alg_mismatch")
        try:
            return jwt.PyJWK(jwk, algorithm=alg)
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthenticated.said("auth.token.alg_mismatch") from exc


async def verify_external(keys: RemoteKeySet, settings: Settings, token: str) -> Actor:
    """Check an external issuer's token: asymmetric signature by a published key, audience, issuer, times."""
    header = unverified_header(token)
    alg = header.get("alg")
    if alg not in EXTERNAL_ALGORITHMS:
        raise Unauthenticated.said("auth.token.alg_not_accepted")
    key = await keys.key_for(str(header.get("kid", "")), str(alg))
    claims = checked_claims(
        token, key.key, algorithm=str(alg), settings=settings, required=["exp", "iss", "aud", "sub"]
    )
    return actor_from_claims(claims)
