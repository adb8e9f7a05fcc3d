"""ServiceRequest and Task: mapping from the referral domain's snapshots, read / search / history / vread,
and Task updates by PUT or JSON Patch with ``If-Match`` (clinic side of FHIR Workflow's broker pattern)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fhir.resources.R4B.task import Task as TaskModel
from pydantic import ValidationError

from interop.api.deps import SessionDep
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.auth.dependencies import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid, PreconditionFailed
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.patch import PatchLimits, apply_json_patch, apply_merge_patch
from interop.fhir.referral_resources import service_request, task
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound
from interop.referral.outcomes import SYSTEM as OUTCOME_SYSTEM
from interop.referral.queries import SearchQuery

router = APIRouter(tags=["fhir"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _headers(res: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'W/"{res["meta"]["versionId"]}"', "Last-Modified": res["meta"]["lastUpdated"]}


# Search --------------------------------------------------------------------------------------------------

COMMON_PARAMS = ("_id", "status", "_lastUpdated", "patient", "subject", "identifier", "_sort")


def _query(
    request: Request, params: dict[str, list[str]], unit_param: str, settings: Settings, *, count_only: bool
) -> SearchQuery:
    q = SearchQuery(
        count=1 if count_only else fs.parse_count(params.get("_count")),
        cursor=fs.parse_cursor(params.get("_cursor")),
        total=count_only or fs.wants_total(params.get("_total")),
        newest_first=fs.newest_first(params.get("_sort")),
    )
    if "_id" in params:
        q.ids = [fs.parse_uuid(v, what="_id") for v in fs.split_or(params["_id"])]
    if "status" in params:
        q.statuses = fs.split_or(params["status"])
    for raw in params.get("_lastUpdated", []):
        q.last_updated += fs.parse_instant(raw)
    patients = fs.split_or(params.get("patient", []) + params.get("subject", []))
    if patients:
        q.patient_ids = [fs.parse_uuid(fs.parse_reference(v, "Patient"), what="patient") for v in patients]
    if "identifier" in params:
        values = []
        for raw in fs.split_or(params["identifier"]):
            system, value = fs.parse_token(raw)
            if system not in (None, settings.system_visit):
                raise fs.BadSearch("identifier: only the visit identifier system is searchable here")
            values.append(value)
        q.visit_ids = values
    for raw in fs.split_or(params.get(unit_param)):
        if raw.startswith("Organization/") or _is_uuid(raw):
            q.unit_org_ids = [
                *(q.unit_org_ids or []),
                fs.parse_uuid(fs.parse_reference(raw, "Organization"), what=unit_param),
            ]
        else:
            q.unit_clues = [*(q.unit_clues or []), raw]
    for raw in fs.split_or(params.get(f"{unit_param}:identifier")):
        system, value = fs.parse_token(raw)
        if system not in (None, settings.system_clues):
            raise fs.BadSearch(f"{unit_param}:identifier takes the CLUES system")
        q.unit_clues = [*(q.unit_clues or []), value]
    return q


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


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


async def _count(
    session: SessionDep, ctx: RequestContext, request: Request, kind: str, total: int | None
) -> FhirResponse:
    """``_summary=count``: how many match, and nothing of any patient (so the event names none)."""
    await _audit_search(session, ctx, request, kind, [])
    bundle = fs.searchset(request, resource_type=kind, matches=[], total=total or 0, next_cursor=None)
    return FhirResponse(bundle)


@router.get("/Task", summary="Search Tasks (clinic pull)", response_class=FhirResponse)
async def search_task(
    request: Request, session: SessionDep, ctx: Annotated[RequestContext, Depends(require("Task", "s"))]
) -> FhirResponse:
    settings = _settings(request)
    params = fs.params_of(request, (*COMMON_PARAMS, "owner", "owner:identifier", "focus"))
    count_only = fs.count_only(params.get("_summary"))
    q = _query(request, params, "owner", settings, count_only=count_only)
    if "focus" in params:
        q.focus_ids = [
            fs.parse_uuid(fs.parse_reference(v, "ServiceRequest"), what="focus")
            for v in fs.split_or(params["focus"])
        ]
    inc = fs.includes(params.get("_include"), {"Task:focus"})
    scope = await referral_service.scope_for(session, ctx)
    page = await referral_service.search_tasks(
        session, scope=scope, query=q, include_focus="Task:focus" in inc
    )
    if count_only:
        return await _count(session, ctx, request, "Task", page.total)
    await _audit_search(session, ctx, request, "Task", page.rows)
    return FhirResponse(
        fs.searchset(
            request,
            resource_type="Task",
            matches=[task(r, settings) for r in page.rows],
            included=[service_request(r, settings) for r in page.included],
            total=page.total,
            next_cursor=page.next_cursor,
        )
    )


@router.get("/ServiceRequest", summary="Search ServiceRequests (referrals)", response_class=FhirResponse)
async def search_service_request(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "s"))],
) -> FhirResponse:
    from interop.fhir.patient import patient_resource

    settings = _settings(request)
    params = fs.params_of(request, (*COMMON_PARAMS, "performer", "performer:identifier"))
    count_only = fs.count_only(params.get("_summary"))
    q = _query(request, params, "performer", settings, count_only=count_only)
    # R4 names the same search parameter both ways.
    inc = fs.includes(params.get("_include"), {"ServiceRequest:subject", "ServiceRequest:patient"})
    scope = await referral_service.scope_for(session, ctx)
    page = await referral_service.search_referrals(session, scope=scope, query=q, include_subject=bool(inc))
    if count_only:
        return await _count(session, ctx, request, "ServiceRequest", page.total)
    await _audit_search(session, ctx, request, "ServiceRequest", page.rows)
    return FhirResponse(
        fs.searchset(
            request,
            resource_type="ServiceRequest",
            matches=[service_request(r, settings) for r in page.rows],
            included=[patient_resource(p, settings) for p in page.included],
            total=page.total,
            next_cursor=page.next_cursor,
        )
    )


# Read, history, vread -----------------------------------------------------------------------------------


async def _read(
    request: Request, session: SessionDep, ctx: RequestContext, kind: str, rid: str, vid: str | None = None
) -> FhirResponse:
    settings = _settings(request)
    scope = await referral_service.scope_for(session, ctx)
    resource_id = fs.parse_uuid(rid, what="id") if _is_uuid(rid) else None
    if resource_id is None:
        raise ReferralNotFound(f"no such {kind}")
    render = task if kind == "Task" else service_request
    if vid is None:
        snap = (
            await referral_service.get_task(session, scope=scope, task_id=resource_id)
            if kind == "Task"
            else await referral_service.get_referral(session, scope=scope, referral_id=resource_id)
        )
    else:
        if not vid.isdigit():
            raise ReferralNotFound("no such version")
        snap = (
            await referral_service.history(
                session, scope=scope, resource_type=kind, resource_id=resource_id, version=int(vid)
            )
        )[0]
    res = render(snap, settings)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read" if vid is None else "vread",
        entities=[AuditEntity(type=kind, id=rid)],
        patients=[f"Patient/{snap['patient_id']}"],
    )
    return FhirResponse(res, headers=_headers(res))


async def _history(
    request: Request, session: SessionDep, ctx: RequestContext, kind: str, rid: str
) -> FhirResponse:
    settings = _settings(request)
    scope = await referral_service.scope_for(session, ctx)
    if not _is_uuid(rid):
        raise ReferralNotFound(f"no such {kind}")
    snaps = await referral_service.history(
        session, scope=scope, resource_type=kind, resource_id=uuid.UUID(rid)
    )
    render = task if kind == "Task" else service_request
    base = fs.base_url(request)
    entries = []
    for i, snap in enumerate(snaps):
        res = render(snap, settings)
        method = "POST" if snap["version"] == 1 else "PUT"
        entries.append(
            {
                "fullUrl": f"{base}/{kind}/{rid}",
                "resource": res,
                "request": {"method": method, "url": kind if method == "POST" else f"{kind}/{rid}"},
                "response": {
                    "status": "201" if method == "POST" else "200",
                    "etag": f'W/"{snap["version"]}"',
                    "lastModified": snap["updated_at"],
                },
            }
        )
        del i
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="history",
        entities=[AuditEntity(type=kind, id=rid)],
        patients=[f"Patient/{snaps[0]['patient_id']}"],
    )
    return FhirResponse(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(entries),
            "link": [{"relation": "self", "url": f"{base}/{kind}/{rid}/_history"}],
            "entry": entries,
        }
    )


@router.get("/Task/{task_id}", summary="Read a Task", response_class=FhirResponse)
async def read_task(
    task_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _read(request, session, ctx, "Task", task_id)


@router.get("/Task/{task_id}/_history", summary="Versions of a Task", response_class=FhirResponse)
async def task_history(
    task_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _history(request, session, ctx, "Task", task_id)


@router.get("/Task/{task_id}/_history/{vid}", summary="One version of a Task", response_class=FhirResponse)
async def vread_task(
    task_id: str,
    vid: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Task", "r"))],
) -> FhirResponse:
    return await _read(request, session, ctx, "Task", task_id, vid)


@router.get("/ServiceRequest/{sr_id}", summary="Read a ServiceRequest", response_class=FhirResponse)
async def read_service_request(
    sr_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _read(request, session, ctx, "ServiceRequest", sr_id)


@router.get(
    "/ServiceRequest/{sr_id}/_history", summary="Versions of a ServiceRequest", response_class=FhirResponse
)
async def service_request_history(
    sr_id: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _history(request, session, ctx, "ServiceRequest", sr_id)


@router.get(
    "/ServiceRequest/{sr_id}/_history/{vid}",
    summary="One version of a ServiceRequest",
    response_class=FhirResponse,
)
async def vread_service_request(
    sr_id: str,
    vid: str,
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("ServiceRequest", "r"))],
) -> FhirResponse:
    return await _read(request, session, ctx, "ServiceRequest", sr_id, vid)


# Update ------------------------------------------------------------------------------------------------


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    tag = value.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise PreconditionFailed('If-Match must be a version ETag such as W/"3"')
    return int(tag)


def _ref(value: Any) -> str | None:
    return value.get("reference") if isinstance(value, dict) else None


def change_from(body: dict[str, Any], current: dict[str, Any], task_id: str) -> referral_service.TaskChange:
    """Validate an updated Task and keep what a clinic may change; anything else changed is 422."""
    if body.get("resourceType") != "Task":
        raise Invalid("the body must be a Task")
    if body.get("id") not in (None, task_id):
        raise Invalid("the Task id in the body does not match the URL")
    try:
        TaskModel.model_validate(body)
    except ValidationError as exc:
        raise Invalid(
            f"not a valid Task: {exc.error_count()} problem(s), first at {fs.first_problem(exc)}"
        ) from None
    fixed = {
        "intent": current["intent"],
        "focus": _ref(current["focus"]),
        "for": _ref(current["for"]),
        "owner": _ref(current["owner"]),
        "code": current["code"]["coding"][0]["code"],
    }
    given = {
        "intent": body.get("intent"),
        "focus": _ref(body.get("focus")),
        "for": _ref(body.get("for")),
        "owner": _ref(body.get("owner")),
        "code": ((body.get("code") or {}).get("coding") or [{}])[0].get("code"),
    }
    changed = sorted(k for k in fixed if given[k] is not None and given[k] != fixed[k])
    if changed:
        raise Invalid(f"these Task elements cannot be changed: {', '.join(changed)}")
    code, note = reported_outcome(body)
    return referral_service.TaskChange(
        status=str(body.get("status")),
        business_status=body.get("businessStatus"),
        status_reason=body.get("statusReason"),
        output=body.get("output"),
        outcome=code,
        outcome_note=note,
    )


def reported_outcome(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The contrarreferencia in a Task update: the ``output`` whose valueCodeableConcept is coded in the
    ``resultado-referencia`` system, and the last ``note`` text."""
    code = None
    for out in body.get("output") or []:
        concept = out.get("valueCodeableConcept") if isinstance(out, dict) else None
        for coding in (concept or {}).get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == OUTCOME_SYSTEM and coding.get("code"):
                code = str(coding["code"])
    notes = [n.get("text") for n in body.get("note") or [] if isinstance(n, dict) and n.get("text")]
    return code, (str(notes[-1])[:2000] if notes and code else None)


async def _update(
    request: Request,
    session: SessionDep,
    ctx: RequestContext,
    task_id: str,
    body: dict[str, Any],
    if_match: str | None,
    current: dict[str, Any],
    interaction: str = "update",
) -> FhirResponse:
    settings = _settings(request)
    scope = await referral_service.scope_for(session, ctx)
    change = change_from(body, current, task_id)
    updated = await referral_service.update_task(
        session,
        ctx,
        scope=scope,
        task_id=uuid.UUID(task_id),
        change=change,
        if_match=parse_if_match(if_match),
        interaction=interaction,
    )
    res = task(updated.task, settings)
    return FhirResponse(res, headers=_headers(res))


async def _current(
    request: Request, session: SessionDep, ctx: RequestContext, task_id: str
) -> dict[str, Any]:
    if not _is_uuid(task_id):
        raise ReferralNotFound("no such Task")
    scope = await referral_service.scope_for(session, ctx)
    return task(
        await referral_service.get_task(session, scope=scope, task_id=uuid.UUID(task_id)), _settings(request)
    )


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
    ctx: Annotated[RequestContext, Depends(require("Task", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    body = await _json(request)
    current = await _current(request, session, ctx, task_id)
    return await _update(request, session, ctx, task_id, body, if_match, current)


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
    ctx: Annotated[RequestContext, Depends(require("Task", "u"))],
    if_match: Annotated[str | None, Header()] = None,
) -> FhirResponse:
    ops = await _json(request)
    current = await _current(request, session, ctx, task_id)
    settings = _settings(request)
    limits = PatchLimits(
        max_operations=settings.patch_max_operations,
        max_result_bytes=settings.patch_max_result_bytes,
        max_depth=settings.patch_max_depth,
    )
    # Bounded, but still CPU work proportional to the body: off the event loop.
    if isinstance(ops, list):
        body = await asyncio.to_thread(apply_json_patch, current, ops, limits)
    elif isinstance(ops, dict):  # JSON Merge Patch (RFC 7386), as fhirpy's ``patch`` sends
        body = await asyncio.to_thread(apply_merge_patch, current, ops, limits)
    else:
        raise Invalid("a PATCH body is a JSON Patch array or a JSON Merge Patch object")
    return await _update(request, session, ctx, task_id, body, if_match, current, "patch")


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid("the body is not JSON") from None


_SEARCH_DOC = [
    ("_id", "token", "Logical id"),
    ("status", "token", "Status (comma = or)"),
    ("_lastUpdated", "date", "gt/ge/lt/le/eq; polling contract"),
    ("patient", "reference", "Patient/{id}"),
    ("subject", "reference", "Patient/{id}"),
    ("identifier", "token", "Visit identifier (system|value)"),
    ("_count", "number", f"Page size (max {fs.MAX_COUNT})"),
    ("_total", "token", "accurate|estimate|none"),
    ("_sort", "token", "_lastUpdated (default) or -_lastUpdated"),
    ("_summary", "token", "count: the total alone"),
]
register(
    ResourceCapability(
        type="Task",
        interactions=["read", "vread", "update", "patch", "history-instance", "search-type"],
        search_params=[
            *_SEARCH_DOC,
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
            *_SEARCH_DOC,
            ("performer", "reference", "Organization/{id}, CLUES, or performer:identifier=system|CLUES"),
        ],
        search_include=["ServiceRequest:subject", "ServiceRequest:patient"],
    )
)
