"""The CapabilityStatement: it lists only what is registered by the FHIR route modules, so it grows with
the implementation and never claims more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import interop
from interop.fhir.version import FHIR_VERSION


@dataclass
class ResourceCapability:
    type: str
    interactions: list[str]
    search_params: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, documentation)
    operations: list[tuple[str, str]] = field(default_factory=list)  # (name, definition canonical)
    versioning: str = "versioned"
    conditional_create: bool = False
    search_include: list[str] = field(default_factory=list)
    profile: str | None = None


ACTING_USER_HEADER = "X-Acting-User"
SECURITY_DESCRIPTION = (
    "OAuth2 client credentials (SMART Backend Services), system scopes. "
    f"{ACTING_USER_HEADER}: identificador opaco de la persona que actúa, afirmado por el sistema cliente; "
    "este servidor no autentica a esa persona y la bitácora la registra como afirmada por ese cliente "
    "(AuditEvent.agent con requestor=true junto al cliente autenticado). / "
    f"{ACTING_USER_HEADER}: an opaque id of the person acting, asserted by the client system; this server "
    "does not authenticate that person, and the audit records them as asserted by that client "
    "(an AuditEvent requestor agent beside the authenticated client). See docs/security.md."
)

_RESOURCES: dict[str, ResourceCapability] = {}
_SYSTEM_INTERACTIONS: set[str] = set()


def register(capability: ResourceCapability) -> None:
    _RESOURCES[capability.type] = capability


def register_system_interaction(code: str) -> None:
    """E.g. ``transaction`` when the Bundle endpoint exists."""
    _SYSTEM_INTERACTIONS.add(code)


def capability_statement(base_url: str) -> dict[str, Any]:
    resources = []
    for cap in sorted(_RESOURCES.values(), key=lambda c: c.type):
        entry: dict[str, Any] = {
            "type": cap.type,
            "interaction": [{"code": code} for code in cap.interactions],
            "versioning": cap.versioning,
            "readHistory": "vread" in cap.interactions,
            "updateCreate": False,
            "conditionalCreate": cap.conditional_create,
        }
        if "read" in cap.interactions:
            entry["conditionalRead"] = "not-match"  # If-None-Match → 304 (interop.fhir.interactions)
        if cap.profile:
            entry["profile"] = cap.profile
        if cap.search_params:
            entry["searchParam"] = [
                {"name": name, "type": kind, "documentation": doc} for name, kind, doc in cap.search_params
            ]
        if cap.search_include:
            entry["searchInclude"] = cap.search_include
        if cap.operations:
            entry["operation"] = [
                {"name": name, "definition": definition} for name, definition in cap.operations
            ]
        resources.append(entry)
    rest: dict[str, Any] = {
        "mode": "server",
        "security": {
            "cors": False,
            "service": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                            "code": "SMART-on-FHIR",
                        }
                    ]
                }
            ],
            "description": SECURITY_DESCRIPTION,
        },
        "resource": resources,
    }
    if _SYSTEM_INTERACTIONS:
        rest["interaction"] = [{"code": code} for code in sorted(_SYSTEM_INTERACTIONS)]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).date().isoformat(),
        "publisher": "interop",
        "kind": "instance",
        "software": {"name": "interop", "version": interop.__version__},
        "implementation": {
            "description": "Pensiones para el Bienestar ↔ IMSS-Bienestar interop",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    }
