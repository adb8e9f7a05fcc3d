"""``/v1/visits``: Bienestar posts visit findings and follows what became of each referral."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.context import RequestContext
from interop.referral import service as referral_service
from interop.referral.schemas import VisitCreate, VisitRead, VisitResult

router = APIRouter(tags=["visits"])


@router.post(
    "/visits",
    summary="Post a visit finding: match, route, and create the referral (idempotent)",
    status_code=201,
    responses={
        200: {"description": "Replay of the original result", "model": VisitResult},
        409: {"description": "Visit id or Idempotency-Key already used with a different body"},
        422: {"description": "Invalid visit, or no unit to route to"},
    },
)
async def post_visit(
    visit: VisitCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Visit", "c"))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> VisitResult:
    posted = await referral_service.post_visit(
        session, ctx, visit=visit, idempotency_key=idempotency_key, settings=settings
    )
    if not posted.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/visits/{posted.result.visit_id}"
    return posted.result


@router.get(
    "/visits/{visit_id}",
    summary="The referral of a visit: state, unit, history",
    responses={404: {"description": "No such visit (or not yours)"}},
)
async def get_visit(
    visit_id: str, session: SessionDep, ctx: Annotated[RequestContext, Depends(require("Visit", "r"))]
) -> VisitRead:
    return await referral_service.get_visit(session, ctx, visit_id=visit_id)
