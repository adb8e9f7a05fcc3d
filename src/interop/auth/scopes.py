"""SMART v2 system scopes (``system/Resource.cruds``) and the roles that grant them. Pure.

Interop's own JSON resources (imports, visits, match runs, reviews, trace) use the same grammar so one
policy check serves both surfaces.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    BIENESTAR = "bienestar"
    CLINIC = "clinic"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.BIENESTAR: frozenset(
        {
            "system/Import.cr",
            "system/Visit.crs",
            "system/Bundle.c",
            "system/Patient.crs",
            "system/ServiceRequest.rsu",
            "system/Task.rs",
            "system/Organization.rs",
            "system/Referral.rs",
            "system/Subscription.cruds",
            "system/Condition.rs",
            "system/Observation.rs",
            "system/Dashboard.r",  # the programme's figures (GET /v1/referral-stats): counts, no people
        }
    ),
    Role.CLINIC: frozenset(
        {
            "system/Import.cr",
            "system/Patient.rs",
            "system/ServiceRequest.rs",
            "system/Task.rsu",
            "system/Organization.rs",
            "system/Subscription.cruds",
            "system/Condition.rs",
            "system/Observation.rs",
        }
    ),
    Role.REVIEWER: frozenset({"system/MatchReview.rsu", "system/Patient.rs", "system/Person.rs"}),
    Role.AUDITOR: frozenset({"system/AuditEvent.rs", "system/Trace.r", "system/AuditVerification.r"}),
    Role.ADMIN: frozenset({"system/*.cruds"}),
}

_SCOPE = re.compile(r"^system/(?P<resource>[A-Za-z*]+)\.(?P<perms>[cruds]+|\*|read|write)$")


def expand(scope: str) -> tuple[str, frozenset[str]] | None:
    """Parse one scope into (resource, permissions); v1 ``read``/``write``/``*`` map to v2 letters."""
    m = _SCOPE.match(scope)
    if m is None:
        return None
    perms = m["perms"]
    letters = {"read": "rs", "write": "cud", "*": "cruds"}.get(perms, perms)
    return m["resource"], frozenset(letters)


def allows(granted: frozenset[str], resource: str, permission: str) -> bool:
    """Does any granted scope cover ``permission`` (one of c r u d s) on ``resource``?"""
    for scope in granted:
        parsed = expand(scope)
        if parsed is None:
            continue
        res, perms = parsed
        if res in (resource, "*") and permission in perms:
            return True
    return False


def narrow(requested: str | None, role: Role) -> frozenset[str]:
    """The scopes a token gets: what was asked, limited to what the role grants (all of it when unasked)."""
    granted = ROLE_SCOPES[role]
    if not requested:
        return granted
    out = set()
    for scope in requested.split():
        parsed = expand(scope)
        if parsed is None:
            continue
        res, perms = parsed
        kept = "".join(p for p in "cruds" if p in perms and allows(granted, res, p))
        if kept:
            out.add(f"system/{res}.{kept}")
    return frozenset(out)
