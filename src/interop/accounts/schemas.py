"""Values of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class PersonAccount:
    """What the web edge knows of a signed-in person (never the password hash or TOTP seed)."""

    id: int
    username: str
    role: str
    clues: tuple[str, ...]
    entidades: tuple[str, ...]
    has_totp: bool
    active: bool
    password_expired: bool
    session_version: int
    locked_until: datetime | None = None
    last_sign_in_at: datetime | None = None
    has_oidc: bool = False


@dataclass(frozen=True)
class NewCredentials:
    """What ``add``/``reset`` show once: a printed one-time password, a TOTP provisioning URI."""

    account: PersonAccount
    password: str | None
    totp_uri: str | None


class SignInStatus(StrEnum):
    OK = "ok"
    NEEDS_TOTP = "needs-totp"
    REFUSED = "refused"
    LOCKED = "locked"
    TOTP_MISSING = "totp-missing"  # the role needs a second factor and the account has none


@dataclass(frozen=True)
class SignInResult:
    status: SignInStatus
    account: PersonAccount | None = None
