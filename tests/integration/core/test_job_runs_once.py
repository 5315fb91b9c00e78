"""Scheduled jobs run in one process only: two real processes (two schedulers or workers by
mistake) starting the same job at the same moment run it once; the other run is recorded as
skipped."""

from __future__ import annotations

import os
import subprocess
import sys

from core.tables import JobRun, Notification
from tests.conftest import ROOT

WORKER = """
import asyncio
from core.db import close_pool, start_pool
from core.jobs import JobResult, JobSpec, register_jobs, run_job
from core.tables import Notification

async def probe():
    await asyncio.sleep(2)  # long enough for the other process to try meanwhile
    await Notification.insert(Notification(user_id=0, kind="probe", subject="ran", dedupe_key=f"probe:{id(probe)}"))
    return JobResult(changes=1)

async def main():
    await start_pool()
    register_jobs([JobSpec("probe", probe, {"hour": 3})])
    result = await run_job("probe", triggered_by="test")
    print(result.status)
    await close_pool()

asyncio.run(main())
"""


def test_two_processes_starting_the_same_job_run_it_once(run):
    processes = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=os.environ.copy(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    statuses = sorted(p.communicate(timeout=60)[0].strip().splitlines()[-1] for p in processes)
    assert statuses == ["skipped", "succeeded"]
    assert run(Notification.count().where(Notification.kind == "probe")) == 1
    runs = run(JobRun.select(JobRun.status).where(JobRun.job_id == "probe"))
    assert sorted(r["status"] for r in runs) == ["skipped", "succeeded"]
