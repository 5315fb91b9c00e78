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
    from roster.liaison_controllers import LiaisonArbitratorController
    from roster.publication_controllers import PublishController
    from roster.recruitment_controllers import (
        CallsController,
        MyApplicationsController,
        RecruitmentAdminController,
    )
    from roster.staff_controllers import (
        MediatorController,
        MyRosterController,
        OrganisationController,
        WorkListController,
    )

    return Router(path="/", route_handlers=[
        PublicRosterController, RosterApiController, OrganisationController, MediatorController, MyRosterController,
        CallsController, RecruitmentAdminController, WorkListController, MyApplicationsController, PublishController,
        LiaisonArbitratorController,
    ])


router = _router()

NAV = [
    NavItem("/admin/worklist", N_("Work list"), (Role.ADMIN,), 5),
    NavItem("/admin/organisations", N_("Organisations and filings"), (Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR), 10),
    NavItem("/admin/mediators", N_("Mediators"), (Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR), 11),
    NavItem("/admin/recruitment", N_("Recruitment"), (Role.ADMIN,), 12),
    NavItem("/admin/roster/publish", N_("Publish the roster"), (Role.ADMIN,), 13),
    NavItem("/admin/liaison-arbitrators", N_("Liaison arbitrators"), (Role.ADMIN,), 14),
    NavItem("/my/roster", N_("My roster record"), (Role.MEDIATOR,), 10),
    NavItem("/my/applications", N_("My applications"), tuple(Role), 88),  # anyone signed in may apply
]


async def _flag_overdue() -> JobResult:
    from roster.filings import flag_overdue_filings

    return JobResult(changes=await flag_overdue_filings())


async def _publication_reminders() -> JobResult:
    from roster.publication import remind_unpublished

    return JobResult(changes=await remind_unpublished())


SWEEP_STEPS = [SweepStep("roster.overdue_filings", _flag_overdue),
               SweepStep("roster.publication_reminders", _publication_reminders)]


async def load_demo(context) -> None:
    from roster.demo import load_demo as load

    await load(context)


async def finish_demo(context) -> None:
    """After every domain's demo data: publish the roster (exits already upheld stay off it)."""
    from roster.publication_demo import publish_demo_roster

    await publish_demo_roster(context)
