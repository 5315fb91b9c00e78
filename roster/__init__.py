"""Roster (名册): mediation organisations and their filing, mediators, recruitment and the
public roster. Registers its router, menu, sweep step and demo data with the app."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from roster.controllers import PublicRosterController, RosterApiController
    from roster.recruitment_controllers import CallsController, RecruitmentAdminController
    from roster.staff_controllers import (
        MediatorController,
        MyRosterController,
        OrganisationController,
        WorkListController,
    )

    return Router(path="/", route_handlers=[
        PublicRosterController, RosterApiController, OrganisationController, MediatorController, MyRosterController,
        CallsController, RecruitmentAdminController, WorkListController,
    ])


router = _router()

NAV = [
    NavItem("/admin/worklist", N_("Work list"), (Role.ADMIN,), 5),
    NavItem("/admin/organisations", N_("Organisations and filings"), (Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR), 10),
    NavItem("/admin/mediators", N_("Mediators"), (Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR), 11),
    NavItem("/admin/recruitment", N_("Recruitment"), (Role.ADMIN,), 12),
    NavItem("/my/roster", N_("My roster record"), (Role.MEDIATOR,), 10),
]


async def _flag_overdue() -> JobResult:
    from roster.services import flag_overdue_filings

    return JobResult(changes=await flag_overdue_filings())


SWEEP_STEPS = [SweepStep("roster.overdue_filings", _flag_overdue)]


async def load_demo(context) -> None:
    from roster.demo import load_demo as load

    await load(context)
