"""Benchmark (b) of the certificates issue: load on GET /api/v1/verify/{token} and
GET /verify/{token} over N certificates with random valid tokens, served by the production
server (uvicorn, 2 workers), side by side in the same run with GET /livez; requests/s, p99
and the ratio to /livez.

    .venv/bin/python bench/verify.py                       # SQLite, 100,000 certificates
    .venv/bin/python bench/verify.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

The load generator is built in (asyncio, raw HTTP/1.1 keep-alive, several processes) since
no external one is installed; it shares the machine's CPUs with the server, so compare the
ratios rather than the absolute numbers. Rate limits are off for the run
(MEDIATION_RATE_LIMITS=off), as the README says load tests need.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, run as a script


# --------------------------------------------------------------------------- seeding
async def seed(count: int) -> list[str]:
    """`count` certificates over 1,000 mediators, inserted in bulk; returns their tokens."""
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from certification.rules import format_number, issuer_for
    from certification.tables import Certificate
    from certification.tokens import make_token
    from core import clock, db
    from roster import services as roster_services

    await db.start_pool()
    try:
        mediators = [await roster_services.create_mediator_record(name=f"调解员{i:04d}", region_code="350504")
                     for i in range(1000)]
        today = clock.today()
        year = today.year
        rows = []
        for index in range(count):
            rows.append(Certificate(
                certificate_no=format_number("350504", year, "junior", index + 1),
                mediator_id=mediators[index % len(mediators)], holder_name=f"调解员{index % 1000:04d}",
                grade="junior", region_code="350504", issuer=issuer_for("350504"), issued_on=today,
                expires_on=today + timedelta(days=1000), status="valid", version=1, layout_version=1,
            ))
        for start in range(0, len(rows), 1000):  # PostgreSQL allows 32,767 parameters a statement
            await Certificate.insert(*rows[start:start + 1000])
        ids = [r["id"] for r in await Certificate.select(Certificate.id)]
    finally:
        await db.close_pool()
    return [make_token(i, 1) for i in ids]


# --------------------------------------------------------------------------- load generator
async def _worker(port: int, paths: list[str], until: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random()
    try:
        while time.perf_counter() < until:
            path = paths[rng.randrange(len(paths))]
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: zh-CN\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


def _load_process(port: int, paths: list[str], connections: int, seconds: float, queue) -> None:
    async def main():
        latencies: list[float] = []
        errors: list[int] = []
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_worker(port, paths, until, latencies, errors) for _ in range(connections)))
        return latencies, errors

    queue.put(asyncio.run(main()))


def load(port: int, paths: list[str], connections: int, seconds: float, processes: int) -> dict[str, float]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per = max(1, connections // processes)
    workers = [context.Process(target=_load_process, args=(port, paths, per, seconds, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors: list[int] = []
    for _ in workers:
        got, bad = queue.get()
        latencies += got
        errors += bad
    for worker in workers:
        worker.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {"rps": len(latencies) / seconds, "p99_ms": p99 * 1000, "errors": len(errors)}


# --------------------------------------------------------------------------- orchestration
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--workers", type=int, default=2, help="server workers")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a fresh database is created)")
    args = parser.parse_args()

    temporary = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    env = os.environ.copy()
    env.update(MEDIATION_VAR_DIR=str(temporary), MEDIATION_RATE_LIMITS="off", MEDIATION_SCHEDULER="off",
               MEDIATION_SECRET_KEY=env.get("MEDIATION_SECRET_KEY", "bench-secret-key-" + "v" * 32),
               MEDIATION_LOG_LEVEL="WARNING")
    pg_db = None
    if args.postgres:
        import asyncpg

        pg_db = f"verify_bench_{uuid.uuid4().hex[:8]}"

        async def admin(statement: str) -> None:
            connection = await asyncpg.connect(args.postgres)
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(admin(f'CREATE DATABASE "{pg_db}"'))
        env["MEDIATION_DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + "/" + pg_db
    else:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{temporary / 'bench.sqlite3'}"
    os.environ.update(env)
    from core.settings import get_settings

    get_settings.cache_clear()
    server = None
    try:
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"seeding {args.certificates} certificates ...", flush=True)
        tokens = seed_sync(args.certificates)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--workers", str(args.workers),
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_ready(port)
        sample = random.sample(tokens, min(len(tokens), 20_000))
        targets = {
            "GET /livez": ["/livez"],
            "GET /api/v1/verify/{token}": [f"/api/v1/verify/{t}" for t in sample],
            "GET /verify/{token}": [f"/verify/{t}" for t in sample],
        }
        load(port, ["/livez"], args.connections, 2, args.processes)  # warm-up
        results = {}
        for label, paths in targets.items():
            results[label] = load(port, paths, args.connections, args.seconds, args.processes)
        engine = "PostgreSQL" if args.postgres else "SQLite"
        base = results["GET /livez"]["rps"]
        print(f"\n{engine}, {args.workers} workers, {args.connections} connections, {args.seconds:.0f} s each")
        for label, result in results.items():
            print(f"{label:30s} {result['rps']:9.0f} req/s   p99 {result['p99_ms']:7.1f} ms   "
                  f"ratio {result['rps'] / base:6.0%}   non-200 {result['errors']}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if pg_db:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
        shutil.rmtree(temporary, ignore_errors=True)


def seed_sync(count: int) -> list[str]:
    return asyncio.run(seed(count))


if __name__ == "__main__":
    main()
