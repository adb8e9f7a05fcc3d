"""One place renders every error: OperationOutcome under /fhir, one JSON shape under /v1.

No stack traces, SQL or personal data reach a response; 500 only for bugs. Installed by the app factory:
it sits above the domains because it audits refusals (``audit``), knows auth's refusals and renders FHIR
(``fhir.outcome``); the error base it renders is ``interop.errors``, below everything.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from interop.api.addresses import client_address
from interop.api.tracing import request_id_var
from interop.audit import service as audit_service
from interop.auth.dependencies import route_template
from interop.auth.errors import ActingUserInvalid
from interop.db.outage import is_unreachable
from interop.errors import DomainError, Forbidden, Unauthenticated
from interop.fhir.outcome import FHIR_JSON, operation_outcome, outcome_from_validation
from interop.messages import text
from interop.messages.validation import describe

log = logging.getLogger(__name__)

_HTTP_FHIR_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
}


_DEFAULT_DETAIL = {404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large"}


def is_fhir(request: Request) -> bool:
    return request.url.path == "/fhir" or request.url.path.startswith("/fhir/")


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id_var.get()}
    if details:
        body["details"] = details
    return {"error": body}


def render(
    request: Request,
    *,
    status: int,
    code: str,
    message: str,
    fhir_code: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if is_fhir(request):
        # A FHIR error may name its elements (issue.expression): issues prepared by fhir/ in the details.
        issues = (details or {}).get("fhir_issues")
        return JSONResponse(
            {"resourceType": "OperationOutcome", "issue": issues}
            if isinstance(issues, list) and issues
            else operation_outcome(code=fhir_code, diagnostics=message),
            status_code=status,
            media_type=FHIR_JSON,
            headers=headers,
        )
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


async def _audit_denied(request: Request, status: int) -> None:
    """A refused request (401/403, or a malformed X-Acting-User) is audited in a transaction of its own:
    the request's rolls back."""
    sessionmaker = getattr(request.app.state, "sessionmaker", None)
    if sessionmaker is None:
        return
    actor = getattr(request.state, "actor", None)
    try:
        await audit_service.record_denied(
            sessionmaker,
            request_id=getattr(request.state, "request_id", None) or "unknown",
            trace_id=getattr(request.state, "trace_id", None) or "0" * 32,
            network_address=client_address(request),
            status=status,
            method=request.method,
            route=route_template(request),
            client_id=actor.client_id if actor else None,
            role=actor.role if actor else None,
            user=actor.user if actor else None,
        )
    except Exception as exc:  # the refusal still goes out; a lost audit write is logged, not hidden
        log.warning("denied request not audited", extra={"error": type(exc).__name__})


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, Unauthenticated | Forbidden | ActingUserInvalid):
        await _audit_denied(request, exc.status_code)
    return render(
        request,
        status=exc.status_code,
        code=exc.code,
        message=exc.localised(),
        fhir_code=exc.fhir_issue,
        details=exc.details or None,
        headers=exc.headers or None,
    )


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": describe(e), "type": e.get("type", "")} for e in exc.errors()
    ]
    if is_fhir(request):
        return JSONResponse(outcome_from_validation(errors), status_code=422, media_type=FHIR_JSON)
    return JSONResponse(error_body("invalid", text("error.validation"), {"errors": errors}), status_code=422)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
        exc.status_code, "http-error"
    )
    generic = {404: "error.not_found", 405: "error.method_not_allowed", 413: "error.body_too_large"}
    # Starlette's own defaults ("Not Found") are words for people; a route's own detail is kept as given.
    if exc.status_code in generic and (
        not isinstance(exc.detail, str) or exc.detail == _DEFAULT_DETAIL.get(exc.status_code)
    ):
        message = text(generic[exc.status_code])
    else:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return render(
        request,
        status=exc.status_code,
        code=code,
        message=message,
        fhir_code=_HTTP_FHIR_CODES.get(exc.status_code, "processing"),
        headers=dict(exc.headers) if exc.headers else None,
    )


def _unavailable(request: Request, message: str, *, retry_after_s: int) -> Response:
    """503: nobody's bug and nothing stored; the client may send the same request again later."""
    return render(
        request,
        status=503,
        code="unavailable",
        message=text(message),
        fhir_code="transient",
        headers={"Retry-After": str(retry_after_s)},
    )


async def _database(request: Request, exc: Exception) -> Response:
    # A lost or refused connection is the database being away: fail fast, the client may retry. Logged
    # once per outage by the process's tracker (lost, still lost every minute, back), not per request.
    outage = getattr(request.app.state, "db_outage", None)
    if outage is not None:
        outage.failed(exc)
    else:
        log.warning("database unavailable", extra={"error": type(exc).__name__})
    return _unavailable(request, "error.unavailable", retry_after_s=5)


def _sqlstate(exc: BaseException) -> str:
    cause: BaseException | None = exc.orig if isinstance(exc, DBAPIError) else exc
    while cause is not None:
        state = str(getattr(cause, "sqlstate", "") or "")
        if state:
            return state
        cause = cause.__cause__
    return ""


# Insufficient resources (SQLSTATE class 53: disk full, out of memory, too many connections) is the
# operator's problem, not the caller's and not a bug: 503, logged once a minute rather than per request.
_RESOURCES_LOG_EVERY_S = 60.0
_resources_logged_at = [-_RESOURCES_LOG_EVERY_S]


async def _resources(request: Request, exc: Exception, sqlstate: str) -> Response:
    now = time.monotonic()
    if now - _resources_logged_at[0] >= _RESOURCES_LOG_EVERY_S:
        _resources_logged_at[0] = now
        log.error(
            "the database is out of resources (disk full?)",
            extra={"error": type(exc).__name__, "sqlstate": sqlstate},
        )
    return _unavailable(request, "error.busy", retry_after_s=30)


def _is_data_error(exc: BaseException) -> bool:
    """The database refused a value (SQLSTATE class 22, or the driver's own range check): the caller sent
    something no column can hold, e.g. an id beyond 64 bits. The driver's error may arrive unwrapped: the
    audit record is written straight through asyncpg once the request's transaction is open."""
    cause: BaseException | None = exc.orig if isinstance(exc, DBAPIError) else exc
    while cause is not None:
        if isinstance(cause, asyncpg.DataError) or str(getattr(cause, "sqlstate", "") or "").startswith("22"):
            return True
        cause = cause.__cause__
    return False


# deadlock_detected, serialization_failure
_TRANSIENT_CONFLICTS = frozenset({"40P01", "40001"})


async def _unhandled(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await _database(request, exc)
    sqlstate = _sqlstate(exc)
    if sqlstate.startswith("53"):
        return await _resources(request, exc, sqlstate)
    if sqlstate in _TRANSIENT_CONFLICTS:
        # Two requests crossed on the same rows and the database chose one to give way: nothing was
        # stored by this one, and the same request sent again succeeds. Not a bug, so no traceback.
        log.warning("request gave way to a concurrent one", extra={"sqlstate": sqlstate})
        return _unavailable(request, "error.crossed", retry_after_s=1)
    if _is_data_error(exc):
        log.info("value refused by the database", extra={"error": type(exc).__name__})
        return render(
            request,
            status=422,
            code="invalid",
            message=text("error.out_of_range"),
            fhir_code="invalid",
        )
    if isinstance(exc, OSError | ConnectionError) or _is_connection_error(exc) or is_unreachable(exc):
        # e.g. "the database system is starting up" while the embedded server recovers after a crash
        return await _database(request, exc)
    log.exception("unhandled error", extra={"error": type(exc).__name__})
    return render(request, status=500, code="internal", message=text("error.internal"), fhir_code="exception")


def _is_connection_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionRefusedError",
        "InterfaceError",
        "TooManyConnectionsError",
    } or isinstance(exc, InterfaceError)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(InterfaceError, _database)
    # Every pooled connection busy for longer than the pool timeout: overload, answered like an outage.
    app.add_exception_handler(PoolTimeoutError, _database)
    # Refused or lost while connecting (the driver's own errors, not wrapped): handled here rather than by
    # the catch-all, which re-raises to the server and would log a traceback for every request.
    app.add_exception_handler(OSError, _database)
    app.add_exception_handler(asyncpg.exceptions.CannotConnectNowError, _database)
    app.add_exception_handler(asyncpg.exceptions.PostgresConnectionError, _database)
    app.add_exception_handler(asyncpg.exceptions.InterfaceError, _database)
    # Other driver errors (a refused value, a bug) are answered here rather than re-raised to the server.
    app.add_exception_handler(DBAPIError, _unhandled)
    app.add_exception_handler(Exception, _unhandled)
