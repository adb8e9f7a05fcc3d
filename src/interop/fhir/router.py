"""Composes the ``/fhir`` routes: ``ROUTERS``, which the app includes one level below itself, in order, each
under ``PREFIX`` with ``FhirResponse`` by default. ``Patient/$match`` comes before ``Patient/{id}``."""

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

PREFIX = "/fhir"
router = APIRouter(prefix=PREFIX, default_response_class=FhirResponse)  # the server's own: metadata


@router.get("/metadata", summary="CapabilityStatement", tags=["fhir"])
async def metadata(request: Request, settings: SettingsDep) -> FhirResponse:
    return FhirResponse(capability_statement(base_url(request, settings)))


# POST /fhir itself: FastAPI cannot include a router whose route path is empty, so bundle adds it to a
# router of its own, whose prefix makes the path.
_transaction = APIRouter(prefix=PREFIX, default_response_class=FhirResponse)
bundle.install(_transaction)

# Each router the app includes directly rather than through one /fhir router of routers: FastAPI matches a
# request again at every level of nesting (bench/audit/RESULTS.md, sessions 6 and 7). The first and the
# last carry the prefix themselves; the resources' routers get it when included.
ROUTERS: tuple[APIRouter, ...] = (
    router,
    match.router,
    patient.router,
    organization.router,
    referral.router,
    referral_withdrawal.router,
    subscription.router,
    auditevent.router,
    outcome_codesystem.router,  # before codesystem_routes' /CodeSystem/{cs_id}
    codesystem_routes.router,
    clinical_routes.router,
    _transaction,
)
