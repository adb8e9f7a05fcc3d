"""Bienestar withdraws or corrects a referral it sent: ``PUT`` / ``PATCH`` of the ServiceRequest with
``status`` ``revoked`` or ``entered-in-error`` and the reason (extension ``status-reason``, or a new note).
Nothing else of the ServiceRequest may change; the service then cancels the unit's Task and notifies it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request

from interop.api.deps import SessionDep
from interop.auth.dependencies import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir.patch import PatchLimits, apply_json_patch, apply_merge_patch
from interop.fhir.referral import parse_if_match
from interop.fhir.referral_resources import STATUS_REASON_EXTENSION, service_request
from interop.fhir.responses import FhirResponse
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
    raise Invalid(f"ServiceRequest.extension({STATUS_REASON_EXTENSION}) o una nota nueva debe dar el motivo")


def _withdrawal(body: Any, current: dict[str, Any], sr_id: str) -> tuple[str, str]:
    if not isinstance(body, dict) or body.get("resourceType") != "ServiceRequest":
        raise Invalid("el cuerpo debe ser un ServiceRequest")
    if body.get("id") not in (None, sr_id):
        raise Invalid("ServiceRequest.id no coincide con la URL")
    status = body.get("status")
    if status not in ("revoked", "entered-in-error"):
        raise Invalid("ServiceRequest.status: Bienestar solo puede poner revoked o entered-in-error")
    for element in ("subject", "priority", "intent", "identifier", "reasonCode"):
        if element in body and body[element] != current.get(element):
            raise Invalid(f"ServiceRequest.{element} no puede cambiarse")
    return str(status), _reason(body, current)


async def _apply(
    request: Request, session: SessionDep, ctx: RequestContext, sr_id: str, body: Any, if_match: str | None
) -> FhirResponse:
    settings: Settings = request.app.state.settings
    scope = await referral_service.scope_for(session, ctx)
    current = service_request(
        await referral_service.get_referral(session, scope=scope, referral_id=uuid.UUID(sr_id)), settings
    )
    if callable(body):
        body = await body(current)
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
    return FhirResponse(
        res, headers={"ETag": f'W/"{res["meta"]["versionId"]}"', "Last-Modified": res["meta"]["lastUpdated"]}
    )


def _id(sr_id: str) -> str:
    try:
        return str(uuid.UUID(sr_id))
    except ValueError:
        raise ReferralNotFound("no such ServiceRequest") from None


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid("the body is not JSON") from None


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
    sid = _id(sr_id)
    return await _apply(request, session, ctx, sid, await _json(request), if_match)


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
    sid = _id(sr_id)
    ops = await _json(request)
    settings: Settings = request.app.state.settings
    limits = PatchLimits(
        max_operations=settings.patch_max_operations,
        max_result_bytes=settings.patch_max_result_bytes,
        max_depth=settings.patch_max_depth,
    )

    async def patched(current: dict[str, Any]) -> Any:
        if isinstance(ops, list):
            return await asyncio.to_thread(apply_json_patch, current, ops, limits)
        if isinstance(ops, dict):
            return await asyncio.to_thread(apply_merge_patch, current, ops, limits)
        raise Invalid("a PATCH body is a JSON Patch array or a JSON Merge Patch object")

    return await _apply(request, session, ctx, sid, patched, if_match)
