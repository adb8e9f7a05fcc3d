"""Composes the ``/fhir`` routes. ``Patient/$match`` is included before ``Patient/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from interop.fhir import (
    auditevent,
    bundle,
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

router = APIRouter(prefix="/fhir", default_response_class=FhirResponse)


@router.get("/metadata", summary="CapabilityStatement", tags=["fhir"])
async def metadata(request: Request) -> FhirResponse:
    settings = request.app.state.settings
    base = settings.base_url or str(request.base_url).rstrip("/")
    return FhirResponse(capability_statement(f"{base}/fhir"))


for _module in (
    match,
    patient,
    organization,
    referral,
    referral_withdrawal,
    subscription,
    auditevent,
    outcome_codesystem,
):
    router.include_router(_module.router)
# POST /fhir itself: FastAPI cannot include a router whose route path is empty, so bundle adds it here.
bundle.install(router)
