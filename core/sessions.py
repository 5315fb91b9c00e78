"""Server-side sessions that stay out of the way of anonymous visitors.

Litestar's stock backend stores an empty session and sets a cookie on every response;
for the public roster and QR verification that would mean a file write and a cookie per
scan. This backend stores a session only once something is put in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession


class LazySessionBackend(ServerSideSessionBackend):
    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        had_cookie = self.config.key in connection.cookies
        if not scope_session and scope_session is not Empty:
            if not had_cookie:
                return
            scope_session = Empty  # emptied (sign-out): delete it and clear the cookie
        await super().store_in_message(scope_session, message, connection)


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    _backend_class: Any = LazySessionBackend  # type: ignore[assignment]
