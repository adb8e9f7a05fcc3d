"""Errors of the audit domain. Messages name fields, never values (a value might be personal data)."""

from __future__ import annotations

from interop.errors import Invalid, NotFound, Unavailable


class AuditRecordRejected(ValueError):
    """A caller passed something an audit event must not hold (a CURP, an unknown code). A bug in the
    caller, so it is not a DomainError: it surfaces as a 500 and the action's transaction rolls back."""


class AuditValueRefused(Invalid):
    """A value no audit record can hold (a NUL character, a patient reference longer than the side table's
    column): the database would have refused it at the request; the intake must refuse it there too."""


class InvalidAuditQuery(Invalid):
    code = "invalid-audit-query"


class SigningKeyUnavailable(Unavailable):
    code = "audit-signing-key-unavailable"


class TreeHeadNotFound(NotFound):
    code = "audit-tree-head-not-found"


class LeafNotFound(NotFound):
    code = "audit-leaf-not-found"


class InvalidProofRequest(Invalid):
    code = "invalid-audit-proof-request"
