"""Graded training (分级培训): courses, enrolment with waitlists, QR attendance, the yearly
hours ledger and typical cases. Registers its router, menu, sweep step and demo data."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from training.admin_controllers import CasesAdminController, CourseAdminController, HoursAdminController
    from training.controllers import CasesController, CoursesController, TrainingApiController

    return Router(path="/", route_handlers=[
        CoursesController, CasesController, CourseAdminController, HoursAdminController, CasesAdminController,
        TrainingApiController,
    ])


router = _router()

NAV = [
    NavItem("/training/courses", N_("Training courses"), (Role.MEDIATOR,), 20),
    NavItem("/training/my", N_("My training and hours"), (Role.MEDIATOR,), 21),
    NavItem("/admin/training/courses", N_("Training courses"), (Role.ADMIN,), 20),
    NavItem("/admin/training/hours", N_("Training hours"), (Role.ADMIN, Role.AUDITOR), 21),
    NavItem("/admin/training/cases", N_("Typical cases"), (Role.ADMIN,), 22),
]


async def _close_waitlists() -> JobResult:
    from training.waitlist import close_started_waitlists

    return JobResult(changes=await close_started_waitlists())


SWEEP_STEPS = [SweepStep("training.close_started_waitlists", _close_waitlists)]


async def load_demo(context) -> None:
    from training.demo import load_demo as load

    await load(context)
