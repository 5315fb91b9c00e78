"""Test fixtures: each test gets a clean database on the engine chosen by
MEDIATION_TEST_DATABASE (sqlite, the default, or postgres), with every migration applied
once per session exactly as `make demo` applies them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = os.environ.get("MEDIATION_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

_var = Path(tempfile.mkdtemp(prefix="mediation-test-"))
_pg_db = f"mediation_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

os.environ["MEDIATION_VAR_DIR"] = str(_var)
os.environ["MEDIATION_SECRET_KEY"] = "test-secret-key-" + "x" * 32
os.environ.setdefault("MEDIATION_BASE_URL", "http://testserver.local")
os.environ["MEDIATION_SCHEDULER"] = "off"
os.environ.pop("MEDIATION_ENV", None)
# Shared state in Redis (as production runs with several workers) when a test Redis is named;
# each test session writes under its own prefix, emptied before every test.
REDIS_URL = os.environ.get("MEDIATION_TEST_REDIS_URL")
if REDIS_URL:
    os.environ["MEDIATION_REDIS_URL"] = REDIS_URL
    os.environ["MEDIATION_REDIS_PREFIX"] = f"mediation-test-{os.getpid()}-{uuid.uuid4().hex[:6]}:"
if ENGINE == "postgres":
    os.environ["MEDIATION_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + _pg_db
else:
    os.environ["MEDIATION_DATABASE_URL"] = f"sqlite:///{_var / 'test.sqlite3'}"


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if ENGINE == "postgres":
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_pg_db}"'))
    subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, check=True, env=os.environ.copy(),
                   stdout=subprocess.DEVNULL)
    from core import domains
    from core.regions import load_regions

    asyncio.run(load_regions())
    domains.wire()  # the domains' event subscriptions, as at the app's start-up


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if ENGINE == "postgres":
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_pg_db}" WITH (FORCE)'))
    shutil.rmtree(_var, ignore_errors=True)


# Reference data loaded once per session and kept between tests.
KEEP_TABLES = {"region", "migration"}


def _tables() -> list[str]:
    from piccolo_conf import APP_REGISTRY

    names = []
    for app_config in APP_REGISTRY.app_configs.values():
        names += [t._meta.tablename for t in app_config.table_classes]
    return [n for n in names if n not in KEEP_TABLES]


async def _truncate() -> None:
    from piccolo.querystring import QueryString

    from core.db import engine

    db = engine()
    tables = _tables()
    if db.engine_type == "postgres":
        await db.run_querystring(QueryString(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        async with db.transaction():
            await db.run_querystring(QueryString("PRAGMA defer_foreign_keys = ON"))
            for name in tables:
                await db.run_querystring(QueryString(f"DELETE FROM {name}"))


class Runner:
    """Runs a coroutine on the event loop of the open test client (so PostgreSQL's pool,
    opened in the app's lifespan, serves it) or, with no client open, on a fresh loop."""

    client = None

    def __call__(self, awaitable):
        if self.client is not None and hasattr(self.client, "blocking_portal"):
            async def _await():
                return await awaitable

            return self.client.blocking_portal.call(_await)
        return run_sync(_as_coroutine(awaitable))


async def _as_coroutine(awaitable):
    return await awaitable


def run_sync(coroutine):
    """asyncio.run, or asyncio.run on a helper thread when this thread already runs a loop
    (Playwright's sync API keeps one running while a browser is open)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


runner = Runner()


@pytest.fixture
def db():
    """A clean database (reference regions kept) and empty session/rate-limit stores."""
    run_sync(_truncate())
    shutil.rmtree(_var / "stores", ignore_errors=True)
    from core import counters

    counters.reset()  # rate-limit and sign-in counters start empty too
    from training.exams import taking

    taking._QUESTION_CACHE.clear()  # ids restart after truncation: no question may carry over
    from core import clock

    clock._frozen = None  # a test that froze the clock and failed half-way leaves it running again
    if REDIS_URL:
        run_sync(_empty_redis())
    yield runner


async def _empty_redis() -> None:
    from core.counters import RedisCounters

    shared = RedisCounters(REDIS_URL, os.environ["MEDIATION_REDIS_PREFIX"])
    await shared.forget_prefix("")
    await shared.close()


@pytest.fixture
def run(db):
    return runner


@pytest.fixture
def app(db):
    from core.app import create_app

    return create_app()


@pytest.fixture
def client(app):
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as test_client:
        runner.client = test_client
        try:
            yield test_client
        finally:
            runner.client = None


# The two moments the platform's date and the server's (UTC) date disagree: both are 5 December
# 2026 in Beijing and 4 December in UTC. A date taken from the server's clock is a day early.
BEIJING_DAY = "2026-12-05"
NIGHT_MOMENTS = {
    "23:30 UTC": "2026-12-04T23:30:00+00:00",  # 07:30 in Beijing
    "00:30 Beijing": "2026-12-05T00:30:00+08:00",  # 16:30 UTC the day before
}


@pytest.fixture(params=list(NIGHT_MOMENTS), ids=list(NIGHT_MOMENTS))
def night(request, db):
    """The clock frozen at each of NIGHT_MOMENTS; the platform's today is BEIJING_DAY."""
    from datetime import datetime

    from core import clock

    with clock.frozen(datetime.fromisoformat(NIGHT_MOMENTS[request.param])) as at:
        yield at


@pytest.fixture
def settings_of(monkeypatch):
    """Sets `MEDIATION_<NAME>` variables for one test, as an operator would, and reads the
    settings again; both undone after the test."""
    from core import settings as settings_module

    def change(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(f"MEDIATION_{name}", value)
        settings_module.get_settings.cache_clear()

    yield change
    monkeypatch.undo()
    settings_module.get_settings.cache_clear()
