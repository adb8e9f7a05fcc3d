"""What a page route depends on: the signed-in person (``require_person``) and the CSRF check.

``require_person(*roles)`` is the one gate of every page that is not the sign-in itself: it loads the
session, checks the account is still active and unchanged, refuses other roles (admin passes every gate,
as its API scopes cover everything), checks the CSRF token of every unsafe request, and returns a
``Person`` whose ``ctx`` is what domain services and audit events take — the person is the acting user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from interop.accounts import service as accounts_service
from interop.accounts.roles import API_ROLE, PERSON_SCOPES, PersonRole
from interop.accounts.schemas import PersonAccount
from interop.api.addresses import client_address
from interop.api.deps import SessionDep
from interop.context import Actor, RequestContext
from interop.web import session as web_session
from interop.web.pages import CsrfRefused, PageForbidden, PasswordChangeRequired, SignInRequired

PERSON_POLICY_ATTR = "__interop_person_policy__"
WEB_CLIENT_ID = "interop-web"  # the audit's client for every page: the person is the acting user
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_PASSWORD_PAGE = "/app/password"  # noqa: S105 - a page path, not a password


@dataclass(frozen=True)
class Person:
    account: PersonAccount
    ctx: RequestContext
    csrf_token: str

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def username(self) -> str:
        return self.account.username


def person_context(request: Request, account: PersonAccount) -> RequestContext:
    role = PersonRole(account.role)
    actor = Actor(
        client_id=WEB_CLIENT_ID,
        role=API_ROLE[role],
        scopes=PERSON_SCOPES[role],
        clues=frozenset(account.clues),
        user=account.username,
    )
    return RequestContext(
        actor=actor,
        request_id=request.state.request_id,
        trace_id=request.state.trace_id,
        network_address=client_address(request),
    )


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form lacks this session's CSRF token (403 page)."""
    if request.method in _SAFE:
        return
    form = await request.form()
    sent = form.get(web_session.CSRF_FIELD)
    if not web_session.load(request).csrf_matches(sent if isinstance(sent, str) else None):
        raise CsrfRefused()


CsrfChecked = Annotated[None, Depends(check_csrf)]


def require_person(*roles: str) -> Callable[..., Awaitable[Person]]:
    """A dependency: the signed-in person holding one of ``roles`` (any role when none is named)."""
    wanted = frozenset(PersonRole(r).value for r in roles)

    async def gate(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Person:
        sess = web_session.load(request)
        uid, version = sess.get("uid"), sess.get("sv")
        if not isinstance(uid, int) or not isinstance(version, int):
            raise SignInRequired()
        account = await accounts_service.get_active(session, user_id=uid, session_version=version)
        if account is None:
            sess.clear()
            raise SignInRequired()
        if account.password_expired and sess.get("m") == "local" and request.url.path != _PASSWORD_PAGE:
            raise PasswordChangeRequired()
        person = Person(account=account, ctx=person_context(request, account), csrf_token=sess.csrf)
        if wanted and account.role not in wanted and account.role != PersonRole.ADMIN:
            raise PageForbidden(person=person)
        request.state.context = person.ctx
        return person

    setattr(gate, PERSON_POLICY_ATTR, tuple(sorted(wanted)))
    return gate
