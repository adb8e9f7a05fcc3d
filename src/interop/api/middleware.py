"""Pure ASGI middleware: request and trace ids, access log by route template, metrics, security headers,
and a body-size limit (imports stream through their own route, under their own, larger limit)."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interop.api import metrics
from interop.api.routes import template_of
from interop.api.tracing import (
    new_span_id,
    new_trace_id,
    request_id_from,
    request_id_var,
    trace_id_from,
    trace_id_var,
)

log = logging.getLogger("interop.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
STREAMED_PATHS = ("/v1/imports",)
# Room for a multipart envelope (boundaries, part headers, a few form fields) around an uploaded file.
MULTIPART_SLACK_BYTES = 1 << 20


def header(scope: Scope, name: bytes) -> str | None:
    """A request header from an ASGI scope (names are lower-case bytes), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Uploads are bounded too, while they stream: multipart bodies are spooled to disk by the
        # form parser before the route sees them, so the bound must hold here.
        self.max_upload_bytes = (
            max_upload_bytes + MULTIPART_SLACK_BYTES if max_upload_bytes is not None else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(header(scope, b"x-request-id"))
        trace_id = trace_id_from(header(scope, b"traceparent")) or new_trace_id()
        span_id = new_span_id()
        rid_token = request_id_var.set(request_id)
        tid_token = trace_id_var.set(trace_id)
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["trace_id"] = trace_id
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}
        path = scope.get("path", "")
        streamed = path.startswith(STREAMED_PATHS) and scope.get("method") == "POST"
        limit = self.max_upload_bytes if streamed else self.max_body_bytes

        declared = header(scope, b"content-length")
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, request_id)
            request_id_var.reset(rid_token)
            trace_id_var.reset(tid_token)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"traceparent", f"00-{trace_id}-{span_id}-01".encode()))
                # A response that sets one of these itself keeps its own (the /app pages' CSP loads
                # their stylesheet and script); a second header would be enforced too and block them.
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except BodyTooLarge:
            await self._too_large(scope, send, request_id)
            status_holder["status"] = 413
        finally:
            elapsed = time.perf_counter() - started
            route = template_of(scope)
            metrics.observe_request(scope.get("method", ""), route, status_holder["status"], elapsed)
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "route": route,
                    "status": status_holder["status"],
                    "ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(rid_token)
            trace_id_var.reset(tid_token)

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        import orjson

        fhir = str(scope.get("path", "")).startswith("/fhir")
        if fhir:
            body: dict[str, Any] = {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "too-costly", "diagnostics": "request body too large"}
                ],
            }
            ctype = b"application/fhir+json"
        else:
            body = {
                "error": {
                    "code": "payload-too-large",
                    "message": "request body too large",
                    "request_id": request_id,
                }
            }
            ctype = b"application/json"
        payload = orjson.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", request_id.encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
