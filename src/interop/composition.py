"""Composes every surface: health, ``/fhir``, ``/v1`` and the embedded authorisation server. Sits above
every domain (the app factory uses it); nothing below imports it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from interop.api import health, route_guard
from interop.audit import read_routes
from interop.audit import router as audit_router
from interop.auth import router as auth_router
from interop.fhir import router as fhir_router
from interop.fhir.responses import FhirResponse
from interop.ingest import router as ingest_router
from interop.matching import router as matching_router
from interop.referral import router as referral_router
from interop.referral import stats_router as referral_stats_router

# The app includes each of these itself (``include``), with its prefix, rather than through one router
# of routers: with FastAPI's lazily included routers every level of nesting matches the request's path
# against everything below it once more, for every request (bench/audit/RESULTS.md, "Inclusion proofs
# over HTTP").
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (health.router, ""),
    (auth_router.router, ""),
    *((child, "" if child.prefix else fhir_router.PREFIX) for child in fhir_router.ROUTERS),
    *(
        (module.router, "/v1")
        for module in (ingest_router, matching_router, referral_router, referral_stats_router, audit_router)
    ),
)


def include(app: FastAPI) -> None:
    """Every surface's routes, in this order, each router one level below the app, and each skipped at
    once by a request whose path none of its routes can match (``route_guard``). Under ``/fhir``, a route
    answers ``FhirResponse`` unless it says otherwise."""
    for child, prefix in ROUTERS:
        options = {"default_response_class": FhirResponse} if child in fhir_router.ROUTERS else {}
        route_guard.include(app.router, child, prefix=prefix, **options)
    # The tree log's read-only routes, answered ahead of FastAPI's for their plain requests (their cost).
    read_routes.install(app)
