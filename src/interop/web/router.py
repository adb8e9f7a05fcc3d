"""The ``/app`` surface: every page router, composed under one prefix. Mounted by the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from interop.web import cases, dashboard, oidc, reviews, signin, worklist

router = APIRouter(prefix="/app", include_in_schema=False)
for _module in (signin, oidc, reviews, cases, worklist, dashboard):
    router.include_router(_module.router)
