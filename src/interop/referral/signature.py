"""Notification signatures, as the Standard Webhooks specification defines them (standardwebhooks.com).

Each Subscription has its own secret, ``whsec_`` followed by the base64 of 24 to 64 random bytes: made by
the service and returned once, in the answer to the create, or chosen by the client. Every delivery
carries three headers:

- ``webhook-id``: ``{subscription id}.{event number}``, the same on every retry of one event (a receiver
  drops one it has already processed);
- ``webhook-timestamp``: seconds since the Unix epoch at sending time (a receiver refuses one more than a
  few minutes from its clock: a captured notification cannot be replayed later);
- ``webhook-signature``: ``v1,`` and the base64 of HMAC-SHA256, keyed with the secret's bytes, over
  ``{webhook-id}.{webhook-timestamp}.{body}`` (the body's exact bytes).

Pure; ``verify`` is the receiver's side, used by the tests and shown in docs/security.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
MIN_BYTES, MAX_BYTES = 24, 64
TOLERANCE_S = 300


class BadSecret(ValueError):
    """Not a ``whsec_`` secret of 24 to 64 bytes."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def key_of(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise BadSecret("the secret must start with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise BadSecret("the secret after whsec_ must be base64") from None
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise BadSecret(f"the secret must hold {MIN_BYTES} to {MAX_BYTES} bytes")
    return key


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id=message_id, timestamp=timestamp, body=body),
    }


def verify(
    secret: str, *, headers: dict[str, str], body: bytes, now: int, tolerance_s: int = TOLERANCE_S
) -> bool:
    """True when one of the ``v1`` signatures matches and the timestamp is within ``tolerance_s``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        given = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in given)
