"""Named rate limits. Each name has its own store so limits don't share counters;
MEDIATION_RATE_LIMITS=off removes them all (load tests only)."""

from __future__ import annotations

from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig

from core.settings import get_settings


def limit_per_minute(name: str) -> int:
    limits = get_settings().rate_limits
    return {
        "login": limits.login_per_minute,
        "verify": limits.verify_per_minute,
        "api_token": limits.api_token_per_minute,
        "public_form": limits.public_form_per_minute,
    }[name]


def _limits_on(_request) -> bool:
    # Read per request, so the switch follows the settings of the running process.
    return get_settings().rate_limits.enabled


def named_limit(name: str) -> list[DefineMiddleware]:
    config = RateLimitConfig(
        rate_limit=("minute", limit_per_minute(name)),
        store=f"rate_limit_{name}",
        check_throttle_handler=_limits_on,
    )
    return [config.middleware]
