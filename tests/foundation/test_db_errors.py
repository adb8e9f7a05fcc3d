"""How the API answers database failures that are nobody's bug: a disk-full (or other out-of-resources)
error is 503 with Retry-After, logged once a minute; a refused connection is 503 without a traceback."""

from __future__ import annotations

import logging

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from interop import error_handlers as errors
from interop.api.deps import SessionDep
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.main import create_app


def _app_raising(exc: BaseException) -> httpx.AsyncClient:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))

    @app.get("/v1/boom")
    async def boom() -> None:
        raise exc

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_disk_full_is_503_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    errors._resources_logged_at[0] = -errors._RESOURCES_LOG_EVERY_S
    full = DBAPIError("INSERT …", {}, asyncpg.exceptions.DiskFullError("could not extend file"))
    caplog.set_level(logging.INFO)
    async with _app_raising(full) as http:
        answers = [await http.get("/v1/boom") for _ in range(5)]
    assert {r.status_code for r in answers} == {503}
    assert answers[0].headers["retry-after"] == "30"
    assert answers[0].json()["error"]["code"] == "unavailable"
    logged = [r for r in caplog.records if r.name == "interop.error_handlers"]
    assert len(logged) == 1
    assert getattr(logged[0], "sqlstate", None) == "53100"


async def test_refused_connection_is_503_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with _app_raising(ConnectionRefusedError(111, "refused")) as http:
        response = await http.get("/v1/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    "driver_error",
    [asyncpg.exceptions.DeadlockDetectedError("deadlock"), asyncpg.exceptions.SerializationError("x")],
)
async def test_a_request_that_gave_way_to_another_is_a_transient_503(
    driver_error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    crossed = DBAPIError("UPDATE …", {}, driver_error)
    async with _app_raising(crossed) as http:
        response = await http.get("/v1/boom", headers={"Accept-Language": "es-MX"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "unavailable"
    assert "de nuevo" in response.json()["error"]["message"]
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_value_the_database_refuses_in_the_audit_record_is_422(app: FastAPI) -> None:
    """The audit record goes straight to asyncpg once the request's transaction is open, so the server's
    refusal arrives as the driver's own error, not wrapped in SQLAlchemy's: still the caller's 422."""

    @app.get("/v1/zz-audited")
    async def audited(session: SessionDep) -> dict[str, int]:
        await session.execute(text("SELECT 1"))  # the request's own work opens the driver's transaction
        ctx = RequestContext(actor=Actor(client_id="c", role="clinic"), request_id="r1", trace_id="a" * 32)
        # PostgreSQL text cannot hold NUL: the server refuses the record with SQLSTATE 22021.
        entity = AuditEntity(type="Task", id="t\x001")
        await audit_service.record(session, ctx, action="R", subtype="read", entities=[entity])
        return {"ok": 1}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/v1/zz-audited")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
