"""Annual appraisal at province scale: 100,000 appointed mediators (each a member of their
county's organisation), 1,000,000 cases of the year, then one province-wide run. Prints the time, the number of queries the run issued and
the peak memory (the target: under 60 s and 500 MB on SQLite and on PostgreSQL).

    .venv/bin/python bench/appraisal.py                 # SQLite, in a temporary var dir
    .venv/bin/python bench/appraisal.py --postgres      # a fresh database on 127.0.0.1:5432
    .venv/bin/python bench/appraisal.py --mediators 20000 --cases 200000   # smaller
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COUNTIES = ["350102", "350203", "350504", "350582", "350104", "350206", "350302", "350402", "350602", "350702"]


def progress_bar(stage: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stdout.write(f"\r  {stage:8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def mediator_rows(n: int):
    for i in range(1, n + 1):
        region = COUNTIES[i % len(COUNTIES)]
        yield (i, f"调解员{i}", region, "appointed", "lawyer", "part_time", f"B{i:07d}", date(2022, 1, 1),
               date(2027, 1, 1))


def organisation_rows():
    """One organisation per county; organisation i + 1 is COUNTIES[i]'s."""
    for i, region in enumerate(COUNTIES):
        yield (i + 1, f"{region}调解中心", "township", region, "accepted")


def organisation_of(mediator: int) -> int:
    return mediator % len(COUNTIES) + 1


def membership_rows(n: int):
    """Every mediator a member of their county's organisation since 2022 (a case counts only
    inside a membership, so the run joins every case to one)."""
    for i in range(1, n + 1):
        yield (i, i, organisation_of(i), True, date(2022, 1, 1))


def appraised_year() -> int:
    """Last year on the platform's calendar (asked once the settings are in the environment)."""
    from core import clock

    return clock.today().year - 1


def case_rows(n_cases: int, n_mediators: int):
    draw = random.Random(7)  # noqa: S311 - benchmark data
    year = appraised_year()
    for _case in range(n_cases):
        mediator = draw.randint(1, n_mediators)
        received = date(year, draw.randint(1, 12), draw.randint(1, 28))
        yield (mediator, COUNTIES[mediator % len(COUNTIES)], "wage_arrears", received, received,
               "agreement" if draw.random() < 0.7 else "no_agreement", draw.randint(2, 5), organisation_of(mediator))


MEDIATOR_SQL = ("INSERT INTO mediator (id, name, region_code, status, source_category, employment, roster_no, "
                "appointed_on, term_ends_on, gender, id_number_enc, id_number_masked, phone_enc, phone_masked, "
                "education, profession, exit_ground, created_at, updated_at) VALUES ")
CASE_COLUMNS = ("mediator_id", "region_code", "dispute_type", "received_on", "closed_on", "outcome", "satisfaction",
                "organisation_id")
ORGANISATION_COLUMNS = ("id", "name", "type", "region_code", "filing_status")
MEMBERSHIP_COLUMNS = ("id", "mediator", "organisation", '"primary"', "joined_on")


def load_sqlite(path: str, n_mediators: int, n_cases: int) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    now = "2026-01-01 00:00:00+00:00"
    db.executemany(MEDIATOR_SQL + "(?,?,?,?,?,?,?,?,?,'','','','','','','','',?,?)",
                   ((*r[:7], r[7].isoformat(), r[8].isoformat(), now, now) for r in mediator_rows(n_mediators)))
    db.executemany(f"INSERT INTO organisation ({', '.join(ORGANISATION_COLUMNS)}, address, contact_name, "
                   "contact_phone_enc, filing_overdue, star_body, gold_medal, gold_medal_body, liaison_arbitrator, "
                   "created_at, updated_at) VALUES (?,?,?,?,?,'','','',0,'',0,'','',?,?)",
                   ((*r, now, now) for r in organisation_rows()))
    db.executemany(f"INSERT INTO membership ({', '.join(MEMBERSHIP_COLUMNS)}) VALUES (?,?,?,?,?)",
                   ((*r[:4], r[4].isoformat()) for r in membership_rows(n_mediators)))
    db.executemany(f"INSERT INTO mediation_case ({', '.join(CASE_COLUMNS)}, case_ref, source, created_at) "
                   "VALUES (?,?,?,?,?,?,?,?,'','import',?)",
                   ((*r[:3], r[3].isoformat(), r[4].isoformat(), *r[5:], now) for r in case_rows(n_cases, n_mediators)))
    db.commit()
    db.close()


async def load_postgres(url: str, n_mediators: int, n_cases: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    from core import clock

    now = clock.now()
    await connection.copy_records_to_table(
        "mediator", columns=["id", "name", "region_code", "status", "source_category", "employment", "roster_no",
                             "appointed_on", "term_ends_on", "gender", "id_number_enc", "id_number_masked", "phone_enc",
                             "phone_masked", "education", "profession", "exit_ground", "created_at", "updated_at"],
        records=[(*r, "", "", "", "", "", "", "", "", now, now) for r in mediator_rows(n_mediators)])
    await connection.copy_records_to_table(
        "organisation", columns=[*ORGANISATION_COLUMNS, "created_at", "updated_at"],
        records=[(*r, now, now) for r in organisation_rows()])
    await connection.copy_records_to_table(
        "membership", columns=[c.strip('"') for c in MEMBERSHIP_COLUMNS], records=list(membership_rows(n_mediators)))
    await connection.copy_records_to_table(
        "mediation_case", columns=[*CASE_COLUMNS, "case_ref", "source", "created_at"],
        records=[(*r, "", "import", now) for r in case_rows(n_cases, n_mediators)])
    for table in ("mediator", "organisation", "membership"):
        await connection.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    await connection.execute("ANALYZE")
    await connection.close()


async def appraise() -> tuple[float, int, dict]:
    from core import domains

    domains.wire()  # the domains' event subscriptions, as the app makes them
    from core.db import close_pool, engine, start_pool
    from roster.review.appraisal import run_appraisal

    await start_pool()
    cls = type(engine())
    original = cls.run_querystring
    queries = [0]

    async def counted(self, *args, **kwargs):
        queries[0] += 1
        return await original(self, *args, **kwargs)

    cls.run_querystring = counted  # count every query the run issues
    started = time.perf_counter()
    result = await run_appraisal(appraised_year(), "350000", progress=progress_bar, recompute=True)
    elapsed = time.perf_counter() - started
    cls.run_querystring = original
    await close_pool()
    return elapsed, queries[0], result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--mediators", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-appraisal-"))
    env = {**os.environ, "MEDIATION_VAR_DIR": str(var), "MEDIATION_SECRET_KEY": "bench-" + "x" * 40}
    if args.postgres:
        import asyncpg

        name = f"bench_appraisal_{os.getpid()}"

        async def create():
            c = await asyncpg.connect(PG_ADMIN)
            await c.execute(f'CREATE DATABASE "{name}"')
            await c.close()

        asyncio.run(create())
        env["MEDIATION_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(env)
    subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"loading {args.mediators:,} mediators and {args.cases:,} cases ({'PostgreSQL' if args.postgres else 'SQLite'})")
    started = time.perf_counter()
    if args.postgres:
        asyncio.run(load_postgres(env["MEDIATION_DATABASE_URL"], args.mediators, args.cases))
    else:
        load_sqlite(str(var / "bench.sqlite3"), args.mediators, args.cases)
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    elapsed, queries, result = asyncio.run(appraise())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"annual appraisal: {elapsed:.1f} s, {queries} queries, peak memory {peak_mb:.0f} MB, "
          f"{result.changes:,} grades {result.counts}")


if __name__ == "__main__":
    main()
