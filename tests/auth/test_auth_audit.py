"""Token requests (granted and refused) and refused API calls leave audit events, identifiers only."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEventRead
from interop.context import RequestContext

PROBE = "/_probe/task"


def _traceparent(n: int) -> tuple[str, dict[str, str]]:
    trace = f"{n:032x}"
    return trace, {"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}


async def _events(sessionmaker: async_sessionmaker[AsyncSession], trace: str) -> list[AuditEventRead]:
    async with sessionmaker() as session:
        found = await audit_service.trace(session, trace_id=trace)
    return [e for e in found.events if e.trace_id == trace]


async def test_logins_are_audited(
    probe_client: httpx.AsyncClient, register: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    secret = await register("clinic-aud", "clinic", clues=["DFIMB000123"])
    trace, headers = _traceparent(0xA1)
    ok = await probe_client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=("clinic-aud", secret), headers=headers
    )
    assert ok.status_code == 200
    bad_trace, bad_headers = _traceparent(0xA2)
    bad = await probe_client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("clinic-aud", "wrong"),
        headers=bad_headers,
    )
    assert bad.status_code == 401
    ghost_trace, ghost_headers = _traceparent(0xA3)
    await probe_client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("GOMC500101HDFRRR09", "x"),
        headers=ghost_headers,
    )

    [granted] = await _events(sessionmaker, trace)
    assert (granted.subtype, granted.action, granted.outcome) == ("login", "E", "0")
    assert granted.client_id == "clinic-aud"
    assert granted.entities == [{"type": "Client", "id": "clinic-aud", "role": "domain-resource"}]
    [refused] = await _events(sessionmaker, bad_trace)
    assert (refused.subtype, refused.outcome, refused.client_id) == ("login", "4", "clinic-aud")
    # An unregistered name is whatever the caller typed (here CURP-shaped): it is not stored.
    [ghost] = await _events(sessionmaker, ghost_trace)
    assert ghost.client_id == "unknown"
    assert "GOMC" not in str(ghost.model_dump())


async def test_denials_are_audited_with_the_route_template(
    probe_client: httpx.AsyncClient, token_for: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    trace, headers = _traceparent(0xB1)
    forbidden = await probe_client.get(
        PROBE, headers={**headers, "Authorization": f"Bearer {token_for('auditor')}"}
    )
    assert forbidden.status_code == 403
    anon_trace, anon_headers = _traceparent(0xB2)
    assert (await probe_client.get(PROBE, headers=anon_headers)).status_code == 401

    events = await _events(sessionmaker, trace)
    assert len(events) == 1, [(e.subtype, e.outcome_desc, e.client_id) for e in events]
    denied = events[0]
    assert denied.outcome == "4"
    assert denied.client_id == "test-auditor"
    assert denied.role == "auditor"
    assert denied.outcome_desc == f"403 GET {PROBE}"
    [anonymous] = await _events(sessionmaker, anon_trace)
    assert anonymous.outcome_desc == f"401 GET {PROBE}"
    assert anonymous.client_id == "unauthenticated"


async def _read_thing(thing_id: str, ctx: Annotated[RequestContext, Depends(require("Task", "r"))]) -> None:
    return None


async def test_denial_on_an_included_router_records_the_full_template(
    app: Any, client: httpx.AsyncClient, token_for: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    router = APIRouter()
    router.add_api_route("/things/{thing_id}", _read_thing, methods=["GET"])
    app.include_router(router, prefix="/v9")
    trace, headers = _traceparent(0xC1)
    response = await client.get(
        "/v9/things/GOMC500101HDFRRR09",
        headers={**headers, "Authorization": f"Bearer {token_for('auditor')}"},
    )
    assert response.status_code == 403
    [denied] = await _events(sessionmaker, trace)
    assert denied.outcome_desc == "403 GET /v9/things/{thing_id}"
