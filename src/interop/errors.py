"""The base of every domain error: an HTTP status and a stable code, rendered by
``interop.error_handlers``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Self

from interop.messages import has, render
from interop.messages.stored import keep


class DomainError(Exception):
    """A caller-visible failure. Messages never carry personal data."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    # FHIR OperationOutcome issue type (http://hl7.org/fhir/issue-type).
    fhir_issue: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        key: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        # Response headers the error needs (WWW-Authenticate, Retry-After); never shown in the body.
        self.headers: dict[str, str] = dict(headers or {})
        # A catalogue key makes the message follow the request's language (es-MX first); ``message`` stays
        # the English text for logs and for errors raised before a catalogue entry exists.
        self.key = key
        self.params = params or {}

    @classmethod
    def said(cls, key: str, /, **params: object) -> Self:
        """The error in the catalogue's words for ``key``: the request's language when rendered, es-MX in
        ``message`` (logs, and callers outside a request)."""
        return cls(render(key, params, "es-MX"), key=key, params=params)

    @classmethod
    def said_with(
        cls,
        key: str,
        params: dict[str, object],
        /,
        *,
        details: dict[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """``said`` for an error that also carries ``details`` or response ``headers`` (their names would
        clash with a message parameter's)."""
        return cls(render(key, params, "es-MX"), key=key, params=params, details=details, headers=headers)

    def kept(self) -> str:
        """The error as a row keeps it (``messages.stored``), read later in its reader's language; its
        es-MX text when it has no catalogue key."""
        if self.key is not None and has(self.key):
            return keep(self.key, **self.params)
        return self.message

    def localised(self) -> str:
        if self.key is not None and has(self.key):
            try:
                return render(self.key, self.params)
            except (KeyError, IndexError, ValueError):  # a bad placeholder must not fail the error path
                return self.message
        return self.message


class NotFound(DomainError):
    status_code = 404
    code = "not-found"
    fhir_issue = "not-found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    fhir_issue = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"
    fhir_issue = "invalid"


class PreconditionFailed(DomainError):
    status_code = 412
    code = "precondition-failed"
    fhir_issue = "conflict"


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"
    fhir_issue = "login"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    fhir_issue = "forbidden"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too-many-requests"
    fhir_issue = "throttled"


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"
    fhir_issue = "transient"


class InsufficientStorage(DomainError):
    status_code = 507
    code = "insufficient-storage"
    fhir_issue = "exception"
