"""One Piccolo engine chosen from the database URL.

Piccolo's stock SQLite engine opens a connection (and an aiosqlite thread) for every
query outside a transaction; at ~1 ms a lookup that alone caps a page at a few hundred
requests per second. `PooledSQLiteEngine` keeps a small pool of persistent connections
per event loop while the app runs, and falls back to the stock behaviour elsewhere
(migrations, CLI). PostgreSQL uses asyncpg's pool, opened in the app lifespan.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

SQLITE_TIMEOUT_SECONDS = 30
POSTGRES_POOL_SIZE = int(os.environ.get("MEDIATION_DB_POOL_SIZE", "10"))
log = logging.getLogger("mediation.db")


class PooledSQLiteEngine(SQLiteEngine):
    __slots__ = ("_pools", "_pool_size")

    def __init__(self, path: str, pool_size: int = 4, **kwargs: Any) -> None:
        super().__init__(path=path, timeout=SQLITE_TIMEOUT_SECONDS, **kwargs)
        self._pools: dict[int, asyncio.Queue] = {}
        self._pool_size = pool_size

    async def _open(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        # Piccolo's own row factory (dicts), which aiosqlite's stubs type as for tuples only
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    async def start_connection_pool(self, **_: Any) -> None:
        loop_id = id(asyncio.get_running_loop())
        if loop_id in self._pools:
            return
        queue: asyncio.Queue = asyncio.Queue()
        for _n in range(self._pool_size):
            queue.put_nowait(await self._open())
        self._pools[loop_id] = queue

    async def close_connection_pool(self) -> None:
        queue = self._pools.pop(id(asyncio.get_running_loop()), None)
        while queue is not None and not queue.empty():
            await queue.get_nowait().close()

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await self._open()
        return connection

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        queue = self._pools.get(id(asyncio.get_running_loop()))
        if queue is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await queue.get()
        try:
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
            await connection.commit()
            return rows
        except sqlite3.Error:
            await connection.rollback()
            raise
        finally:
            queue.put_nowait(connection)


def sqlite_path(database_url: str) -> str:
    # sqlite:///relative.db and sqlite:////absolute/path.db
    return unquote(database_url.split("sqlite:///", 1)[1])


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        prepare_sqlite_file(path)
        return PooledSQLiteEngine(path=path)
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": database_url}, extensions=())
    raise RuntimeError(f"unsupported database URL scheme: {urlparse(database_url).scheme}")


def prepare_sqlite_file(path: str) -> None:
    """WAL lets readers proceed while one writer commits; it persists in the file."""
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def engine():
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    assert found is not None, "piccolo_conf.DB is not configured"
    return found


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


@asynccontextmanager
async def write_transaction():
    """A transaction that takes the write lock up front on SQLite (no 'database is locked'
    half-way through) and is an ordinary transaction on PostgreSQL."""
    db = engine()
    if db.engine_type == "sqlite":
        async with db.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with db.transaction() as txn:
            yield txn


async def serialise_on(name: str) -> None:
    """Call first inside a write transaction: another transaction that serialised on the same
    `name` (e.g. "selection:<court>:<case>") has ended before this one goes on, so a "was it
    done already?" check that follows sees its result. PostgreSQL takes an advisory lock on a
    64-bit hash of the name until the transaction ends (every node and process shares it);
    SQLite's write transaction already holds the database's single write lock."""
    import hashlib

    from piccolo.querystring import QueryString

    db = engine()
    if db.engine_type == "postgres":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        await db.run_querystring(QueryString("SELECT pg_advisory_xact_lock({})", key))


def is_unique_violation(failure: BaseException, name: str) -> bool:
    """Whether `failure` is the database refusing a duplicate of the unique column or index
    `name` (a request that lost a race another won): SQLite names the column, PostgreSQL the
    constraint or index."""
    if isinstance(failure, sqlite3.IntegrityError):
        return str(failure).startswith("UNIQUE constraint failed") and name in str(failure)
    if isinstance(failure, asyncpg.UniqueViolationError):
        return name in (failure.constraint_name or "")
    return False


async def start_pool() -> bool:
    """Open the pool. If PostgreSQL is down the app still starts (and /healthz says 503);
    the next health check tries to open the pool again, so no restart is needed."""
    global _pool_wanted
    _pool_wanted = True
    db = engine()
    try:
        if isinstance(db, PostgresEngine):
            if db.pool is None:
                await db.start_connection_pool(min_size=2, max_size=POSTGRES_POOL_SIZE)
        elif isinstance(db, PooledSQLiteEngine):
            await db.start_connection_pool()
        return True
    except (TimeoutError, OSError, asyncpg.PostgresError) as failure:
        log.warning("database pool not opened", extra={"error": type(failure).__name__})
        return False


_pool_wanted = False


async def close_pool() -> None:
    global _pool_wanted
    _pool_wanted = False
    db = engine()
    if isinstance(db, PostgresEngine | PooledSQLiteEngine):
        await db.close_connection_pool()


_DATABASE_MODULES = ("/asyncpg/", "/piccolo/engine/", "/aiosqlite/", "/core/db.py")


def raised_by_database(exc: BaseException | None) -> bool:
    """Whether an OSError came from talking to the database (a refused or dropped connection),
    as opposed to the disk or another service: told by where it was raised."""
    import traceback

    while exc is not None:
        if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            return True
        if any(marker in frame.filename for frame in traceback.extract_tb(exc.__traceback__)
               for marker in _DATABASE_MODULES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def ping() -> bool:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None and _pool_wanted:
        await start_pool()
    try:
        await _select_one()
        return True
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        return False


async def _select_one() -> None:
    from piccolo.querystring import QueryString

    await engine().run_querystring(QueryString("SELECT 1"))


def contains(column, text: str):
    """Case-insensitive substring match on either engine (SQLite's LIKE already ignores
    ASCII case and has no ILIKE). A % or _ typed by the user acts as a wildcard: harmless.
    Text without letter case (Chinese names, digits) needs no ILIKE, which on PostgreSQL
    lower-cases every row it scans and is several times slower than LIKE."""
    pattern = f"%{text}%"
    return column.like(pattern) if is_sqlite() or text.lower() == text.upper() else column.ilike(pattern)


IN_CHUNK = 900  # SQLite caps bound parameters; long id lists go in chunks


def chunks(ids: list[int], size: int = IN_CHUNK):
    """`ids` in parts short enough for one `IN (...)` on every engine."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
