"""A stored audit event as a FHIR R4 AuditEvent shaped per IHE BALP (Read / Query / Create / Update /
Delete, and their Patient variants). Pure.

type rest (or a DICOM event id for login, import, export, audit-log use), subtype the interaction, action
C/R/U/D/E, outcome 0/4/8/12; agents: the client application (DICOM Source Role ID, or Destination Role ID
when it reads), this server (the other of the two), and the acting user when the client names one (``IRCP``,
requestor); source: this server (application server); entities: the X-Request-Id (``XrequestId``), the W3C
trace id (``Traceparent``), the resources touched, the query (base64 and plain), and the patient. Extensions
carry the chain position and hash.
"""

from __future__ import annotations

import base64
from datetime import UTC
from typing import Any

from interop.audit.schemas import ENTITY_ROLES, REST_SUBTYPES, AuditEventRead

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST_INTERACTION = "http://hl7.org/fhir/restful-interaction"
INTEROP_SUBTYPE = "https://www.gob.mx/bienestar/interop/CodeSystem/audit-subtype"
INTEROP_ROLE = "https://www.gob.mx/bienestar/interop/CodeSystem/client-role"
INTEROP_RESOURCE = "https://www.gob.mx/bienestar/interop/id"
CHAIN_EXTENSION = "https://www.gob.mx/bienestar/interop/StructureDefinition/audit-chain"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
BALP_ENTITY = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
BALP_PROFILE = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
OUTCOMES = {"0": "Success", "4": "Minor failure", "8": "Serious failure", "12": "Major failure"}
DICOM_EVENTS = {
    "110100": "Application Activity",
    "110101": "Audit Log Used",
    "110106": "Export",
    "110107": "Import",
    "110114": "User Authentication",
}
FHIR_TYPES = frozenset(
    {
        "Patient",
        "ServiceRequest",
        "Task",
        "Organization",
        "Condition",
        "Observation",
        "Bundle",
        "Subscription",
        "AuditEvent",
        "Person",
        "Practitioner",
        "Device",
        "Location",
        "Encounter",
    }
)
_PROFILES = {"R": "Read", "E": "Query", "C": "Create", "U": "Update", "D": "Delete"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _what(type_: str, id_: str) -> dict[str, Any]:
    if type_ in FHIR_TYPES:
        return {"reference": f"{type_}/{id_}"}
    return {
        "identifier": {"system": f"{INTEROP_RESOURCE}/{type_}", "value": id_},
        "display": f"{type_}/{id_}",
    }


def to_fhir(event: AuditEventRead, *, base: str) -> dict[str, Any]:
    """One stored event as a FHIR R4 AuditEvent (BALP shape). Pure."""
    reads = event.action == "R"
    client_code, server_code = ("110152", "110153") if reads else ("110153", "110152")
    role_names = {"110152": "Destination Role ID", "110153": "Source Role ID"}
    client: dict[str, Any] = {
        "type": {"coding": [_coding(DCM, client_code, role_names[client_code])]},
        "role": [{"coding": [_coding(INTEROP_ROLE, event.role)]}],
        "who": {
            "identifier": {"system": f"{INTEROP_RESOURCE}/client", "value": event.client_id},
            "display": event.client_id,
        },
        "requestor": event.user_id is None,
    }
    if event.network_address:
        client["network"] = {"address": event.network_address, "type": "2"}
    agents = [
        client,
        {
            "type": {"coding": [_coding(DCM, server_code, role_names[server_code])]},
            "who": {"identifier": {"value": "interop"}, "display": "interop"},
            "requestor": False,
            "network": {"address": base, "type": "5"},
        },
    ]
    if event.user_id:
        agents.append(
            {
                "type": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "IRCP",
                            "information recipient",
                        )
                    ]
                },
                # Asserted by the client (X-Acting-User), not authenticated here: the id is in the
                # client's own namespace, and the client is its assigner.
                "who": {
                    "identifier": {
                        "system": f"{INTEROP_RESOURCE}/client/{event.client_id}/user",
                        "value": event.user_id,
                        "assigner": {
                            "identifier": {"system": f"{INTEROP_RESOURCE}/client", "value": event.client_id},
                            "display": f"afirmado por el cliente {event.client_id}",
                        },
                    }
                },
                "requestor": True,
            }
        )
    entities: list[dict[str, Any]] = [
        {"what": {"identifier": {"value": event.request_id}}, "type": _coding(BALP_ENTITY, "XrequestId")},
        {
            "what": {
                "identifier": {"system": "https://www.w3.org/TR/trace-context/", "value": event.trace_id}
            },
            "type": _coding(BALP_ENTITY, "Traceparent"),
            "description": "W3C trace id",
        },
    ]
    for item in event.entities:
        entities.append(
            {
                "what": _what(item["type"], item["id"]),
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, ENTITY_ROLES.get(item["role"], "4")),
            }
        )
    if event.query is not None:
        entities.append(
            {
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, "24", "Query"),
                "query": base64.b64encode(event.query.encode()).decode(),
                "description": event.query,
            }
        )
    if event.patient:
        entities.append(
            {
                "what": {"reference": event.patient},
                "type": _coding(ENTITY_TYPE, "1", "Person"),
                "role": _coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.seq),
        "extension": [
            {
                "url": CHAIN_EXTENSION,
                "extension": [
                    {"url": "seq", "valueInteger": event.seq},
                    {"url": "hash", "valueString": event.hash},
                ],
            }
        ],
        "type": _coding(EVENT_TYPE, "rest", "Restful Operation")
        if event.type == "rest"
        else _coding(DCM, event.type, DICOM_EVENTS.get(event.type)),
        "subtype": [
            _coding(REST_INTERACTION if event.subtype in REST_SUBTYPES else INTEROP_SUBTYPE, event.subtype)
        ],
        "action": event.action,
        "recorded": event.recorded_at.astimezone(UTC).isoformat(),
        "outcome": event.outcome,
        "agent": agents,
        "source": {
            "site": "interop",
            "observer": {"display": "interop"},
            "type": [
                _coding(
                    "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"
                )
            ],
        },
        "entity": entities,
    }
    if event.outcome_desc:
        resource["outcomeDesc"] = event.outcome_desc
    if event.type == "rest" and event.outcome == "0" and event.action in _PROFILES:
        name = _PROFILES[event.action]
        resource["meta"] = {"profile": [f"{BALP_PROFILE}{'Patient' if event.patient else ''}{name}"]}
    return resource
