"""Bienestar withdraws or corrects a referral it sent: ``PUT`` / ``PATCH`` of the ServiceRequest with
``status`` ``revoked`` or ``entered-in-error`` and the reason (extension ``status-reason``, or a new note).
Nothing else of the ServiceRequest may change; the service then cancels the unit's Task and notifies it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from interop.api.deps import SessionDep
from interop.api.policy import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import referral_update
from interop.fhir.instance import version_headers
from interop.fhir.referral_resources import STATUS_REASON_EXTENSION, service_request
from interop.fhir.responses import FhirResponse
from interop.fhir.task_update import parse_if_match
from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound

router = APIRouter(tags=["fhir"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The referral has already ended"},
    412: {"description": "Stale version"},
    422: {"description": "Not a withdrawal (status revoked | entered-in-error with a reason)"},
}


def _reason(body: dict[str, Any], current: dict[str, Any]) -> str:
    for ext in body.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == STATUS_REASON_EXTENSION and ext.get("valueString"):
            return str(ext["valueString"])
    known = {n.get("text") for n in current.get("note") or []}
    added = [
        n.get("text") for n in body.get("note") or [] if isinstance(n, dict) and n.get("text") not in known
    ]
    if added and added[-1]:
        return str(added[-1])
    raise Invalid.said("fhir.withdrawal.reason_required", extension=STATUS_REASON_EXTENSION)


def _withdrawal(body: Any, current: dict[str, Any], sr_id: str) -> tuple[str, str]:
    if not isinstance(body, dict) or body.get("resourceType") != "ServiceRequest":
        raise Invalid.said("fhir.withdrawal.not_service_request")
    if body.get("id") not in (None, sr_id):
        raise Invalid.said("fhir.withdrawal.id_mismatch")
    status = body.get("status")
    if status not in ("revoked", "entered-in-error"):
        raise Invalid.said("fhir.withdrawal.status")
    for element in ("subject", "priority", "intent", "identifier", "reasonCode"):
        if element in body and body[element] != current.get(element):
            raise Invalid.said("fhir.withdrawal.immutable", element=element)
    return str(status), _reason(body, current)


async def _apply(
    request: Request,
    session: SessionDep,
    ctx: RequestContext,
    sr_id: str,
    if_match: str | None,
    *,
    patch: bool,
) -> FhirResponse:
    settings: Settings = request.app.state.settings
    scope = await referral_service.scope_for(session, ctx)

    async def current_of() -> dict[str, Any]:
        referral = await referral_service.get_referral(session, scope=scope, referral_id=uuid.UUID(sr_id))
        return service_request(referral, settings)

    current, body = await referral_update.wanted(request, settings, current_of, patch=patch)
    status, reason = _withdrawal(body, current, sr_id)
    snap = await referral_service.withdraw_referral(
        session,
        ctx,
        scope=scope,
        referral_id=uuid.UUID(sr_id),
        status=status,
        reason=reason,
        if_match=parse_if_match(if_match),
    )
    res = service_request(snap, settings)
    return FhirResponse(res, headers=version_headers(res))


def _id(sr_id: str) -> str:
    try:
        return str(uuid.UUID(sr_id))
    except ValueError:
        raise ReferralNotFound.said("referral.not_found", kind="ServiceRequest") from None


@router.put(
    "/ServiceRequest/{sr_id}",
    summary="Withdraw (revoked) or correct (entered-in-error) a referral Bienestar sent, with If-Match",
    response_class=FhirResponse,
    responses=_ERRORS,
)
async def put_service_request(
    sr_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    return await _apply(request, session, ctx, _id(sr_id), if_match, patch=False)


@router.patch(
    "/ServiceRequest/{sr_id}",
    summary="JSON Patch or Merge Patch a referral's status to revoked | entered-in-error, with If-Match",
    response_class=FhirResponse,
    responses=_ERRORS,
)
async def patch_service_request(
    sr_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    return await _apply(request, session, ctx, _id(sr_id), if_match, patch=True)
