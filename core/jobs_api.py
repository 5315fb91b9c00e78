"""Scheduled jobs for administrators (public contract): list, run now, history.

Every job works on the whole province (a JobSpec takes no region), so running one by hand is
for an administrator of the province only; any administrator sees the list and the history,
whose figures are counts, never records."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from core import audit
from core.auth.guards import admin_only
from core.auth.roles import Principal, Role
from core.errors import Forbidden, NotFound
from core.i18n import _
from core.jobs import RunRecord, job_runs, last_runs, registered_jobs, run_job
from core.regions import root_region
from core.web import who


def may_run_jobs(principal: Principal) -> bool:
    return principal.can_act_in(root_region(), Role.ADMIN)


def check_may_run(principal: Principal, job_id: str) -> None:
    """Unknown job → 404 (for everyone who may read the list); a known one → 403 below the province."""
    if job_id not in registered_jobs():
        raise NotFound(_("No such job."), "job_id")
    if not may_run_jobs(principal):
        raise Forbidden(_("Scheduled jobs work on the whole province: only a province administrator runs them."))


class JobsApiController(Controller):
    path = "/api/v1/jobs"
    tags = ["operations"]
    guards = [admin_only]

    @get("/", summary="Scheduled jobs with their schedule and last run")
    async def list_jobs(self) -> dict[str, Any]:
        last = await last_runs()
        return {"items": [
            {"id": spec.id, "schedule": spec.schedule, "trigger": spec.trigger, "description": spec.description,
             "last_run": last.get(spec.id)}
            for spec in sorted(registered_jobs().values(), key=lambda s: s.id)
        ]}

    @post("/{job_id:str}/run", status_code=HTTP_200_OK,
          summary="Run a job now (province administrators); answers its run record")
    async def run_now(self, request: Request, job_id: FromPath[str]) -> RunRecord:
        me = who(request)
        check_may_run(me, job_id)
        result = await run_job(job_id, triggered_by=me.username or "api")
        await audit.record(me, "run_job", "job", job_id, reason=f"{result.status}: {result.changes} changes")
        return result

    @get("/runs", summary="Run history, newest first")
    async def runs(self, job_id: FromQuery[str | None] = None, limit: FromQuery[int] = 50
                   ) -> dict[str, list[RunRecord]]:
        return {"items": await job_runs(job_id, max(1, min(limit, 500)))}
