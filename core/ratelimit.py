"""Named rate limits: requests per minute per client address, counted where every worker
counts (core.counters), keyed by the address core.clientaddr resolved (never by a header a
client can choose). MEDIATION_RATE_LIMITS=off removes them all (load tests only)."""

from __future__ import annotations

import math

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core import counters
from core.settings import get_settings

WINDOW_SECONDS = 60


def limit_per_minute(name: str) -> int:
    limits = get_settings().rate_limits
    return {
        "login": limits.login_per_minute,
        "verify": limits.verify_per_minute,
        "api_token": limits.api_token_per_minute,
        "public_form": limits.public_form_per_minute,
    }[name]


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class NamedRateLimit:
    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app, self.name = app, name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not get_settings().rate_limits.enabled:
            await self.app(scope, receive, send)
            return
        limit = limit_per_minute(self.name)
        count, reset = await counters.counters().hit(f"rate:{self.name}:{client_of(scope)}", WINDOW_SECONDS,
                                                     counters.now())
        headers = {
            "RateLimit-Policy": f"{limit}; w={WINDOW_SECONDS}",
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(limit - count, 0)),
            "RateLimit-Reset": str(math.ceil(reset)),
        }
        if count > limit:
            raise TooManyRequestsException(headers=headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((k.lower().encode(), v.encode()) for k, v in headers.items())]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def named_limit(name: str) -> list[DefineMiddleware]:
    limit_per_minute(name)  # an unknown name fails when the route is declared, not when it's hit
    return [DefineMiddleware(NamedRateLimit, name=name)]
