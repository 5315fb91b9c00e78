"""Counters every worker shares: rate limits and sign-in throttles.

Two backends with the same atomic operations:
- Redis (`MEDIATION_REDIS_URL` set): every worker of every machine counts in one place; each
  operation is one Lua script, so parallel requests can't slip between a read and a write.
- Embedded (the default): a small SQLite file under var/stores/, shared by the workers of one
  machine; each operation is one statement or one IMMEDIATE transaction, so it is exact under
  parallel requests too. It is a separate file from the site's database so a burst of counting
  never waits behind a long write of the roster.

Times are seconds since the epoch (floats), passed in by the caller so tests can fix them."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(frozen=True)
class ThrottlePolicy:
    """`free` attempts go straight through; the next waits `first_delay`, each later one twice as
    long, up to `longest_delay` (seconds); `forget_after` seconds without an attempt start again."""

    free: int
    first_delay: float
    longest_delay: float
    forget_after: float

    def delay_after(self, attempts: int) -> float:
        """The wait imposed once `attempts` attempts have been made (0 while still free)."""
        if attempts < self.free:
            return 0.0
        return float(min(self.first_delay * 2 ** min(attempts - self.free, 40), self.longest_delay))


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    attempts: int  # attempts counted so far, this one included when allowed
    retry_after: float  # seconds until the next attempt may go through (0 when free)


class Counters(Protocol):
    async def hit(self, key: str, window: int, now: float) -> tuple[int, float]:
        """Count one request in the fixed window of `window` seconds containing `now`; answer the
        count so far (this one included) and the seconds until the window ends."""

    async def reserve(self, key: str, policy: ThrottlePolicy, now: float) -> Reservation:
        """Take one attempt unless the key is waiting out a delay. Counting happens before the
        attempt is checked, so N parallel attempts are counted as N."""

    async def refund(self, key: str, policy: ThrottlePolicy, now: float) -> None:
        """Give back an attempt that succeeded (the address keeps counting failures only)."""

    async def forget(self, key: str) -> None: ...

    async def forget_prefix(self, prefix: str) -> None: ...

    async def close(self) -> None: ...


class SQLiteCounters:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Autocommit mode: each statement is its own transaction unless BEGIN says otherwise.
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=OFF")  # counters needn't survive a power cut
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS hit (key TEXT PRIMARY KEY, count INTEGER NOT NULL, ends REAL NOT NULL)")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS throttle (key TEXT PRIMARY KEY, attempts INTEGER NOT NULL, "
            "blocked_until REAL NOT NULL, forget_at REAL NOT NULL)")
        self._writes = 0

    async def hit(self, key: str, window: int, now: float) -> tuple[int, float]:
        ends = (now // window + 1) * window
        row = self.connection.execute(
            "INSERT INTO hit (key, count, ends) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN hit.ends <= ? THEN 1 ELSE hit.count + 1 END, "
            "ends = CASE WHEN hit.ends <= ? THEN excluded.ends ELSE hit.ends END "
            "RETURNING count, ends", (key, ends, now, now)).fetchone()
        self._tidy(now)
        return int(row[0]), max(float(row[1]) - now, 0.0)

    async def reserve(self, key: str, policy: ThrottlePolicy, now: float) -> Reservation:
        with self._immediate():
            attempts, blocked_until = self._throttle_row(key, now)
            if now < blocked_until:
                return Reservation(False, attempts, blocked_until - now)
            attempts += 1
            delay = policy.delay_after(attempts)
            blocked_until = now + delay if delay else 0.0
            self.connection.execute(
                "INSERT INTO throttle (key, attempts, blocked_until, forget_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts, "
                "blocked_until = excluded.blocked_until, forget_at = excluded.forget_at",
                (key, attempts, blocked_until, max(blocked_until, now) + policy.forget_after))
        return Reservation(True, attempts, delay)

    async def refund(self, key: str, policy: ThrottlePolicy, now: float) -> None:
        with self._immediate():
            attempts, blocked_until = self._throttle_row(key, now)
            attempts = max(attempts - 1, 0)
            if attempts < policy.free:
                blocked_until = 0.0
            self.connection.execute("UPDATE throttle SET attempts = ?, blocked_until = ? WHERE key = ?",
                                    (attempts, blocked_until, key))

    async def forget(self, key: str) -> None:
        self.connection.execute("DELETE FROM throttle WHERE key = ?", (key,))
        self.connection.execute("DELETE FROM hit WHERE key = ?", (key,))

    async def forget_prefix(self, prefix: str) -> None:
        upper = prefix + "\U0010ffff"
        self.connection.execute("DELETE FROM throttle WHERE key >= ? AND key < ?", (prefix, upper))
        self.connection.execute("DELETE FROM hit WHERE key >= ? AND key < ?", (prefix, upper))

    async def close(self) -> None:
        """Nothing to do: the file's connection lives as long as the process (or until replaced)."""

    def _throttle_row(self, key: str, now: float) -> tuple[int, float]:
        row = self.connection.execute(
            "SELECT attempts, blocked_until, forget_at FROM throttle WHERE key = ?", (key,)).fetchone()
        if row is None or row[2] <= now:
            return 0, 0.0
        return int(row[0]), float(row[1])

    def _immediate(self):
        connection = self.connection

        class _Transaction:
            def __enter__(self):
                connection.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, *_):
                connection.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Transaction()

    def _tidy(self, now: float) -> None:
        """Drop finished windows now and then, so the file stays small."""
        self._writes += 1
        if self._writes % 1000 == 0:
            self.connection.execute("DELETE FROM hit WHERE ends <= ?", (now,))
            self.connection.execute("DELETE FROM throttle WHERE forget_at <= ?", (now,))


_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""

# KEYS[1]: the throttle hash; ARGV: now, free, first_delay, longest_delay, forget_after.
# Answers {allowed (0/1), attempts, retry_after as a string (Lua numbers become integers)}.
_RESERVE = """
local now = tonumber(ARGV[1])
local free, first, longest, forget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'attempts', 'blocked_until', 'forget_at')
local attempts = tonumber(state[1]) or 0
local blocked_until = tonumber(state[2]) or 0
if now >= (tonumber(state[3]) or 0) then attempts, blocked_until = 0, 0 end
if now < blocked_until then return {0, attempts, tostring(blocked_until - now)} end
attempts = attempts + 1
local delay = 0
if attempts >= free then delay = math.min(first * 2 ^ math.min(attempts - free, 40), longest) end
if delay > 0 then blocked_until = now + delay else blocked_until = 0 end
local forget_at = math.max(blocked_until, now) + forget
redis.call('HSET', KEYS[1], 'attempts', attempts, 'blocked_until', tostring(blocked_until), 'forget_at', tostring(forget_at))
redis.call('EXPIRE', KEYS[1], math.ceil(forget_at - now))
return {1, attempts, tostring(delay)}
"""

_REFUND = """
local state = redis.call('HMGET', KEYS[1], 'attempts', 'blocked_until')
if not state[1] then return 0 end
local attempts = math.max(tonumber(state[1]) - 1, 0)
local blocked_until = state[2]
if attempts < tonumber(ARGV[1]) then blocked_until = '0' end
redis.call('HSET', KEYS[1], 'attempts', attempts, 'blocked_until', blocked_until)
return attempts
"""


class RedisCounters:
    """One client per event loop: redis-py's asyncio connections belong to the loop that made them."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        self._clients: dict[int, Redis] = {}

    def _client(self) -> Redis:
        import redis.asyncio as redis

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = self._clients[loop_id] = redis.Redis.from_url(self.url, socket_timeout=2,
                                                                   socket_connect_timeout=2)
        return client

    async def hit(self, key: str, window: int, now: float) -> tuple[int, float]:
        ends = (now // window + 1) * window
        # Expiry is relative (Redis's own clock may differ from ours by a little).
        count = await self._client().eval(_HIT, 1, f"{self.prefix}{key}:{int(ends)}", math.ceil(ends - now) + 1)
        return int(count), max(ends - now, 0.0)

    async def reserve(self, key: str, policy: ThrottlePolicy, now: float) -> Reservation:
        allowed, attempts, wait = await self._client().eval(
            _RESERVE, 1, self.prefix + key, repr(now), policy.free, repr(policy.first_delay),
            repr(policy.longest_delay), repr(policy.forget_after))
        return Reservation(bool(allowed), int(attempts), float(wait))

    async def refund(self, key: str, policy: ThrottlePolicy, now: float) -> None:
        await self._client().eval(_REFUND, 1, self.prefix + key, policy.free)

    async def forget(self, key: str) -> None:
        await self._client().delete(self.prefix + key)

    async def forget_prefix(self, prefix: str) -> None:
        client = self._client()
        async for name in client.scan_iter(match=_glob_escape(self.prefix + prefix) + "*", count=500):
            await client.delete(name)

    async def close(self) -> None:
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


_counters: Counters | None = None


def configure(redis_url: str | None, var_dir: Path, prefix: str = "mediation:") -> Counters:
    """Called by the app factory (and by tests); replaces the counters in use."""
    global _counters
    _counters = RedisCounters(redis_url, prefix) if redis_url else SQLiteCounters(var_dir / "stores" / "counters.sqlite3")
    return _counters


def reset() -> None:
    """Forget the counters in use (tests, after clearing var/stores); the next use reopens them."""
    global _counters
    _counters = None


def counters() -> Counters:
    if _counters is None:
        from core.settings import get_settings

        settings = get_settings()
        return configure(settings.redis_url, settings.var_dir, settings.redis_prefix)
    return _counters


def now() -> float:
    from core import clock

    return clock.now().timestamp()
