"""The findings of home visits read by visit (``/fhir/Condition`` and ``/fhir/Observation`` searched by
visit ``identifier``, and the visits that asked for no referral): longitudinal follow-up whether or not a
visit referred. Conditions are the health worker's suspicions (``verificationStatus`` provisional);
observations are LOINC / UCUM. Ids are stable (derived from the visit identifier and the finding's
position); each carries the visit identifier. The routes are ``clinical_routes``'; a referral's own
findings are rendered by ``clinical``."""

from __future__ import annotations

import uuid
from typing import Any

from interop.config import Settings
from interop.fhir.referral_resources import ICD10, LOINC, UCUM
from interop.referral import service as referral_service

_IDS = uuid.UUID("6f1c7d0e-3b1a-4f7e-9a51-5d1e0c2b7a10")  # namespace of finding ids
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def finding_id(visit_id: str, kind: str, index: int) -> str:
    return str(uuid.uuid5(_IDS, f"{visit_id}/{kind}/{index}"))


def _conditions(f: referral_service.VisitFindings, settings: Settings) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(f.conditions):
        coding = {
            "system": ICD10,
            "code": c["code"],
            **({"display": c["display"]} if c.get("display") else {}),
        }
        out.append(
            {
                "resourceType": "Condition",
                "id": finding_id(f.visit_id, "c", i),
                "identifier": [{"system": settings.system_visit, "value": f.visit_id}],
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": {
                    "coding": [{"system": VERIFICATION, "code": "provisional"}],
                    "text": "Sospecha de la visita domiciliaria, por confirmar",
                },
                "category": [{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}],
                "code": {"coding": [coding]},
                "subject": {"reference": f"Patient/{f.patient_id}"},
                "recordedDate": f.visit_date.isoformat(),
            }
        )
    return out


def _observations(f: referral_service.VisitFindings, settings: Settings) -> list[dict[str, Any]]:
    found = list(f.observations)
    if f.disability:
        found.append({"code": "disability", "display": "Disability", "value_text": f.disability})
    out = []
    for i, o in enumerate(found):
        res = observation(i, o, f"Patient/{f.patient_id}", f.visit_date.isoformat())
        res["id"] = finding_id(f.visit_id, "o", i)
        res["identifier"] = [{"system": settings.system_visit, "value": f.visit_id}]
        out.append(res)
    return out


def render(
    kind: str, found: list[referral_service.VisitFindings], settings: Settings
) -> list[dict[str, Any]]:
    draw = _conditions if kind == "Condition" else _observations
    return [res for f in found for res in draw(f, settings)]


def observation(i: int, o: dict[str, Any], patient: str, when: str) -> dict[str, Any]:
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
