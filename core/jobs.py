"""Scheduled jobs: each domain declares JobSpecs with fixed ids; `run_job` runs one under
a database lock and records the run. Jobs return how many records they changed, so a
second run of an idempotent job reports `changes: 0`."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.i18n import N_
from core.tables import JobLock, JobRun


@dataclass(frozen=True)
class JobResult:
    changes: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Awaitable[JobResult]]
    trigger: dict[str, Any]  # APScheduler cron fields, e.g. {"hour": 2, "minute": 0}
    description: str = ""  # an English message id (marked with N_), translated where shown
    title: str = ""

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


_registry: dict[str, JobSpec] = {}
_sweep_steps: dict[str, SweepStep] = {}


def register_sweep_steps(steps: list[SweepStep]) -> None:
    for step in steps:
        _sweep_steps[step.name] = step


async def daily_sweep() -> JobResult:
    """Run every registered step; one failing step is recorded and doesn't stop the others."""
    changes, details = 0, {}
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
    return f"{socket.gethostname()}:{os.getpid()}"


async def _acquire(job_id: str) -> bool:
    """Insert the job's lock row; a unique index makes a second runner fail to insert."""
    try:
        await JobLock.insert(JobLock(job_id=job_id, holder=_holder()))
        return True
    except Exception:  # noqa: BLE001 - unique violation (either engine) means someone holds it
        return False


async def _release(job_id: str) -> None:
    await JobLock.delete().where((JobLock.job_id == job_id) & (JobLock.holder == _holder()))


async def run_job(job_id: str, triggered_by: str = "scheduler") -> dict[str, Any]:
    spec = _registry[job_id]
    started = datetime.now(UTC)
    if not await _acquire(job_id):
        rows = await JobRun.insert(
            JobRun(job_id=job_id, status="skipped", started_at=started, finished_at=datetime.now(UTC),
                   details=json.dumps({"reason": "another run holds the lock"}), triggered_by=triggered_by)
        ).returning(*JobRun.all_columns())
        return _run_dict(rows[0])
    run = (await JobRun.insert(JobRun(job_id=job_id, status="running", started_at=started,
                                      triggered_by=triggered_by)).returning(JobRun.id))[0]
    try:
        result = await spec.func()
        status, changes, details = "succeeded", result.changes, result.details
    except SweepFailed as partial:
        status, changes, details = "failed", partial.changes, partial.details
    except Exception as failure:  # noqa: BLE001 - recorded on the run, never lost
        status, changes, details = "failed", 0, {"error": type(failure).__name__}
    finally:
        await _release(job_id)
    await JobRun.update(
        {JobRun.status: status, JobRun.finished_at: datetime.now(UTC), JobRun.changes: changes,
         JobRun.details: json.dumps(details, ensure_ascii=False, default=str)}
    ).where(JobRun.id == run["id"])
    row = await JobRun.select().where(JobRun.id == run["id"]).first()
    return _run_dict(row)


def _run_dict(row: dict[str, Any]) -> dict[str, Any]:
    details = row["details"]
    return {
        "id": row["id"],
        "job_id": row["job_id"],
        "status": row["status"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "changes": row["changes"],
        "details": json.loads(details) if isinstance(details, str) else details,
        "triggered_by": row.get("triggered_by", ""),
    }


async def job_runs(job_id: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    query = JobRun.select().order_by(JobRun.id, ascending=False).limit(limit).offset(offset)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return [_run_dict(row) for row in await query]


async def count_runs(job_id: str | None = None) -> int:
    return await (JobRun.count().where(JobRun.job_id == job_id) if job_id else JobRun.count())


async def last_runs() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in await JobRun.select().order_by(JobRun.id, ascending=False).limit(500):
        out.setdefault(row["job_id"], _run_dict(row))
    return out


CORE_JOBS = [
    JobSpec("daily_sweep", daily_sweep, {"hour": 1, "minute": 30},
            N_("Expire certificates, send expiry reminders, flag overdue filings, close started courses' waitlists, "
               "act on lapsed appeal windows"), N_("Daily sweep")),
]
