"""A run holds a lease that it renews while it works and that runs out when its holder dies:
a crashed run no longer locks its job out forever; it is marked abandoned and the next run
proceeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from core import clock
from core.auth.roles import Role
from core.jobs import JobResult, JobSpec, register_jobs, run_job
from core.tables import JobLock, JobRun, Notification
from tests.conftest import ROOT
from tests.helpers import login, make_user

# A job that works until it is killed: the process dies holding the lease.
STUCK = """
import asyncio
from core.db import close_pool, start_pool
from core.auth.roles import Role
from core.jobs import JobResult, JobSpec, register_jobs, run_job

async def forever():
    print("working", flush=True)
    await asyncio.sleep(3600)
    return JobResult()

async def main():
    await start_pool()
    register_jobs([JobSpec("probe", forever, {"hour": 3})])
    await run_job("probe", triggered_by="test")

asyncio.run(main())
"""


async def _probe() -> JobResult:
    await Notification.insert(Notification(user_id=0, kind="probe", subject="ran", dedupe_key="probe"))
    return JobResult(changes=1)


@pytest.fixture(autouse=True)
def _forget_the_probe_job():
    yield
    from core import jobs

    jobs._registry.pop("probe", None)  # other tests list the registered jobs


def _until(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_run_killed_mid_way_is_abandoned_and_the_next_run_proceeds(run):
    env = {**os.environ, "MEDIATION_JOB_LEASE_SECONDS": "2"}
    stuck = subprocess.Popen([sys.executable, "-c", STUCK], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert stuck.stdout.readline().strip() == "working"
    finally:
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(timeout=10)
    register_jobs([JobSpec("probe", _probe, {"hour": 3})])
    first = run(run_job("probe", triggered_by="test"))
    # Within the lease the dead holder still counts; once it has run out (2 s), the next run proceeds.
    outcome = first if first.status != "skipped" else _until(
        lambda: (lambda r: r if r.status != "skipped" else None)(run(run_job("probe", triggered_by="test"))))
    assert outcome and outcome.status == "succeeded"
    statuses = [r["status"] for r in run(JobRun.select(JobRun.status).where(JobRun.job_id == "probe")
                                         .order_by(JobRun.id))]
    assert statuses[0] == "abandoned" and statuses[-1] == "succeeded"
    assert set(statuses[1:-1]) <= {"skipped"}
    assert run(JobLock.count()) == 0


def test_a_lock_left_by_a_version_without_leases_is_taken_over(run):
    register_jobs([JobSpec("probe", _probe, {"hour": 3})])
    crashed = run(JobRun.insert(JobRun(job_id="probe", status="running", triggered_by="scheduler"))
                  .returning(JobRun.id))[0]["id"]
    run(JobLock.insert(JobLock(job_id="probe", holder="old-host:123", lease_until=None, run_id=crashed)))
    assert run(run_job("probe")).status == "succeeded"
    assert run(JobRun.select(JobRun.status).where(JobRun.id == crashed).first())["status"] == "abandoned"


def test_a_live_lease_is_respected(run):
    register_jobs([JobSpec("probe", _probe, {"hour": 3})])
    run(JobLock.insert(JobLock(job_id="probe", holder="other-node:1:ab",
                               lease_until=clock.now() + timedelta(minutes=1))))
    assert run(run_job("probe")).status == "skipped"
    assert run(Notification.count()) == 0


def test_a_run_longer_than_its_lease_keeps_it_by_renewing(run, monkeypatch):
    from core import settings as settings_module

    monkeypatch.setenv("MEDIATION_JOB_LEASE_SECONDS", "1")
    settings_module.get_settings.cache_clear()
    seen: list[str] = []

    async def slow() -> JobResult:
        import asyncio

        if seen:
            return JobResult()  # a second run got in: the lease was lost
        seen.append("first")
        for _ in range(30):  # three leases long
            await asyncio.sleep(0.1)
        seen.append((await run_job("probe")).status)  # a second runner, now
        return JobResult()

    try:
        register_jobs([JobSpec("probe", slow, {"hour": 3})])
        assert run(run_job("probe")).status == "succeeded"
        assert seen == ["first", "skipped"]
        assert run(JobLock.count()) == 0  # released at the end
    finally:
        settings_module.get_settings.cache_clear()


def test_the_jobs_page_shows_an_abandoned_run(client, run):
    run(JobRun.insert(JobRun(job_id="daily_sweep", status="abandoned", triggered_by="scheduler")))
    run(make_user("admin", Role.ADMIN, "350000"))
    login(client, "admin")
    assert "已中断" in client.get("/admin/jobs/").text
