"""CSRF protection bound to the session.

Litestar's stock middleware accepts any cookie/token pair it signed, so a pair minted by an
attacker (who then plants the cookie in a victim's browser) passes with the victim's session.
Here a form token is an HMAC over a random nonce and the session id the browser holds, so it
is valid for that session only. A visitor without a session (the sign-in form, the public
objection form) gets the double-submit cookie: the token must match a cookie this server
signed, which a cross-site page can neither read nor send (SameSite=Lax).

Every unsafe request outside /api/ is checked (the API takes bearer tokens only and ignores
the session cookie); a route opts out only visibly, with opt={"exclude_from_csrf": True}."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from core.scope import http_scope
from core.sessions import current_session_id

FORM_FIELD = "_csrf_token"
HEADER = "x-csrftoken"
COOKIE = "csrftoken"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
EXEMPT_PREFIXES = ("/api/",)


class CSRFRefused(PermissionDeniedException):
    """A form whose token doesn't belong to this browser's session (forged, or the session
    changed since the page was loaded)."""


def _sign(secret: str, purpose: str, nonce: str, binding: str = "") -> str:
    return hmac.new(secret.encode(), f"{purpose}|{binding}|{nonce}".encode(), hashlib.sha256).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    nonce, _, signature = token.partition(".")
    return (nonce, signature) if nonce and signature else None


def _valid(secret: str, token: str | None, purpose: str, binding: str = "") -> bool:
    parts = _split(token or "")
    return parts is not None and hmac.compare_digest(parts[1], _sign(secret, purpose, parts[0], binding))


def session_token(secret: str, session_id: str) -> str:
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_sign(secret, 'session', nonce, session_id)}"


def cookie_token(secret: str) -> str:
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_sign(secret, 'cookie', nonce)}"


class SessionBoundCSRFMiddleware:
    def __init__(self, app: ASGIApp, secret: str, secure: bool = False) -> None:
        self.app, self.secret, self.secure = app, secret, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http = http_scope(scope)
        if http is None or http["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        session_id = current_session_id(scope)
        cookie = _cookie(scope)
        if http["method"] not in SAFE_METHODS and not _route_opts_out(scope):
            submitted = await _submitted_token(scope, receive)
            if not self._accepts(submitted, session_id, cookie):
                raise CSRFRefused("CSRF token verification failed")
        if session_id:
            token = session_token(self.secret, session_id)
        else:
            cookie = cookie if _valid(self.secret, cookie, "cookie") else None
            token = cookie or cookie_token(self.secret)
        ScopeState.from_scope(scope).csrf_token = token  # what templates' csrf_input prints
        await self.app(scope, receive, send if session_id or cookie else self._setting_cookie(send, token))

    def _accepts(self, submitted: str | None, session_id: str | None, cookie: str | None) -> bool:
        if session_id:
            return _valid(self.secret, submitted, "session", session_id)
        return (submitted is not None and cookie is not None and hmac.compare_digest(submitted, cookie)
                and _valid(self.secret, cookie, "cookie"))

    def _setting_cookie(self, send: Send, token: str) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = Cookie(key=COOKIE, value=token, path="/", secure=self.secure, httponly=True, samesite="lax")
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        return wrapped


def _cookie(scope: Scope) -> str | None:
    from core.middleware import _cookies

    return _cookies(scope).get(COOKIE)


def _route_opts_out(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("exclude_from_csrf"))


async def _submitted_token(scope: Scope, receive: Receive) -> str | None:
    request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type, _ = request.content_type
    if content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
        form = await request.form()  # parsed once; the handler reads the same parsed form
        value = form.get(FORM_FIELD)
        return value if isinstance(value, str) else None
    return None
