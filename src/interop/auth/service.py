"""API clients of the embedded issuer: registration, revocation, client authentication, token issue.

No FastAPI here. Never commits (the edge does); flushes when it needs the row.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.auth import assertion as assertion_rules
from interop.auth import scopes
from interop.auth.errors import (
    ClientExists,
    ClientNotFound,
    ClientRevoked,
    ClientSpecInvalid,
    InvalidClient,
    InvalidScope,
)
from interop.auth.models import AuthClient, AuthUsedJti
from interop.auth.schemas import TokenResponse
from interop.auth.tokens import KeyRing, mint
from interop.config import Settings
from interop.context import Actor, RequestContext

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# CLUES: state (2 letters), institution (3 letters), six digits.
CLUES_PATTERN = re.compile(r"^[A-Z]{2}[A-Z]{3}\d{6}$")
ADMIN_NAME = "admin"

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def _dummy() -> str:
    # Verifying against a throwaway hash for unknown clients keeps the response time from telling
    # an attacker which client names exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _check_spec(
    name: str, role: str, clues: Sequence[str], jwks: dict[str, Any] | None
) -> tuple[scopes.Role, list[str], dict[str, Any] | None]:
    if not NAME_PATTERN.match(name):
        raise ClientSpecInvalid.said("auth.client.name_invalid")
    try:
        parsed_role = scopes.Role(role)
    except ValueError:
        raise ClientSpecInvalid.said(
            "auth.client.role_invalid", roles=", ".join(r.value for r in scopes.Role)
        ) from None
    wanted = sorted({c.strip().upper() for c in clues if c.strip()})
    bad = [c for c in wanted if not CLUES_PATTERN.match(c)]
    if bad:
        raise ClientSpecInvalid.said("auth.client.clues_invalid", clues=", ".join(bad))
    if parsed_role is scopes.Role.CLINIC and not wanted:
        raise ClientSpecInvalid.said("auth.client.clinic_needs_clues")
    if parsed_role is not scopes.Role.CLINIC and wanted:
        raise ClientSpecInvalid.said("auth.client.clues_only_clinic")
    if jwks is not None:
        try:
            jwks = {"keys": assertion_rules.public_keys(jwks)}
        except ValueError as exc:
            raise ClientSpecInvalid.said("auth.client.jwks_invalid", reason=str(exc)) from None
    return parsed_role, wanted, jwks


async def create_client(
    session: AsyncSession,
    *,
    name: str,
    role: str,
    clues: Sequence[str] = (),
    jwks: dict[str, Any] | None = None,
    with_secret: bool = True,
) -> tuple[AuthClient, str | None]:
    """Register a client. Returns it and its secret, which is shown once and stored only as an argon2 hash."""
    parsed_role, wanted, jwks = _check_spec(name, role, clues, jwks)
    existing = await get_client(session, name=name)
    if existing is not None and not existing.active:
        # Re-activating a name would also revive the revoked registration's unexpired tokens.
        raise ClientExists.said("auth.client.name_revoked", name=name)
    if existing is not None:
        raise ClientExists.said("auth.client.exists", name=name)
    if not with_secret and jwks is None:
        raise ClientSpecInvalid.said("auth.client.needs_credentials")
    secret = secrets.token_urlsafe(32) if with_secret else None
    secret_hash = await asyncio.to_thread(_hasher.hash, secret) if secret else None
    client = AuthClient(
        name=name, role=parsed_role.value, clues=wanted, secret_hash=secret_hash, jwks=jwks, active=True
    )
    session.add(client)
    await session.flush()
    return client, secret


async def get_client(session: AsyncSession, *, name: str) -> AuthClient | None:
    result = await session.execute(select(AuthClient).where(AuthClient.name == name))
    return result.scalar_one_or_none()


async def list_clients(session: AsyncSession) -> list[AuthClient]:
    result = await session.execute(select(AuthClient).order_by(AuthClient.name))
    return list(result.scalars())


async def revoke_client(session: AsyncSession, *, name: str) -> AuthClient:
    """Deactivate a client: no new tokens, and its live tokens stop verifying once caches age out."""
    client = await get_client(session, name=name)
    if client is None:
        raise ClientNotFound.said("auth.client.not_found", name=name)
    if client.active:
        client.active = False
        client.revoked_at = datetime.now(UTC)
        await session.flush()
    return client


async def rotate_secret(session: AsyncSession, ctx: RequestContext, *, name: str) -> str:
    """Give an active client a new secret (returned once, stored as an argon2 hash); the old secret stops
    working at once, tokens already issued run to their expiry. Audited as an update of the client."""
    client = await get_client(session, name=name)
    if client is None:
        raise ClientNotFound.said("auth.client.not_found", name=name)
    if not client.active:
        raise ClientRevoked.said("auth.client.revoked_named", name=name)
    secret = secrets.token_urlsafe(32)
    client.secret_hash = await asyncio.to_thread(_hasher.hash, secret)
    await session.flush()
    await audit_service.record(
        session, ctx, action="U", subtype="update", entities=[AuditEntity(type="Client", id=name)]
    )
    return secret


async def client_active(session: AsyncSession, *, name: str) -> bool | None:
    """``True`` active, ``False`` revoked, ``None`` unknown."""
    result = await session.execute(select(AuthClient.active).where(AuthClient.name == name))
    return result.scalar_one_or_none()


async def authenticate_secret(session: AsyncSession, *, name: str, secret: str) -> AuthClient:
    client = await get_client(session, name=name) if NAME_PATTERN.match(name) else None
    stored = client.secret_hash if client is not None and client.secret_hash else _dummy()
    try:
        await asyncio.to_thread(_hasher.verify, stored, secret)
        ok = client is not None and client.secret_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or client is None:
        raise InvalidClient.said("auth.token.client_auth_failed")
    if not client.active:
        raise InvalidClient.said("auth.client_revoked")
    return client


async def authenticate_assertion(
    session: AsyncSession, *, assertion: str, audiences: Sequence[str], now: float | None = None
) -> AuthClient:
    """SMART Backend Services: verify a ``private_key_jwt`` assertion against the client's JWKS, then spend
    its ``jti`` so the same assertion cannot be used twice."""
    moment = time.time() if now is None else now
    name = assertion_rules.claimed_client(assertion)
    client = await get_client(session, name=name) if name and NAME_PATTERN.match(name) else None
    if client is None or client.jwks is None:
        raise InvalidClient.said("auth.token.client_auth_failed")
    try:
        claims = assertion_rules.check_assertion(
            assertion, jwks=client.jwks, client_id=client.name, audiences=audiences, now=moment
        )
    except assertion_rules.AssertionRejected as exc:
        raise InvalidClient(str(exc)) from None
    if not client.active:  # said only to a caller who proved it holds the client's key
        raise InvalidClient.said("auth.client_revoked")
    if not await spend_jti(session, client_name=client.name, jti=claims.jti, exp=claims.exp):
        raise InvalidClient.said("auth.token.jti_reused")
    return client


async def spend_jti(session: AsyncSession, *, client_name: str, jti: str, exp: int) -> bool:
    """Record a jti until its assertion expires; ``False`` when it was already spent (a replay)."""
    await session.execute(delete(AuthUsedJti).where(AuthUsedJti.expires_at < datetime.now(UTC)))
    expires = datetime.fromtimestamp(exp + assertion_rules.LEEWAY_S, UTC)
    stmt = (
        insert(AuthUsedJti)
        .values(client_name=client_name, jti=jti, expires_at=expires)
        .on_conflict_do_nothing()
        .returning(AuthUsedJti.jti)
    )
    result = await session.execute(stmt)
    return result.scalar_one_or_none() is not None


def issue_token(
    keyring: KeyRing, settings: Settings, *, client: AuthClient, requested_scope: str | None
) -> TokenResponse:
    """Mint an access token: the scopes asked for, narrowed to the role's; CLUES from the registration."""
    role = scopes.Role(client.role)
    granted = scopes.narrow(requested_scope, role)
    if not granted:
        raise InvalidScope.said("auth.token.no_scope_granted")
    token = mint(
        keyring,
        settings,
        client_id=client.name,
        role=role.value,
        scopes=granted,
        clues=frozenset(client.clues),
    )
    return TokenResponse(
        access_token=token, expires_in=settings.auth_token_ttl_s, scope=" ".join(sorted(granted))
    )


async def record_login(
    session: AsyncSession, ctx: RequestContext, *, client_name: str, succeeded: bool
) -> None:
    """A token request, granted or refused, as an audit event (the client's id only). A refused request
    names a registered client, or ``unknown``: an unregistered name is whatever the caller typed."""
    if not succeeded and await get_client(session, name=client_name[:64]) is None:
        client_name = "unknown"
        ctx = replace(ctx, actor=Actor(client_id=client_name, role=""))
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="login",
        entities=[AuditEntity(type="Client", id=client_name[:64])],
        outcome="0" if succeeded else "4",
    )


async def bootstrap_admin(session: AsyncSession) -> str | None:
    """Create the ``admin`` client when no client of that name was ever registered; its secret, else None."""
    if await get_client(session, name=ADMIN_NAME) is not None:
        return None
    _, secret = await create_client(session, name=ADMIN_NAME, role=scopes.Role.ADMIN.value)
    return secret


def actor_of(client: AuthClient) -> Actor:
    return Actor(
        client_id=client.name,
        role=client.role,
        scopes=scopes.ROLE_SCOPES[scopes.Role(client.role)],
        clues=frozenset(client.clues),
    )
