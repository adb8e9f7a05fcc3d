"""External issuer mode: ``auth_jwks_url`` set, embedded issuer off, tokens verified against the issuer's
JWKS fetched over real HTTP from a small server on 127.0.0.1 (cached; refetched when the issuer rotates)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import interop.auth.jwks as jwks_module
from interop.config import Settings

ISSUER = "https://idp.example.gob.mx/realms/salud"
AUDIENCE = "interop-api"
PROBE = "/_probe/task"


class Issuer:
    """An identity provider's JWKS endpoint, and the keys to sign its tokens."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.hits = 0
        self.add_key("idp-1")
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.hits += 1
                body = json.dumps(issuer.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, key in self.keys.items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
            out.append(jwk)
        return {"keys": out}

    def token(self, kid: str = "idp-1", **over: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "svc-account-7",
            "client_id": "clinic-ext",
            "role": "clinic",
            "scope": "system/Task.rsu system/Patient.rs",
            "clues": ["DFIMB000123"],
            "iat": now,
            "exp": now + 300,
            **over,
        }
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


def _hs256(claims: dict[str, Any], key: bytes, kid: str) -> str:
    """An HMAC token keyed with public material (PyJWT refuses to make one, an attacker would not)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(hmac.new(key, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    found = Issuer()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _external(settings: Settings, issuer: Issuer) -> dict[str, Any]:
    return {
        "auth_jwks_url": issuer.url,
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_token_endpoint": "https://idp.example.gob.mx/realms/salud/protocol/openid-connect/token",
    }


async def test_external_tokens_verify_against_the_fetched_jwks(
    settings: Settings, issuer: Issuer, serve_with: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serve_with(settings, **_external(settings, issuer)) as (_, http):
        ok = await http.get(PROBE, headers={"Authorization": f"Bearer {issuer.token()}"})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"client": "clinic-ext", "role": "clinic", "clues": ["DFIMB000123"]}
        again = await http.get(PROBE, headers={"Authorization": f"Bearer {issuer.token()}"})
        assert again.status_code == 200
        assert issuer.hits == 1  # cached
        # The issuer rotates: a token with a new kid triggers one refetch, and verifies.
        issuer.add_key("idp-2")
        monkeypatch.setattr(jwks_module, "REFETCH_COOLDOWN_S", 0.0)  # no need to wait out the cooldown
        rotated = await http.get(PROBE, headers={"Authorization": f"Bearer {issuer.token('idp-2')}"})
        assert rotated.status_code == 200
        assert issuer.hits == 2
        narrow = issuer.token(scope="system/Patient.rs")
        assert (await http.get(PROBE, headers={"Authorization": f"Bearer {narrow}"})).status_code == 403


async def test_external_mode_rejects_bad_tokens(settings: Settings, issuer: Issuer, serve_with: Any) -> None:
    stranger = Issuer()
    try:
        async with serve_with(settings, **_external(settings, issuer)) as (app, http):
            now = int(time.time())
            own_key = app.state.keyring.current
            embedded = jwt.encode(
                {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60, "iat": now},
                own_key.private_key,
                algorithm="ES256",
                headers={"kid": own_key.kid},
            )
            public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(issuer.keys["idp-1"].public_key())
            cases = {
                "wrong issuer": issuer.token(iss="https://other.example"),
                "wrong audience": issuer.token(aud="interop"),
                "expired": issuer.token(iat=now - 900, exp=now - 600),
                "not yet valid": issuer.token(nbf=now + 600),
                "foreign key, same kid": stranger.token("idp-1"),
                "the embedded issuer's key": embedded,
                "HS256 with the public JWK": _hs256(
                    {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60},
                    public_jwk.encode(),
                    "idp-1",
                ),
            }
            for label, token in cases.items():
                response = await http.get(PROBE, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 401, label
                assert 'error="invalid_token"' in response.headers["www-authenticate"], label
    finally:
        stranger.server.shutdown()
        stranger.server.server_close()


async def test_embedded_issuer_is_off(
    settings: Settings, issuer: Issuer, serve_with: Any, token_for: Any
) -> None:
    async with serve_with(settings, **_external(settings, issuer)) as (_, http):
        token = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=("a", "b"))
        assert token.status_code == 404
        assert (await http.get("/.well-known/jwks.json")).status_code == 404
        config = (await http.get("/.well-known/smart-configuration")).json()
        assert config["issuer"] == ISSUER
        assert config["jwks_uri"] == issuer.url
        assert config["token_endpoint"].startswith("https://idp.example.gob.mx/")


async def test_locally_revoked_client_is_refused_in_external_mode(
    settings: Settings, issuer: Issuer, serve_with: Any, register: Any, revoke: Any
) -> None:
    await register("clinic-ext", "clinic", clues=["DFIMB000123"])
    await revoke("clinic-ext")
    async with serve_with(settings, **_external(settings, issuer)) as (_, http):
        response = await http.get(PROBE, headers={"Authorization": f"Bearer {issuer.token()}"})
        assert response.status_code == 401
        assert "revocado" in response.json()["error"]["message"]


async def test_issuer_unreachable_is_503(settings: Settings, serve_with: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60},
        key,
        algorithm="RS256",
        headers={"kid": "k"},
    )
    async with serve_with(
        settings, auth_jwks_url="http://127.0.0.1:9/certs", auth_issuer=ISSUER, auth_audience=AUDIENCE
    ) as (_, http):
        response = await http.get(PROBE, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
