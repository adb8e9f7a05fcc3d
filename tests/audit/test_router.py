"""/v1 audit routes through the app: trace, verification, export, checkpoints, denied requests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import chain
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Verifier

from .conftest import Tamper
from .factories import make_ctx

Headers = Callable[..., dict[str, str]]
VISIT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def _case(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """A visit (its trace), a clinic reading and moving the Task later (other traces), and noise."""
    steps = [
        (
            make_ctx(client_id="bienestar-app", role="bienestar", trace_id=VISIT_TRACE),
            "C",
            "create",
            [AuditEntity(type="ServiceRequest", id="sr-1"), AuditEntity(type="Task", id="task-1")],
            ["pat-1"],
        ),
        (
            make_ctx(client_id="bienestar-app", role="bienestar", trace_id=VISIT_TRACE),
            "E",
            "match-run",
            [AuditEntity(type="MatchRun", id="7", role="job")],
            ["pat-1"],
        ),
        (make_ctx(client_id="other-clinic"), "R", "read", [AuditEntity(type="Task", id="task-9")], ["pat-9"]),
        (
            make_ctx(client_id="clinic-a", user="dr-ruiz"),
            "R",
            "read",
            [AuditEntity(type="Task", id="task-1")],
            ["pat-1"],
        ),
        (
            make_ctx(client_id="clinic-a", user="dr-ruiz"),
            "U",
            "update",
            [AuditEntity(type="Task", id="task-1")],
            ["pat-1"],
        ),
    ]
    for ctx, action, subtype, entities, patients in steps:
        async with sessionmaker() as session:
            await audit_service.record(
                session, ctx, action=action, subtype=subtype, entities=entities, patients=patients
            )
            await session.commit()


async def test_trace_follows_one_case_end_to_end_in_time_order(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _case(sessionmaker)
    response = await client.get(f"/v1/trace/{VISIT_TRACE}", headers=auth_headers("auditor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["seq"] for e in body["events"]] == [1, 2, 4, 5]
    assert [(e["client_id"], e["subtype"]) for e in body["events"]] == [
        ("bienestar-app", "create"),
        ("bienestar-app", "match-run"),
        ("clinic-a", "read"),
        ("clinic-a", "update"),
    ]
    assert body["via"] == {"1": "trace", "2": "trace", "4": "entity", "5": "entity"}
    recorded = [e["recorded_at"] for e in body["events"]]
    assert recorded == sorted(recorded)


async def test_trace_requires_the_auditor_role_and_the_refusal_is_audited(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.get(
        f"/v1/trace/{VISIT_TRACE}", headers=auth_headers("clinic", clues=["DFIMB000001"])
    )
    assert response.status_code == 403
    response = await client.get(f"/v1/trace/{VISIT_TRACE}")
    assert response.status_code == 401
    async with sessionmaker() as session:
        rows = (await session.execute(text("SELECT * FROM audit_event ORDER BY seq"))).mappings().all()
    assert [(r["client_id"], r["outcome"], r["type"], r["outcome_desc"]) for r in rows] == [
        ("test-clinic", "4", "rest", "403 GET /v1/trace/{trace_id}"),
        ("unauthenticated", "4", "110114", "401 GET /v1/trace/{trace_id}"),
    ]
    assert (
        rows[0]["request_id"] == response.headers["x-request-id"]
        or rows[1]["request_id"] == response.headers["x-request-id"]
    )


async def test_malformed_trace_id_is_422(client: httpx.AsyncClient, auth_headers: Headers) -> None:
    response = await client.get("/v1/trace/not-a-trace", headers=auth_headers("auditor"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid-audit-query"


async def test_verification_endpoint_names_the_first_bad_entry(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    tamper: Tamper,
) -> None:
    await _case(sessionmaker)
    response = await client.get("/v1/audit/verification", headers=auth_headers("auditor"))
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["events_checked"] == 5
    await tamper("UPDATE audit_event SET patient = 'Patient/someone-else' WHERE seq = 3")
    response = await client.get("/v1/audit/verification", headers=auth_headers("auditor"))
    body = response.json()
    assert body["ok"] is False
    assert body["first_bad_seq"] == 3
    assert (await client.get("/v1/audit/verification", headers=auth_headers("clinic"))).status_code == 403


async def test_export_is_verifiable_by_an_outside_auditor(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _case(sessionmaker)
    today = datetime.now(UTC).date()
    response = await client.get(
        "/v1/audit/export",
        params={"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()},
        headers=auth_headers("auditor"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    header, events, trailer = lines[0], lines[1:-1], lines[-1]
    assert header["kind"] == "header"
    assert (header["first_seq"], header["last_seq"], header["count"]) == (1, 5, 5)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    prev = bytes.fromhex(header["prev_hash"])
    for event in events:  # what an auditor does, with nothing but the export and the public key
        prev = hashlib.sha256(prev + chain.canonical(event)).digest()
        assert prev.hex() == event["hash"]
    assert trailer["kind"] == "checkpoint"
    assert (trailer["seq"], trailer["hash"]) == (5, prev.hex())
    verifier = Verifier.from_pem(trailer["public_key"])
    message = chain.checkpoint_message(
        seq=trailer["seq"],
        hash_=bytes.fromhex(trailer["hash"]),
        created_at=datetime.fromisoformat(trailer["created_at"]),
        key_id=trailer["key_id"],
    )
    assert verifier.verify(message, bytes.fromhex(trailer["signature"]))
    assert not verifier.verify(message.replace(b'"seq":5', b'"seq":4'), bytes.fromhex(trailer["signature"]))


async def test_export_of_an_empty_range_has_no_events(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    response = await client.get(
        "/v1/audit/export", params={"from": "2020-01-01", "to": "2020-02-01"}, headers=auth_headers("auditor")
    )
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert len(lines) == 1
    assert lines[0]["count"] == 0


async def test_export_refuses_to_sign_over_a_broken_chain(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    tamper: Tamper,
) -> None:
    await _case(sessionmaker)
    await tamper("UPDATE audit_event SET client_id = 'x' WHERE seq = 2")
    today = datetime.now(UTC).date()
    response = await client.get(
        "/v1/audit/export",
        params={"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()},
        headers=auth_headers("auditor"),
    )
    assert response.status_code == 409
    assert "2" in response.json()["error"]["message"]


async def test_admin_signs_the_head_on_demand(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _case(sessionmaker)
    response = await client.post("/v1/audit/checkpoints", headers=auth_headers("admin"))
    assert response.status_code == 201
    assert response.json()["seq"] == 6  # the five events and the checkpoint request's own
    assert (await client.post("/v1/audit/checkpoints", headers=auth_headers("auditor"))).status_code == 403
