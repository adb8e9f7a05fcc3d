"""``GET /fhir/Condition`` and ``GET /fhir/Observation`` (search and read) over the visits' findings, for
whoever may see the referral they belong to (the same scope as ServiceRequest). Mapping in ``clinical``."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.fhir import clinical, visit_findings
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound
from interop.referral.queries import SearchQuery

router = APIRouter(tags=["fhir"])

_ID = re.compile(r"^(?P<referral>[0-9a-f-]{36})-(?P<kind>[cof])(?P<n>[0-9]{1,3})$")
_DATE_PARAM = {"Condition": "recorded-date", "Observation": "date"}


def parse_day(raw: str, param: str) -> tuple[str, date]:
    """A ``date`` search value: a day (``YYYY-MM-DD``) with an optional prefix, read in the unit's zone."""
    prefix = raw[:2] if raw[:2] in ("eq", "ge", "gt", "le", "lt") else "eq"
    text = raw[2:] if raw[:2] == prefix else raw
    try:
        if len(text) != 10:
            raise ValueError(text)
        return prefix, date.fromisoformat(text)
    except ValueError:
        raise fs.BadSearch.said("search.date_invalid", param=param) from None


def _render(kind: str, snap: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    if kind == "Condition":
        return clinical.conditions(snap, visit_system=settings.system_visit)
    return clinical.observations(snap)


async def _audit(
    session: SessionDep, ctx: RequestContext, subtype: str, kind: str, snaps: list[dict[str, Any]], query: Any
) -> None:
    await audit_service.record(
        session,
        ctx,
        action="E" if subtype == "search-type" else "R",
        subtype=subtype,
        entities=[AuditEntity(type="ServiceRequest", id=s["id"]) for s in snaps],
        patients=sorted({f"Patient/{s['patient_id']}" for s in snaps}),
        **({"query": query} if query is not None else {}),
    )


async def _search(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: RequestContext, kind: str
) -> FhirResponse:
    date_param = _DATE_PARAM[kind]
    params = fs.params_of(request, ("patient", "subject", "identifier", date_param), settings)
    if "identifier" in params:
        return await _search_by_visit(request, session, settings, ctx, kind, params)
    q = SearchQuery(
        count=fs.parse_count(params.get("_count")),
        cursor=fs.parse_cursor(params.get("_cursor")),
        total=fs.wants_total(params.get("_total")),
    )
    patients = fs.split_or(params.get("patient", []) + params.get("subject", []))
    if patients:
        q.patient_ids = [fs.parse_uuid(fs.parse_reference(v, "Patient"), what="patient") for v in patients]
    q.visit_days = [parse_day(raw, date_param) for raw in params.get(date_param, [])]
    scope = await referral_service.scope_for(session, ctx)
    page = await referral_service.search_referrals(session, scope=scope, query=q)
    await _audit(session, ctx, "search-type", kind, page.rows, fs.redacted_query(request))
    matches = [res for snap in page.rows for res in _render(kind, snap, settings)]
    if q.patient_ids and not q.visit_days and page.next_cursor is None:
        # Visits that asked for no referral keep their findings too (issue 16): the subject's, after the
        # referrals' own.
        found = await referral_service.visit_findings(
            session, scope=scope, patient_ids=q.patient_ids, unreferred_only=True
        )
        matches += visit_findings.render(kind, found, settings)
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
            resource_type=kind,
            matches=matches,
            total=None,
            next_cursor=page.next_cursor,
        )
    )


async def _search_by_visit(
    request: Request,
    session: SessionDep,
    settings: Settings,
    ctx: RequestContext,
    kind: str,
    params: dict[str, list[str]],
) -> FhirResponse:
    """By visit identifier: every finding of those visits, whether or not they referred."""
    visit_ids = []
    for raw in fs.split_or(params["identifier"]):
        system, value = fs.parse_token(raw)
        if system not in (None, settings.system_visit):
            raise fs.BadSearch.said("fhir.search.identifier_visit_only")
        visit_ids.append(value)
    scope = await referral_service.scope_for(session, ctx)
    found = await referral_service.visit_findings(session, scope=scope, visit_ids=visit_ids)
    matches: list[dict[str, Any]] = []
    if kind == "Condition":  # a referred visit's Conditions are its referral's, which name the visit
        matches, found = await _referral_conditions(session, scope, found, set(visit_ids), settings)
    matches += visit_findings.render(kind, found, settings)
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type=kind, id=r["id"]) for r in matches],
        patients=sorted({r["subject"]["reference"] for r in matches}),
        query=fs.redacted_query(request),
    )
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
            resource_type=kind,
            matches=matches,
            total=len(matches),
            next_cursor=None,
        )
    )


async def _referral_conditions(
    session: SessionDep,
    scope: referral_service.Scope,
    found: list[referral_service.VisitFindings],
    visit_ids: set[str],
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[referral_service.VisitFindings]]:
    """The Conditions of the referrals of the visits found that carry one of ``visit_ids``, and the visits
    left to render from their own findings (no referral, or one outside the caller's scope)."""
    matches: list[dict[str, Any]] = []
    rest = [f for f in found if f.referral_id is None]
    for referral_id in dict.fromkeys(f.referral_id for f in found if f.referral_id is not None):
        try:
            snap = await referral_service.get_referral(session, scope=scope, referral_id=referral_id)
        except ReferralNotFound:  # another client's referral a visit of this caller added to
            rest += [f for f in found if f.referral_id == referral_id]
            continue
        matches += [
            c
            for c in _render("Condition", snap, settings)
            if visit_ids & {i["value"] for i in c["identifier"]}
        ]
    return matches, rest


async def _read(
    session: SessionDep, ctx: RequestContext, kind: str, rid: str, settings: Settings
) -> FhirResponse:
    m = _ID.match(rid)
    if m is None or (kind == "Condition") != (m["kind"] == "c") or not fs.is_uuid(m["referral"]):
        raise ReferralNotFound.said("referral.not_found", kind=kind)
    scope = await referral_service.scope_for(session, ctx)
    snap = await referral_service.get_referral(session, scope=scope, referral_id=uuid.UUID(m["referral"]))
    found = next((r for r in _render(kind, snap, settings) if r["id"] == rid), None)
    if found is None:
        raise ReferralNotFound.said("referral.not_found", kind=kind)
    await _audit(session, ctx, "read", kind, [snap], None)
    return FhirResponse(found)


@router.get("/Condition", summary="Search the visits' Conditions", response_class=FhirResponse)
async def search_condition(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Condition", "s"))],
) -> FhirResponse:
    return await _search(request, session, settings, ctx, "Condition")


@router.get("/Condition/{condition_id}", summary="Read a visit's Condition", response_class=FhirResponse)
async def read_condition(
    condition_id: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Condition", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, "Condition", condition_id, settings)


@router.get("/Observation", summary="Search the visits' Observations", response_class=FhirResponse)
async def search_observation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Observation", "s"))],
) -> FhirResponse:
    return await _search(request, session, settings, ctx, "Observation")


@router.get(
    "/Observation/{observation_id}", summary="Read a visit's Observation", response_class=FhirResponse
)
async def read_observation(
    observation_id: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Observation", "r"))],
) -> FhirResponse:
    return await _read(session, ctx, "Observation", observation_id, settings)


_COMMON = [
    ("patient", "reference", "Patient/{id}"),
    ("subject", "reference", "Patient/{id}"),
    ("_count", "number", f"Page size in referrals (max {fs.MAX_COUNT})"),
]
register(
    ResourceCapability(
        type="Condition",
        interactions=["read", "search-type"],
        search_params=[
            *_COMMON,
            ("identifier", "token", "Visit identifier (system|value)"),
            ("recorded-date", "date", "Visit day (YYYY-MM-DD, eq/ge/gt/le/lt) in the zone of the unit"),
        ],
        versioning="no-version",
    )
)
register(
    ResourceCapability(
        type="Observation",
        interactions=["read", "search-type"],
        search_params=[
            *_COMMON,
            ("identifier", "token", "Visit identifier (system|value)"),
            ("date", "date", "Visit day (YYYY-MM-DD, eq/ge/gt/le/lt) in the zone of the unit"),
        ],
        versioning="no-version",
    )
)
