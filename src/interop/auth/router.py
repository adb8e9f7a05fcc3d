"""The embedded authorisation server at the root: token endpoint, JWKS and SMART discovery (all public)."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from interop import messages
from interop.api.addresses import client_address
from interop.api.deps import SessionDep, SettingsDep
from interop.auth import assertion as assertion_rules
from interop.auth import scopes
from interop.auth import service as auth_service
from interop.auth.dependencies import context_for, current_keyring, runtime
from interop.auth.errors import (
    InvalidClient,
    InvalidRequest,
    IssuerOff,
    TokenError,
    UnsupportedGrantType,
)
from interop.auth.models import AuthClient
from interop.auth.schemas import TokenResponse
from interop.config import Settings
from interop.context import Actor

router = APIRouter(tags=["auth"])
log = logging.getLogger(__name__)

TOKEN_PATH = "/auth/token"  # noqa: S105 - a URL path, not a secret
# Cache-Control: no-store is set on every response by the middleware (RFC 6749 §5.1 asks for it here).
_NO_STORE = {"Pragma": "no-cache"}
_OAUTH_ERROR = {
    "description": "OAuth 2.0 error (RFC 6749 §5.2)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
            }
        }
    },
}
_TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "example": "system/Task.rsu system/ServiceRequest.rs"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "client_assertion_type": {"type": "string", "enum": [assertion_rules.ASSERTION_TYPE]},
                        "client_assertion": {"type": "string"},
                    },
                }
            }
        },
    }
}


def token_endpoint(settings: Settings) -> str | None:
    """The one URL a ``private_key_jwt`` assertion must name as ``aud``: the configured public base URL's
    token endpoint. None when no base URL is configured: the Host header is the caller's to choose, so an
    audience built from it would accept assertions minted for any other server; assertions are then
    refused (client secrets still work) until ``INTEROP_BASE_URL`` is set (docs/security.md)."""
    if not settings.base_url:
        return None
    return settings.base_url.rstrip("/") + TOKEN_PATH


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    kind, _, value = header.partition(" ")
    if kind.lower() != "basic":
        raise InvalidClient.said("auth.token.basic_only")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient.said("auth.token.basic_malformed") from None
    name, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient.said("auth.token.basic_malformed")
    # RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(name), unquote_plus(secret)


async def _authenticate_client(
    request: Request, form: dict[str, str], session: SessionDep, settings: Settings
) -> AuthClient:
    basic = _basic_credentials(request)
    posted_secret = "client_secret" in form
    assertion_type = form.get("client_assertion_type")
    assertion = form.get("client_assertion")
    methods = sum((basic is not None, posted_secret, assertion_type is not None or assertion is not None))
    if methods > 1:
        raise InvalidRequest.said("auth.token.one_method")
    if basic is not None:
        return await auth_service.authenticate_secret(session, name=basic[0], secret=basic[1])
    if posted_secret:
        return await auth_service.authenticate_secret(
            session, name=form.get("client_id", ""), secret=form["client_secret"]
        )
    if assertion_type is not None or assertion is not None:
        if assertion_type != assertion_rules.ASSERTION_TYPE or not assertion:
            raise InvalidRequest.said("auth.token.assertion_type", expected=assertion_rules.ASSERTION_TYPE)
        audience = token_endpoint(settings)
        if audience is None:
            raise InvalidClient.said("auth.token.assertion_needs_base_url")
        client = await auth_service.authenticate_assertion(session, assertion=assertion, audiences=[audience])
        if form.get("client_id") not in (None, client.name):
            raise InvalidClient.said("auth.token.client_id_mismatch")
        return client
    raise InvalidClient.said("auth.token.client_auth_required")


def _claimed_name(request: Request, form: dict[str, str]) -> str:
    try:
        basic = _basic_credentials(request)
    except TokenError:
        basic = None
    if basic is not None:
        return basic[0]
    if form.get("client_assertion"):
        return assertion_rules.claimed_client(form["client_assertion"]) or "unknown"
    return form.get("client_id") or "unknown"


def _throttled(wait: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": "invalid_request",
            "error_description": messages.text("auth.token.throttled"),
        },
        status_code=429,
        headers={**_NO_STORE, "Retry-After": str(wait)},
    )


def _oauth_error(exc: TokenError, *, basic: bool) -> JSONResponse:
    headers = dict(_NO_STORE)
    description = exc.localised()
    if isinstance(exc, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="interop"' if basic else 'Bearer realm="interop"'
        # One answer for every client-authentication failure; the reason goes to the operator's log.
        log.info("client authentication refused", extra={"reason": exc.message})
        description = messages.text(InvalidClient.PUBLIC_KEY)
    return JSONResponse(
        {"error": exc.oauth_error, "error_description": description},
        status_code=exc.status_code,
        headers=headers,
    )


@router.post(
    TOKEN_PATH,
    summary="Client-credentials token endpoint (client_secret_basic, client_secret_post, private_key_jwt)",
    response_model=TokenResponse,
    responses={
        400: _OAUTH_ERROR,
        401: _OAUTH_ERROR,
        404: {"description": "The embedded issuer is off"},
        429: {
            "description": "Too many token requests from this address, or failed ones for this client "
            "name (see Retry-After)"
        },
    },
    openapi_extra=_TOKEN_FORM,
)
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    if settings.auth_jwks_url:
        raise IssuerOff.said("auth.issuer_off_tokens")
    # Each secret check is an argon2 verification (~64 MiB, tens of ms): its own low limit per address.
    limiter = runtime(request.app).token_limiter
    address = client_address(request) or "unknown"
    wait = limiter.take(f"address:{address}")
    if wait is not None:
        return _throttled(wait)
    form: dict[str, str] = {}
    basic = bool(request.headers.get("authorization", "").lower().startswith("basic "))
    client: AuthClient | None = None
    try:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise InvalidRequest.said("auth.token.form_required")
        raw = await request.form()
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        grant = form.get("grant_type")
        if not grant:
            raise InvalidRequest.said("auth.token.grant_type_required")
        if grant != "client_credentials":
            raise UnsupportedGrantType.said("auth.token.grant_unsupported")
        claimed = _claimed_name(request, form)[:64]
        wait = limiter.check(f"client:{claimed}")
        if wait is not None:
            return _throttled(wait)
        try:
            client = await _authenticate_client(request, form, session, settings)
        except InvalidClient:
            limiter.take(f"client:{claimed}")  # failures per client name, whichever address sends them
            raise
        issued = auth_service.issue_token(
            current_keyring(request.app), settings, client=client, requested_scope=form.get("scope")
        )
    except TokenError as exc:
        name = client.name if client is not None else _claimed_name(request, form)
        ctx = context_for(request, Actor(client_id=name[:64], role=client.role if client else ""))
        await auth_service.record_login(session, ctx, client_name=name, succeeded=False)
        return _oauth_error(exc, basic=basic)
    ctx = context_for(request, auth_service.actor_of(client))
    await auth_service.record_login(session, ctx, client_name=client.name, succeeded=True)
    return JSONResponse(issued.model_dump(), headers=_NO_STORE)


@router.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify this server's tokens",
    responses={404: {"description": "The embedded issuer is off"}},
)
async def jwks(request: Request, settings: SettingsDep) -> dict[str, Any]:
    if settings.auth_jwks_url:
        raise IssuerOff.said("auth.issuer_off_jwks")
    return current_keyring(request.app).jwks()


@router.get("/.well-known/smart-configuration", summary="SMART App Launch discovery (backend services)")
async def smart_configuration(request: Request, settings: SettingsDep) -> dict[str, Any]:
    base = (settings.base_url or str(request.base_url)).rstrip("/")
    config: dict[str, Any] = {
        "issuer": settings.auth_issuer,
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": sorted({s for granted in scopes.ROLE_SCOPES.values() for s in granted}),
        "capabilities": ["permission-v2", "client-confidential-asymmetric", "client-confidential-symmetric"],
        "code_challenge_methods_supported": ["S256"],
    }
    if settings.auth_jwks_url:
        config["jwks_uri"] = settings.auth_jwks_url
        if settings.auth_token_endpoint:
            config["token_endpoint"] = settings.auth_token_endpoint
        return config
    # private_key_jwt only with a configured base URL: it is the assertion audience (see token_endpoint).
    methods = ["client_secret_basic", "client_secret_post"]
    if token_endpoint(settings) is not None:
        methods.insert(0, "private_key_jwt")
    else:
        config["capabilities"].remove("client-confidential-asymmetric")
    config.update(
        {
            "jwks_uri": base + "/.well-known/jwks.json",
            "token_endpoint": base + TOKEN_PATH,
            "token_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": list(assertion_rules.ASSERTION_ALGORITHMS),
        }
    )
    return config
