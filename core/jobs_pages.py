"""The administrators' page of scheduled jobs: schedule, last run, run now, and the history
with each run's start, end, changes and per-step details or errors."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import audit
from core.auth.guards import admin_only
from core.i18n import _
from core.jobs import count_runs, job_runs, last_runs, registered_jobs, run_job
from core.jobs_api import check_may_run, may_run_jobs
from core.nav import flash
from core.web import Page, back_to, paging, render, who


class JobsPageController(Controller):
    path = "/admin/jobs"
    guards = [admin_only]
    include_in_schema = False

    @get("/")
    async def jobs(self, request: Request, job: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        specs = sorted(registered_jobs().values(), key=lambda s: s.id)
        job = job if job in registered_jobs() else ""
        page, size = paging(page, 25, 25)
        runs = await job_runs(job or None, size, (page - 1) * size)
        return render("core/jobs.html", specs=specs, last=await last_runs(), job=job, may_run=may_run_jobs(who(request)),
                      page=Page(runs, await count_runs(job or None), page, size),
                      query_base="/admin/jobs/" + (f"?job={job}" if job else ""))

    @post("/{job_id:str}/run")
    async def run_now(self, request: Request, job_id: FromPath[str]) -> Redirect:
        me = who(request)
        check_may_run(me, job_id)
        result = await run_job(job_id, triggered_by=me.username)
        await audit.record(me, "run_job", "job", job_id, reason=f"{result.status}: {result.changes} changes")
        flash(request, _("%(job)s: %(status)s, %(changes)s records changed.", job=job_id,
                         status=result.status, changes=result.changes),
              "ok" if result.status == "succeeded" else "error")
        return back_to(f"/admin/jobs/?job={job_id}")
