"""Shared counters (rate limits, sign-in throttles) on both backends: the embedded SQLite file
and Redis. Exact under parallel use from several processes, as several workers use them."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys

import pytest

from core.counters import RedisCounters, SQLiteCounters, ThrottlePolicy
from core.settings import get_settings
from tests.conftest import ROOT

REDIS_URL = os.environ.get("MEDIATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POLICY = ThrottlePolicy(free=5, first_delay=30, longest_delay=3600, forget_after=86400)


def _redis_up() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, db):
    if request.param == "sqlite":
        path = get_settings().var_dir / "stores" / f"counters-{secrets.token_hex(4)}.sqlite3"
        yield "sqlite", str(path), lambda: SQLiteCounters(path)
        return
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is unreachable at {REDIS_URL} and CI=true")
        pytest.skip(f"Redis is unreachable at {REDIS_URL}")
    prefix = f"test-{secrets.token_hex(6)}:"
    yield "redis", prefix, lambda: RedisCounters(REDIS_URL, prefix)
    asyncio.run(RedisCounters(REDIS_URL, prefix).forget_prefix(""))


def test_hits_count_in_fixed_windows(backend):
    _, _, make = backend

    async def scenario():
        counters = make()
        first = [await counters.hit("k", 60, 120.0 + n) for n in range(3)]
        next_window = await counters.hit("k", 60, 180.0)
        other_key = await counters.hit("other", 60, 121.0)
        await counters.close()
        return first, next_window, other_key

    first, next_window, other_key = asyncio.run(scenario())
    assert first == [(1, 60.0), (2, 59.0), (3, 58.0)]
    assert next_window == (1, 60.0)
    assert other_key == (1, 59.0)


def test_reserve_gives_free_attempts_then_growing_delays(backend):
    _, _, make = backend

    async def scenario():
        counters = make()
        t = 1000.0
        outcomes = [(await counters.reserve("k", POLICY, t)) for _ in range(6)]
        later = await counters.reserve("k", POLICY, t + 30.5)
        await counters.refund("k", POLICY, t + 31)
        forgotten = await counters.reserve("k", POLICY, t + 30.5 + 60 + 86400 + 1)
        await counters.close()
        return outcomes, later, forgotten

    outcomes, later, forgotten = asyncio.run(scenario())
    assert [o.allowed for o in outcomes] == [True] * 5 + [False]
    assert [o.retry_after for o in outcomes[:5]] == [0, 0, 0, 0, 30]
    assert outcomes[5].retry_after == 30
    assert later.allowed and later.attempts == 6 and later.retry_after == 60
    assert forgotten.allowed and forgotten.attempts == 1


def test_forget_prefix_clears_one_account_only(backend):
    _, _, make = backend

    async def scenario():
        counters = make()
        for _ in range(6):
            await counters.reserve("signin:account:alice:1.1.1.1", POLICY, 10.0)
            await counters.reserve("signin:account:alicia:1.1.1.1", POLICY, 10.0)
        await counters.forget_prefix("signin:account:alice:")
        alice = await counters.reserve("signin:account:alice:1.1.1.1", POLICY, 11.0)
        alicia = await counters.reserve("signin:account:alicia:1.1.1.1", POLICY, 11.0)
        await counters.close()
        return alice, alicia

    alice, alicia = asyncio.run(scenario())
    assert alice.allowed and not alicia.allowed


WORKER = """
import asyncio, sys
from core.counters import RedisCounters, SQLiteCounters, ThrottlePolicy
from pathlib import Path
kind, where, operation = sys.argv[1:4]
policy = ThrottlePolicy(free=5, first_delay=30, longest_delay=3600, forget_after=86400)
async def main():
    counters = SQLiteCounters(Path(where)) if kind == "sqlite" else RedisCounters(sys.argv[4], where)
    allowed = 0
    for _ in range(40):
        if operation == "hit":
            await counters.hit("burst", 3600, 7200.0)
        elif (await counters.reserve("guess", policy, 1000.0)).allowed:
            allowed += 1
    await counters.close()
    print(allowed)
asyncio.run(main())
"""


@pytest.mark.parametrize("operation", ["hit", "reserve"])
def test_several_processes_count_exactly(backend, operation):
    kind, where, make = backend
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, kind, where, operation, REDIS_URL], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True) for _ in range(4)]
    allowed = sum(int(p.communicate(timeout=120)[0].strip()) for p in processes)
    if operation == "hit":
        count, _ = asyncio.run(make().hit("burst", 3600, 7200.0))
        assert count == 4 * 40 + 1
    else:
        assert allowed == 5
