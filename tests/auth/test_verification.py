"""Bearer token checks at the request edge: forged and stale tokens, revoked clients, key rotation,
rate limits and CORS."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from interop.auth.scopes import ROLE_SCOPES, Role
from interop.auth.tokens import mint, rotate
from interop.config import Settings

PROBE = "/_probe/task"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings: Settings, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "test-admin",
        "role": "admin",
        "scope": "system/*.cruds",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **over,
    }


async def _assert_401(http: httpx.AsyncClient, token: str, fragment: str) -> None:
    response = await http.get(PROBE, headers=_bearer(token))
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="interop"')
    assert 'error="invalid_token"' in challenge
    assert fragment in response.json()["error"]["message"]


async def test_valid_token_passes_and_missing_token_is_challenged(
    app: FastAPI, probe_client: httpx.AsyncClient, token_for: Any
) -> None:
    ok = await probe_client.get(PROBE, headers=_bearer(token_for("clinic", clues=["DFIMB000123"])))
    assert ok.status_code == 200
    assert ok.json()["clues"] == ["DFIMB000123"]
    missing = await probe_client.get(PROBE)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="interop"'
    basic = await probe_client.get(PROBE, headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401
    assert 'error="invalid_request"' in basic.headers["www-authenticate"]


async def test_insufficient_scope_is_403_with_challenge(
    probe_client: httpx.AsyncClient, token_for: Any
) -> None:
    response = await probe_client.get(PROBE, headers=_bearer(token_for("auditor")))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_forged_and_stale_tokens_are_401(app: FastAPI, probe_client: httpx.AsyncClient) -> None:
    settings: Settings = app.state.settings
    current = app.state.keyring.current
    claims = _claims(settings)
    # alg=none, with and without a signature part.
    unsigned = (
        f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."
    )
    await _assert_401(probe_client, unsigned, "algoritmo")
    # HS256 keyed with our published public key (algorithm confusion).
    public_pem = current.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": current.kid}).encode())
    body = _b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    mac = _b64(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    await _assert_401(probe_client, f"{header}.{body}.{mac}", "algoritmo")
    # A different key presenting our kid.
    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": current.kid})
    await _assert_401(probe_client, forged, "InvalidSignatureError")
    unknown_kid = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "nope"})
    await _assert_401(probe_client, unknown_kid, "clave desconocida")
    sign = current.private_key

    def ours(**over: Any) -> str:
        return jwt.encode(_claims(settings, **over), sign, algorithm="ES256", headers={"kid": current.kid})

    assert (await probe_client.get(PROBE, headers=_bearer(ours()))).status_code == 200
    await _assert_401(probe_client, ours(aud="someone-else"), "InvalidAudienceError")
    await _assert_401(probe_client, ours(iss="https://evil.example"), "InvalidIssuerError")
    now = int(time.time())
    await _assert_401(probe_client, ours(iat=now - 600, nbf=now - 600, exp=now - 60), "expiró")
    await _assert_401(probe_client, ours(nbf=now + 600, exp=now + 900), "aún no es válido")
    await _assert_401(probe_client, "not.a.jwt", "mal formado")


async def test_revoked_client_tokens_stop_working_within_the_cache_window(
    settings: Settings, register: Any, revoke: Any, serve_with: Any
) -> None:
    secret = await register("bienestar-rev", "bienestar")
    async with serve_with(settings, auth_client_cache_s=0.3) as (_, http):
        issued = await http.post(
            "/auth/token", data={"grant_type": "client_credentials"}, auth=("bienestar-rev", secret)
        )
        token = issued.json()["access_token"]
        assert (
            await http.get("/_probe/task", headers=_bearer(token))
        ).status_code == 403  # bienestar: Task.rs
        await revoke("bienestar-rev")
        await asyncio.sleep(0.4)
        response = await http.get("/_probe/task", headers=_bearer(token))
        assert response.status_code == 401
        assert "revocado" in response.json()["error"]["message"]


async def test_rotation_keeps_old_tokens_until_the_key_is_retired(
    app: FastAPI, probe_client: httpx.AsyncClient, token_for: Any
) -> None:
    from interop.auth.tokens import retire

    keys_dir = app.state.settings.resolved_data_dir / "keys"
    old_token = token_for("admin")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    await asyncio.sleep(0.01)
    new_key = rotate(keys_dir)
    await asyncio.sleep(1.05)  # the running app notices the key folder changed (checked once a second)
    kids = [k["kid"] for k in (await probe_client.get("/.well-known/jwks.json")).json()["keys"]]
    assert kids == [old_kid, new_key.kid]
    new_token = mint(
        app.state.keyring,
        app.state.settings,
        client_id="test-admin",
        role="admin",
        scopes=ROLE_SCOPES[Role.ADMIN],
    )
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid
    for token in (old_token, new_token):
        assert (await probe_client.get(PROBE, headers=_bearer(token))).status_code == 200
    retire(keys_dir, old_kid)
    await asyncio.sleep(1.05)
    gone = await probe_client.get(PROBE, headers=_bearer(old_token))
    assert gone.status_code == 401
    assert (await probe_client.get(PROBE, headers=_bearer(new_token))).status_code == 200
    assert [k["kid"] for k in (await probe_client.get("/.well-known/jwks.json")).json()["keys"]] == [
        new_key.kid
    ]


async def test_rate_limit_is_per_client_with_retry_after(settings: Settings, serve_with: Any) -> None:
    async with serve_with(settings, rate_limit_per_minute=3) as (app, http):

        def token(client_id: str) -> str:
            return mint(
                app.state.keyring,
                app.state.settings,
                client_id=client_id,
                role="admin",
                scopes=ROLE_SCOPES[Role.ADMIN],
            )

        busy = _bearer(token("busy"))
        statuses = [(await http.get("/_probe/task", headers=busy)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = await http.get("/_probe/task", headers=busy)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "too-many-requests"
        assert (await http.get("/_probe/task", headers=_bearer(token("calm")))).status_code == 200


async def test_cors_is_off_by_default_and_on_when_configured(
    probe_client: httpx.AsyncClient, settings: Settings, serve_with: Any
) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    off = await probe_client.options(PROBE, headers=preflight)
    assert "access-control-allow-origin" not in off.headers
    async with serve_with(settings, cors_origins=["https://app.example"]) as (_, http):
        on = await http.options(PROBE, headers=preflight)
        assert on.headers["access-control-allow-origin"] == "https://app.example"


async def test_security_headers_on_auth_responses(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/.well-known/smart-configuration")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_acting_user_is_an_identifier_only(probe_client: httpx.AsyncClient, token_for: Any) -> None:
    headers = _bearer(token_for("admin"))
    ok = await probe_client.get(PROBE, headers={**headers, "X-Acting-User": "enf.lopez@imb-df"})
    assert ok.status_code == 200
    for bad in (b"GOMC500101HDFRRR09", b"urn:curp:gomc500101hdfrrr09", "María Gómez".encode()):
        response = await probe_client.get(PROBE, headers={**headers, "X-Acting-User": bad})
        assert response.status_code == 422, bad
        assert "X-Acting-User" in response.json()["error"]["message"]


async def test_a_token_that_passed_once_is_refused_after_it_expires(
    probe_client: httpx.AsyncClient, token_for: Any
) -> None:
    # Verified tokens are remembered per process; the memory must not outlive the token.
    token = token_for("admin", ttl_s=1)
    assert (await probe_client.get(PROBE, headers=_bearer(token))).status_code == 200
    await asyncio.sleep(6.5)  # past expiry and the 5 s clock-skew leeway
    await _assert_401(probe_client, token, "expiró")
