"""Sessions for people: a signed cookie (itsdangerous, HMAC-SHA256 with a timestamp), HttpOnly, SameSite=Lax
(the OpenID Connect callback is a top-level cross-site GET, which Lax still carries), Secure over HTTPS,
scoped to ``/app``. The cookie holds ids and a CSRF token, never personal data. A session is trusted only
while its account is active and its ``session_version`` unchanged (disable and reset end it at once).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from interop.config import Settings

COOKIE = "interop_app"
COOKIE_PATH = "/app"
CSRF_FIELD = "csrf_token"
_SALT = "interop.web.session"


@dataclass
class WebSession:
    """The decoded cookie. ``dirty`` when changed, so the response writes it back."""

    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.dirty = True

    def pop(self, key: str) -> Any:
        self.dirty = self.dirty or key in self.data
        return self.data.pop(key, None)

    def clear(self) -> None:
        self.data = {}
        self.dirty = True

    @property
    def csrf(self) -> str:
        """This session's CSRF token, made on first use (an anonymous visitor gets one for the login form)."""
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(24)
            self.set("csrf", token)
        return token

    def csrf_matches(self, sent: str | None) -> bool:
        token = self.data.get("csrf")
        # Compared as bytes: ``compare_digest`` raises on non-ASCII text (a forged token was a 500).
        return (
            isinstance(token, str)
            and bool(sent)
            and hmac.compare_digest(token.encode(), (sent or "").encode())
        )

    def start(self, *, user_id: int, session_version: int, method: str = "local") -> None:
        """A new signed-in session: everything before (pending steps, the old CSRF token) is dropped."""
        lang = self.data.get("lang")
        self.data = {"uid": user_id, "sv": session_version, "at": int(time.time()), "m": method}
        if lang:
            self.data["lang"] = lang
        self.dirty = True


def _secret(settings: Settings) -> str:
    if settings.web_session_secret:
        return settings.web_session_secret
    path: Path = settings.resolved_data_dir / "web" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def serializer(request: Request) -> URLSafeTimedSerializer:
    found: URLSafeTimedSerializer | None = getattr(request.app.state, "web_serializer", None)
    if found is None:
        found = URLSafeTimedSerializer(_secret(request.app.state.settings), salt=_SALT)
        request.app.state.web_serializer = found
    return found


def load(request: Request) -> WebSession:
    """The request's session (decoded once per request); an absent, forged or expired cookie is empty."""
    found: WebSession | None = getattr(request.state, "web_session", None)
    if found is not None:
        return found
    settings: Settings = request.app.state.settings
    raw = request.cookies.get(COOKIE)
    data: dict[str, Any] = {}
    if raw and len(raw) < 4096:
        try:
            loaded = serializer(request).loads(raw, max_age=settings.web_session_max_age_s)
        except BadSignature:
            loaded = None
        if isinstance(loaded, dict):
            data = loaded
    session = WebSession(data)
    request.state.web_session = session
    return session


def save(request: Request, response: Response) -> None:
    """Write the cookie back when the session changed during the request."""
    session: WebSession | None = getattr(request.state, "web_session", None)
    if session is None or not session.dirty:
        return
    settings: Settings = request.app.state.settings
    # Behind the TLS proxy the service itself speaks plain HTTP: the public URL says whether people use HTTPS.
    secure = request.url.scheme == "https" or (settings.base_url or "").lower().startswith("https://")
    if not session.data:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax")
        return
    response.set_cookie(
        COOKIE,
        serializer(request).dumps(session.data),
        max_age=settings.web_session_max_age_s,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="lax",
    )
