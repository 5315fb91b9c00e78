"""Scheduled jobs for administrators (public contract): list, run now, history."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from core import audit
from core.auth.guards import admin_only
from core.errors import NotFound
from core.i18n import _
from core.jobs import job_runs, last_runs, registered_jobs, run_job
from core.web import who


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

    @post("/{job_id:str}/run", status_code=HTTP_200_OK, summary="Run a job now; answers its run record")
    async def run_now(self, request: Request, job_id: FromPath[str]) -> dict[str, Any]:
        if job_id not in registered_jobs():
            raise NotFound(_("No such job."), "job_id")
        me = who(request)
        result = await run_job(job_id, triggered_by=me.username or "api")
        await audit.record(me, "run_job", "job", job_id, reason=f"{result['status']}: {result['changes']} changes")
        return result

    @get("/runs", summary="Run history, newest first")
    async def runs(self, job_id: FromQuery[str | None] = None, limit: FromQuery[int] = 50) -> dict[str, Any]:
        return {"items": await job_runs(job_id, max(1, min(limit, 500)))}
