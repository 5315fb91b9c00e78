"""Load: the production server (uvicorn, several workers) on PostgreSQL (or SQLite) with the
demo loaded, driven from this second process by a realistic mix at a fixed arrival rate:
public roster browsing, verification scans (API and page), roster API, expert lists and
court selections. Reports throughput, p50/p95/p99 and errors per route, then runs the same
mix at twice the rate to show where it saturates.

    .venv/bin/python bench/load.py                       # PostgreSQL on 127.0.0.1:5432, 4 workers, 200 req/s, 20 s
    .venv/bin/python bench/load.py --sqlite --rate 100 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "load-test-password"  # noqa: S105 - the throwaway demo database of the run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args) -> tuple[subprocess.Popen, str, dict]:
    var = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, "MEDIATION_VAR_DIR": str(var), "MEDIATION_DEMO_PASSWORD": PASSWORD,
           "MEDIATION_RATE_LIMITS": "off", "MEDIATION_SCHEDULER": "off", "MEDIATION_LOG_LEVEL": "WARNING",
           "MEDIATION_SECRET_KEY": "load-" + "k" * 40}
    if args.sqlite:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{var / 'load.sqlite3'}"
    else:
        import asyncpg

        name = f"bench_load_{os.getpid()}"

        async def create():
            connection = await asyncpg.connect(PG_ADMIN)
            await connection.execute(f'CREATE DATABASE "{name}"')
            await connection.close()

        asyncio.run(create())
        env["MEDIATION_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    port = free_port()
    env["MEDIATION_BASE_URL"] = f"http://127.0.0.1:{port}"
    for command in ("migrate", "demo"):
        subprocess.run([sys.executable, "-m", "core.cli", command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--port", str(port),
                               "--workers", str(args.workers), "--no-access-log", "--log-level", "warning",
                               "--no-proxy-headers"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    return server, base, env


async def tokens_of(env: dict) -> list[str]:
    """Verification tokens of the demo certificates (read through the app's own service)."""
    code = ("import asyncio\nfrom core.db import start_pool, close_pool\n"
            "from certification.tokens import make_token\nfrom certification.tables import Certificate\n"
            "async def main():\n    await start_pool()\n"
            "    rows = await Certificate.select(Certificate.id, Certificate.version)\n"
            "    print('\\n'.join(make_token(r['id'], r['version']) for r in rows))\n    await close_pool()\n"
            "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.split() if line]


def mix(tokens: list[str], court_token: str):
    """(weight, name, request factory)."""
    draw = random.Random(5)  # noqa: S311
    counter = [0]

    def selection():
        counter[0] += 1
        return ("POST", "/api/v1/selections", {
            "json": {"case_no": f"LOAD-{counter[0]}", "dispute_type": draw.choice(["wage_arrears", "termination"]),
                     "region": "350504", "employers": [{"name": f"负载测试公司{counter[0] % 50}"}],
                     "workers": [{"name": "王五"}], "count": 3},
            "headers": {"Authorization": f"Bearer {court_token}"}})

    return [
        (30, "GET /roster/", lambda: ("GET", f"/roster/?page={draw.randint(1, 2)}", {})),
        (10, "GET /roster/?q=", lambda: ("GET", "/roster/?q=" + draw.choice(["林", "王", "陈"]), {})),
        (15, "GET /api/v1/roster/mediators", lambda: ("GET", "/api/v1/roster/mediators?region=350500", {})),
        (25, "GET /api/v1/verify/{token}", lambda: ("GET", f"/api/v1/verify/{draw.choice(tokens)}", {})),
        (10, "GET /verify/{token}", lambda: ("GET", f"/verify/{draw.choice(tokens)}", {})),
        (5, "GET /api/v1/experts", lambda: ("GET", "/api/v1/experts?region=350500",
                                            {"headers": {"Authorization": f"Bearer {court_token}"}})),
        (5, "POST /api/v1/selections", selection),
    ]


async def drive(base: str, routes, rate: float, seconds: float) -> dict:
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    weights = [w for w, _n, _f in routes]
    draw = random.Random(9)  # noqa: S311
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        tasks = []

        async def one(name, factory):
            method, path, kwargs = factory()
            started = time.perf_counter()
            try:
                answer = await client.request(method, path, **kwargs)
                ok = answer.status_code < 400
            except httpx.HTTPError:
                ok = False
            results[name].append((time.perf_counter() - started) * 1000)
            if not ok:
                errors[name] += 1

        start = time.perf_counter()
        sent = 0
        while (elapsed := time.perf_counter() - start) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                _w, name, factory = draw.choices(routes, weights)[0]
                tasks.append(asyncio.create_task(one(name, factory)))
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {"results": results, "errors": errors, "wall": wall, "sent": sent}


def report(title: str, run: dict) -> None:
    total = sum(len(v) for v in run["results"].values())
    print(f"\n{title}: {total} requests in {run['wall']:.1f} s = {total / run['wall']:.0f} req/s")
    print(f"{'route':34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, times in sorted(run["results"].items()):
        q = statistics.quantiles(times, n=100) if len(times) > 1 else [times[0]] * 99
        print(f"{name:34} {len(times):6} {q[49]:8.1f} {q[94]:8.1f} {q[98]:8.1f} {run['errors'][name]:7}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    server, base, env = start_server(args)
    try:
        tokens = asyncio.run(tokens_of(env))
        court = httpx.post(base + "/api/v1/auth/token", json={"username": "court1", "password": PASSWORD}).json()
        routes = mix(tokens, court["access_token"])
        print(f"server: uvicorn x{args.workers} on {'SQLite' if args.sqlite else 'PostgreSQL'}; "
              f"{len(tokens)} certificates; {os.cpu_count()} CPUs")
        report(f"mix at {args.rate:.0f} req/s", asyncio.run(drive(base, routes, args.rate, args.seconds)))
        report(f"mix at {2 * args.rate:.0f} req/s", asyncio.run(drive(base, routes, 2 * args.rate, args.seconds)))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
