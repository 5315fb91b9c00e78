"""Request context: request id, language, the signed-in principal, security headers,
and one structured log line per request (path without query string: no personal data)."""

from __future__ import annotations

import logging
import secrets
import time
from http.cookies import SimpleCookie

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.audit import request_id
from core.auth.roles import ANONYMOUS, Principal
from core.clientaddr import resolve_client
from core.i18n import DEFAULT_LANGUAGE, current_language, normalise_language
from core.scope import extras
from core.sessions import grants_fingerprint, rotate_session

log = logging.getLogger("mediation.request")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is ignored
                return {}
            return {k: v.value for k, v in jar.items()}
    return {}


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return ""


def choose_language(scope: Scope, default: str) -> str:
    cookie = normalise_language(_cookies(scope).get("lang"))
    if cookie:
        return cookie
    if scope.get("path", "").startswith("/api/"):
        accept = _header(scope, b"accept-language").split(",")[0].split(";")[0].strip()
        return normalise_language(accept) or default
    return default


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, default_language: str = DEFAULT_LANGUAGE,
                 trusted_proxies: tuple[str, ...] = ()) -> None:
        self.app = app
        self.default_language = default_language
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if self.trusted_proxies and client:
            # Everything after this (limits, throttles, logs) sees the real client.
            scope["client"] = (resolve_client(scope, self.trusted_proxies), client[1])
        rid = _header(scope, b"x-request-id")[:32] or secrets.token_hex(8)
        rid_token = request_id.set(rid)
        lang_token = current_language.set(choose_language(scope, self.default_language))
        extras(scope).setdefault("principal", ANONYMOUS)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers["X-Request-ID"] = rid
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            principal = extras(scope).get("principal", ANONYMOUS)
            log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": getattr(principal, "user_id", None),
                },
            )
            request_id.reset(rid_token)
            current_language.reset(lang_token)


class PrincipalMiddleware:
    """Loads who is asking: a bearer token on the API, the session cookie on pages.

    The API ignores session cookies, so no cross-site page can drive it with a
    visitor's session; that is why the API may skip CSRF. A session whose account's grants
    changed since sign-in gets a new id (and the new grants); one whose account was
    deactivated ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from core.auth.services import load_principal, principal_for_token

        if scope["type"] == "http":
            principal = ANONYMOUS
            path = scope.get("path", "")
            if path.startswith("/api/"):
                auth = _header(scope, b"authorization")
                if auth.lower().startswith("bearer "):
                    principal = await principal_for_token(auth[7:].strip()) or ANONYMOUS
            else:
                session = scope.get("session")
                if isinstance(session, dict) and isinstance(session.get("uid"), int):
                    principal = await load_principal(session["uid"])
                    _follow_grants(scope, session, principal)
            extras(scope)["principal"] = principal
        await self.app(scope, receive, send)


def _follow_grants(scope: Scope, session: dict, principal: Principal) -> None:
    if not principal.is_authenticated:
        scope["session"] = {}  # the account is gone or deactivated: the session ends
        return
    fingerprint = grants_fingerprint(principal.grants)
    if session.get("gf") != fingerprint:
        rotate_session(scope)
        scope["session"] = {**session, "gf": fingerprint}
