"""Expert pool (调解专家库), the invited-mediation list (特邀调解名册) and courts'
selections of experts."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from expert_pool.controllers import (
        InvitedAdminController,
        InvitedListController,
        MyExpertController,
        PoolAdminController,
    )
    from expert_pool.selection_controllers import (
        CourtController,
        CourtExpertsController,
        ExpertsApiController,
    )

    return Router(path="/", route_handlers=[ExpertsApiController, CourtController, CourtExpertsController,
                                            PoolAdminController, InvitedAdminController, InvitedListController,
                                            MyExpertController])


router = _router()

NAV = [
    NavItem("/court/selections", N_("Expert selections"), (Role.COURT, Role.ADMIN), 20),
    NavItem("/court/experts", N_("Search experts"), (Role.COURT,), 19),
    NavItem("/admin/experts", N_("Expert pool"), (Role.ADMIN, Role.AUDITOR), 21),
    NavItem("/admin/invited", N_("Invited-mediation list"), (Role.ADMIN, Role.AUDITOR), 22),
    NavItem("/my/expert", N_("My expert invitations"), (Role.MEDIATOR,), 35),
]


async def _lapse() -> JobResult:
    from expert_pool.selection_steps import lapse_unanswered_invitations

    return JobResult(changes=await lapse_unanswered_invitations())


SWEEP_STEPS = [SweepStep("expert_pool.unanswered_invitations", _lapse)]


async def _refusals(event) -> dict:
    from expert_pool.services import refusals_without_good_reason

    return await refusals_without_good_reason(event.mediator_ids, event.since)


async def _exited(event) -> None:
    from expert_pool.services import remove_mediator_from_pool

    await remove_mediator_from_pool(event.mediator_id, event.ground, event.actor)


async def _report_tables(event) -> list:
    from expert_pool.statistics import selections_table

    return [await selections_table(event.region, event.period, event.buckets)]


def _subscriptions() -> list:
    from roster.review.events import MediatorExited, RefusalsWanted, ReportTablesWanted

    return [(RefusalsWanted, _refusals), (MediatorExited, _exited), (ReportTablesWanted, _report_tables)]


SUBSCRIPTIONS = _subscriptions()


async def load_demo(context) -> None:
    from expert_pool.demo import load_demo as load

    await load(context)
