"""Composes the ``/fhir`` routes. ``Patient/$match`` is included before ``Patient/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from interop.api.deps import SettingsDep
from interop.fhir import (
    auditevent,
    bundle,
    clinical_routes,
    codesystem_routes,
    match,
    organization,
    outcome_codesystem,
    patient,
    referral,
    referral_withdrawal,
    subscription,
)
from interop.fhir.capability import capability_statement
from interop.fhir.responses import FhirResponse
from interop.fhir.search import base_url

router = APIRouter(prefix="/fhir", default_response_class=FhirResponse)


@router.get("/metadata", summary="CapabilityStatement", tags=["fhir"])
async def metadata(request: Request, settings: SettingsDep) -> FhirResponse:
    return FhirResponse(capability_statement(base_url(request, settings)))


for _module in (
    match,
    patient,
    organization,
    referral,
    referral_withdrawal,
    subscription,
    auditevent,
    outcome_codesystem,  # before codesystem_routes' /CodeSystem/{cs_id}
    codesystem_routes,
    clinical_routes,
):
    router.include_router(_module.router)
# POST /fhir itself: FastAPI cannot include a router whose route path is empty, so bundle adds it here.
bundle.install(router)
