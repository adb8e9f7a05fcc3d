"""ServiceRequest and Task as R4 JSON, from the referral domain's snapshots (current row or a past version).
Pure: no I/O; the routes in ``fhir.referral`` render with it."""

from __future__ import annotations

from typing import Any

from interop.config import Settings
from interop.referral.outcomes import SYSTEM as OUTCOME_SYSTEM

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
EXT = "https://www.gob.mx/bienestar/fhir/StructureDefinition/"
HEALTH_WORKER_SYSTEM = "https://www.gob.mx/bienestar/promotor"
REFERRAL_CATEGORY = {"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]}
TASK_CODE = {
    "coding": [
        {
            "system": "http://hl7.org/fhir/CodeSystem/task-code",
            "code": "fulfill",
            "display": "Fulfill the focal request",
        }
    ]
}
BIENESTAR = {"display": "Programa Pensiones para el Bienestar"}


def _meta(s: dict[str, Any]) -> dict[str, Any]:
    return {"versionId": str(s["version"]), "lastUpdated": s["updated_at"]}


def _org(settings: Settings, clues: str, org_id: str | None, name: str | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"identifier": {"system": settings.system_clues, "value": clues}}
    if org_id:
        ref["reference"] = f"Organization/{org_id}"
    if name:
        ref["display"] = name
    return ref


def _observation(i: int, o: dict[str, Any], patient: str, when: str) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": LOINC, "code": o["code"]}]}
    if o.get("code") == "disability":
        code = {"text": "Disability"}
    elif o.get("display"):
        code["coding"][0]["display"] = o["display"]
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"obs{i}",
        "status": "final",
        "code": code,
        "subject": {"reference": patient},
        "effectiveDateTime": when,
    }
    if o.get("value") is not None:
        obs["valueQuantity"] = {
            "value": o["value"],
            "unit": o.get("unit"),
            "system": UCUM,
            "code": o.get("unit"),
        }
    elif o.get("value_text"):
        obs["valueString"] = o["value_text"]
    if o.get("components"):
        obs["component"] = [
            {
                "code": {
                    "coding": [
                        {
                            "system": LOINC,
                            "code": c["code"],
                            **({"display": c["display"]} if c.get("display") else {}),
                        }
                    ]
                },
                "valueQuantity": {"value": c["value"], "unit": c["unit"], "system": UCUM, "code": c["unit"]},
            }
            for c in o["components"]
        ]
    return obs


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
    """A referral snapshot as an R4 ServiceRequest (observations contained; routing as extension and note)."""
    patient = f"Patient/{s['patient_id']}"
    contained = [_observation(i, o, patient, s["authored_on"]) for i, o in enumerate(s["observations"])]
    routing_ext: list[dict[str, Any]] = [
        {"url": "rule", "valueCode": s["routing_rule"]},
        {"url": "reason", "valueString": s["routing_reason"]},
    ]
    if s.get("distance_km") is not None:
        routing_ext.append({"url": "distanceKm", "valueDecimal": s["distance_km"]})
    visits = s.get("visit_ids") or [s["visit_id"]]
    extensions: list[dict[str, Any]] = [
        {"url": f"{EXT}referral-routing", "extension": routing_ext},
        {"url": f"{EXT}match-grade", "valueCode": s["match_grade"]},
    ]
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
        "category": [REFERRAL_CATEGORY],
        "priority": s["priority"],
        "code": {"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]},
        "subject": {"reference": patient},
        "authoredOn": s["authored_on"],
        "note": [{"text": f"Routing ({s['routing_rule']}): {s['routing_reason']}"}],
    }
    if s.get("performer_clues"):
        res["performer"] = [
            _org(settings, s["performer_clues"], s.get("performer_org_id"), s.get("performer_name"))
        ]
    if s.get("requester_worker_id"):
        res["requester"] = {
            "identifier": {"system": HEALTH_WORKER_SYSTEM, "value": s["requester_worker_id"]},
            "display": "Salud Casa por Casa",
        }
    if contained:
        res["contained"] = contained
        res["supportingInfo"] = [{"reference": f"#{o['id']}"} for o in contained]
    if s["reasons"]:
        res["reasonCode"] = [
            {
                "coding": [
                    {
                        "system": ICD10,
                        "code": r["code"],
                        **({"display": r["display"]} if r.get("display") else {}),
                    }
                ]
            }
            for r in s["reasons"]
        ]
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
        "code": TASK_CODE,
        "focus": {"reference": f"ServiceRequest/{s['referral_id']}"},
        "for": {"reference": f"Patient/{s['patient_id']}"},
        "authoredOn": s["authored_on"],
        "lastModified": s["updated_at"],
        "requester": BIENESTAR,
        "owner": _org(settings, s["owner_clues"], s.get("owner_org_id"), s.get("owner_name")),
    }
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
