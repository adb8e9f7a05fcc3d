"""``/fhir/AuditEvent``: read and search the audit trail as FHIR R4 AuditEvents shaped per IHE BALP.

Mapping (BALP Read / Query / Create / Update / Delete, and their Patient variants):
  type rest (or a DICOM event id for login, import, export, audit-log use), subtype the interaction,
  action C/R/U/D/E, outcome 0/4/8/12; agents: the client application (DICOM Source Role ID, or Destination
  Role ID when it reads), this server (the other of the two), and the acting user when the client names one
  (``IRCP``, requestor); source: this server (application server); entities: the X-Request-Id
  (``XrequestId``), the W3C trace id (``Traceparent``), the resources touched, the query (base64 and
  plain), and the patient. Extensions carry the record's seq (and the legacy chain's hash).

A stored record concerns any number of patients; it is answered as one event per patient (BALP), ids
``seq`` for the first and ``seq-k`` for the k-th after it.

Search parameters: ``date`` (gt, ge, lt, le, eq; year, month, day, minute, second or instant precision),
``agent`` (client id or acting user), ``entity`` (``Type/id`` or ``id``; also matches the patient),
``patient``, ``action``, ``type``, ``subtype``, ``outcome``, and the custom ``trace-id`` (32 hex digits).
Comma is OR; a repeated parameter is AND. ``_count`` (default 50, max 500), ``_sort`` (``date`` or
``-date``) and keyset paging through ``_cursor`` in the ``next`` link. Unknown parameters are a 400.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from interop.api.deps import SessionDep
from interop.audit import service as audit_service
from interop.audit.schemas import ENTITY_ROLES, REST_SUBTYPES, AuditEntity, AuditEventRead, AuditSearch
from interop.auth.dependencies import require
from interop.context import RequestContext
from interop.errors import DomainError, NotFound
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse
from interop.fhir.search import redacted_query

router = APIRouter(tags=["fhir"])

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST_INTERACTION = "http://hl7.org/fhir/restful-interaction"
INTEROP_SUBTYPE = "https://www.gob.mx/bienestar/interop/CodeSystem/audit-subtype"
INTEROP_ROLE = "https://www.gob.mx/bienestar/interop/CodeSystem/client-role"
INTEROP_RESOURCE = "https://www.gob.mx/bienestar/interop/id"
CHAIN_EXTENSION = "https://www.gob.mx/bienestar/interop/StructureDefinition/audit-chain"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
BALP_ENTITY = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
BALP_PROFILE = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
OUTCOMES = {"0": "Success", "4": "Minor failure", "8": "Serious failure", "12": "Major failure"}
DICOM_EVENTS = {
    "110100": "Application Activity",
    "110101": "Audit Log Used",
    "110106": "Export",
    "110107": "Import",
    "110114": "User Authentication",
}
FHIR_TYPES = frozenset(
    {
        "Patient",
        "ServiceRequest",
        "Task",
        "Organization",
        "Condition",
        "Observation",
        "Bundle",
        "Subscription",
        "AuditEvent",
        "Person",
        "Practitioner",
        "Device",
        "Location",
        "Encounter",
    }
)
_PROFILES = {"R": "Read", "E": "Query", "C": "Create", "U": "Update", "D": "Delete"}

DEFAULT_COUNT, MAX_COUNT = 50, 500
PARAMS = ("date", "agent", "entity", "patient", "action", "type", "subtype", "outcome", "trace-id")
CONTROL = ("_count", "_sort", "_cursor")
_DATE = re.compile(
    r"^(?P<prefix>eq|gt|ge|lt|le)?(?P<value>\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?)$"
)
_TRACE = re.compile(r"^[0-9a-f]{32}$")


class BadSearch(DomainError):
    status_code = 400
    code = "invalid-search"
    fhir_issue = "invalid"


def base_url(request: Request) -> str:
    root = request.app.state.settings.base_url or str(request.base_url).rstrip("/")
    return f"{root.rstrip('/')}/fhir"


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _what(type_: str, id_: str) -> dict[str, Any]:
    if type_ in FHIR_TYPES:
        return {"reference": f"{type_}/{id_}"}
    return {
        "identifier": {"system": f"{INTEROP_RESOURCE}/{type_}", "value": id_},
        "display": f"{type_}/{id_}",
    }


def to_fhir(event: AuditEventRead, *, base: str) -> dict[str, Any]:
    """One stored event as a FHIR R4 AuditEvent (BALP shape). Pure."""
    reads = event.action == "R"
    client_code, server_code = ("110152", "110153") if reads else ("110153", "110152")
    role_names = {"110152": "Destination Role ID", "110153": "Source Role ID"}
    client: dict[str, Any] = {
        "type": {"coding": [_coding(DCM, client_code, role_names[client_code])]},
        "role": [{"coding": [_coding(INTEROP_ROLE, event.role)]}],
        "who": {
            "identifier": {"system": f"{INTEROP_RESOURCE}/client", "value": event.client_id},
            "display": event.client_id,
        },
        "requestor": event.user_id is None,
    }
    if event.network_address:
        client["network"] = {"address": event.network_address, "type": "2"}
    agents = [
        client,
        {
            "type": {"coding": [_coding(DCM, server_code, role_names[server_code])]},
            "who": {"identifier": {"value": "interop"}, "display": "interop"},
            "requestor": False,
            "network": {"address": base, "type": "5"},
        },
    ]
    if event.user_id:
        agents.append(
            {
                "type": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "IRCP",
                            "information recipient",
                        )
                    ]
                },
                # Asserted by the client (X-Acting-User), not authenticated here: the id is in the
                # client's own namespace, and the client is its assigner.
                "who": {
                    "identifier": {
                        "system": f"{INTEROP_RESOURCE}/client/{event.client_id}/user",
                        "value": event.user_id,
                        "assigner": {
                            "identifier": {"system": f"{INTEROP_RESOURCE}/client", "value": event.client_id},
                            "display": f"afirmado por el cliente {event.client_id}",
                        },
                    }
                },
                "requestor": True,
            }
        )
    entities: list[dict[str, Any]] = [
        {"what": {"identifier": {"value": event.request_id}}, "type": _coding(BALP_ENTITY, "XrequestId")},
        {
            "what": {
                "identifier": {"system": "https://www.w3.org/TR/trace-context/", "value": event.trace_id}
            },
            "type": _coding(BALP_ENTITY, "Traceparent"),
            "description": "W3C trace id",
        },
    ]
    for item in event.entities:
        entities.append(
            {
                "what": _what(item["type"], item["id"]),
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, ENTITY_ROLES.get(item["role"], "4")),
            }
        )
    if event.query is not None:
        entities.append(
            {
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, "24", "Query"),
                "query": base64.b64encode(event.query.encode()).decode(),
                "description": event.query,
            }
        )
    if event.patient:
        entities.append(
            {
                "what": {"reference": event.patient},
                "type": _coding(ENTITY_TYPE, "1", "Person"),
                "role": _coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": event.id,
        "extension": [
            {
                "url": CHAIN_EXTENSION,
                "extension": [
                    {"url": "seq", "valueInteger": event.seq},
                    # The legacy chain's hash; later records are proven by the tree (/v1/audit/proofs).
                    *([{"url": "hash", "valueString": event.hash}] if event.hash else []),
                ],
            }
        ],
        "type": _coding(EVENT_TYPE, "rest", "Restful Operation")
        if event.type == "rest"
        else _coding(DCM, event.type, DICOM_EVENTS.get(event.type)),
        "subtype": [
            _coding(REST_INTERACTION if event.subtype in REST_SUBTYPES else INTEROP_SUBTYPE, event.subtype)
        ],
        "action": event.action,
        "recorded": event.recorded_at.astimezone(UTC).isoformat(),
        "outcome": event.outcome,
        "agent": agents,
        "source": {
            "site": "interop",
            "observer": {"display": "interop"},
            "type": [
                _coding(
                    "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"
                )
            ],
        },
        "entity": entities,
    }
    if event.outcome_desc:
        resource["outcomeDesc"] = event.outcome_desc
    if event.type == "rest" and event.outcome == "0" and event.action in _PROFILES:
        name = _PROFILES[event.action]
        resource["meta"] = {"profile": [f"{BALP_PROFILE}{'Patient' if event.patient else ''}{name}"]}
    return resource


def _date_range(raw: str) -> tuple[datetime | None, datetime | None]:
    """One ``date`` value → (since, before) bounds on ``recorded``."""
    m = _DATE.match(raw)
    if m is None:
        raise BadSearch("date must be [gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]")
    prefix, value = m["prefix"] or "eq", m["value"]
    try:
        start, end = _bounds(value)
    except (ValueError, OverflowError):
        raise BadSearch(
            "date no es una fecha del calendario (date is not a calendar date): "
            "[gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]"
        ) from None
    return {
        "eq": (start, end),
        "ge": (start, None),
        "gt": (end, None),
        "lt": (None, start),
        "le": (None, end),
    }[prefix]


_LAST = datetime.max.replace(tzinfo=UTC)


def _bounds(value: str) -> tuple[datetime, datetime]:
    """The instants a ``date`` value covers, [start, end), in UTC. Raises ValueError for a date the calendar
    does not have; a range that runs past 9999-12-31 ends at the last instant a datetime holds."""
    if len(value) == 4:
        start = datetime(int(value), 1, 1, tzinfo=UTC)

        def following(s: datetime) -> datetime:
            return s.replace(year=s.year + 1)
    elif len(value) == 7:
        start = datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=UTC)

        def following(s: datetime) -> datetime:
            return (s + timedelta(days=32)).replace(day=1)
    elif len(value) == 10:
        start = datetime.fromisoformat(value).replace(tzinfo=UTC)

        def following(s: datetime) -> datetime:
            return s + timedelta(days=1)
    else:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        start = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        time_part = value.split("T", 1)[1]
        step = (
            timedelta(microseconds=1)
            if "." in time_part
            else timedelta(seconds=1)
            if time_part.count(":") >= 2
            else timedelta(minutes=1)
        )

        def following(s: datetime) -> datetime:
            return s + step

    try:
        end = following(start)
    except (ValueError, OverflowError):
        end = _LAST
    return start, end


def _tokens(values: list[str]) -> list[str]:
    """Comma is OR; a ``system|code`` token keeps the code."""
    return [v.strip().rpartition("|")[2] for value in values for v in value.split(",") if v.strip()]


def _entity_ref(value: str) -> tuple[str | None, str]:
    type_, _, id_ = value.rstrip("/").rpartition("/")
    return (type_.rsplit("/", 1)[-1] or None), id_


def criteria_from(params: dict[str, list[str]]) -> AuditSearch:
    criteria = AuditSearch()
    for raw in params.get("date", []):
        since, before = _date_range(raw)
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
        raise BadSearch("trace-id must be 32 lowercase hex digits")
    return criteria


def _params(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in PARAMS and name not in CONTROL:
            raise BadSearch(f"unknown or unsupported search parameter: {name}")
        out.setdefault(name, []).append(value)
    return out


def _int(values: list[str] | None, *, name: str) -> int | None:
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        raise BadSearch(f"{name} must be a number") from None


_EVENT_ID = re.compile(r"^(?P<seq>[0-9]{1,18})(?:-(?P<part>[1-9][0-9]{0,5}))?$")


def _cursor_of(event: AuditEventRead) -> str:
    return f"{event.seq}-{event.part}"


def _cursor(values: list[str] | None) -> tuple[int | None, int | None]:
    """``_cursor``: the last event given, ``seq-part`` (a bare ``seq``: after all of that record)."""
    if not values:
        return None, None
    seq, _, part = values[-1].partition("-")
    if not seq.isdigit() or len(seq) > 18 or (part and (not part.isdigit() or len(part) > 6)):
        raise BadSearch("_cursor must be the one in a next link")
    return int(seq), int(part) if part else None


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
    ctx: Annotated[RequestContext, Depends(require("AuditEvent", "s"))],
) -> FhirResponse:
    params = _params(request)
    criteria = criteria_from(params)
    count = max(1, min(_int(params.get("_count"), name="_count") or DEFAULT_COUNT, MAX_COUNT))
    sort = (params.get("_sort") or ["date"])[-1]
    if sort not in ("date", "-date"):
        raise BadSearch("_sort must be date or -date")
    cursor_seq, cursor_part = _cursor(params.get("_cursor"))
    events, more = await audit_service.search_events(
        session,
        criteria=criteria,
        count=count,
        after_seq=cursor_seq,
        after_part=cursor_part,
        descending=sort == "-date",
    )
    base = base_url(request)
    # Audit of the audit: BALP PatientQuery, one event per patient whose access the page reveals.
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        query=redacted_query(request, secret=()),
        patients=[e.patient for e in events if e.patient],
    )
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
    links = [
        {"relation": "self", "url": f"{base}/AuditEvent?{urlencode(request.query_params.multi_items())}"}
    ]
    if more and events:
        links.append(
            {
                "relation": "next",
                "url": f"{base}/AuditEvent?{urlencode([*query, ('_cursor', _cursor_of(events[-1]))])}",
            }
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": datetime.now(UTC).isoformat(),
        "link": links,
    }
    if events:
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/AuditEvent/{e.id}",
                "resource": to_fhir(e, base=base),
                "search": {"mode": "match"},
            }
            for e in events
        ]
    return FhirResponse(bundle)


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
    ctx: Annotated[RequestContext, Depends(require("AuditEvent", "r"))],
) -> FhirResponse:
    match = _EVENT_ID.match(id)
    event = (
        await audit_service.get_event(session, seq=int(match["seq"]), part=int(match["part"] or 0))
        if match
        else None
    )
    if event is None:
        raise NotFound("AuditEvent not found")
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[AuditEntity(type="AuditEvent", id=id)],
        patients=[event.patient] if event.patient else [],
    )
    return FhirResponse(to_fhir(event, base=base_url(request)))


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
