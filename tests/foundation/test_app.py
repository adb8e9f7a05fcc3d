from __future__ import annotations

import httpx
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_readyz_reports_migration_head(client: httpx.AsyncClient) -> None:
    from interop.db.migrate import head_revision

    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["revision"] == head_revision()


async def test_metadata_is_a_valid_r4_capability_statement(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"


async def test_unknown_fhir_path_is_an_operation_outcome(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/NoSuchThing/1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue[0].code == "not-found"


async def test_unknown_v1_path_is_the_json_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not-found"
    assert body["error"]["request_id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"


async def test_traceparent_is_continued(client: httpx.AsyncClient) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get("/healthz", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert response.headers["traceparent"].split("-")[1] == trace


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir", content=b"x" * 2_000_000, headers={"content-type": "application/fhir+json"}
    )
    assert response.status_code == 413
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_metrics_exposed(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/fhir/metadata")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "interop_http_requests_total" in response.text
    # labels are full route templates (router prefixes included), never concrete paths
    assert 'route="/fhir/metadata"' in response.text
    assert "interop_jobs" in response.text or "interop_db_pool_connections" in response.text


def test_log_lines_carry_where_not_what() -> None:
    import json
    import logging

    from interop.api.logs import JsonFormatter

    try:
        raise ValueError("PEREZ LOPEZ JUAN PELJ480512HDFRPN09")
    except ValueError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "unhandled error", None, __import__("sys").exc_info()
        )
    line = JsonFormatter().format(record)
    assert "PEREZ" not in line
    assert "PELJ" not in line
    body = json.loads(line)
    assert body["exc_type"] == "ValueError"
    assert any("test_log_lines_carry_where_not_what" in frame for frame in body["exc_frames"])


async def test_metrics_show_queue_depth_and_running_progress(
    client: httpx.AsyncClient, session: object
) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    from interop.job import service as job_service

    assert isinstance(session, AsyncSession)
    await job_service.enqueue(session, kind="import.run", payload={})
    running = await job_service.enqueue(session, kind="match.run", payload={})
    await session.commit()
    claimed = await job_service.claim_next(session, worker_id="w", only_id=running.id)
    assert claimed is not None
    await job_service.heartbeat(session, job_id=running.id, progress={"scored": 120, "total": 400})
    await session.commit()
    text = (await client.get("/metrics")).text
    assert 'interop_jobs{kind="import.run",state="queued"} 1.0' in text
    assert "interop_audit_chain_length 0.0" in text
    assert "interop_notification_failures 0.0" in text
    assert f'interop_job_progress{{job_id="{running.id}",kind="match.run",measure="scored"}} 120.0' in text
