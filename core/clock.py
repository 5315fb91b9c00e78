"""One clock for the whole platform.

Instants (`..._at`) are aware datetimes, stored as instants and compared as instants; calendar
dates (`..._on`, "today", deadlines) are dates in the platform's time zone
(`MEDIATION_TIME_ZONE`, default Asia/Shanghai), never the server's: a server on UTC would
otherwise date everything done between 00:00 and 08:00 Beijing time to the day before.

Every service, job, template and test asks this module; nothing else calls `datetime.now()`
or `date.today()`. Tests freeze it (`frozen(...)`), and a server started for tests can be
frozen with `MEDIATION_FROZEN_CLOCK` (an ISO instant; refused in production)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    from core.settings import get_settings

    return _zone(get_settings().time_zone)


def now() -> datetime:
    """The current instant (aware, UTC)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current instant on the platform's wall clock (aware, in its zone)."""
    return now().astimezone(zone())


def today() -> date:
    """The platform's calendar date."""
    return local_now().date()


def local(instant: datetime) -> datetime:
    """An instant on the platform's wall clock; a naive value is taken to be UTC (as SQLite
    may hand it back)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone())


def date_of(instant: datetime) -> date:
    """The platform's calendar date of an instant."""
    return local(instant).date()


def start_of(day: date) -> datetime:
    """The instant the platform's day begins (midnight in its zone), in UTC."""
    return datetime.combine(day, time.min, zone()).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The instant the platform's day ends (the next day's midnight), in UTC."""
    return start_of(day + timedelta(days=1))


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 with the platform's offset, e.g. 2026-12-05T01:30:00+08:00."""
    return local(instant).isoformat() if instant is not None else None


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Stop the clock at `at` (aware) for the duration: tests assert dates, not timings."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze the clock at an aware instant")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous


def freeze_from_environment() -> None:
    """A test server's clock, frozen by MEDIATION_FROZEN_CLOCK (never in production)."""
    global _frozen
    raw = os.environ.get("MEDIATION_FROZEN_CLOCK")
    if not raw:
        return
    if os.environ.get("MEDIATION_ENV") == "production":
        raise RuntimeError("MEDIATION_FROZEN_CLOCK is for tests; it is refused in production")
    at = datetime.fromisoformat(raw)
    if at.tzinfo is None:
        raise RuntimeError("MEDIATION_FROZEN_CLOCK needs an offset, e.g. 2026-12-05T00:30:00+08:00")
    _frozen = at.astimezone(UTC)


def localise(value):  # noqa: ANN001, ANN201 - any JSON-shaped value
    """A response body with every instant on the platform's wall clock, so the API answers
    `2026-12-05T01:30:00+08:00`, not the UTC instant the database hands back. Structs and
    dataclasses become plain values first (as the JSON encoder would make them)."""
    import msgspec

    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, dict):
        return {key: localise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(item) for item in value]
    if isinstance(value, str | int | float | bool | date) or value is None:
        return value
    try:
        return localise(msgspec.to_builtins(value, builtin_types=(datetime, date)))
    except TypeError:
        return value  # not a struct: the encoder will say what it can't encode
