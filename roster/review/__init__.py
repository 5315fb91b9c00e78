"""Dynamic roster review (名册动态管理): performance records, annual appraisal, exit and
appeals, the scheduled jobs and the reports."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, JobSpec, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from roster.review.controllers import (
        AppraisalController,
        MyReviewController,
        RecordsController,
        ReviewApiController,
    )
    from roster.review.reports import ReportsController

    return Router(path="/", route_handlers=[AppraisalController, RecordsController, MyReviewController,
                                            ReviewApiController, ReportsController])


router = _router()

NAV = [
    NavItem("/admin/review", N_("Appraisal"), (Role.ADMIN, Role.AUDITOR), 30),
    NavItem("/admin/review/exits", N_("Exit notices"), (Role.ADMIN, Role.AUDITOR), 31),
    NavItem("/review/records", N_("Performance records"), (Role.ADMIN, Role.ORG_MANAGER), 32),
    NavItem("/admin/reports", N_("Reports"), (Role.ADMIN, Role.AUDITOR), 40),
    NavItem("/my/review", N_("My appraisals"), (Role.MEDIATOR,), 30),
]


async def _annual_appraisal() -> JobResult:
    from roster.review.appraisal import annual_appraisal_job

    result = await annual_appraisal_job()
    return JobResult(changes=result["changes"], details={"year": result["year"]})


async def _lapsed_appeals() -> JobResult:
    from roster.review.exits import mark_lapsed_appeal_windows

    return JobResult(changes=await mark_lapsed_appeal_windows())


async def _exit_grounds() -> JobResult:
    from roster.review.exits import evaluate_exit_grounds

    return JobResult(changes=await evaluate_exit_grounds("350000"))


def _appraisal_cron() -> dict[str, int]:
    """The day and time of the annual appraisal, from the settings (MEDIATION_APPRAISAL_MONTH_DAY, _TIME)."""
    from core.jobs import daily_at
    from core.settings import get_settings

    rules = get_settings().rules
    month, day = rules.appraisal_month_day
    return {"month": month, "day": day, **daily_at(rules.appraisal_time)}


JOBS = [JobSpec("annual_appraisal", _annual_appraisal, _appraisal_cron,
                N_("Draft appraisal of every city for the previous year"), N_("Annual appraisal"))]
SWEEP_STEPS = [SweepStep("review.lapsed_appeals", _lapsed_appeals), SweepStep("review.exit_grounds", _exit_grounds)]


async def load_demo(context) -> None:
    from roster.review.demo import load_demo as load

    await load(context)
