"""Rendering: the template environment, the page errors, and the route class that turns them into pages.

``WebRoute`` (the ``route_class`` of every ``/app`` router) renders a page error as an HTML page with
the right status (a sign-in redirect, 403, 404, 422), a domain error likewise, and writes the session
cookie back when it changed — so handlers return a response and never touch cookies or error JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from interop.errors import DomainError
from interop.web import messages
from interop.web import session as web_session

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC_DIR = Path(__file__).parent / "static"


class PageError(Exception):
    status_code = 400
    message_key = "error.invalid"

    def __init__(self, detail: str | None = None, *, person: Any = None) -> None:
        super().__init__(detail or self.message_key)
        self.detail = detail
        self.person = person  # the signed-in person, when known: the error page keeps their header


class SignInRequired(PageError):
    status_code = 303
    message_key = "login.expired"


class PageForbidden(PageError):
    status_code = 403
    message_key = "error.forbidden"


class PageNotFound(PageError):
    status_code = 404
    message_key = "error.not_found"


class CsrfRefused(PageError):
    status_code = 403
    message_key = "error.csrf"


class PasswordChangeRequired(PageError):
    status_code = 303


def language(request: Request) -> str:
    chosen = web_session.load(request).get("lang")
    return messages.pick_language(request.headers.get("accept-language"), chosen)


def render(
    request: Request, template: str, *, status_code: int = 200, person: Any = None, **values: Any
) -> Response:
    """A page: ``t`` (the catalogue in the person's language), the CSRF token and the person are always
    in the template's context."""
    lang = language(request)
    sess = web_session.load(request)
    context = {
        "request": request,
        "lang": lang,
        "t": lambda key, **kw: messages.translate(lang, key, **kw),
        "csrf_field": web_session.CSRF_FIELD,
        "csrf_token": sess.csrf,
        "person": person,
        **values,
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data: never in a shared cache
    return response


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a page of this service only (no open redirect)."""
    if value and value.startswith("/app/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/app/"


def _error_page(request: Request, exc: PageError | DomainError) -> Response:
    if isinstance(exc, SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/app/login?next={quote(safe_next(target))}", status_code=303)
    if isinstance(exc, PasswordChangeRequired):
        return RedirectResponse("/app/password", status_code=303)
    person = None
    if isinstance(exc, PageError):
        status, key, detail, person = exc.status_code, exc.message_key, exc.detail, exc.person
    else:
        status, key, detail = exc.status_code, "error.invalid", exc.message
        if status == 404:
            key = "error.not_found"
        elif status == 403:
            key = "error.forbidden"
    if status >= 500:
        status = 400
    return render(request, "error.html", status_code=status, message_key=key, detail=detail, person=person)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except (PageError, DomainError) as exc:
                response = _error_page(request, exc)
            except RequestValidationError:  # a bad query or form value: a page, not the API's JSON
                response = render(
                    request, "error.html", status_code=422, message_key="error.invalid", detail=None
                )
            web_session.save(request, response)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            )
            return response

        return route
