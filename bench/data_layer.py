"""Data-layer benchmark: one indexed lookup through Piccolo's stock SQLite engine (a new
connection and thread per query), through our pooled SQLite engine, and through pooled
PostgreSQL when reachable. Prints median and p95 per lookup and lookups per second.

    .venv/bin/python bench/data_layer.py [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MEDIATION_VAR_DIR", tempfile.mkdtemp(prefix="bench-"))


def _report(label: str, samples: list[float]) -> None:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    total = sum(samples)
    print(f"{label:<34} median {statistics.median(samples) * 1000:7.3f} ms   p95 {p95 * 1000:7.3f} ms   "
          f"{len(samples) / total:9.0f} lookups/s")


async def _lookups(engine, n: int) -> list[float]:
    from piccolo.querystring import QueryString

    samples = []
    for i in range(n):
        started = time.perf_counter()
        await engine.run_querystring(QueryString("SELECT id, username FROM account WHERE username = {}", f"user{i % 500}"))
        samples.append(time.perf_counter() - started)
    return samples


async def _seed(engine) -> None:
    from piccolo.querystring import QueryString

    await engine.run_querystring(QueryString(
        "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY, username VARCHAR(64) UNIQUE, display_name TEXT)"))
    await engine.run_querystring(QueryString("DELETE FROM account"))
    for i in range(500):
        await engine.run_querystring(QueryString(
            "INSERT INTO account (username, display_name) VALUES ({}, {})", f"user{i}", f"User {i}"))


async def main(n: int) -> None:
    from piccolo.engine.sqlite import SQLiteEngine

    from core.db import PooledSQLiteEngine, prepare_sqlite_file

    path = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    prepare_sqlite_file(path)
    stock = SQLiteEngine(path=path)
    await _seed(stock)
    _report("SQLite, Piccolo stock engine", await _lookups(stock, n))
    pooled = PooledSQLiteEngine(path=path)
    await pooled.start_connection_pool()
    _report("SQLite, pooled persistent connections", await _lookups(pooled, n))
    concurrent = time.perf_counter()
    await asyncio.gather(*(_lookups(pooled, n // 20) for _ in range(20)))
    print(f"{'  20 concurrent tasks (pooled)':<34} {n / (time.perf_counter() - concurrent):9.0f} lookups/s overall")
    await pooled.close_connection_pool()

    pg_url = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import asyncpg
        from piccolo.engine.postgres import PostgresEngine

        admin = await asyncpg.connect(pg_url, timeout=3)
        await admin.execute("DROP DATABASE IF EXISTS mediation_bench_data_layer")
        await admin.execute("CREATE DATABASE mediation_bench_data_layer")
        await admin.close()
    except Exception as failure:  # noqa: BLE001
        print(f"PostgreSQL skipped: {type(failure).__name__}")
        return
    pg = PostgresEngine(config={"dsn": pg_url.rsplit("/", 1)[0] + "/mediation_bench_data_layer"})
    await pg.start_connection_pool(min_size=2, max_size=10)
    from piccolo.querystring import QueryString

    await pg.run_querystring(QueryString(
        "CREATE TABLE account (id SERIAL PRIMARY KEY, username VARCHAR(64) UNIQUE, display_name TEXT)"))
    for i in range(500):
        await pg.run_querystring(QueryString("INSERT INTO account (username, display_name) VALUES ({}, {})",
                                             f"user{i}", f"User {i}"))
    _report("PostgreSQL, asyncpg pool", await _lookups(pg, n))
    await pg.close_connection_pool()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    asyncio.run(main(parser.parse_args().n))
