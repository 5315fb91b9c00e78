"""The verification cache and what keeps it fresh.

The verification hot path (QR scans) reads certificates through a per-process cache that is
checked against a generation stamp on disk on every request (one stat call): every change of
a certificate sets a new stamp after its commit, so a revocation shows on the very next
request in every worker on the machine. The holder's roster status (another domain's record)
is cached for ROSTER_STATUS_TTL seconds."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from certification import tables
from certification.registry import by_id, successor
from certification.rules import RENEWED
from certification.schemas import Certificate
from core.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

ROW_CACHE_TTL = 600.0  # TODO settings: safety net for changes made inside other domains' transactions
ROSTER_STATUS_TTL = 30.0  # TODO settings
ROW_CACHE_MAX = 200_000  # TODO settings

_row_cache: dict[int, tuple[int, float, Certificate, Certificate | None]] = {}
_roster_cache: dict[int, tuple[float, str]] = {}
_last_stamp = 0


def _generation_file() -> Path:
    return get_settings().var_dir / "certificates" / "generation"


def generation() -> int:
    try:
        return os.stat(_generation_file()).st_mtime_ns
    except FileNotFoundError:
        return 0


def bump_generation() -> None:
    """Mark every cached certificate stale, in every worker (call after the commit)."""
    global _last_stamp
    path = _generation_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    stamp = max(time.time_ns(), _last_stamp + 1, generation() + 1)
    os.utime(path, ns=(stamp, stamp))
    _last_stamp = stamp
    _row_cache.clear()
    try:
        in_transaction = tables.Certificate._meta.db.current_transaction.get() is not None
        loop = asyncio.get_running_loop()
    except (AttributeError, LookupError, RuntimeError):
        return
    if in_transaction:  # the commit is still to come: stamp again once it has surely happened
        for delay in (0.2, 1.0, 5.0):
            loop.call_later(delay, bump_generation_outside)


def bump_generation_outside() -> None:
    global _last_stamp
    path = _generation_file()
    stamp = max(time.time_ns(), _last_stamp + 1, generation() + 1)
    try:
        os.utime(path, ns=(stamp, stamp))
    except FileNotFoundError:
        return
    _last_stamp = stamp
    _row_cache.clear()


def bumps(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorator: the certificate change is followed by a new generation stamp."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        finally:
            bump_generation()

    return wrapper


async def cached_certificate(certificate_id: int) -> tuple[Certificate, Certificate | None] | None:
    """(certificate, its successor) through the cache; None when there is no such certificate."""
    current = generation()
    entry = _row_cache.get(certificate_id)
    tick = time.monotonic()
    if entry is not None and entry[0] == current and tick - entry[1] < ROW_CACHE_TTL:
        return entry[2], entry[3]
    certificate = await by_id(certificate_id)
    if certificate is None:
        return None
    nxt = await successor(certificate) if certificate.status == RENEWED else None
    if len(_row_cache) >= ROW_CACHE_MAX:
        _row_cache.clear()
    _row_cache[certificate_id] = (current, tick, certificate, nxt)
    return certificate, nxt


async def roster_status(mediator_id: int) -> str:
    entry = _roster_cache.get(mediator_id)
    tick = time.monotonic()
    if entry is not None and tick - entry[0] < ROSTER_STATUS_TTL:
        return entry[1]
    from roster import services as roster_services

    summary = await roster_services.mediator_summary(mediator_id)
    status = summary.status if summary else ""
    if len(_roster_cache) >= ROW_CACHE_MAX:
        _roster_cache.clear()
    _roster_cache[mediator_id] = (tick, status)
    return status


def clear_caches() -> None:
    _row_cache.clear()
    _roster_cache.clear()
