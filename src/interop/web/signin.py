"""Sign-in pages: ``/app/login`` (fields ``username`` and ``password``), then ``/app/login/totp`` (field
``totp``) when the account has a second factor; sign-out; the forced change of a one-time password; the
home page; static files. Every sign-in, failed or not, is an audit event (subtype ``login``).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from interop.accounts import service as accounts_service
from interop.accounts.errors import AccountInvalid
from interop.accounts.schemas import PersonAccount, SignInResult, SignInStatus
from interop.api.addresses import client_address
from interop.api.deps import SessionDep, SettingsDep
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import Actor, RequestContext
from interop.web import session as web_session
from interop.web.deps import WEB_CLIENT_ID, CsrfChecked, Person, require_person
from interop.web.pages import STATIC_DIR, PageForbidden, PageNotFound, WebRoute, render, safe_next

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PENDING_TOTP_S = 300  # a password step waits this long for its second factor
_STATIC = {"app.css": "text/css", "app.js": "text/javascript"}
_MESSAGES = {
    # One message for a wrong password and a locked account: a distinct "locked" answer told a stranger
    # which account names exist (only a real account can be locked).
    SignInStatus.REFUSED: "login.refused",
    SignInStatus.LOCKED: "login.refused",
    SignInStatus.TOTP_MISSING: "login.totp_missing",
}

Anyone = Annotated[Person, Depends(require_person())]


async def audit_sign_in(
    request: Request, session: SessionDep, *, account: PersonAccount | None, outcome: str, method: str
) -> None:
    """One ``login`` event; the user is named only when the account is known (never what a stranger typed)."""
    role = account.role if account else "none"
    user = account.username if account else None
    ctx = RequestContext(
        actor=Actor(client_id=WEB_CLIENT_ID, role=role, user=user),
        request_id=request.state.request_id,
        trace_id=request.state.trace_id,
        network_address=client_address(request),
    )
    entities = [AuditEntity(type="AccountUser", id=str(account.id), role="user")] if account else []
    await audit_service.record(
        session, ctx, action="E", subtype="login", entities=entities, outcome=outcome, query=method
    )


def signed_in(
    request: Request, account: PersonAccount, next_page: str | None, *, method: str = "local"
) -> Response:
    """Start the session. A local sign-in with a one-time password goes to the password page first; an
    OpenID Connect one never does (the provider holds the credentials)."""
    web_session.load(request).start(
        user_id=account.id, session_version=account.session_version, method=method
    )
    local = method == "local"
    target = "/app/password" if local and account.password_expired else safe_next(next_page)
    return RedirectResponse(target, status_code=303)


def _login_page(
    request: Request, settings: SettingsDep, *, next_page: str | None, error: str | None
) -> Response:
    return render(
        request,
        "login.html",
        status_code=401 if error else 200,
        next_page=safe_next(next_page),
        error_key=error,
        oidc_enabled=bool(settings.oidc_issuer and settings.oidc_client_id),
    )


@router.get("/login")
async def login_form(
    request: Request, settings: SettingsDep, next_page: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    return _login_page(request, settings, next_page=next_page, error=None)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_page: Annotated[str | None, Form(alias="next", max_length=2000)] = None,
) -> Response:
    result = await accounts_service.check_password(
        session,
        username=username,
        password=password,
        totp_required_roles=settings.web_totp_required_roles,
        lockout_attempts=settings.web_lockout_attempts,
        lockout_s=settings.web_lockout_s,
    )
    return await _after_step(request, session, settings, result, next_page)


async def _after_step(
    request: Request, session: SessionDep, settings: SettingsDep, result: SignInResult, next_page: str | None
) -> Response:
    sess = web_session.load(request)
    if result.status is SignInStatus.NEEDS_TOTP and result.account is not None:
        sess.set("pending", result.account.id)
        sess.set("pending_at", int(time.time()))
        sess.set("next", safe_next(next_page))
        return RedirectResponse("/app/login/totp", status_code=303)
    if result.status is SignInStatus.OK and result.account is not None:
        await audit_sign_in(request, session, account=result.account, outcome="0", method="password")
        return signed_in(request, result.account, next_page)
    await audit_sign_in(request, session, account=result.account, outcome="4", method="password")
    sess.pop("pending")
    return _login_page(request, settings, next_page=next_page, error=_MESSAGES[result.status])


def _pending(request: Request) -> int | None:
    sess = web_session.load(request)
    uid, at = sess.get("pending"), sess.get("pending_at")
    if not isinstance(uid, int) or not isinstance(at, int) or time.time() - at > PENDING_TOTP_S:
        return None
    return uid


@router.get("/login/totp")
async def totp_form(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/app/login", status_code=303)
    return render(request, "totp.html", error_key=None)


@router.post("/login/totp")
async def totp(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    code: Annotated[str, Form(alias="totp", max_length=16)] = "",
) -> Response:
    uid = _pending(request)
    if uid is None:
        return RedirectResponse("/app/login", status_code=303)
    result = await accounts_service.check_totp(
        session,
        user_id=uid,
        code=code,
        lockout_attempts=settings.web_lockout_attempts,
        lockout_s=settings.web_lockout_s,
    )
    sess = web_session.load(request)
    if result.status is SignInStatus.OK and result.account is not None:
        await audit_sign_in(request, session, account=result.account, outcome="0", method="password+totp")
        return signed_in(request, result.account, sess.get("next"))
    await audit_sign_in(request, session, account=None, outcome="4", method="password+totp")
    if result.status is SignInStatus.LOCKED:
        sess.pop("pending")
        return _login_page(request, settings, next_page=None, error="login.refused")
    return render(request, "totp.html", status_code=401, error_key="login.refused")


@router.post("/logout")
async def logout(request: Request, session: SessionDep, person: Anyone) -> Response:
    await accounts_service.end_sessions(session, user_id=person.account.id)
    web_session.load(request).clear()
    return RedirectResponse("/app/login", status_code=303)


def _only_one_time(request: Request, person: Person) -> None:
    """Only a one-time password is replaced here (it was just typed to sign in): any other session — a
    borrowed browser, a copied cookie, an OpenID Connect sign-in — must not set a password it does not
    know. Other changes go through ``interop users reset``."""
    if not (person.account.password_expired and web_session.load(request).get("m") == "local"):
        raise PageForbidden(person=person)


@router.get("/password")
async def password_form(request: Request, person: Anyone) -> Response:
    _only_one_time(request, person)
    return render(request, "password.html", person=person, error=None)


@router.post("/password")
async def change_password(
    request: Request,
    session: SessionDep,
    person: Anyone,
    password: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    _only_one_time(request, person)
    if password != repeat:
        return render(request, "password.html", status_code=422, person=person, error_key="password.mismatch")
    try:
        account = await accounts_service.change_password(
            session, user_id=person.account.id, password=password
        )
    except AccountInvalid as exc:
        return render(request, "password.html", status_code=422, person=person, error=exc.message)
    return signed_in(request, account, None)


@router.get("/")
async def home(request: Request, person: Anyone) -> Response:
    return render(request, "home.html", person=person)


@router.get("/lang/{code}")
async def choose_language(
    request: Request, code: str, back: Annotated[str | None, Query()] = None
) -> Response:
    if code not in ("es-MX", "en"):
        raise PageNotFound()
    web_session.load(request).set("lang", code)
    return RedirectResponse(safe_next(back), status_code=303)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    media = _STATIC.get(name)
    if media is None:
        raise PageNotFound()
    response = FileResponse(STATIC_DIR / name, media_type=media)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
