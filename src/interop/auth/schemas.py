"""Shapes the auth domain hands out: client listings and token responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    role: str
    clues: list[str]
    active: bool
    has_secret: bool
    has_jwks: bool
    created_at: datetime
    revoked_at: datetime | None


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 token type
    expires_in: int
    scope: str
