"""Errors of the referral domain (messages carry identifiers only, never personal data)."""

from __future__ import annotations

from interop.errors import Conflict, Invalid, NotFound, PreconditionFailed


class ReferralNotFound(NotFound):
    code = "referral-not-found"


class VisitNotFound(NotFound):
    code = "visit-not-found"


class IdempotencyConflict(Conflict):
    code = "idempotency-conflict"


class IllegalTransition(Conflict):
    code = "illegal-transition"
    fhir_issue = "business-rule"


class InvalidUpdate(Invalid):
    code = "invalid-update"


class VersionConflict(PreconditionFailed):
    code = "version-conflict"


class Unroutable(Invalid):
    code = "unroutable"
    fhir_issue = "business-rule"


class SubscriptionNotFound(NotFound):
    code = "subscription-not-found"


class InvalidSubscription(Invalid):
    code = "invalid-subscription"


class InvalidEntidad(Invalid):
    code = "invalid-entidad"
