"""Composes every surface: health, ``/fhir``, ``/v1`` and the embedded authorisation server. Sits above
every domain (the app factory uses it); nothing below imports it."""

from __future__ import annotations

from fastapi import APIRouter

from interop.api import health
from interop.audit import router as audit_router
from interop.auth import router as auth_router
from interop.fhir import router as fhir_router
from interop.ingest import router as ingest_router
from interop.matching import router as matching_router
from interop.referral import router as referral_router
from interop.referral import stats_router as referral_stats_router

router = APIRouter()
router.include_router(health.router)
router.include_router(auth_router.router)
router.include_router(fhir_router.router)

# Each /v1 router is included here with its prefix rather than through a /v1 router of its own: with
# FastAPI's lazily included routers every level of nesting matches the request's path against everything
# below it once more (bench/audit/RESULTS.md, "Inclusion proofs over HTTP").
for _module in (ingest_router, matching_router, referral_router, referral_stats_router, audit_router):
    router.include_router(_module.router, prefix="/v1")
