"""Request ids and W3C trace context, carried in context variables for logs and audit events."""

from __future__ import annotations

import contextvars
import re
import secrets

from interop.identity.curp import contains_curp

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def trace_id_from(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    m = _TRACEPARENT.match(traceparent.strip().lower())
    if m is None or m["trace"] == "0" * 32:
        return None
    return m["trace"]


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def request_id_from(header: str | None) -> str:
    """Reuse a caller's X-Request-ID when it is well formed and holds no personal data (it is stored in
    every audit event of the request, and the audit writer refuses a CURP); otherwise mint one."""
    if header and _REQUEST_ID.match(header) and not contains_curp(header):
        return header
    return secrets.token_hex(12)
