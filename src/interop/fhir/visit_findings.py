"""``GET /fhir/Condition`` and ``/fhir/Observation``: the findings of home visits, whether or not a visit
asked for a referral (longitudinal follow-up). Conditions are the health worker's suspicions
(``verificationStatus`` provisional, CIE-10); observations are LOINC / UCUM. Ids are stable (derived from
the visit identifier and the finding's position); each carries the visit identifier."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interop.api.deps import SessionDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.referral_resources import ICD10, observation
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service

router = APIRouter(tags=["fhir"])

_IDS = uuid.UUID("6f1c7d0e-3b1a-4f7e-9a51-5d1e0c2b7a10")  # namespace of finding ids
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PARAMS = ("subject", "patient", "identifier")


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


async def _search(request: Request, session: SessionDep, ctx: RequestContext, kind: str) -> FhirResponse:
    settings: Settings = request.app.state.settings
    params = fs.params_of(request, PARAMS, settings)
    patients = fs.split_or(params.get("patient", []) + params.get("subject", []))
    patient_ids = (
        [fs.parse_uuid(fs.parse_reference(v, "Patient"), what="patient") for v in patients]
        if patients
        else None
    )
    visit_ids = None
    if "identifier" in params:
        visit_ids = []
        for raw in fs.split_or(params["identifier"]):
            system, value = fs.parse_token(raw)
            if system not in (None, settings.system_visit):
                raise fs.BadSearch("identifier: only the visit identifier system is searchable here")
            visit_ids.append(value)
    if patient_ids is None and visit_ids is None:
        raise fs.BadSearch(f"{kind} needs subject (or patient) or identifier")
    scope = await referral_service.scope_for(session, ctx)
    found = await referral_service.visit_findings(
        session, scope=scope, patient_ids=patient_ids, visit_ids=visit_ids
    )
    render = _conditions if kind == "Condition" else _observations
    matches = [res for f in found for res in render(f, settings)]
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type=kind, id=r["id"]) for r in matches],
        patients=sorted({r["subject"]["reference"] for r in matches}),
        query=fs.redacted_query(request),
    )
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
            resource_type=kind,
            matches=matches,
            total=len(matches),
            next_cursor=None,
        )
    )


@router.get("/Condition", summary="Conditions found on home visits", response_class=FhirResponse)
async def search_condition(
    request: Request, session: SessionDep, ctx: Annotated[RequestContext, Depends(require("Condition", "s"))]
) -> FhirResponse:
    return await _search(request, session, ctx, "Condition")


@router.get("/Observation", summary="Observations measured on home visits", response_class=FhirResponse)
async def search_observation(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Observation", "s"))],
) -> FhirResponse:
    return await _search(request, session, ctx, "Observation")


for _kind in ("Condition", "Observation"):
    register(
        ResourceCapability(
            type=_kind,
            interactions=["search-type"],
            search_params=[
                ("subject", "reference", "Patient/{id}"),
                ("patient", "reference", "Patient/{id}"),
                ("identifier", "token", "Visit identifier (system|value)"),
            ],
        )
    )
