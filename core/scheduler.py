"""APScheduler wiring. Run it in exactly one process (`python -m core.cli scheduler`, or
MEDIATION_SCHEDULER=on for a single-process demo); the job lock in `core.jobs` keeps a
second scheduler started by mistake from running a job twice."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core import clock
from core.jobs import CORE_JOBS, register_jobs, register_sweep_steps, registered_jobs, run_job

log = logging.getLogger("mediation.scheduler")


def collect_jobs(modules) -> None:
    register_jobs(CORE_JOBS)
    for module in modules:
        register_jobs(getattr(module, "JOBS", []))
        register_sweep_steps(getattr(module, "SWEEP_STEPS", []))


async def start_scheduler(modules) -> AsyncIOScheduler:
    collect_jobs(modules)
    # Cron fields are the platform's wall clock (the daily sweep at 01:30 Beijing time).
    scheduler = AsyncIOScheduler(timezone=clock.zone())
    for spec in registered_jobs().values():
        scheduler.add_job(run_job, "cron", args=[spec.id], id=spec.id, replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=3600, **spec.trigger)
    scheduler.start()
    log.info("scheduler started", extra={"jobs": sorted(registered_jobs())})
    return scheduler


async def run_forever() -> None:
    from core import db, domains

    modules = domains.wire()
    await db.start_pool()
    scheduler = await start_scheduler(modules)
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        await db.close_pool()
