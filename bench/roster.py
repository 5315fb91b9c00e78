"""The public roster at province scale: 100,000 mediators and 5,000 organisations bulk-loaded,
published province-wide, then the public page `/roster/mediators` and its JSON twin
`GET /api/v1/roster/mediators` requested through the app in-process (warm) for a city with its
subregions plus a name search, page 50. Prints median and p95 per route and the queries each
request issued (the target: p95 under 50 ms on either engine, a constant query count).

    .venv/bin/python bench/roster.py                 # SQLite, in a temporary var dir
    .venv/bin/python bench/roster.py --postgres      # a fresh database on 127.0.0.1:5432
    .venv/bin/python bench/roster.py --mediators 20000 --organisations 1000 --requests 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Fujian's commonest surnames, 陈 first; the search below looks for 陈 in Quanzhou.
SURNAMES = "陈林黄张吴王李郑刘杨许蔡谢郭洪曾邱廖赖周"
SURNAME_WEIGHTS = [14, 10, 9, 7, 6, 6, 6, 5, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2]
GIVEN = "建国晓梅志强丽华海峰雅琴明辉秀英文杰春燕国平婷婷永福美玲振华淑芬德明慧敏金龙玉兰"
SOURCES = ["lawyer", "arbitrator", "retired_judge", "union_official", "hr_professional", "legal_expert",
           "labour_relations_coordinator", "retired_prosecutor", "law_student_intern", "other"]
TYPES = ["enterprise_committee", "township", "arbitration_centre", "joint_centre", "union", "industry_regional",
         "chamber_of_commerce", "people_committee", "public_institution", "personal_studio"]
CITY, QUERY, PAGE = "350500", "陈", 50


def counties() -> list[str]:
    from core.data.fujian_regions import all_regions

    return [code for code, _name, _parent, level in all_regions() if level == 3]


def generate(n_mediators: int, n_organisations: int):
    """Organisations and mediators spread over Fujian's counties, a quarter in Quanzhou; every
    mediator appointed (one in twenty suspended) with one primary membership in their county."""
    draw = random.Random(11)  # noqa: S311 - benchmark data
    places = counties()
    quanzhou = [c for c in places if c.startswith("3505")]
    others = [c for c in places if not c.startswith("3505")]

    def county() -> str:
        return draw.choice(quanzhou) if draw.random() < 0.25 else draw.choice(others)

    organisations, by_county = [], {}
    for i in range(1, n_organisations + 1):
        region = county()
        organisations.append((i, f"{region}第{i}劳动争议调解委员会", TYPES[i % len(TYPES)], region, f"某路{i}号",
                              "accepted", f"{region}-2025-{i:05d}", date(2015 + i % 10, 1 + i % 12, 1)))
        by_county.setdefault(region, []).append(i)
    mediators, memberships, serials = [], [], {}
    for i in range(1, n_mediators + 1):
        region = county()
        year = 2023 + i % 4
        serials[(region, year)] = serials.get((region, year), 0) + 1
        name = draw.choices(SURNAMES, SURNAME_WEIGHTS)[0] + draw.choice(GIVEN[0::2]) + draw.choice(GIVEN[1::2])
        status = "suspended" if i % 20 == 0 else "appointed"
        mediators.append((i, name, region, status, SOURCES[i % len(SOURCES)], "part_time" if i % 3 else "full_time",
                          f"{region}{year}{serials[(region, year)]:05d}", date(year, 1, 1), date(year + 3, 1, 1)))
        memberships.append((i, draw.choice(by_county.get(region) or list(range(1, n_organisations + 1))), True,
                            date(year, 1, 1)))
    return organisations, mediators, memberships


ORG_COLUMNS = ["id", "name", "type", "region_code", "address", "filing_status", "filing_no", "founded_on"]
ORG_BLANK = ["contact_name", "contact_phone_enc", "star_body", "gold_medal_body", "liaison_arbitrator"]
MEDIATOR_COLUMNS = ["id", "name", "region_code", "status", "source_category", "employment", "roster_no",
                    "appointed_on", "term_ends_on"]
MEDIATOR_BLANK = ["gender", "id_number_enc", "id_number_masked", "phone_enc", "phone_masked", "education",
                  "profession", "exit_ground"]
MEMBERSHIP_COLUMNS = ["mediator", "organisation", "primary", "joined_on"]


def load_sqlite(path: str, data) -> None:
    import sqlite3

    organisations, mediators, memberships = data
    from core import clock

    now = clock.now().isoformat(sep=" ")  # an instant, stored as such (UTC)
    db = sqlite3.connect(path)

    def insert(table: str, columns: list[str], blank: list[str], rows, stamps: bool) -> None:
        names = columns + blank + (["filing_overdue", "gold_medal"] if table == "organisation" else []) + (
            ["created_at", "updated_at"] if stamps else [])
        extra = [""] * len(blank) + ([0, 0] if table == "organisation" else []) + ([now, now] if stamps else [])
        marks = ", ".join("?" * len(names))
        quoted = ", ".join(f'"{n}"' for n in names)
        db.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
                       [tuple(v.isoformat() if isinstance(v, date) else v for v in row) + tuple(extra) for row in rows])

    insert("organisation", ORG_COLUMNS, ORG_BLANK, organisations, True)
    insert("mediator", MEDIATOR_COLUMNS, MEDIATOR_BLANK, mediators, True)
    insert("membership", MEMBERSHIP_COLUMNS, [], memberships, False)
    db.commit()
    db.close()


async def load_postgres(url: str, data) -> None:
    import asyncpg

    organisations, mediators, memberships = data
    from core import clock

    now = clock.now()
    connection = await asyncpg.connect(url)
    await connection.copy_records_to_table(
        "organisation", columns=[*ORG_COLUMNS, *ORG_BLANK, "filing_overdue", "gold_medal", "created_at", "updated_at"],
        records=[(*r, *[""] * len(ORG_BLANK), False, False, now, now) for r in organisations])
    await connection.copy_records_to_table(
        "mediator", columns=[*MEDIATOR_COLUMNS, *MEDIATOR_BLANK, "created_at", "updated_at"],
        records=[(*r, *[""] * len(MEDIATOR_BLANK), now, now) for r in mediators])
    await connection.copy_records_to_table("membership", columns=MEMBERSHIP_COLUMNS, records=memberships)
    for table in ("organisation", "mediator", "membership"):
        await connection.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    await connection.execute("ANALYZE")
    await connection.close()


class QueryCounter:
    """Counts every query the engine runs (patched on the engine's class, as the other benches do)."""

    def __init__(self) -> None:
        from core.db import engine

        self.cls = type(engine())
        self.original = self.cls.run_querystring
        self.count = 0
        counter = self

        async def counted(engine_self, *args, **kwargs):
            counter.count += 1
            return await counter.original(engine_self, *args, **kwargs)

        self.cls.run_querystring = counted

    def restore(self) -> None:
        self.cls.run_querystring = self.original


async def publish_all() -> tuple[float, int, int]:
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from core.auth.roles import Grant, Principal, Role
    from core.db import close_pool, start_pool
    from roster.publication import publish
    from roster.tables import PublishedMediator

    await start_pool()
    counter = QueryCounter()
    started = time.perf_counter()
    await publish(Principal(user_id=None, username="bench", grants=(Grant(Role.ADMIN, "350000"),)), "350000",
                  "bench")
    elapsed = time.perf_counter() - started
    counter.restore()
    entries = await PublishedMediator.count()
    await close_pool()
    return elapsed, counter.count, entries


async def after_publishing(postgres: bool, url: str) -> None:
    """What autovacuum does on its own after a bulk insert: fresh statistics and a visibility map,
    so PostgreSQL answers the count and the page's ids from the index alone."""
    if postgres:
        import asyncpg

        connection = await asyncpg.connect(url)
        await connection.execute("VACUUM ANALYZE published_mediator")
        await connection.execute("VACUUM ANALYZE published_organisation")
        await connection.close()


async def measure(requests: int) -> list[tuple[str, list[float], list[int], int]]:
    """Requests go straight into the ASGI app on this event loop (its lifespan opened, as a
    server would), so the figures are the app's own: routing, queries, rendering, gzip."""
    import logging

    import httpx

    from core.app import create_app

    logging.getLogger("httpx").setLevel(logging.WARNING)
    search = {"region": CITY, "q": QUERY, "page": PAGE}
    routes = [
        ("GET /roster/mediators (city + name, page 50)", "/roster/mediators", "text", search),
        ("GET /api/v1/roster/mediators (city + name, page 50)", "/api/v1/roster/mediators", "json", search),
        # The same rows 901-1000 five times as many per page: the query count must not change.
        ("  the same, page_size 100, page 10", "/api/v1/roster/mediators", "json",
         {"region": CITY, "q": QUERY, "page": 10, "page_size": 100}),
        ("  the unfiltered roster, page 50", "/roster/mediators", "text", {"page": PAGE}),
    ]
    results = []
    app = create_app()
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://127.0.0.1") as client:
        counter = QueryCounter()
        for label, path, kind, params in routes:
            for _warm in range(20):
                answer = await client.get(path, params=params)
                assert answer.status_code == 200, answer.text[:300]
            times, queries = [], []
            for _n in range(requests):
                counter.count = 0
                started = time.perf_counter()
                answer = await client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                queries.append(counter.count)
            assert answer.status_code == 200
            total = answer.json()["total"] if kind == "json" else -1
            if kind == "json" and len(answer.json()["items"]) < answer.json()["page_size"]:
                print(f"  note: the page asked for is not full at this size ({total} matches)")
            results.append((label, times, queries, total))
        counter.restore()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--mediators", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--no-vacuum", action="store_true", help="measure before autovacuum has run (PostgreSQL)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    env = {**os.environ, "MEDIATION_VAR_DIR": str(var), "MEDIATION_SECRET_KEY": "bench-" + "x" * 40,
           "MEDIATION_RATE_LIMITS": "off", "MEDIATION_LOG_LEVEL": "WARNING", "MEDIATION_SCHEDULER": "off"}
    name = f"bench_roster_{os.getpid()}"
    if args.postgres:
        import asyncpg

        async def admin(statement: str) -> None:
            connection = await asyncpg.connect(PG_ADMIN)
            await connection.execute(statement)
            await connection.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        env["MEDIATION_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(env)
    engine_name = "PostgreSQL" if args.postgres else "SQLite"
    try:
        subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"loading {args.mediators:,} mediators and {args.organisations:,} organisations ({engine_name})")
        started = time.perf_counter()
        data = generate(args.mediators, args.organisations)
        if args.postgres:
            asyncio.run(load_postgres(env["MEDIATION_DATABASE_URL"], data))
        else:
            load_sqlite(str(var / "bench.sqlite3"), data)
        print(f"  loaded in {time.perf_counter() - started:.1f} s")
        elapsed, queries, entries = asyncio.run(publish_all())
        print(f"  published province-wide in {elapsed:.1f} s ({queries} queries, {entries:,} mediator entries)")
        if not args.no_vacuum:
            asyncio.run(after_publishing(args.postgres, env["MEDIATION_DATABASE_URL"]))
        for label, times, per_request, total in asyncio.run(measure(args.requests)):
            q = statistics.quantiles(times, n=20)
            print(f"{label} [{engine_name}]: {args.requests} requests, median {statistics.median(times):.1f} ms, "
                  f"p95 {q[18]:.1f} ms, queries per request {sorted(set(per_request))}"
                  + (f", {total:,} matches" if total >= 0 else ""))
    finally:
        if args.postgres and not args.keep:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
