"""SMART Backend Services client authentication (``private_key_jwt``, RFC 7523). Pure: no I/O.

A client proves who it is with a short-lived JWT signed by a key of its registered JWKS:
``iss`` = ``sub`` = its client id, ``aud`` = our token endpoint URL, a unique ``jti`` and an ``exp`` no more
than five minutes ahead. Replay of the ``jti`` is checked by the caller against the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# SMART requires RS384 and ES384 to be supported; the 256-bit siblings are common and as safe here.
# Symmetric (HS*) and "none" are never accepted: the registered key set holds public keys only.
ASSERTION_ALGORITHMS = ("RS384", "ES384", "RS256", "ES256", "PS256", "PS384")
MAX_ASSERTION_LIFETIME_S = 300
LEEWAY_S = 5


class AssertionRejected(Exception):
    """Why an assertion was not accepted (safe to show: names no secret)."""


@dataclass(frozen=True)
class AssertionClaims:
    client_id: str
    jti: str
    exp: int


def claimed_client(assertion: str) -> str | None:
    """The client id an assertion claims (``iss``), read before the signature is checked, to find its keys."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    iss = claims.get("iss")
    return iss if isinstance(iss, str) and iss else None


def public_keys(jwks: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys of a JWK set, refusing private or symmetric material (a registration mistake)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise ValueError("a JWK set needs a non-empty 'keys' list")
    out: list[dict[str, Any]] = []
    for key in keys:
        if not isinstance(key, dict):
            raise ValueError("each JWK must be an object")
        if key.get("kty") not in ("RSA", "EC"):
            raise ValueError("only RSA and EC public keys are accepted")
        if "d" in key:
            raise ValueError("the JWK set holds a private key; register the public key only")
        try:
            jwt.PyJWK(key, algorithm=key.get("alg") or ("ES256" if key["kty"] == "EC" else "RS384"))
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise ValueError(f"unusable JWK: {type(exc).__name__}") from exc
        out.append(key)
    return out


def _select_key(jwks: dict[str, Any], kid: str | None, alg: str) -> jwt.PyJWK:
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    elif len(keys) != 1:
        raise AssertionRejected("the assertion must name its key (kid)")
    for key in keys:
        if key.get("alg") not in (None, alg):
            continue
        try:
            return jwt.PyJWK(key, algorithm=alg)
        except (jwt.PyJWTError, ValueError):
            continue
    raise AssertionRejected("no registered key of the client verifies this assertion")


def check_assertion(
    assertion: str,
    *,
    jwks: dict[str, Any],
    client_id: str,
    audiences: Sequence[str],
    now: float,
) -> AssertionClaims:
    """Verify signature, issuer, subject, audience, lifetime and presence of ``jti``."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise AssertionRejected("malformed assertion") from exc
    alg = header.get("alg")
    if alg not in ASSERTION_ALGORITHMS:
        raise AssertionRejected("assertion algorithm not accepted")
    key = _select_key(jwks, header.get("kid"), str(alg))
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key.key,
            algorithms=[str(alg)],
            audience=list(audiences),
            issuer=client_id,
            options={"require": ["exp", "iss", "sub", "aud", "jti"], "verify_iat": False},
            leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError as exc:
        raise AssertionRejected("assertion expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise AssertionRejected("assertion not yet valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise AssertionRejected("assertion audience is not this token endpoint") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise AssertionRejected(f"assertion lacks the {exc.claim} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise AssertionRejected("assertion signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise AssertionRejected(f"assertion rejected: {type(exc).__name__}") from exc
    if claims.get("sub") != client_id:
        raise AssertionRejected("assertion sub must equal iss (the client id)")
    exp = int(claims["exp"])
    if exp - now > MAX_ASSERTION_LIFETIME_S + LEEWAY_S:
        raise AssertionRejected("assertion expires more than five minutes ahead")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and exp - iat > MAX_ASSERTION_LIFETIME_S + LEEWAY_S:
        raise AssertionRejected("assertion lifetime exceeds five minutes")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise AssertionRejected("assertion needs a jti of at most 255 characters")
    return AssertionClaims(client_id=client_id, jti=jti, exp=exp)
