"""A run of the annual appraisal killed half-way (the process dies after the first batch of
grades is written, before the commit) leaves no partial grades, and the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date

from core import clock
from roster.review.tables import Appraisal, AppraisalRun
from roster.tables import Mediator
from tests.conftest import ROOT

CRASH = """
import asyncio, os, signal
from core.db import start_pool
from roster.review.appraisal import run_appraisal

def crash_after_first_batch(stage, done, total):
    if stage == "saved" and done >= 1000:
        os.kill(os.getpid(), signal.SIGKILL)  # the power goes out mid-transaction

async def main():
    await start_pool()
    await run_appraisal(%d, "350504", progress=crash_after_first_batch)

asyncio.run(main())
"""


def test_appraisal_killed_half_way_leaves_no_partial_grades_and_the_rerun_completes(run):
    now = clock.now()
    rows = [Mediator(name=f"调解员{n}", region_code="350504", status="appointed", source_category="lawyer",
                     roster_no=f"X{n:06d}", appointed_on=date(2024, 1, 1), created_at=now, updated_at=now)
            for n in range(2500)]
    for start in range(0, len(rows), 500):
        run(Mediator.insert(*rows[start:start + 500]))
    year = clock.today().year - 1
    crashed = subprocess.run([sys.executable, "-c", CRASH % year], cwd=ROOT, env=os.environ.copy(),
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert run(Appraisal.count()) == 0 and run(AppraisalRun.count()) == 0
    from roster.review.appraisal import run_appraisal

    result = run(run_appraisal(year, "350504"))
    assert result.changes == 2500 and sum(result.counts.values()) == 2500
    assert run(Appraisal.count()) == 2500
