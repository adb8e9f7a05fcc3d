"""HTTP behaviour FHIR clients rely on that lies outside any one route, as pure ASGI middleware on ``/fhir``.

- ``POST [type]/_search`` with a form body is the same search as ``GET [type]?…`` (FHIR R4 §3.1.0.1.9:
  clients use it when a query is long or must stay out of URLs and logs); the form's parameters join the
  URL's and the request continues as that GET.
- Only JSON is produced: ``_format=xml`` or an ``Accept`` that admits no JSON is a 406 with an
  OperationOutcome, never XML-looking JSON with a 200.
- A read whose ``If-None-Match`` names the current version (``W/"3"``) is a 304 without a body (conditional
  read), so caching clients do not download unchanged resources again.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interop.api.middleware import header

_FORM = "application/x-www-form-urlencoded"
_MAX_FORM_BYTES = 64 * 1024
_XML_FORMATS = {"xml", "text/xml", "application/xml", "application/fhir+xml", "application/xml+fhir"}
_JSON_ACCEPTS = ("json", "*/*", "application/*")
_BODY_HEADERS = (b"content-type", b"content-length")


def _outcome(code: str, message: str) -> bytes:
    issue = {"severity": "error", "code": code, "diagnostics": message}
    return orjson.dumps({"resourceType": "OperationOutcome", "issue": [issue]})


async def _reply(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/fhir+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _wants_xml_only(scope: Scope) -> bool:
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    if any(name == "_format" and value.strip().lower() in _XML_FORMATS for name, value in query):
        return True
    accept = (header(scope, b"accept") or "").lower()
    if not accept.strip():
        return False
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    return not any(marker in kind for kind in kinds for marker in _JSON_ACCEPTS) and any(
        "xml" in kind for kind in kinds
    )


class FhirInteractions:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/fhir" or path.startswith("/fhir/")):
            await self.app(scope, receive, send)
            return
        if _wants_xml_only(scope):
            await _reply(
                send, 406, _outcome("not-supported", "this server produces application/fhir+json only")
            )
            return
        if scope["method"] == "POST" and path.endswith("/_search") and path.count("/") == 3:
            await self._post_search(scope, receive, send)
            return
        if scope["method"] == "GET" and header(scope, b"if-none-match"):
            await self.app(scope, receive, _conditional(scope, send))
            return
        await self.app(scope, receive, send)

    async def _post_search(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = (header(scope, b"content-type") or _FORM).split(";")[0].strip().lower()
        if kind != _FORM:
            await _reply(send, 415, _outcome("not-supported", f"POST _search takes {_FORM}"))
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > _MAX_FORM_BYTES:
                await _reply(send, 413, _outcome("too-costly", "the search form is too large"))
                return
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            await _reply(send, 400, _outcome("invalid", "the search form is not valid form encoding"))
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        path = scope["path"].removesuffix("/_search")
        headers = [
            (k, v) for k, v in scope.get("headers", ()) if k not in (b"content-type", b"content-length")
        ]
        as_get = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode([*query, *form]).encode(),
            "headers": headers,
        }

        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        await self.app(as_get, no_body, send)
        # Access logs and metrics outside label the request by the route the GET matched.
        scope.update({key: as_get[key] for key in ("route", "endpoint", "path_params") if key in as_get})


def _version_of(tag: str) -> str:
    """``W/"3"``, ``"3"`` and ``3`` all name version 3 (clients differ in how they echo an ETag)."""
    tag = tag.strip()
    return tag.removeprefix("W/").strip('"')


def _conditional(scope: Scope, send: Send) -> Send:
    wanted = {_version_of(tag) for tag in (header(scope, b"if-none-match") or "").split(",")}
    not_modified = False

    async def send_or_not_modified(message: Message) -> None:
        nonlocal not_modified
        if message["type"] == "http.response.start" and message["status"] == 200:
            etag = next((v.decode("latin-1") for k, v in message.get("headers", ()) if k == b"etag"), None)
            if etag is not None and (_version_of(etag) in wanted or "*" in wanted):
                keep = [
                    (k, v) for k, v in message["headers"] if k not in (b"content-length", b"content-type")
                ]
                await send({"type": "http.response.start", "status": 304, "headers": keep})
                await send({"type": "http.response.body", "body": b""})
                not_modified = True
                return
        if not_modified:
            return  # the body of the 200 that became a 304
        await send(message)

    return send_or_not_modified
