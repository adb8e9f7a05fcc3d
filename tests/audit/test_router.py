"""/v1 audit routes through the app: trace, verification, export, checkpoints, denied requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit import verify_proof
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer

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
        rows = (await session.execute(text("SELECT * FROM audit_record ORDER BY seq"))).mappings().all()
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


async def _sequence(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        await audit_service.checkpoint(session)
        await session.commit()


async def test_verification_endpoint_names_the_first_bad_leaf(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    signer: Signer,
    tamper: Tamper,
) -> None:
    await _case(sessionmaker)
    await _sequence(sessionmaker)
    response = await client.get("/v1/audit/verification", headers=auth_headers("auditor"))
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["leaves_checked"] == 5
    await tamper("""UPDATE audit_event SET patients = '["Patient/someone-else"]' WHERE seq = 3""")
    response = await client.get("/v1/audit/verification", headers=auth_headers("auditor"))
    body = response.json()
    assert body["ok"] is False
    assert body["first_bad_leaf"] == 2
    assert body["reason"] == "hoja 2: el evento seq 3 fue alterado (su hash de hoja difiere)"  # es-MX first
    english = {**auth_headers("auditor"), "Accept-Language": "en"}
    said = (await client.get("/v1/audit/verification", headers=english)).json()["reason"]
    assert said == "leaf 2: event seq 3 was altered (its leaf hash differs)"
    assert (await client.get("/v1/audit/verification", headers=auth_headers("clinic"))).status_code == 403


async def _export(client: httpx.AsyncClient, auth_headers: Headers, start: str | None = None) -> list[str]:
    today = datetime.now(UTC).date()
    response = await client.get(
        "/v1/audit/export",
        params={"from": start or today.isoformat(), "to": (today + timedelta(days=1)).isoformat()},
        headers=auth_headers("auditor"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return response.text.splitlines()


async def test_export_is_verifiable_by_an_outside_auditor(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _case(sessionmaker)
    await _sequence(sessionmaker)
    await _case(sessionmaker)  # committed, not sequenced yet: the export sequences them first
    lines = await _export(client, auth_headers)
    docs = [orjson.loads(line) for line in lines]
    header, entries, trailer = docs[0], docs[1:-1], docs[-1]
    assert (header["first_index"], header["last_index"], header["count"]) == (0, 9, 10)
    assert [e["index"] for e in entries] == list(range(10))
    assert [e["record"]["client"] for e in entries[:3]] == ["bienestar-app", "bienestar-app", "other-clinic"]
    assert entries[0]["record"]["patients"] == ["Patient/pat-1"]
    assert trailer["kind"] == "head"
    # What an auditor does, with nothing but the export and the public key (the standalone verifier).
    keys = verify_proof.load_keys(
        (await client.get("/v1/audit/keys", headers=auth_headers("auditor"))).json()
    )
    count, head = verify_proof.verify_export(lines, keys)
    assert count == 10
    assert head.tree_size >= 10
    for cut in (lines[:3] + lines[4:], [lines[0], *lines[2:]]):  # an entry left out, at the start too
        with pytest.raises(verify_proof.VerificationFailed):
            verify_proof.verify_export(cut, keys)
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    with pytest.raises(verify_proof.VerificationFailed):
        verify_proof.verify_export(swapped, keys)
    # A range that starts inside the tree: the left subtrees stand for the leaves before it.
    later = await _export(client, auth_headers, start=entries[6]["record"]["recorded"])
    assert orjson.loads(later[0])["first_index"] == 6
    assert orjson.loads(later[0])["left"]
    assert verify_proof.verify_export(later, keys)[0] == len(later) - 2


async def test_export_of_an_empty_range_has_no_events(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    response = await client.get(
        "/v1/audit/export", params={"from": "2020-01-01", "to": "2020-02-01"}, headers=auth_headers("auditor")
    )
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert len(lines) == 1
    assert lines[0]["count"] == 0


async def test_export_of_a_tampered_record_fails_the_auditors_check(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    tamper: Tamper,
) -> None:
    await _case(sessionmaker)
    await _sequence(sessionmaker)
    keys = verify_proof.load_keys(
        (await client.get("/v1/audit/keys", headers=auth_headers("auditor"))).json()
    )
    await tamper("UPDATE audit_event SET client_id = 'x' WHERE seq = 2")
    with pytest.raises(verify_proof.VerificationFailed) as caught:
        verify_proof.verify_export(await _export(client, auth_headers), keys)
    assert caught.value.key == "export_altered"


async def test_admin_signs_the_head_on_demand(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _case(sessionmaker)
    response = await client.post("/v1/audit/checkpoints", headers=auth_headers("admin"))
    assert response.status_code == 201
    assert response.json()["tree_size"] == 6  # the five events and the checkpoint request's own
    assert (await client.post("/v1/audit/checkpoints", headers=auth_headers("auditor"))).status_code == 403
