"""Server-side sessions that stay out of the way of anonymous visitors, and never adopt an id
they didn't issue.

Litestar's stock backend stores an empty session and sets a cookie on every response;
for the public roster and QR verification that would mean a file write and a cookie per
scan. This backend stores a session only once something is put in it.

Session fixation: the stock backend also stores data under whatever id the cookie carries,
so an id planted by an attacker before sign-in would be signed in too. Here an id counts only
if the server holds a session under it; any other id is ignored, and a fresh id is issued at
sign-in, at sign-out and when the user's grants change (`rotate_session`)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from core.scope import extras

ISSUED_ID = "mediation.session_id"  # the id the server found in its store for this request
NEW_ID = "mediation.new_session_id"  # the id this response hands out instead
ROTATE = "mediation.rotate_session"
_WELL_FORMED = re.compile(r"^[0-9a-f]{64}$")


def issued_session_id(scope: Scope) -> str | None:
    """The server-issued id of this request's session, or None (no session yet)."""
    issued: str | None = extras(scope).get(ISSUED_ID)
    return issued


def rotate_session(scope: Scope) -> None:
    """Hand out a new session id with this response and forget the old one."""
    extras(scope)[ROTATE] = True


def current_session_id(scope: Scope) -> str | None:
    """The id the browser will hold after this response: the new one when the session is being
    rotated, else the issued one (None without a session). CSRF tokens are bound to it."""
    if extras(scope).get(ROTATE):
        return _new_id(scope)
    return issued_session_id(scope)


def _new_id(scope: Scope) -> str:
    added = extras(scope)
    if not added.get(NEW_ID):
        added[NEW_ID] = secrets.token_hex(32)
    new_id: str = added[NEW_ID]
    return new_id


def grants_fingerprint(grants: Any) -> str:
    """A short digest of what an account may do; a session remembers it from sign-in, and a
    change of roles or grants (made by anyone) is noticed on the next request."""
    return hashlib.sha256(repr(sorted(map(repr, grants))).encode()).hexdigest()[:16]


class LazySessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        scope = connection.scope
        extras(scope)[ISSUED_ID] = None
        session_id = connection.cookies.get(self.config.key)
        if not session_id or not _WELL_FORMED.match(session_id):
            return {}
        data = await self.get(session_id, store=self.config.get_store_from_app(scope["app"]))
        if data is None:
            return {}  # an id the server never issued, or one that has ended: ignored
        extras(scope)[ISSUED_ID] = session_id
        return self.deserialize_data(data)

    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        issued = issued_session_id(scope)
        if issued and not extras(scope).get(ROTATE):
            return issued
        return _new_id(scope)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        scope = connection.scope
        store = self.config.get_store_from_app(scope["app"])
        issued = issued_session_id(scope)
        had_cookie = self.config.key in connection.cookies
        if issued and (extras(scope).get(ROTATE) or scope_session is Empty or not scope_session):
            await self.delete(issued, store=store)  # the old id is dead, whatever happens next
        if scope_session is Empty or not scope_session:
            if had_cookie:
                self._set_cookie(message, "null", expires=0)
            return
        session_id = self.get_session_id(connection)
        await self.set(session_id=session_id, data=self.serialize_data(scope_session, scope), store=store)
        self._set_cookie(message, session_id)

    def _set_cookie(self, message: Message, value: str, **extra: Any) -> None:
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        MutableScopeHeaders.from_message(message).add(
            "Set-Cookie", Cookie(value=value, key=self.config.key, **params, **extra).to_header(header=""))


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    _backend_class: Any = LazySessionBackend
