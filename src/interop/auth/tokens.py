"""Signed access tokens (ES256 JWTs) from the embedded issuer, and their verification.

Keys live in ``data_dir/keys`` as PEM files named by key id; the newest signs, all verify (rotation).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from interop.config import Settings
from interop.context import Actor
from interop.errors import Unauthenticated

ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk


class KeyRing:
    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = keys

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def by_kid(self, kid: str | None) -> SigningKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.keys]}

    @classmethod
    def load_or_create(cls, directory: Path) -> KeyRing:
        directory.mkdir(parents=True, exist_ok=True)
        files = sorted(directory.glob("signing-*.pem"), key=lambda p: p.stat().st_mtime)
        if not files:
            return cls([rotate(directory)])
        return cls([_load(path) for path in files])


def _load(path: Path) -> SigningKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return SigningKey(kid=path.stem.removeprefix("signing-"), private_key=key)


def directory_stamp(directory: Path) -> int:
    """Changes whenever a key file is added or removed: lets a running server notice a rotation."""
    try:
        return directory.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def retire(directory: Path, kid: str) -> None:
    """Remove a key: tokens it signed stop verifying. The current signing key cannot be retired."""
    ring = KeyRing.load_or_create(directory)
    if ring.by_kid(kid) is None:
        raise KeyError(kid)
    if ring.current.kid == kid:
        raise ValueError("the current signing key cannot be retired; rotate first")
    (directory / f"signing-{kid}.pem").unlink()


def rotate(directory: Path) -> SigningKey:
    """Create a new signing key; older keys keep verifying tokens they signed until removed."""
    key = ec.generate_private_key(ec.SECP256R1())
    kid = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:8]
    path = directory / f"signing-{kid}.pem"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return SigningKey(kid=kid, private_key=key)


def mint(
    keyring: KeyRing,
    settings: Settings,
    *,
    client_id: str,
    role: str,
    scopes: frozenset[str],
    clues: frozenset[str] = frozenset(),
    ttl_s: int | None = None,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": client_id,
        "client_id": client_id,
        "role": role,
        "scope": " ".join(sorted(scopes)),
        "clues": sorted(clues),
        "iat": issued,
        "nbf": issued,
        "exp": issued + (ttl_s if ttl_s is not None else settings.auth_token_ttl_s),
        "jti": uuid.uuid4().hex,
    }
    key = keyring.current
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify(keyring: KeyRing, settings: Settings, token: str) -> Actor:
    """Check signature (ES256 only: ``alg=none`` and HMAC confusion fail), audience, issuer and times."""
    return verify_until(keyring, settings, token)[0]


def verify_until(keyring: KeyRing, settings: Settings, token: str) -> tuple[Actor, float]:
    """``verify``, and the instant (epoch seconds) the token expires."""
    header = unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise Unauthenticated.said("auth.token.alg_not_accepted")
    key = keyring.by_kid(header.get("kid"))
    if key is None:
        raise Unauthenticated.said("auth.token.unknown_key")
    claims = checked_claims(
        token,
        key.private_key.public_key(),
        algorithm=ALGORITHM,
        settings=settings,
        required=["exp", "iat", "iss", "aud", "sub"],
    )
    return actor_from_claims(claims), float(claims["exp"])


def unverified_header(token: str) -> dict[str, Any]:
    """The token's JOSE header, read before its signature is checked (to pick the key)."""
    try:
        header: dict[str, Any] = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated.said("auth.token.malformed") from exc
    return header


def checked_claims(
    token: str, key: Any, *, algorithm: str, settings: Settings, required: list[str]
) -> dict[str, Any]:
    """The claims, once the signature by ``key``, this service's audience and issuer, the ``required``
    claims and the times (5 s leeway) check; every failure is ``Unauthenticated``, naming its kind only."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            options={"require": required},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated.said("auth.token.expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise Unauthenticated.said("auth.token.not_yet_valid") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated.said("auth.token.rejected", reason=type(exc).__name__) from exc
    return claims


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """The caller a verified token describes. ``scope`` is a space-separated string (RFC 8693) or, from some
    external issuers, a list (``scp``); ``clues`` binds a clinic client to its units."""
    raw_scope = claims.get("scope", claims.get("scp", ""))
    scope_list = raw_scope.split() if isinstance(raw_scope, str) else [str(s) for s in raw_scope or ()]
    raw_clues = claims.get("clues") or ()
    clues = [raw_clues] if isinstance(raw_clues, str) else [str(c) for c in raw_clues]
    return Actor(
        client_id=str(claims.get("client_id") or claims["sub"]),
        role=str(claims.get("role", "")),
        scopes=frozenset(scope_list),
        clues=frozenset(clues),
    )
