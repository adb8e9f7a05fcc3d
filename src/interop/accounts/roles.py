"""The roles people hold and the API scopes each grants. Pure.

A page checks the same SMART scope as the API route serving the same data, so a person's role is mapped
to the scopes of the API role that does the same work: a reviewer reviews, an auditor audits, a unit's
staff act as that unit's clinic system (bound to their CLUES), an admin may do everything. A manager
reads aggregates without names or CURPs, which no API role offers; its scopes cover only those.
"""

from __future__ import annotations

from enum import StrEnum

from interop.auth.scopes import ROLE_SCOPES, Role


class PersonRole(StrEnum):
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    UNIT_STAFF = "unit_staff"
    MANAGER = "manager"
    ADMIN = "admin"


PERSON_ROLES = tuple(r.value for r in PersonRole)

_UNIT_STAFF_SCOPES = frozenset(
    {"system/ServiceRequest.rs", "system/Task.rsu", "system/Patient.rs", "system/Organization.rs"}
)
_MANAGER_SCOPES = frozenset({"system/Dashboard.r", "system/Organization.rs"})

PERSON_SCOPES: dict[PersonRole, frozenset[str]] = {
    PersonRole.REVIEWER: ROLE_SCOPES[Role.REVIEWER],
    PersonRole.AUDITOR: ROLE_SCOPES[Role.AUDITOR],
    PersonRole.UNIT_STAFF: _UNIT_STAFF_SCOPES,
    PersonRole.MANAGER: _MANAGER_SCOPES,
    PersonRole.ADMIN: ROLE_SCOPES[Role.ADMIN],
}

# The API role whose rules a person's reads follow (audit records it; referral scoping reads "clinic").
API_ROLE: dict[PersonRole, str] = {
    PersonRole.REVIEWER: Role.REVIEWER.value,
    PersonRole.AUDITOR: Role.AUDITOR.value,
    PersonRole.UNIT_STAFF: Role.CLINIC.value,
    PersonRole.MANAGER: "manager",
    PersonRole.ADMIN: Role.ADMIN.value,
}
