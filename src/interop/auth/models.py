"""Tables of the auth domain: registered API clients and the client-assertion ids already spent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Identity, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base

ROLES = ("bienestar", "clinic", "reviewer", "auditor", "admin")


class AuthClient(Base):
    """An API client of the embedded issuer. ``name`` is its OAuth ``client_id``.

    A client authenticates with a secret (only its argon2 hash is kept), with a JWT signed by a key of its
    registered ``jwks`` (SMART Backend Services), or both. Revoking keeps the row (audit refers to it).
    """

    __tablename__ = "auth_client"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    clues: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    secret_hash: Mapped[str | None] = mapped_column(Text)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]


class AuthUsedJti(Base):
    """A client assertion's ``jti``, kept until the assertion expires so it cannot be replayed."""

    __tablename__ = "auth_used_jti"
    __table_args__ = (Index("ix_auth_used_jti_expires_at", "expires_at"),)

    client_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime]
