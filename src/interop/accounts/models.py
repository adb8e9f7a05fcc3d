"""The table of people who sign in to the web pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Identity, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from interop.accounts.roles import PERSON_ROLES
from interop.db.base import Base


class AccountUser(Base):
    """A person. Only the argon2 hash of the password is kept. ``totp_secret`` is the base32 TOTP seed
    (needed to check codes, so it cannot be hashed). ``session_version`` grows with every reset or
    disable, ending the sessions signed before it. Rows are never deleted (audit refers to ``username``).
    """

    __tablename__ = "account_user"
    __table_args__ = (CheckConstraint(f"role IN {PERSON_ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    clues: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    entidades: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    password_hash: Mapped[str | None] = mapped_column(Text)
    # The person's subject at the OpenID Connect provider (bound by an administrator, never by a claim the
    # person can edit). NULL: no OpenID Connect sign-in.
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    totp_secret: Mapped[str | None] = mapped_column(Text)
    # The last 30-second TOTP window a code was accepted for: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    # A printed one-time password must be replaced at the first sign-in.
    password_expired: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    session_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_sign_in_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
