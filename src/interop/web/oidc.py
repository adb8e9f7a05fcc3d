"""OpenID Connect sign-in (authorization code flow with PKCE, state and nonce) against the institution's
provider, when ``INTEROP_OIDC_ISSUER`` and ``INTEROP_OIDC_CLIENT_ID`` are set.

The provider vouches for who the person is; this service decides what they may do: the ID token's
``INTEROP_OIDC_SUBJECT_CLAIM`` (``sub``) must be bound to an active local account by an administrator
(``interop users add --oidc-subject`` / ``interop users oidc``), whose role, units and entidades
apply. Provider metadata and keys are fetched over httpx and cached for ten minutes;
the code is exchanged by authlib's OAuth 2 client; the ID token is verified with joserfc (authlib's JOSE
library): signature against the provider's JWKS, issuer, audience, expiry and the nonce of this sign-in.
"""

from __future__ import annotations

import secrets
import time
import warnings
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from authlib.common.security import generate_token
from fastapi import APIRouter, Query, Request
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.responses import RedirectResponse, Response

from interop.accounts import service as accounts_service
from interop.api.deps import SessionDep, SettingsDep
from interop.config import Settings
from interop.web import session as web_session
from interop.web.pages import PageNotFound, WebRoute, render, safe_next
from interop.web.signin import audit_sign_in, signed_in

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

router = APIRouter(route_class=WebRoute, include_in_schema=False)
_CACHE_S = 600
_PENDING_S = 600


class OidcFailure(Exception):
    pass


def _configured(settings: Settings) -> tuple[str, str]:
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise PageNotFound()
    return settings.oidc_issuer.rstrip("/"), settings.oidc_client_id


async def _provider(request: Request, issuer: str) -> tuple[dict[str, Any], KeySet]:
    """The provider's metadata and signing keys (cached per process)."""
    cached: tuple[float, str, dict[str, Any], KeySet] | None = getattr(
        request.app.state, "oidc_provider", None
    )
    if cached is not None and cached[1] == issuer and time.monotonic() - cached[0] < _CACHE_S:
        return cached[2], cached[3]
    async with httpx.AsyncClient(timeout=10) as http:
        meta_response = await http.get(f"{issuer}/.well-known/openid-configuration")
        meta_response.raise_for_status()
        meta: dict[str, Any] = meta_response.json()
        if str(meta.get("issuer", "")).rstrip("/") != issuer:
            raise OidcFailure("issuer mismatch in provider metadata")
        jwks_response = await http.get(meta["jwks_uri"])
        jwks_response.raise_for_status()
        keys = KeySet.import_key_set(jwks_response.json())
    request.app.state.oidc_provider = (time.monotonic(), issuer, meta, keys)
    return meta, keys


def _redirect_uri(request: Request) -> str:
    """The public URL when configured: behind the proxy, the request's scheme and ``Host`` are not the
    address registered at the provider (and ``Host`` is the caller's to choose)."""
    base: str | None = request.app.state.settings.base_url
    if base:
        return base.rstrip("/") + str(request.app.url_path_for("oidc_callback"))
    return str(request.url_for("oidc_callback"))


def _client(settings: Settings, client_id: str, redirect_uri: str) -> AsyncOAuth2Client:
    # Imported when OIDC is used, and without the one note authlib 1.x prints on that import (it plans a
    # move to the httpx2 package; the client works as documented): a service without OIDC never loads it,
    # and no run prints a third-party warning (issue 21).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=settings.oidc_client_secret,
        scope=settings.oidc_scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if settings.oidc_client_secret else "none",
        timeout=10,
    )


@router.get("/login/oidc")
async def oidc_start(
    request: Request, settings: SettingsDep, next_page: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    issuer, client_id = _configured(settings)
    try:
        meta, _ = await _provider(request, issuer)
    except Exception:  # the provider is down or misconfigured: the person sees a page, not a 500
        return render(
            request,
            "login.html",
            status_code=502,
            error_key="login.oidc_failed",
            next_page="/app/",
            oidc_enabled=True,
        )
    verifier = generate_token(48)
    nonce = secrets.token_urlsafe(24)
    async with _client(settings, client_id, _redirect_uri(request)) as client:
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
    web_session.load(request).set(
        "oidc",
        {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": safe_next(next_page),
            "at": int(time.time()),
        },
    )
    return RedirectResponse(url, status_code=303)


async def _claims(request: Request, settings: Settings, pending: dict[str, Any], code: str) -> dict[str, Any]:
    issuer, client_id = _configured(settings)
    meta, keys = await _provider(request, issuer)
    async with _client(settings, client_id, _redirect_uri(request)) as client:
        token = await client.fetch_token(
            meta["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending["verifier"],
        )
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcFailure("no id_token")
    decoded = jwt.decode(
        id_token, keys, algorithms=meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    )
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": pending["nonce"]},
    )
    registry.validate(decoded.claims)
    return decoded.claims


@router.get("/login/oidc/callback", name="oidc_callback")
async def oidc_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    _configured(settings)
    sess = web_session.load(request)
    pending = sess.pop("oidc")

    def failed(key: str) -> Response:
        return render(
            request, "login.html", status_code=401, error_key=key, next_page="/app/", oidc_enabled=True
        )

    if (
        not isinstance(pending, dict)
        or not code
        or not state
        or not secrets.compare_digest(str(pending.get("state", "")).encode(), state.encode())
        or time.time() - int(pending.get("at", 0)) > _PENDING_S
    ):
        await audit_sign_in(request, session, account=None, outcome="4", method="oidc")
        return failed("login.oidc_failed")
    try:
        claims = await _claims(request, settings, pending, code)
    except Exception:  # a provider failure or a token that does not verify: a refused sign-in, not a 500
        await audit_sign_in(request, session, account=None, outcome="4", method="oidc")
        return failed("login.oidc_failed")
    subject = claims.get(settings.oidc_subject_claim)
    account = (
        await accounts_service.sign_in_external(session, subject=subject)
        if isinstance(subject, str) and subject
        else None
    )
    if account is None:
        await audit_sign_in(request, session, account=None, outcome="4", method="oidc")
        return failed("login.oidc_unknown")
    await audit_sign_in(request, session, account=account, outcome="0", method="oidc")
    return signed_in(request, account, pending.get("next"), method="oidc")
