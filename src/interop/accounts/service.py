"""People's accounts: create, list, disable, reset, and the checks of a sign-in. Never commits.

A failed sign-in must still count towards the lockout, so ``check_password`` and ``check_totp`` return a
result (the caller commits it) instead of raising.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.accounts.errors import AccountExists, AccountInvalid, AccountNotFound
from interop.accounts.models import AccountUser
from interop.accounts.roles import PERSON_ROLES, PersonRole
from interop.accounts.schemas import NewCredentials, PersonAccount, SignInResult, SignInStatus
from interop.audit import service as audit_service

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_CLUES = re.compile(r"^[A-Z]{2}[A-Z]{3}\d{6}$")
_ENTIDAD = re.compile(r"^[A-Z]{2}$")
MIN_PASSWORD = 12
TOTP_ISSUER = "interop"


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so both cases take the same time. Made on
    first need, not at import (an argon2 hash costs every CLI command ~0.5 s of CPU otherwise); the
    app makes it at start (:func:`prepare_sign_in`) so that no refused sign-in pays for it."""
    return _hasher.hash(secrets.token_urlsafe(16))


def prepare_sign_in() -> None:
    """Make what a sign-in refusal verifies against before the first request."""
    _dummy_hash()


def _view(user: AccountUser) -> PersonAccount:
    return PersonAccount(
        id=user.id,
        username=user.username,
        role=user.role,
        clues=tuple(user.clues or ()),
        entidades=tuple(user.entidades or ()),
        has_totp=user.totp_secret is not None,
        active=user.active,
        password_expired=user.password_expired,
        session_version=user.session_version,
        locked_until=user.locked_until,
        last_sign_in_at=user.last_sign_in_at,
        has_oidc=user.oidc_subject is not None,
    )


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountInvalid.said("accounts.password_short", min=MIN_PASSWORD)
    if len(password) > 1024:
        raise AccountInvalid.said("accounts.password_long")


def _new_totp(username: str) -> tuple[str, str]:
    secret = pyotp.random_base32()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


async def _by_name(session: AsyncSession, username: str, *, lock: bool = False) -> AccountUser | None:
    query = select(AccountUser).where(AccountUser.username == username.strip().lower())
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    role: str,
    clues: Sequence[str] = (),
    entidades: Sequence[str] = (),
    password: str | None = None,
    totp: bool = False,
    totp_required_roles: Sequence[str] = ("admin", "auditor"),
    oidc_subject: str | None = None,
) -> NewCredentials:
    """Create an account. Without ``password`` a one-time password is made (returned once, to be
    replaced at the first sign-in). With ``totp`` a second factor is enrolled (its URI returned once).
    With ``oidc_subject`` (and no ``password``) the person signs in only through the identity provider,
    which then owns the password and the second factor: no local password exists to leak or guess."""
    username = username.strip().lower()
    if not _USERNAME.match(username) or holds_identifier(username):
        raise AccountInvalid.said("accounts.username_invalid")
    if role not in PERSON_ROLES:
        raise AccountInvalid.said("accounts.role_unknown", roles=", ".join(PERSON_ROLES))
    clues = [c.strip().upper() for c in clues if c.strip()]
    entidades = [e.strip().upper() for e in entidades if e.strip()]
    if role == PersonRole.UNIT_STAFF and not clues:
        raise AccountInvalid.said("accounts.unit_staff_needs_clues")
    if role == PersonRole.MANAGER and not entidades:
        raise AccountInvalid.said("accounts.manager_needs_entidad")
    if role != PersonRole.UNIT_STAFF and clues:
        raise AccountInvalid.said("accounts.clues_only_unit_staff")
    if role != PersonRole.MANAGER and entidades:
        raise AccountInvalid.said("accounts.entidades_only_manager")
    if bad := [c for c in clues if not _CLUES.match(c)]:
        raise AccountInvalid.said("accounts.clues_invalid", clues=bad[0][:20])
    if bad := [e for e in entidades if not _ENTIDAD.match(e)]:
        raise AccountInvalid.said("accounts.entidad_invalid", entidad=bad[0][:10])
    subject = _checked_subject(oidc_subject) if oidc_subject is not None else None
    provider_only = subject is not None and password is None
    if role in totp_required_roles and not totp and not provider_only:
        raise AccountInvalid.said("accounts.totp_required", role=role)
    if await _by_name(session, username) is not None:
        raise AccountExists.said("accounts.exists")
    if subject is not None and await _by_subject(session, subject) is not None:
        raise AccountExists.said("accounts.oidc_subject_taken")
    shown: str | None = None
    if password is None and not provider_only:
        shown = password = secrets.token_urlsafe(12)
    elif password is not None:
        _check_password_rules(password)
    secret, uri = _new_totp(username) if totp else (None, None)
    user = AccountUser(
        username=username,
        role=role,
        clues=clues,
        entidades=entidades,
        password_hash=_hasher.hash(password) if password is not None else None,
        totp_secret=secret,
        password_expired=shown is not None,
        oidc_subject=subject,
    )
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return NewCredentials(account=_view(user), password=shown, totp_uri=uri)


def _checked_subject(value: str) -> str:
    subject = value.strip()
    if not 1 <= len(subject) <= 255 or not subject.isprintable():
        raise AccountInvalid.said("accounts.oidc_subject_invalid")
    return subject


async def _by_subject(session: AsyncSession, subject: str, *, lock: bool = False) -> AccountUser | None:
    query = select(AccountUser).where(AccountUser.oidc_subject == subject)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def bind_oidc_subject(session: AsyncSession, *, username: str, subject: str | None) -> PersonAccount:
    """Bind (or, with None, unbind) the provider's subject of an existing account. A change ends the
    account's open sessions: they were opened under the old binding."""
    user = await _by_name(session, username, lock=True)
    if user is None:
        raise AccountNotFound.said("accounts.not_found")
    checked = _checked_subject(subject) if subject is not None else None
    if checked is not None:
        other = await _by_subject(session, checked)
        if other is not None and other.id != user.id:
            raise AccountExists.said("accounts.oidc_subject_taken")
    if user.oidc_subject != checked:
        user.oidc_subject = checked
        user.session_version += 1
    await session.flush()
    return _view(user)


def holds_identifier(value: str) -> bool:
    """A user name is written into audit events; one that looks like a CURP would be refused there."""
    return audit_service.holds_personal_data(value)


async def list_users(session: AsyncSession) -> list[PersonAccount]:
    rows = (await session.execute(select(AccountUser).order_by(AccountUser.username))).scalars()
    return [_view(u) for u in rows]


async def disable_user(session: AsyncSession, *, username: str) -> PersonAccount:
    """Disable an account; its open sessions end at their next request."""
    user = await _by_name(session, username, lock=True)
    if user is None:
        raise AccountNotFound.said("accounts.not_found")
    user.active = False
    user.disabled_at = datetime.now(UTC)
    user.session_version += 1
    await session.flush()
    return _view(user)


async def reset_user(
    session: AsyncSession, *, username: str, password: str | None = None, totp: bool = False
) -> NewCredentials:
    """A new password (one-time when none is given), the lockout lifted, the account enabled, open
    sessions ended; with ``totp`` a new second factor replaces the old one."""
    user = await _by_name(session, username, lock=True)
    if user is None:
        raise AccountNotFound.said("accounts.not_found")
    shown: str | None = None
    if password is None:
        shown = password = secrets.token_urlsafe(12)
    else:
        _check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.password_expired = shown is not None
    user.failed_attempts = 0
    user.locked_until = None
    user.active = True
    user.disabled_at = None
    user.session_version += 1
    uri = None
    if totp:
        user.totp_secret, uri = _new_totp(user.username)
    await session.flush()
    return NewCredentials(account=_view(user), password=shown, totp_uri=uri)


async def change_password(session: AsyncSession, *, user_id: int, password: str) -> PersonAccount:
    """The person's own new password (after a one-time one). Other sessions end."""
    _check_password_rules(password)
    user = await session.get(AccountUser, user_id, with_for_update=True)
    if user is None or not user.active:
        raise AccountNotFound.said("accounts.not_found")
    user.password_hash = _hasher.hash(password)
    user.password_expired = False
    user.session_version += 1
    await session.flush()
    return _view(user)


async def end_sessions(session: AsyncSession, *, user_id: int) -> None:
    """Sign-out: the session cookie is signed, not stored, so a copy of it would outlive a cleared
    browser; bumping the version ends every open session of the person (this browser's and any copy)."""
    user = await session.get(AccountUser, user_id, with_for_update=True)
    if user is not None:
        user.session_version += 1
        await session.flush()


def _locked(user: AccountUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _fail(user: AccountUser, now: datetime, attempts: int, lockout_s: int) -> SignInStatus:
    user.failed_attempts += 1
    if user.failed_attempts >= attempts:
        user.failed_attempts = 0
        user.locked_until = now + timedelta(seconds=lockout_s)
        return SignInStatus.LOCKED
    return SignInStatus.REFUSED


async def check_password(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    totp_required_roles: Sequence[str],
    lockout_attempts: int,
    lockout_s: int,
) -> SignInResult:
    """First step of a sign-in. A wrong password counts towards the lockout (commit the result)."""
    now = datetime.now(UTC)
    user = await _by_name(session, username[:64], lock=True)
    if user is None or user.password_hash is None:
        _verify(_dummy_hash(), password)
        return SignInResult(SignInStatus.REFUSED)
    if not user.active:
        _verify(_dummy_hash(), password)
        return SignInResult(SignInStatus.REFUSED)
    if _locked(user, now):
        _verify(_dummy_hash(), password)  # as long as a refusal: the timing must not tell "locked" apart
        return SignInResult(SignInStatus.LOCKED)
    if not _verify(user.password_hash, password):
        status = _fail(user, now, lockout_attempts, lockout_s)
        await session.flush()
        return SignInResult(status)
    if user.totp_secret is None and user.role in totp_required_roles:
        return SignInResult(SignInStatus.TOTP_MISSING)
    if user.totp_secret is not None:
        return SignInResult(SignInStatus.NEEDS_TOTP, _view(user))
    return SignInResult(SignInStatus.OK, _signed_in(user, now))


async def check_totp(
    session: AsyncSession, *, user_id: int, code: str, lockout_attempts: int, lockout_s: int
) -> SignInResult:
    """Second step: the code of the current 30-second window (or the one either side, for clock drift),
    each window's code accepted once (a code seen over a shoulder or replayed is refused)."""
    now = datetime.now(UTC)
    user = await session.get(AccountUser, user_id, with_for_update=True)
    if user is None or not user.active or user.totp_secret is None:
        return SignInResult(SignInStatus.REFUSED)
    if _locked(user, now):
        return SignInResult(SignInStatus.LOCKED)
    code = code.strip().replace(" ", "")
    # ASCII digits only: ``isdigit`` takes other scripts' digits, which ``compare_digest`` raises on.
    ok = code.isascii() and code.isdigit() and len(code) == 6
    step = _matching_step(user.totp_secret, code, now) if ok else None
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        status = _fail(user, now, lockout_attempts, lockout_s)
        await session.flush()
        return SignInResult(status)
    user.totp_last_step = step
    return SignInResult(SignInStatus.OK, _signed_in(user, now))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second window (this one or one either side, for clock drift) whose code was given."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _signed_in(user: AccountUser, now: datetime) -> PersonAccount:
    user.failed_attempts = 0
    user.locked_until = None
    user.last_sign_in_at = now
    return _view(user)


def _verify(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


async def sign_in_external(session: AsyncSession, *, subject: str) -> PersonAccount | None:
    """An OpenID Connect sign-in: the provider vouched for the subject; an administrator must have bound
    it to an account here (its role and units are this service's to grant), and the account be active.
    Never looked up by a user name the provider lets people edit."""
    if not 1 <= len(subject) <= 255:
        return None
    user = await _by_subject(session, subject, lock=True)
    if user is None or not user.active:
        return None
    return _signed_in(user, datetime.now(UTC))


async def get_active(session: AsyncSession, *, user_id: int, session_version: int) -> PersonAccount | None:
    """The account behind a session cookie, or None when it was disabled or reset since."""
    user = await session.get(AccountUser, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return _view(user)


def totp_now(secret: str) -> str:
    """The current code for a seed (tests and the CLI's enrolment check)."""
    return pyotp.TOTP(secret).now()
