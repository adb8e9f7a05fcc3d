"""/fhir/AuditEvent: BALP-shaped resources valid as FHIR R4, every search parameter, keyset paging."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity, AuditEventRead
from interop.fhir.auditevent_resource import to_fhir

from .factories import make_ctx

Headers = Callable[..., dict[str, str]]
TRACE = "0af7651916cd43dd8448eb211c80319c"


async def _record(sessionmaker: async_sessionmaker[AsyncSession], **kwargs: Any) -> None:
    ctx_args = kwargs.pop("ctx", {})
    async with sessionmaker() as session:
        await audit_service.record(session, make_ctx(**ctx_args), **kwargs)
        await session.commit()


async def _population(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await _record(
        sessionmaker,
        ctx={"client_id": "bienestar-app", "role": "bienestar", "trace_id": TRACE},
        action="C",
        subtype="create",
        entities=[AuditEntity(type="ServiceRequest", id="sr-1")],
        patients=["pat-1"],
    )
    await _record(
        sessionmaker,
        ctx={"client_id": "clinic-a", "user": "dr-ruiz"},
        action="R",
        subtype="read",
        entities=[AuditEntity(type="Task", id="task-1")],
        patients=["pat-1"],
    )
    await _record(
        sessionmaker,
        ctx={"client_id": "clinic-a"},
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type="Task", id="task-2")],
        patients=["pat-2", "pat-3"],
        query="status=requested&owner:identifier=***",
    )
    await _record(
        sessionmaker,
        ctx={"client_id": "clinic-b"},
        action="U",
        subtype="update",
        entities=[AuditEntity(type="Task", id="task-2")],
        patients=["pat-2"],
        outcome="4",
    )
    await _record(
        sessionmaker,
        ctx={"client_id": "bienestar-app", "role": "bienestar"},
        action="C",
        subtype="import",
        entities=[AuditEntity(type="Import", id="12", role="job")],
    )


async def _events(sessionmaker: async_sessionmaker[AsyncSession]) -> list[AuditEventRead]:
    async with sessionmaker() as session:
        rows = (await session.execute(text("SELECT * FROM audit_record ORDER BY seq"))).all()
    return [e for r in rows for e in AuditEventRead.expand(r)]


# The population is five stored records; the third concerns two patients, so it answers as two BALP
# events ("3" and "3-1"). The expectations below number the six events 1 to 6 in log order.
_ID = {"1": "1", "2": "2", "3": "3", "4": "3-1", "5": "4", "6": "5"}


def ids(*numbers: str) -> list[str]:
    return [_ID[n] for n in numbers]


async def test_every_mapped_event_is_a_valid_r4_audit_event_in_balp_shape(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _population(sessionmaker)
    await audit_service.record_denied(
        sessionmaker,
        request_id="r-denied",
        trace_id=TRACE,
        network_address=None,
        status=401,
        method="GET",
        route="/fhir/Task",
    )
    events = await _events(sessionmaker)
    resources = [to_fhir(e, base="http://testserver/fhir") for e in events]
    for resource in resources:
        AuditEvent.model_validate(resource)
    read = resources[1]
    assert read["meta"]["profile"] == [
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"
    ]
    assert read["type"]["code"] == "rest"
    assert read["subtype"] == [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}]
    agents = {a["type"]["coding"][0]["code"]: a for a in read["agent"]}
    assert agents["110152"]["who"]["identifier"]["value"] == "clinic-a"  # the reading client receives data
    assert agents["110152"]["network"] == {"address": "10.0.0.7", "type": "2"}
    assert agents["110153"]["who"]["display"] == "interop"
    assert agents["IRCP"]["who"]["identifier"]["value"] == "dr-ruiz"
    assert agents["IRCP"]["requestor"] is True
    entities = {e["type"]["code"]: e for e in read["entity"]}
    assert entities["XrequestId"]["what"]["identifier"]["value"] == events[1].request_id
    assert entities["Traceparent"]["what"]["identifier"]["value"] == events[1].trace_id
    assert entities["1"]["what"] == {"reference": "Patient/pat-1"}
    assert entities["1"]["role"]["code"] == "1"
    assert entities["2"]["what"] == {"reference": "Task/task-1"}
    query = next(e for e in resources[2]["entity"] if e.get("role", {}).get("code") == "24")
    assert base64.b64decode(query["query"]).decode() == "status=requested&owner:identifier=***"
    assert resources[2]["meta"]["profile"][0].endswith("PatientQuery")
    create_agents = {a["type"]["coding"][0]["code"]: a for a in resources[0]["agent"]}
    assert (
        create_agents["110153"]["who"]["identifier"]["value"] == "bienestar-app"
    )  # the writer is the source
    imported = resources[5]
    assert imported["type"] == {
        "system": "http://dicom.nema.org/resources/ontology/DCM",
        "code": "110107",
        "display": "Import",
    }
    assert imported["entity"][2]["what"]["identifier"]["value"] == "12"
    denied = resources[6]
    assert denied["outcome"] == "4"
    assert denied["outcomeDesc"] == "401 GET /fhir/Task"
    assert "meta" not in denied


async def test_read_by_id(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _population(sessionmaker)
    response = await client.get("/fhir/AuditEvent/2", headers=auth_headers("auditor"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    resource = AuditEvent.model_validate(response.json())
    assert resource.id == "2"
    assert resource.action == "R"
    second = (await client.get("/fhir/AuditEvent/3-1", headers=auth_headers("auditor"))).json()
    assert second["id"] == "3-1"
    assert {"reference": "Patient/pat-3"} in [e.get("what") for e in second["entity"]]
    assert (await client.get("/fhir/AuditEvent/3-2", headers=auth_headers("auditor"))).status_code == 404
    missing = await client.get("/fhir/AuditEvent/999", headers=auth_headers("auditor"))
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"
    assert (await client.get("/fhir/AuditEvent/abc", headers=auth_headers("auditor"))).status_code == 404
    assert (await client.get("/fhir/AuditEvent/2", headers=auth_headers("bienestar"))).status_code == 403


async def _search(
    client: httpx.AsyncClient, headers: dict[str, str], params: list[tuple[str, str]]
) -> list[str]:
    response = await client.get("/fhir/AuditEvent", params=params, headers=headers)
    assert response.status_code == 200, response.text
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    return [entry.resource.id for entry in bundle.entry or []]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("agent", "clinic-a")], ids("2", "3", "4")),
        ([("agent", "dr-ruiz")], ids("2")),
        ([("agent", "Device/clinic-b,dr-ruiz")], ids("2", "5")),
        ([("entity", "Task/task-2")], ids("3", "4", "5")),
        ([("entity", "task-1")], ids("2")),
        ([("entity", "Patient/pat-1")], ids("1", "2")),
        ([("entity", "Task/task-2"), ("entity", "Patient/pat-2")], ids("3", "5")),
        ([("patient", "Patient/pat-2")], ids("3", "5")),
        ([("patient", "pat-3")], ids("4")),
        ([("action", "C")], ids("1", "6")),
        ([("action", "R,U")], ids("2", "5")),
        ([("type", "http://dicom.nema.org/resources/ontology/DCM|110107")], ids("6")),
        (
            [("subtype", "http://hl7.org/fhir/restful-interaction|search-type"), ("agent", "clinic-a")],
            ids("3", "4"),
        ),
        ([("outcome", "4")], ids("5")),
        ([("trace-id", TRACE)], ids("1")),
        ([("agent", "clinic-a"), ("action", "E"), ("patient", "pat-3")], ids("4")),
    ],
)
async def test_search_parameters(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    params: list[tuple[str, str]],
    expected: list[str],
) -> None:
    await _population(sessionmaker)
    assert await _search(client, auth_headers("auditor"), params) == expected


async def test_date_ranges(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _population(sessionmaker)
    events = await _events(sessionmaker)
    headers = auth_headers("auditor")
    mine = [("agent", "clinic-a,clinic-b,bienestar-app")]
    third = events[2].recorded_at.astimezone(UTC)
    instant = third.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert await _search(client, headers, [*mine, ("date", f"ge{instant}")]) == ids("3", "4", "5", "6")
    assert await _search(client, headers, [*mine, ("date", f"gt{instant}")]) == ids("5", "6")
    assert await _search(client, headers, [*mine, ("date", f"lt{instant}")]) == ids("1", "2")
    assert await _search(client, headers, [*mine, ("date", f"le{instant}")]) == ids("1", "2", "3", "4")
    assert await _search(client, headers, [*mine, ("date", f"eq{instant}")]) == ids("3", "4")
    # Days are Mexican days (America/Mexico_City): an audit search concerns no unit (issue 17).
    today = third.astimezone(ZoneInfo("America/Mexico_City")).date()
    assert await _search(client, headers, [*mine, ("date", today.isoformat())]) == ids(
        "1", "2", "3", "4", "5", "6"
    )
    assert await _search(client, headers, [*mine, ("date", f"lt{today.year}")]) == []
    assert await _search(
        client,
        headers,
        [
            *mine,
            ("date", f"ge{today.strftime('%Y-%m')}"),
            ("date", f"lt{(today + timedelta(days=1)).isoformat()}"),
        ],
    ) == ids("1", "2", "3", "4", "5", "6")
    assert await _search(client, headers, [*mine, ("date", f"gt{today.isoformat()}")]) == []


async def test_keyset_paging_follows_next_links_to_the_end(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _population(sessionmaker)
    headers = auth_headers("auditor")
    # Page sizes 1 and 3 end a page between the two events of one stored record.
    for count, sort, expected in [
        (2, "date", ids("1", "2", "3", "4", "5", "6")),
        (3, "date", ids("1", "2", "3", "4", "5", "6")),
        (1, "-date", ids("6", "5", "4", "3", "2", "1")),
    ]:
        seen: list[str] = []
        url: str | None = (
            f"/fhir/AuditEvent?agent=clinic-a,clinic-b,bienestar-app&_count={count}&_sort={sort}"
        )
        pages = 0
        while url:
            response = await client.get(url, headers=headers)
            bundle = response.json()
            seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
            pages += 1
        assert seen == expected
        assert pages == -(-6 // count)
    backwards = await _search(client, headers, [("agent", "clinic-a,clinic-b"), ("_sort", "-date")])
    assert backwards == ids("5", "4", "3", "2")


@pytest.mark.parametrize(
    "params",
    [
        [("name", "Maria")],
        [("date", "yesterday")],
        [("trace-id", "XYZ")],
        [("_count", "many")],
        [("_sort", "agent")],
    ],
)
async def test_bad_searches_are_400_operation_outcomes(
    client: httpx.AsyncClient, auth_headers: Headers, params: list[tuple[str, str]]
) -> None:
    response = await client.get("/fhir/AuditEvent", params=params, headers=auth_headers("auditor"))
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_searching_is_itself_audited_per_patient(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _population(sessionmaker)
    await _search(client, auth_headers("auditor"), [("entity", "Task/task-2")])
    events = await _events(sessionmaker)
    audit_of_audit = [e for e in events if e.client_id == "test-auditor"]
    assert sorted(e.patient or "" for e in audit_of_audit) == ["Patient/pat-2", "Patient/pat-3"]
    assert {e.subtype for e in audit_of_audit} == {"search-type"}
    assert audit_of_audit[0].query == "entity=Task%2Ftask-2"


async def test_capability_statement_lists_audit_event_and_its_parameters(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/metadata")
    statement = CapabilityStatement.model_validate(response.json())
    resource = next(r for r in statement.rest[0].resource if r.type == "AuditEvent")
    assert {i.code for i in resource.interaction} == {"read", "search-type"}
    names = {p.name for p in resource.searchParam}
    assert {"date", "agent", "entity", "patient", "action", "type", "subtype", "outcome", "trace-id"} <= names


def test_audit_days_are_read_in_mexico_city() -> None:
    """An auditor's day, month or year is a Mexican one (America/Mexico_City, UTC−6 all year since 2022);
    an instant with an offset is taken as written."""
    from datetime import datetime

    from interop.fhir.search import _date_bounds as _bounds

    assert _bounds("2026-07-15") == (
        datetime(2026, 7, 15, 6, tzinfo=UTC),
        datetime(2026, 7, 16, 6, tzinfo=UTC),
    )
    assert _bounds("2026-01")[0] == datetime(2026, 1, 1, 6, tzinfo=UTC)
    assert _bounds("2026-07-15T23:30:00")[0] == datetime(2026, 7, 16, 5, 30, tzinfo=UTC)
    assert _bounds("2026-07-15T23:30:00Z")[0] == datetime(2026, 7, 15, 23, 30, tzinfo=UTC)
    assert _bounds("9999-12-31T23:30:00")[0] == datetime.max.replace(tzinfo=UTC)
