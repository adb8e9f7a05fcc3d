"""``/fhir/ServiceRequest`` and ``/fhir/Task``: search, read / vread / history, and Task updates by PUT or
JSON Patch with ``If-Match`` (the clinic side of FHIR Workflow's broker pattern). Thin: parameters are read
by ``referral_search``, updates by ``task_update``, resources rendered by ``referral_resources`` and the
referral domain answers through its service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.fhir import referral_update
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.instance import history_bundle, resource_id, version_headers, version_number
from interop.fhir.patient import patient_resource
from interop.fhir.referral_resources import service_request, task
from interop.fhir.referral_search import COMMON_PARAMS, SEARCH_DOC, query_of
from interop.fhir.responses import FhirResponse
from interop.fhir.task_update import change_from, parse_if_match
from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound

router = APIRouter(tags=["fhir"])

Render = Callable[[dict[str, Any], Settings], dict[str, Any]]
RENDER: dict[str, Render] = {"Task": task, "ServiceRequest": service_request}


# Search --------------------------------------------------------------------------------------------------


async def _audit_search(
    session: SessionDep, ctx: RequestContext, request: Request, kind: str, rows: list[dict[str, Any]]
) -> None:
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type=kind, id=r["id"]) for r in rows],
        patients=sorted({f"Patient/{r['patient_id']}" for r in rows}),
        query=fs.redacted_query(request),
    )


async def _searchset(
    request: Request,
    session: SessionDep,
    ctx: RequestContext,
    settings: Settings,
    *,
    kind: str,
    page: Any,
    count_only: bool,
    included: list[dict[str, Any]],
) -> FhirResponse:
    """The page as a searchset, audited; ``_summary=count`` is the total alone and names no patient."""
    rows = [] if count_only else page.rows
    await _audit_search(session, ctx, request, kind, rows)
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
            resource_type=kind,
            matches=[RENDER[kind](r, settings) for r in rows],
            included=[] if count_only else included,
            total=(page.total or 0) if count_only else page.total,
            next_cursor=None if count_only else page.next_cursor,
        )
    )


@router.get("/Task", summary="Search Tasks (clinic pull)", response_class=FhirResponse)
async def search_task(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "s"))],
) -> FhirResponse:
    params = fs.params_of(request, (*COMMON_PARAMS, "owner", "owner:identifier", "focus"), settings)
    count_only = fs.count_only(params.get("_summary"))
    q = query_of(params, "owner", settings, count_only=count_only)
    inc = fs.includes(params.get("_include"), {"Task:focus"})
    scope = await referral_service.scope_for(session, ctx)
    page = await referral_service.search_tasks(
        session, scope=scope, query=q, include_focus="Task:focus" in inc
    )
    included = [service_request(r, settings) for r in page.included]
    return await _searchset(
        request, session, ctx, settings, kind="Task", page=page, count_only=count_only, included=included
    )


@router.get("/ServiceRequest", summary="Search ServiceRequests (referrals)", response_class=FhirResponse)
async def search_service_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "s"))],
) -> FhirResponse:
    params = fs.params_of(request, (*COMMON_PARAMS, "performer", "performer:identifier"), settings)
    count_only = fs.count_only(params.get("_summary"))
    q = query_of(params, "performer", settings, count_only=count_only)
    # R4 names the same search parameter both ways.
    inc = fs.includes(params.get("_include"), {"ServiceRequest:subject", "ServiceRequest:patient"})
    scope = await referral_service.scope_for(session, ctx)
    page = await referral_service.search_referrals(session, scope=scope, query=q, include_subject=bool(inc))
    included = [patient_resource(p, settings) for p in page.included]
    return await _searchset(
        request,
        session,
        ctx,
        settings,
        kind="ServiceRequest",
        page=page,
        count_only=count_only,
        included=included,
    )


# Read, vread, history -------------------------------------------------------------------------------------


async def _snapshot(
    session: SessionDep, ctx: RequestContext, kind: str, rid: str, vid: str | None
) -> dict[str, Any]:
    scope = await referral_service.scope_for(session, ctx)
    resource = resource_id(rid, ReferralNotFound.said("referral.not_found", kind=kind))
    if vid is not None:
        version = version_number(vid, ReferralNotFound.said("referral.version_not_found"))
        versions = await referral_service.history(
            session, scope=scope, resource_type=kind, resource_id=resource, version=version
        )
        return versions[0]
    if kind == "Task":
        return await referral_service.get_task(session, scope=scope, task_id=resource)
    return await referral_service.get_referral(session, scope=scope, referral_id=resource)


async def _read(
    session: SessionDep, ctx: RequestContext, settings: Settings, kind: str, rid: str, vid: str | None = None
) -> FhirResponse:
    snap = await _snapshot(session, ctx, kind, rid, vid)
    res = RENDER[kind](snap, settings)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read" if vid is None else "vread",
        entities=[AuditEntity(type=kind, id=rid)],
        patients=[f"Patient/{snap['patient_id']}"],
    )
    return FhirResponse(res, headers=version_headers(res))


async def _history(
    request: Request, session: SessionDep, ctx: RequestContext, settings: Settings, kind: str, rid: str
) -> FhirResponse:
    scope = await referral_service.scope_for(session, ctx)
    resource = resource_id(rid, ReferralNotFound.said("referral.not_found", kind=kind))
    snaps = await referral_service.history(session, scope=scope, resource_type=kind, resource_id=resource)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="history",
        entities=[AuditEntity(type=kind, id=rid)],
        patients=[f"Patient/{snaps[0]['patient_id']}"],
    )
    versions = [RENDER[kind](snap, settings) for snap in snaps]
    base = fs.base_url(request, settings)
    return FhirResponse(history_bundle(base=base, kind=kind, rid=rid, versions=versions))


@router.get("/Task/{task_id}", summary="Read a Task", response_class=FhirResponse)
async def read_task(
    task_id: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, settings, "Task", task_id)


@router.get("/Task/{task_id}/_history", summary="Versions of a Task", response_class=FhirResponse)
async def task_history(
    task_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _history(request, session, ctx, settings, "Task", task_id)


@router.get("/Task/{task_id}/_history/{vid}", summary="One version of a Task", response_class=FhirResponse)
async def vread_task(
    task_id: str,
    vid: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, settings, "Task", task_id, vid)


@router.get("/ServiceRequest/{sr_id}", summary="Read a ServiceRequest", response_class=FhirResponse)
async def read_service_request(
    sr_id: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, settings, "ServiceRequest", sr_id)


@router.get(
    "/ServiceRequest/{sr_id}/_history", summary="Versions of a ServiceRequest", response_class=FhirResponse
)
async def service_request_history(
    sr_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _history(request, session, ctx, settings, "ServiceRequest", sr_id)


@router.get(
    "/ServiceRequest/{sr_id}/_history/{vid}",
    summary="One version of a ServiceRequest",
    response_class=FhirResponse,
)
async def vread_service_request(
    sr_id: str,
    vid: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, settings, "ServiceRequest", sr_id, vid)


# Update ------------------------------------------------------------------------------------------------


async def _current(
    session: SessionDep, ctx: RequestContext, settings: Settings, task_id: str
) -> dict[str, Any]:
    scope = await referral_service.scope_for(session, ctx)
    resource = resource_id(task_id, ReferralNotFound.said("referral.not_found", kind="Task"))
    return task(await referral_service.get_task(session, scope=scope, task_id=resource), settings)


async def _update(
    session: SessionDep,
    ctx: RequestContext,
    settings: Settings,
    task_id: str,
    body: dict[str, Any],
    if_match: str | None,
    current: dict[str, Any],
    interaction: str = "update",
) -> FhirResponse:
    scope = await referral_service.scope_for(session, ctx)
    change = change_from(body, current, task_id)
    updated = await referral_service.update_task(
        session,
        ctx,
        scope=scope,
        task_id=resource_id(task_id, ReferralNotFound.said("referral.not_found", kind="Task")),
        change=change,
        if_match=parse_if_match(if_match),
        interaction=interaction,
    )
    res = task(updated.task, settings)
    return FhirResponse(res, headers=version_headers(res))


_UPDATE_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Illegal transition"},
    412: {"description": "Stale version"},
    422: {"description": "Invalid update"},
}


@router.put(
    "/Task/{task_id}",
    summary="Update a Task (status, businessStatus, output) with If-Match",
    response_class=FhirResponse,
    responses=_UPDATE_ERRORS,
)
async def put_task(
    task_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    current, body = await referral_update.wanted(
        request, settings, lambda: _current(session, ctx, settings, task_id), patch=False
    )
    return await _update(session, ctx, settings, task_id, body, if_match, current)


@router.patch(
    "/Task/{task_id}",
    summary="JSON Patch or JSON Merge Patch a Task with If-Match",
    response_class=FhirResponse,
    responses=_UPDATE_ERRORS,
)
async def patch_task(
    task_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    current, body = await referral_update.wanted(
        request, settings, lambda: _current(session, ctx, settings, task_id), patch=True
    )
    return await _update(session, ctx, settings, task_id, body, if_match, current, "patch")


register(
    ResourceCapability(
        type="Task",
        interactions=["read", "vread", "update", "patch", "history-instance", "search-type"],
        search_params=[
            *SEARCH_DOC,
            ("owner", "reference", "Organization/{id}, CLUES, or owner:identifier=system|CLUES"),
            ("focus", "reference", "ServiceRequest/{id}"),
        ],
        search_include=["Task:focus"],
    )
)
register(
    ResourceCapability(
        type="ServiceRequest",
        interactions=["read", "vread", "history-instance", "search-type"],
        search_params=[
            *SEARCH_DOC,
            ("performer", "reference", "Organization/{id}, CLUES, or performer:identifier=system|CLUES"),
        ],
        search_include=["ServiceRequest:subject", "ServiceRequest:patient"],
    )
)
