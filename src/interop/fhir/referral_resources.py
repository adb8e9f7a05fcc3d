"""ServiceRequest and Task as R4 JSON, from the referral domain's snapshots (current row or a past version).
Pure: no I/O; the routes in ``fhir.referral`` render with it."""

from __future__ import annotations

from typing import Any

from interop import messages
from interop.config import Settings
from interop.fhir import clinical
from interop.referral import care, routing
from interop.referral.outcomes import SYSTEM as OUTCOME_SYSTEM

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
EXT = "https://www.gob.mx/bienestar/fhir/StructureDefinition/"
HEALTH_WORKER_SYSTEM = "https://www.gob.mx/bienestar/promotor"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"


def _meta(s: dict[str, Any]) -> dict[str, Any]:
    return {"versionId": str(s["version"]), "lastUpdated": s["updated_at"]}


def _org(settings: Settings, clues: str, org_id: str | None, name: str | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"identifier": {"system": settings.system_clues, "value": clues}}
    if org_id:
        ref["reference"] = f"Organization/{org_id}"
    if name:
        ref["display"] = name
    return ref


def _category() -> dict[str, Any]:
    return {"coding": [{"system": SNOMED, "code": "3457005", "display": messages.text("display.referral")}]}


def _what_is_asked(s: dict[str, Any]) -> dict[str, Any]:
    """``ServiceRequest.code``: the care asked for (``atencion-solicitada``); referrals older than that
    CodeSystem keep the category's code."""
    care_code = s.get("care_requested")
    if not care_code:
        return _category()
    shown = messages.text(f"care.{care_code}")
    return {"coding": [{"system": care.SYSTEM, "code": care_code, "display": shown}], "text": shown}


def routing_reason(s: dict[str, Any]) -> str:
    """The stored reason (es-MX) in the reader's language, when its parts are still the current reason."""
    parts = [(k, p) for k, p in ((s.get("visit_context") or {}).get("routing_parts") or [])]
    if parts and routing.explain(parts, messages.SPANISH) == s["routing_reason"]:
        return routing.explain(parts)
    return str(s["routing_reason"])


STATUS_REASON_EXTENSION = f"{EXT}status-reason"
OUTCOME_EXTENSION = f"{EXT}referral-outcome"


def outcome_extension(outcome: dict[str, Any]) -> dict[str, Any]:
    """The unit's coded outcome (contrarreferencia), with its note and unit, as one extension."""
    parts: list[dict[str, Any]] = [
        {
            "url": "code",
            "valueCodeableConcept": {
                "coding": [
                    {"system": OUTCOME_SYSTEM, "code": outcome["code"], "display": outcome["display"]}
                ],
                "text": outcome["display"],
            },
        }
    ]
    if outcome.get("note"):
        parts.append({"url": "note", "valueString": outcome["note"]})
    if outcome.get("unit"):
        parts.append({"url": "unit", "valueString": outcome["unit"]})
    if outcome.get("at"):
        parts.append({"url": "date", "valueDateTime": outcome["at"]})
    return {"url": OUTCOME_EXTENSION, "extension": parts}


def service_request(s: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A referral snapshot as an R4 ServiceRequest: what is asked, when and where the visit was, its
    findings by reference (``Condition`` and ``Observation`` of ``fhir.clinical``), routing as extension
    and note."""
    patient = f"Patient/{s['patient_id']}"
    reason = routing_reason(s)
    routing_ext: list[dict[str, Any]] = [
        {"url": "rule", "valueCode": s["routing_rule"]},
        {"url": "reason", "valueString": reason},
    ]
    if s.get("distance_km") is not None:
        routing_ext.append({"url": "distanceKm", "valueDecimal": s["distance_km"]})
    visits = s.get("visit_ids") or [s["visit_id"]]
    extensions: list[dict[str, Any]] = [
        {"url": f"{EXT}referral-routing", "extension": routing_ext},
        {"url": f"{EXT}match-grade", "valueCode": s["match_grade"]},
    ]
    found_at = clinical.place_found(s)
    if found_at is not None:
        extensions.append({"url": f"{EXT}lugar-encontrado", "valueAddress": found_at})
    if s.get("home_bound"):
        extensions.append({"url": f"{EXT}no-sale-de-casa", "valueBoolean": True})
    when = clinical.visit_time(s)
    if s.get("outcome"):
        extensions.append(outcome_extension(s["outcome"]))
    if s.get("escalation"):
        extensions.append(
            {
                "url": f"{EXT}referral-escalation",
                "extension": [
                    {"url": "reason", "valueCode": s["escalation"]},
                    {"url": "since", "valueDateTime": s["escalated_at"]},
                ],
            }
        )
    if s.get("status_reason"):
        extensions.append({"url": STATUS_REASON_EXTENSION, "valueString": s["status_reason"]})
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": s["id"],
        "meta": _meta(s),
        "extension": extensions,
        "identifier": [{"system": settings.system_visit, "value": v} for v in visits],
        "status": s["status"],
        "intent": "order",
        "category": [_category()],
        "priority": s["priority"],
        "code": _what_is_asked(s),
        "subject": {"reference": patient},
        "occurrenceDateTime": when,
        "authoredOn": when,
        "note": [{"text": messages.text("display.routing", rule=s["routing_rule"], reason=reason)}],
    }
    if s.get("home_bound"):
        # Care is given where the person lives (HL7 v3 RoleCode PTRES, the patient's residence).
        res["locationCode"] = [
            {
                "coding": [
                    {"system": ROLE_CODE, "code": "PTRES", "display": messages.text("display.home_visit")}
                ],
                "text": messages.text("display.home_visit"),
            }
        ]
    if s.get("performer_clues"):
        res["performer"] = [
            _org(settings, s["performer_clues"], s.get("performer_org_id"), s.get("performer_name"))
        ]
    if s.get("requester_worker_id"):
        res["requester"] = {
            "identifier": {"system": HEALTH_WORKER_SYSTEM, "value": s["requester_worker_id"]},
            "display": messages.text("display.health_worker"),
        }
    conditions = clinical.conditions(s, visit_system=settings.system_visit)
    if conditions:
        res["reasonCode"] = [c["code"] for c in conditions]
        res["reasonReference"] = [{"reference": f"Condition/{c['id']}"} for c in conditions]
    observations = clinical.observations(s)
    if observations:
        res["supportingInfo"] = [{"reference": f"Observation/{o['id']}"} for o in observations]
    if s.get("note"):
        res["note"].append({"text": s["note"]})
    return res


def task(s: dict[str, Any], settings: Settings) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Task",
        "id": s["id"],
        "meta": _meta(s),
        "identifier": [{"system": settings.system_visit, "value": s["visit_id"]}],
        "basedOn": [{"reference": f"ServiceRequest/{s['referral_id']}"}],
        "status": s["status"],
        "intent": "order",
        "priority": s["priority"],
        "code": {
            "coding": [
                {"system": TASK_CODE_SYSTEM, "code": "fulfill", "display": messages.text("display.fulfill")}
            ]
        },
        "focus": {"reference": f"ServiceRequest/{s['referral_id']}"},
        "for": {"reference": f"Patient/{s['patient_id']}"},
        "authoredOn": s["authored_on"],
        "lastModified": s["updated_at"],
        "requester": {"display": messages.text("display.program")},
        "owner": _org(settings, s["owner_clues"], s.get("owner_org_id"), s.get("owner_name")),
    }
    if s.get("home_visit"):
        res["description"] = messages.text("display.home_visit")
    if s.get("business_status"):
        res["businessStatus"] = s["business_status"]
    if s.get("status_reason"):
        res["statusReason"] = s["status_reason"]
    if s.get("output"):
        res["output"] = s["output"]
    if s.get("previous_task_id"):
        res["extension"] = [
            {"url": f"{EXT}rerouted-from", "valueReference": {"reference": f"Task/{s['previous_task_id']}"}}
        ]
    return res
