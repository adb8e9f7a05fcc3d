"""``/v1/visits``: Bienestar posts visit findings and follows what became of each referral."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.context import RequestContext
from interop.referral import service as referral_service
from interop.referral.schemas import ReferralList, RouteChoice, VisitCreate, VisitRead, VisitResult

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


@router.get(
    "/referrals/waiting-route",
    summary="Referrals waiting to be routed (no unit found yet for their visit)",
)
async def list_waiting_route(
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Referral", "s"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReferralList:
    scope = await referral_service.scope_for(session, ctx)
    return await referral_service.list_waiting(session, scope=scope, limit=limit)


@router.get(
    "/referrals/escalated",
    summary="Referrals on the escalation list (failed, unroutable, unanswered past their time)",
)
async def list_escalated(
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Referral", "s"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReferralList:
    scope = await referral_service.scope_for(session, ctx)
    return await referral_service.list_escalated(session, scope=scope, limit=limit)


@router.post(
    "/referrals/{referral_id}/route",
    summary=(
        "Route a waiting referral, or re-route an escalated one: to the unit an operator names, or by the "
        "routing rules again"
    ),
    responses={
        404: {"description": "No such referral"},
        422: {"description": "Neither waiting nor escalated, unknown or closed unit, or still no unit"},
    },
)
async def route_referral(
    referral_id: uuid.UUID,
    choice: RouteChoice,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Referral", "u"))],
) -> dict[str, str]:
    task_id = await referral_service.route_referral(session, ctx, referral_id=referral_id, clues=choice.clues)
    return {"service_request": f"ServiceRequest/{referral_id}", "task": f"Task/{task_id}"}
