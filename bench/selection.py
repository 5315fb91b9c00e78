"""Court selection at pool scale: 10,000 experts across Fujian, 50,000 past assignments and
20,000 declared conflicts; then repeated selections with conflict checks. Prints p50/p95 and
the number of queries per selection (constant: it must not grow with the pool).

    .venv/bin/python bench/selection.py                 # SQLite
    .venv/bin/python bench/selection.py --postgres
    .venv/bin/python bench/selection.py --profile      # and where the time went
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CITIES = ["350100", "350200", "350300", "350400", "350500", "350600", "350700", "350800", "350900"]
DISPUTES = ["labour_relation", "wage_arrears", "working_hours", "termination", "severance", "social_insurance",
            "work_injury", "collective", "new_employment_forms"]


def rows(n_experts: int, n_assignments: int, n_conflicts: int):
    from core import clock
    from expert_pool.selection import normalise_name

    draw = random.Random(3)  # noqa: S311 - benchmark data
    today = clock.today()  # the platform's date, as the selections it times read it
    experts = [(i, f"专家{i}", "lawyer", CITIES[i % 9][:4] + "02", json.dumps(draw.sample(DISPUTES, 3)), "[]", "[]",
                '["普通话"]', 3, today - timedelta(days=100), today + timedelta(days=900), "admitted", i % 10 == 0,
                "admin", "") for i in range(1, n_experts + 1)]
    selections, parties = [], []
    for k in range(1, n_assignments + 1):
        on = today - timedelta(days=draw.randint(1, 700))
        expert = draw.randint(1, n_experts)
        employer, worker = f"公司{draw.randint(1, 5000)}", "某人"
        inputs = json.dumps({"employers": [{"name": employer, "credit_code": ""}], "workers": [{"name": worker}]},
                            ensure_ascii=False)
        selections.append((k, 1, f"HIST-{k}", "wage_arrears", CITIES[expert % 9][:4] + "02", inputs, "seed", "[]", "[]",
                           "[]", "[]", "closed", expert, on, "agreement", on + timedelta(days=10)))
        # What create_selection writes with every selection: its parties, keyed for the conflict check.
        parties += [(2 * k - 1, k, 0, "employer", employer, "", normalise_name(employer)),
                    (2 * k, k, 1, "worker", worker, "", normalise_name(worker))]
    conflicts = []
    for k in range(1, n_conflicts + 1):
        expert, party = draw.randint(1, n_experts), f"公司{draw.randint(1, 5000)}"
        conflicts.append((k, expert, "former_employer", party, "", None, normalise_name(party)))
    return experts, selections, conflicts, parties


EXPERT_COLS = ["id", "name", "background", "region_code", "specialties", "industries", "regions_served", "languages",
               "max_concurrent_cases", "term_starts_on", "term_ends_on", "status", "shared", "nomination_source", "grounds"]
SELECTION_COLS = ["id", "court_id", "case_no", "dispute_type", "region_code", "inputs", "seed", "pool_snapshot",
                  "shortlist", "considered", "ranking", "status", "accepted_expert_id", "accepted_on", "outcome",
                  "outcome_on"]
CONFLICT_COLS = ["id", "expert", "kind", "party_name", "credit_code", "until", "party_key"]
PARTY_COLS = ["id", "selection", "position", "role", "name", "credit_code", "party_key"]


def load_sqlite(path: str, data) -> None:
    import sqlite3

    from core import clock

    db = sqlite3.connect(path)
    now = clock.now().isoformat()
    for table, cols, items in (("expert", EXPERT_COLS, data[0]), ("selection", SELECTION_COLS, data[1]),
                               ("standing_conflict", CONFLICT_COLS, data[2]),
                               ("selection_party", PARTY_COLS, data[3])):
        extra = ", created_at" if table in ("expert", "selection") else ""
        marks = ", ".join("?" * len(cols)) + (", ?" if extra else "")
        db.executemany(f"INSERT INTO {table} ({', '.join(cols)}{extra}) VALUES ({marks})",  # noqa: S608
                       [tuple(v.isoformat() if isinstance(v, date) else v for v in row) + ((now,) if extra else ())
                        for row in items])
    db.commit()
    db.close()


async def load_postgres(url: str, data) -> None:
    import asyncpg

    from core import clock

    connection = await asyncpg.connect(url)
    now = clock.now()
    await connection.copy_records_to_table("expert", columns=[*EXPERT_COLS, "created_at"],
                                           records=[(*r, now) for r in data[0]])
    await connection.copy_records_to_table("selection", columns=[*SELECTION_COLS, "created_at"],
                                           records=[(*r, now) for r in data[1]])
    await connection.copy_records_to_table("standing_conflict", columns=CONFLICT_COLS, records=data[2])
    await connection.copy_records_to_table("selection_party", columns=PARTY_COLS, records=data[3])
    for table in ("expert", "selection", "standing_conflict", "selection_party"):
        await connection.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    await connection.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps (index-only scans)
    await connection.close()


async def select_many(n: int, warmup: int = 3, profile: bool = False) -> tuple[list[float], list[float], list[int]]:
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from core.auth.roles import Grant, Principal, Role
    from core.db import close_pool, engine, start_pool
    from expert_pool import court_selections

    await start_pool()
    court = Principal(user_id=None, username="bench", grants=(Grant(Role.COURT, "350000", court_id=1),))
    cls = type(engine())
    original = cls.run_querystring
    counter = [0]

    async def counted(self, *args, **kwargs):
        counter[0] += 1
        return await original(self, *args, **kwargs)

    cls.run_querystring = counted
    times, cpu, queries = [], [], []  # cpu: this process's threads (SQLite runs in one), not PostgreSQL's
    profiler = cProfile.Profile() if profile else None
    for k in range(-warmup, n):  # a long-running server has warm caches and prepared statements
        counter[0] = 0
        started, started_cpu = time.perf_counter(), time.process_time()
        if profiler and k >= 0:
            profiler.enable()
        await court_selections.create_selection(court, {
            "case_no": f"BENCH-{k}", "dispute_type": DISPUTES[k % 9], "region": CITIES[k % 9], "count": 3,
            "employers": [{"name": f"公司{k * 7 % 5000}"}], "workers": [{"name": "王五"}], "allow_shared": True})
        if profiler:
            profiler.disable()
        if k >= 0:
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            queries.append(counter[0])
    cls.run_querystring = original
    await close_pool()
    if profiler:  # the event loop's thread only: time in the database shows as waiting (select/poll)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return times, cpu, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--assignments", type=int, default=50_000)
    parser.add_argument("--conflicts", type=int, default=20_000)
    parser.add_argument("--selections", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print where the selections' time went (cProfile)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-selection-"))
    env = {**os.environ, "MEDIATION_VAR_DIR": str(var), "MEDIATION_SECRET_KEY": "bench-" + "x" * 40}
    if args.postgres:
        import asyncpg

        name = f"bench_selection_{os.getpid()}"

        async def create():
            c = await asyncpg.connect(PG_ADMIN)
            await c.execute(f'CREATE DATABASE "{name}"')
            await c.close()

        asyncio.run(create())
        env["MEDIATION_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(env)
    try:
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        data = rows(args.experts, args.assignments, args.conflicts)
        if args.postgres:
            asyncio.run(load_postgres(env["MEDIATION_DATABASE_URL"], data))
        else:
            load_sqlite(str(var / "bench.sqlite3"), data)
        load_before = os.getloadavg()[0]
        times, cpu, queries = asyncio.run(select_many(args.selections, profile=args.profile))
        q = statistics.quantiles(times, n=20)
        print(f"{args.experts:,} experts, {args.assignments:,} assignments, {args.conflicts:,} conflicts "
              f"({'PostgreSQL' if args.postgres else 'SQLite'}): {args.selections} selections, "
              f"p50 {statistics.median(times):.1f} ms, p95 {q[18]:.1f} ms (CPU of this process p50 "
              f"{statistics.median(cpu):.1f} ms), queries per selection {sorted(set(queries))} "
              f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    finally:
        if args.postgres:
            asyncio.run(_drop_database(name))
        shutil.rmtree(var, ignore_errors=True)


async def _drop_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await connection.close()


if __name__ == "__main__":
    main()
