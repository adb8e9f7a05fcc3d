"""``/fhir/AuditEvent``: read and search the audit trail as FHIR R4 AuditEvents shaped per IHE BALP (the
mapping is ``auditevent_resource``; parameters, paging and the searchset are ``fhir.search``'s).

Search parameters: ``date`` (gt, ge, lt, le, eq; year, month, day, minute, second or instant precision),
``agent`` (client id or acting user), ``entity`` (``Type/id`` or ``id``; also matches the patient),
``patient``, ``action``, ``type``, ``subtype``, ``outcome``, and the custom ``trace-id`` (32 hex digits).
Comma is OR; a repeated parameter is AND. ``_count`` (default 50, max 500), ``_sort`` (``date`` or
``-date``) and keyset paging through ``_cursor`` in the ``next`` link. Unknown parameters are a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity, AuditEventRead, AuditSearch
from interop.context import RequestContext
from interop.errors import NotFound
from interop.fhir import search as fs
from interop.fhir.auditevent_resource import to_fhir
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse

router = APIRouter(tags=["fhir"])

PARAMS = ("date", "agent", "entity", "patient", "action", "type", "subtype", "outcome", "trace-id")
CONTROL = ("_count", "_sort", "_cursor")
_TRACE = re.compile(r"^[0-9a-f]{32}$")


def _tokens(values: list[str]) -> list[str]:
    """Comma is OR; a ``system|code`` token keeps the code."""
    return [v.strip().rpartition("|")[2] for value in values for v in value.split(",") if v.strip()]


def _entity_ref(value: str) -> tuple[str | None, str]:
    type_, _, id_ = value.rstrip("/").rpartition("/")
    return (type_.rsplit("/", 1)[-1] or None), id_


def criteria_from(params: dict[str, list[str]]) -> AuditSearch:
    criteria = AuditSearch()
    for raw in params.get("date", []):
        since, before = fs.parse_date(raw)
        if since and (criteria.since is None or since > criteria.since):
            criteria.since = since
        if before and (criteria.before is None or before < criteria.before):
            criteria.before = before
    # A repeat with no value (``entity=,``) filters nothing: it adds no group.
    criteria.agent_groups = [
        group for v in params.get("agent", []) if (group := [a.rpartition("/")[2] for a in _tokens([v])])
    ]
    criteria.entity_groups = [
        refs for v in params.get("entity", []) if (refs := [_entity_ref(e) for e in _tokens([v])])
    ]
    token_fields = {
        "patient": "patients",
        "action": "actions",
        "type": "types",
        "subtype": "subtypes",
        "outcome": "outcomes",
        "trace-id": "trace_ids",
    }
    for name, attr in token_fields.items():
        for value in params.get(name, []):
            found = [t.rpartition("/")[2] if name == "patient" else t for t in _tokens([value])]
            current: list[str] | None = getattr(criteria, attr)
            setattr(criteria, attr, found if current is None else [x for x in current if x in found])
    if any(not _TRACE.match(t) for t in criteria.trace_ids or []):
        raise fs.BadSearch.said("fhir.auditevent.trace_id_invalid")
    return criteria


@dataclass(frozen=True, slots=True)
class PageRequest:
    criteria: AuditSearch
    count: int
    after_seq: int | None
    after_part: int | None
    descending: bool


def _cursor(values: list[str] | None) -> tuple[int | None, int | None]:
    """``_cursor``: the last event given, ``seq-part`` (a bare ``seq``: after all of that record)."""
    if not values:
        return None, None
    match = _CURSOR.match(values[-1])
    if match is None:
        raise fs.BadSearch.said("fhir.search.cursor_invalid")
    return int(match["seq"]), int(match["part"]) if match["part"] is not None else None


_CURSOR = re.compile(r"^(?P<seq>[0-9]{1,18})(?:-(?P<part>[0-9]{1,6}))?$")


def _cursor_of(event: AuditEventRead) -> str:
    return f"{event.seq}-{event.part}"


# An AuditEvent id: a stored record's seq, then ``-k`` for the k-th of its other patients (BALP: one event
# per patient).
_EVENT_ID = re.compile(r"^(?P<seq>[0-9]{1,18})(?:-(?P<part>[1-9][0-9]{0,5}))?$")


def page_request(params: dict[str, list[str]]) -> PageRequest:
    """What one AuditEvent search asks for: the criteria, the page size, where the page starts, the order."""
    sort = (params.get("_sort") or ["date"])[-1]
    if sort not in ("date", "-date"):
        raise fs.BadSearch.said("fhir.auditevent.sort_invalid")
    after_seq, after_part = _cursor(params.get("_cursor"))
    return PageRequest(
        criteria=criteria_from(params),
        count=fs.parse_count(params.get("_count")),
        after_seq=after_seq,
        after_part=after_part,
        descending=sort == "-date",
    )


@router.get(
    "/AuditEvent",
    summary="Search AuditEvents",
    response_class=FhirResponse,
    responses={
        400: {"description": "Bad search"},
        401: {"description": "No token"},
        403: {"description": "No scope"},
    },
)
async def search_audit_events(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("AuditEvent", "s"))],
) -> FhirResponse:
    asked = page_request(fs.params_of(request, PARAMS, settings, control=CONTROL))
    events, more = await audit_service.search_events(
        session,
        criteria=asked.criteria,
        count=asked.count,
        after_seq=asked.after_seq,
        after_part=asked.after_part,
        descending=asked.descending,
    )
    # Audit of the audit: BALP PatientQuery, one event per patient whose access the page reveals.
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        query=fs.redacted_query(request, secret=()),
        patients=[e.patient for e in events if e.patient],
    )
    base = fs.base_url(request, settings)
    return FhirResponse(
        fs.searchset(
            request,
            base=base,
            resource_type="AuditEvent",
            matches=[to_fhir(e, base=base) for e in events],
            total=None,
            next_cursor=_cursor_of(events[-1]) if more and events else None,
        )
    )


@router.get(
    "/AuditEvent/{id}",
    summary="Read an AuditEvent",
    response_class=FhirResponse,
    responses={
        404: {"description": "Not found"},
        401: {"description": "No token"},
        403: {"description": "No scope"},
    },
)
async def read_audit_event(
    id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("AuditEvent", "r"))],
) -> FhirResponse:
    match = _EVENT_ID.match(id)
    event = (
        await audit_service.get_event(session, seq=int(match["seq"]), part=int(match["part"] or 0))
        if match
        else None
    )
    if event is None:
        raise NotFound.said("fhir.auditevent.not_found")
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[AuditEntity(type="AuditEvent", id=id)],
        patients=[event.patient] if event.patient else [],
    )
    return FhirResponse(to_fhir(event, base=fs.base_url(request, settings)))


register(
    ResourceCapability(
        type="AuditEvent",
        interactions=["read", "search-type"],
        versioning="no-version",
        profile="http://hl7.org/fhir/StructureDefinition/AuditEvent",
        search_params=[
            ("date", "date", "When recorded; prefixes gt, ge, lt, le, eq; repeat for a range."),
            ("agent", "reference", "Client id or acting user (identifier value; Type/ prefix ignored)."),
            ("entity", "reference", "A resource touched: Type/id or id (also matches the patient)."),
            ("patient", "reference", "Patient/id or id."),
            ("action", "token", "C, R, U, D or E."),
            ("type", "token", "rest, or a DICOM event id (110100, 110101, 110106, 110107, 110114)."),
            (
                "subtype",
                "token",
                "FHIR restful interaction, or interop's: import, match-run, decision, login, "
                "export, verify, checkpoint.",
            ),
            ("outcome", "token", "0, 4, 8 or 12."),
            ("trace-id", "token", "Custom: the W3C trace id (32 hex digits) that ties one case together."),
            ("_count", "number", "Page size, default 50, at most 500."),
            ("_sort", "special", "date (chain order, default) or -date."),
        ],
    )
)
