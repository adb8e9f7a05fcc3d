"""Errors of the auth domain.

``TokenError`` and its subclasses are the token endpoint's OAuth 2.0 errors (RFC 6749 §5.2): the router
renders them as ``{"error": ..., "error_description": ...}`` instead of the house JSON shape.
"""

from __future__ import annotations

from typing import ClassVar

from interop.errors import Conflict, DomainError, Invalid, NotFound


class ClientExists(Conflict):
    code = "client-exists"


class ClientRevoked(Conflict):
    code = "client-revoked"


class ClientNotFound(NotFound):
    code = "client-not-found"


class ClientSpecInvalid(Invalid):
    code = "client-invalid"


class ActingUserInvalid(Invalid):
    """``X-Acting-User`` is not a user id (a name, a CURP, …): the request is refused, and audited as such."""

    code = "acting-user-invalid"


class IssuerOff(NotFound):
    """The embedded issuer is disabled because an external issuer is configured."""

    code = "issuer-off"


class TokenError(DomainError):
    status_code = 400
    oauth_error: ClassVar[str] = "invalid_request"


class InvalidRequest(TokenError):
    code = "invalid-request"
    oauth_error = "invalid_request"


class InvalidClient(TokenError):
    """Client authentication failed. The message says why, for the operator's log only: every such failure
    is answered with the words of ``PUBLIC_KEY`` (unknown client, bad secret, revoked client, a bad,
    replayed or ``alg=none`` assertion read the same), so a caller learns nothing about which clients exist
    or hold a registered key."""

    status_code = 401
    code = "invalid-client"
    oauth_error = "invalid_client"
    PUBLIC_KEY: ClassVar[str] = "auth.token.client_auth_failed"


class UnsupportedGrantType(TokenError):
    code = "unsupported-grant-type"
    oauth_error = "unsupported_grant_type"


class InvalidScope(TokenError):
    code = "invalid-scope"
    oauth_error = "invalid_scope"
