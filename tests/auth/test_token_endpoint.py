"""POST /auth/token: client credentials with client_secret_basic, client_secret_post and private_key_jwt
(SMART Backend Services), and every way a request is refused (RFC 6749 §5.2 error bodies)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from interop.auth.assertion import ASSERTION_TYPE

CLUES = "DFIMB000123"
GENERIC = "la autenticación del cliente falló"
PROBE = "/_probe/task"
ClientKey = Any
Register = Any


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def _token(http: httpx.AsyncClient, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    return await http.post("/auth/token", data=data, **kwargs)


def _assertion_form(assertion: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }


def _assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert isinstance(body.get("error_description"), str)
    assert response.headers["cache-control"] == "no-store"
    if error == "invalid_client":
        assert response.headers["www-authenticate"]


async def test_client_secret_basic_issues_a_working_token(
    probe_client: httpx.AsyncClient, register: Register
) -> None:
    secret = await register("clinic-a", "clinic", clues=[CLUES])
    response = await _token(probe_client, {"grant_type": "client_credentials"}, auth=("clinic-a", secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "system/Task.rsu" in body["scope"].split()
    assert response.headers["cache-control"] == "no-store"
    claims = _claims(body["access_token"])
    # The clinic's CLUES come from its registration, not from anything the client asked for.
    assert claims["clues"] == [CLUES]
    assert claims["role"] == "clinic"
    assert claims["sub"] == "clinic-a"
    used = await probe_client.get(PROBE, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert used.status_code == 200
    assert used.json() == {"client": "clinic-a", "role": "clinic", "clues": [CLUES]}


async def test_client_secret_post_and_scope_narrowing(
    probe_client: httpx.AsyncClient, register: Register
) -> None:
    secret = await register("bienestar-app", "bienestar")
    assert secret
    response = await _token(
        probe_client,
        {
            "grant_type": "client_credentials",
            "client_id": "bienestar-app",
            "client_secret": secret,
            "scope": "system/Task.rsu system/Patient.read system/AuditEvent.rs",
        },
    )
    assert response.status_code == 200, response.text
    # Only what the role grants survives: Task.rs of rsu, Patient read → rs, no AuditEvent at all.
    assert response.json()["scope"].split() == ["system/Patient.rs", "system/Task.rs"]
    token = response.json()["access_token"]
    denied = await probe_client.get(PROBE, headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403


async def test_private_key_jwt_issues_a_working_token(
    probe_client: httpx.AsyncClient, register: Register, client_key: ClientKey
) -> None:
    await register(
        "clinic-jwt", "clinic", clues=[CLUES, "DFSSA004321"], jwks=client_key.jwks, with_secret=False
    )
    response = await _token(
        probe_client, _assertion_form(client_key.assertion("clinic-jwt"), scope="system/Task.rsu")
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert _claims(token)["clues"] == sorted([CLUES, "DFSSA004321"])
    used = await probe_client.get(PROBE, headers={"Authorization": f"Bearer {token}"})
    assert used.status_code == 200


async def test_bad_secret_and_unknown_client_are_the_same_401(
    probe_client: httpx.AsyncClient, register: Register
) -> None:
    await register("auditor-1", "auditor")
    wrong = await _token(probe_client, {"grant_type": "client_credentials"}, auth=("auditor-1", "nope"))
    _assert_oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    unknown = await _token(probe_client, {"grant_type": "client_credentials"}, auth=("ghost", "nope"))
    _assert_oauth_error(unknown, 401, "invalid_client")
    assert unknown.json()["error_description"] == wrong.json()["error_description"]
    posted = await _token(
        probe_client, {"grant_type": "client_credentials", "client_id": "auditor-1", "client_secret": "nope"}
    )
    _assert_oauth_error(posted, 401, "invalid_client")


async def test_no_client_authentication_is_401(probe_client: httpx.AsyncClient) -> None:
    _assert_oauth_error(
        await _token(probe_client, {"grant_type": "client_credentials"}), 401, "invalid_client"
    )


async def test_revoked_client_gets_no_token(
    probe_client: httpx.AsyncClient, register: Register, revoke: Any, client_key: ClientKey
) -> None:
    secret = await register("reviewer-1", "reviewer", jwks=client_key.jwks)
    await revoke("reviewer-1")
    basic = await _token(probe_client, {"grant_type": "client_credentials"}, auth=("reviewer-1", secret))
    _assert_oauth_error(basic, 401, "invalid_client")
    signed = await _token(probe_client, _assertion_form(client_key.assertion("reviewer-1")))
    _assert_oauth_error(signed, 401, "invalid_client")


async def test_grant_type_errors(probe_client: httpx.AsyncClient, register: Register) -> None:
    secret = await register("admin-2", "admin")
    wrong = await _token(
        probe_client, {"grant_type": "authorization_code", "code": "x"}, auth=("admin-2", secret)
    )
    _assert_oauth_error(wrong, 400, "unsupported_grant_type")
    missing = await _token(probe_client, {"scope": "system/*.rs"}, auth=("admin-2", secret))
    _assert_oauth_error(missing, 400, "invalid_request")
    as_json = await probe_client.post(
        "/auth/token", json={"grant_type": "client_credentials"}, auth=("admin-2", secret)
    )
    _assert_oauth_error(as_json, 400, "invalid_request")


async def test_unknown_scope_is_invalid_scope(probe_client: httpx.AsyncClient, register: Register) -> None:
    secret = await register("auditor-2", "auditor")
    response = await _token(
        probe_client,
        {"grant_type": "client_credentials", "scope": "system/Task.u"},
        auth=("auditor-2", secret),
    )
    _assert_oauth_error(response, 400, "invalid_scope")


async def test_two_authentication_methods_at_once_are_refused(
    probe_client: httpx.AsyncClient, register: Register, client_key: ClientKey
) -> None:
    secret = await register("both", "bienestar", jwks=client_key.jwks)
    response = await _token(
        probe_client, _assertion_form(client_key.assertion("both")), auth=("both", secret)
    )
    _assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong-key", "signature"),
        ("unknown-kid", "key"),
        ("expired", "expired"),
        ("too-far-ahead", "five minutes"),
        ("too-long-lived", "five minutes"),
        ("wrong-aud", "audience"),
        ("sub-differs", "sub"),
        ("no-jti", "jti"),
        ("hs256", "algorithm"),
        ("wrong-type", "client_assertion_type"),
    ],
)
async def test_private_key_jwt_rejections(
    probe_client: httpx.AsyncClient,
    register: Register,
    client_key: ClientKey,
    make_client_key: Any,
    case: str,
    reason: str,
) -> None:
    await register("svc", "bienestar", jwks=client_key.jwks, with_secret=False)
    now = int(time.time())
    form_extra: dict[str, str] = {}
    if case == "wrong-key":
        impostor = make_client_key(client_key.kid)
        assertion = impostor.assertion("svc")
    elif case == "unknown-kid":
        assertion = client_key.assertion("svc", kid="not-registered")
    elif case == "expired":
        assertion = client_key.assertion("svc", exp_in=-60, iat_offset=-120)
    elif case == "too-far-ahead":
        assertion = client_key.assertion("svc", exp_in=600, iat_offset=400)
    elif case == "too-long-lived":
        assertion = client_key.assertion("svc", exp_in=200, iat_offset=-200)
    elif case == "wrong-aud":
        assertion = client_key.assertion("svc", aud="https://elsewhere.example/token")
    elif case == "sub-differs":
        assertion = client_key.assertion("svc", sub="other")
    elif case == "no-jti":
        assertion = jwt.encode(
            {"iss": "svc", "sub": "svc", "aud": "http://testserver/auth/token", "exp": now + 60},
            client_key.private_key,
            algorithm="ES384",
            headers={"kid": client_key.kid},
        )
    elif case == "hs256":
        assertion = jwt.encode(
            {"iss": "svc", "sub": "svc", "aud": "http://testserver/auth/token", "exp": now + 60, "jti": "x"},
            "shared-secret-of-32-bytes-or-more!!",
            algorithm="HS256",
            headers={"kid": client_key.kid},
        )
    else:
        assertion = client_key.assertion("svc")
        form_extra["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    response = await _token(probe_client, {**_assertion_form(assertion), **form_extra})
    expected = ("invalid_request", 400) if case == "wrong-type" else ("invalid_client", 401)
    _assert_oauth_error(response, expected[1], expected[0])
    if case == "wrong-type":
        assert reason in response.json()["error_description"]
    else:  # the reason goes to the operator's log; the caller gets the one answer (issue 14 #15)
        assert response.json()["error_description"] == GENERIC


async def test_replayed_jti_is_refused(
    probe_client: httpx.AsyncClient, register: Register, client_key: ClientKey
) -> None:
    await register("svc-replay", "bienestar", jwks=client_key.jwks, with_secret=False)
    assertion = client_key.assertion("svc-replay", jti="once-only")
    first = await _token(probe_client, _assertion_form(assertion))
    assert first.status_code == 200, first.text
    again = await _token(probe_client, _assertion_form(assertion))
    _assert_oauth_error(again, 401, "invalid_client")
    assert again.json()["error_description"] == GENERIC
    # A fresh assertion with the same jti is a replay too, while the first is alive.
    fresh = await _token(probe_client, _assertion_form(client_key.assertion("svc-replay", jti="once-only")))
    _assert_oauth_error(fresh, 401, "invalid_client")


async def test_assertion_audience_may_be_the_public_base_url(
    settings: Any, register: Register, client_key: ClientKey, serve_with: Any
) -> None:
    await register("svc-public", "bienestar", jwks=client_key.jwks, with_secret=False)
    async with serve_with(settings, base_url="https://interop.example.gob.mx") as (_, http):
        ok = await _token(
            http,
            _assertion_form(
                client_key.assertion("svc-public", aud="https://interop.example.gob.mx/auth/token")
            ),
        )
        assert ok.status_code == 200, ok.text


async def test_jwks_and_smart_configuration(probe_client: httpx.AsyncClient, register: Register) -> None:
    secret = await register("admin-3", "admin")
    token = (
        await _token(probe_client, {"grant_type": "client_credentials"}, auth=("admin-3", secret))
    ).json()
    keys = (await probe_client.get("/.well-known/jwks.json")).json()["keys"]
    kid = jwt.get_unverified_header(token["access_token"])["kid"]
    assert [k["kid"] for k in keys] == [kid]
    assert all("d" not in k for k in keys)
    public = jwt.PyJWK(keys[0]).key
    assert (
        jwt.decode(token["access_token"], public, algorithms=["ES256"], audience="interop")["sub"]
        == "admin-3"
    )
    config = (await probe_client.get("/.well-known/smart-configuration")).json()
    assert config["token_endpoint"] == "http://testserver/auth/token"
    assert config["jwks_uri"] == "http://testserver/.well-known/jwks.json"
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "client_secret_basic",
        "client_secret_post",
    }
    assert "ES384" in config["token_endpoint_auth_signing_alg_values_supported"]
    assert "system/Task.rsu" in config["scopes_supported"]
    assert "permission-v2" in config["capabilities"]


async def test_token_endpoint_is_rate_limited_per_address(
    settings: Any, register: Register, serve_with: Any
) -> None:
    secret = await register("busy-client", "bienestar")
    async with serve_with(settings, token_rate_limit_per_minute=2) as (_, http):
        form = {"grant_type": "client_credentials"}
        assert (await _token(http, form, auth=("busy-client", secret))).status_code == 200
        assert (await _token(http, form, auth=("busy-client", "guess"))).status_code == 401
        limited = await _token(http, form, auth=("busy-client", secret))
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"] == "invalid_request"


async def test_assertion_audience_is_the_configured_base_url_never_the_host_header(
    settings: Any, register: Register, client_key: ClientKey, serve_with: Any
) -> None:
    """An assertion minted for another server (its audience) is not accepted because the caller sent that
    server's name as Host (issue 14 #15)."""
    await register("svc-host", "bienestar", jwks=client_key.jwks, with_secret=False)
    async with serve_with(settings, base_url="https://interop.example.gob.mx") as (_, http):
        for host in ("evil.example", "testserver"):
            forged = await _token(
                http,
                _assertion_form(client_key.assertion("svc-host", aud=f"http://{host}/auth/token")),
                headers={"Host": host},
            )
            _assert_oauth_error(forged, 401, "invalid_client")
            assert forged.json()["error_description"] == GENERIC


async def test_without_a_base_url_private_key_jwt_is_refused_and_not_advertised(
    settings: Any, register: Register, client_key: ClientKey, serve_with: Any
) -> None:
    secret = await register("svc-nobase", "bienestar", jwks=client_key.jwks)
    async with serve_with(settings, base_url=None) as (_, http):
        refused = await _token(http, _assertion_form(client_key.assertion("svc-nobase")))
        _assert_oauth_error(refused, 401, "invalid_client")
        assert refused.json()["error_description"] == GENERIC
        config = (await http.get("/.well-known/smart-configuration")).json()
        assert "private_key_jwt" not in config["token_endpoint_auth_methods_supported"]
        assert "client-confidential-asymmetric" not in config["capabilities"]
        basic = await _token(http, {"grant_type": "client_credentials"}, auth=("svc-nobase", secret))
        assert basic.status_code == 200, basic.text


def _unsigned(claims: dict[str, Any], kid: str) -> str:
    return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})


async def test_every_client_authentication_failure_reads_the_same(
    probe_client: httpx.AsyncClient, register: Register, client_key: ClientKey, revoke: Any
) -> None:
    """alg=none for a client with a registered key, for an unknown client, a bad secret, a revoked client:
    one status, one body, so nothing tells which names exist or hold a key (issue 14 #15)."""
    await register("svc-keyed", "bienestar", jwks=client_key.jwks, with_secret=False)
    secret = await register("svc-revoked", "bienestar")
    await revoke("svc-revoked")
    now = int(time.time())
    grant = {"grant_type": "client_credentials"}

    def claims(name: str) -> dict[str, Any]:
        aud = "http://testserver/auth/token"
        return {"iss": name, "sub": name, "aud": aud, "exp": now + 60, "jti": f"j-{name}"}

    answers = [
        await _token(probe_client, _assertion_form(_unsigned(claims("svc-keyed"), client_key.kid))),
        await _token(probe_client, _assertion_form(_unsigned(claims("nobody"), client_key.kid))),
        await _token(probe_client, grant, auth=("svc-keyed", "guess")),
        await _token(probe_client, grant, auth=("svc-revoked", secret)),
        await _token(probe_client, grant, auth=("nobody", "guess")),
        await _token(probe_client, grant, headers={"Authorization": "Basic !"}),
    ]
    for answer in answers:
        _assert_oauth_error(answer, 401, "invalid_client")
    assert {(a.status_code, a.text) for a in answers} == {(401, answers[0].text)}
