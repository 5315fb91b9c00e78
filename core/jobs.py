"""Scheduled jobs: each domain declares JobSpecs with fixed ids; `run_job` runs one under
a database lease (renewed while it works, taken over when its holder dies) and records the run. Jobs return how many records they changed, so a
second run of an idempotent job reports `changes: 0`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.db import write_transaction
from core.i18n import N_
from core.settings import get_settings
from core.tables import JobLock, JobRun

log = logging.getLogger("mediation.jobs")

# APScheduler cron fields, e.g. {"hour": 2, "minute": 0} or {"day_of_week": "mon-fri"}
CronFields = Mapping[str, int | str]


@dataclass(frozen=True)
class JobResult:
    changes: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Awaitable[JobResult]]
    # cron fields, or a function returning them from the settings (read when the scheduler
    # starts, so a changed setting needs no code)
    when: CronFields | Callable[[], CronFields]
    description: str = ""  # an English message id (marked with N_), translated where shown
    title: str = ""

    @property
    def trigger(self) -> dict[str, int | str]:
        return dict(self.when() if callable(self.when) else self.when)

    @property
    def schedule(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.trigger.items())


@dataclass(frozen=True)
class SweepStep:
    """One part of the daily sweep, contributed by a domain (certificate expiry, reminders,
    overdue filings, started courses' waitlists, lapsed appeal windows...). It must be
    idempotent and do its own transaction(s); it returns how many records it changed."""

    name: str
    func: Callable[[], Awaitable[JobResult]]


def daily_at(time_of_day: str) -> dict[str, int]:
    """Cron fields for a setting's "HH:MM" (the platform's zone: core/scheduler.py)."""
    hour, minute = time_of_day.split(":")
    return {"hour": int(hour), "minute": int(minute)}


_registry: dict[str, JobSpec] = {}
_sweep_steps: dict[str, SweepStep] = {}


def register_sweep_steps(steps: list[SweepStep]) -> None:
    for step in steps:
        _sweep_steps[step.name] = step


async def daily_sweep() -> JobResult:
    """Run every registered step; one failing step is recorded and doesn't stop the others."""
    changes = 0
    details: dict[str, dict[str, object]] = {}  # each step's changes and its own details, or its error
    failed = []
    for name, step in sorted(_sweep_steps.items()):
        try:
            result = await step.func()
        except Exception as failure:  # noqa: BLE001 - recorded in the run's details
            details[name] = {"error": type(failure).__name__}
            failed.append(name)
            continue
        changes += result.changes
        details[name] = {"changes": result.changes, **result.details}
    if failed:
        raise SweepFailed(changes, details)
    return JobResult(changes=changes, details=details)


class SweepFailed(Exception):
    def __init__(self, changes: int, details: dict[str, Any]) -> None:
        super().__init__("daily sweep step failed")
        self.changes, self.details = changes, details


def register_jobs(specs: list[JobSpec]) -> None:
    for spec in specs:
        _registry[spec.id] = spec


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_registry)


def _holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _now() -> datetime:
    return clock.now()


def lease_seconds() -> int:
    return get_settings().rules.job_lease_seconds


async def _acquire(job_id: str, holder: str) -> bool:
    """Take the job's lease. A lease whose holder stopped renewing it (the process died) is
    taken over, and the run it covered is marked abandoned; a live lease means skip."""
    now = _now()
    try:
        async with write_transaction():
            held = await JobLock.select().where(JobLock.job_id == job_id).first()
            if held is not None and held["lease_until"] is not None and held["lease_until"] > now:
                return False
            if held is not None:
                await _abandon(job_id, held["holder"], held["run_id"], now)
            await JobLock.insert(JobLock(job_id=job_id, holder=holder, acquired_at=now,
                                         lease_until=now + timedelta(seconds=lease_seconds())))
        return True
    except Exception:  # noqa: BLE001 - a unique violation (either engine): another node took it first
        return False


async def _abandon(job_id: str, holder: str, run_id: int | None, now: datetime) -> None:
    """Take the lock of a lease that ran out from its holder, and mark the run it covered abandoned."""
    await JobLock.delete().where((JobLock.job_id == job_id) & (JobLock.holder == holder))
    if run_id is not None:
        await JobRun.update({
            JobRun.status: "abandoned", JobRun.finished_at: now,
            JobRun.details: json.dumps({"reason": "its process stopped before finishing; the lease ran out",
                                        "holder": holder}),
        }).where((JobRun.id == run_id) & (JobRun.status == "running"))


async def _renew(job_id: str, holder: str, work: asyncio.Task) -> None:
    """Keep the lease while the run works. If the lease was lost (this process stalled longer
    than the lease and another took over), stop the work rather than run twice."""
    while True:
        await asyncio.sleep(lease_seconds() / 3)
        try:
            renewed = await JobLock.update({JobLock.lease_until: _now() + timedelta(seconds=lease_seconds())}).where(
                (JobLock.job_id == job_id) & (JobLock.holder == holder)).returning(JobLock.id)
        except Exception:  # noqa: BLE001 - e.g. SQLite busy behind the job's own write: try again next time
            log.warning("job lease not renewed this time", extra={"job_id": job_id})
            continue
        if not renewed:
            work.cancel()
            return


async def _release(job_id: str, holder: str) -> None:
    await JobLock.delete().where((JobLock.job_id == job_id) & (JobLock.holder == holder))


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a job, as the jobs page, the API and the callers of `run_job` read it."""

    id: int
    job_id: str
    status: str  # running | succeeded | failed | skipped | abandoned
    started_at: datetime
    finished_at: datetime | None
    changes: int
    details: dict[str, Any]  # the job's JobResult.details, or the step's or run's error
    triggered_by: str


async def run_job(job_id: str, triggered_by: str = "scheduler") -> RunRecord:
    spec = _registry[job_id]
    holder = _holder()
    started = _now()
    if not await _acquire(job_id, holder):
        rows = await JobRun.insert(
            JobRun(job_id=job_id, status="skipped", started_at=started, finished_at=_now(),
                   details=json.dumps({"reason": "another run holds the lease"}), triggered_by=triggered_by)
        ).returning(*JobRun.all_columns())
        return _run_record(rows[0])
    run_id = (await JobRun.insert(JobRun(job_id=job_id, status="running", started_at=started,
                                         triggered_by=triggered_by)).returning(JobRun.id))[0]["id"]
    await JobLock.update({JobLock.run_id: run_id}).where((JobLock.job_id == job_id) & (JobLock.holder == holder))
    work = asyncio.ensure_future(spec.func())
    renewer = asyncio.ensure_future(_renew(job_id, holder, work))
    try:
        result = await work
        status, changes, details = "succeeded", result.changes, result.details
    except SweepFailed as partial:
        status, changes, details = "failed", partial.changes, partial.details
    except asyncio.CancelledError:
        if not renewer.done():
            raise  # we are being cancelled ourselves (shutdown): the lease runs out, the run is abandoned
        status, changes, details = "failed", 0, {"error": "LeaseLost"}
    except Exception as failure:  # noqa: BLE001 - recorded on the run, never lost
        status, changes, details = "failed", 0, {"error": type(failure).__name__}
    finally:
        renewer.cancel()
        await _release(job_id, holder)
    await JobRun.update(
        {JobRun.status: status, JobRun.finished_at: _now(), JobRun.changes: changes,
         JobRun.details: json.dumps(details, ensure_ascii=False, default=str)}
    ).where(JobRun.id == run_id)
    rows = await JobRun.select().where(JobRun.id == run_id)
    return _run_record(rows[0])


def _run_record(row: dict[str, Any]) -> RunRecord:
    details = row["details"]
    return RunRecord(
        id=row["id"],
        job_id=row["job_id"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        changes=row["changes"],
        details=json.loads(details) if isinstance(details, str) else details,
        triggered_by=row.get("triggered_by", ""),
    )


async def job_runs(job_id: str | None = None, limit: int = 50, offset: int = 0) -> list[RunRecord]:
    query = JobRun.select().order_by(JobRun.id, ascending=False).limit(limit).offset(offset)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return [_run_record(row) for row in await query]


async def count_runs(job_id: str | None = None) -> int:
    return await (JobRun.count().where(JobRun.job_id == job_id) if job_id else JobRun.count())


async def last_runs() -> dict[str, RunRecord]:
    out: dict[str, RunRecord] = {}
    for row in await JobRun.select().order_by(JobRun.id, ascending=False).limit(500):
        out.setdefault(row["job_id"], _run_record(row))
    return out


CORE_JOBS = [
    JobSpec("daily_sweep", daily_sweep, lambda: daily_at(get_settings().rules.daily_sweep_time),
            N_("Expire certificates, send expiry reminders, flag overdue filings, close started courses' waitlists, "
               "act on lapsed appeal windows"), N_("Daily sweep")),
]
