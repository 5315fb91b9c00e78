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
        CourtController,
        CourtExpertsController,
        ExpertsApiController,
        InvitedAdminController,
        InvitedListController,
        MyExpertController,
        PoolAdminController,
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
    from expert_pool.services import lapse_unanswered_invitations

    return JobResult(changes=await lapse_unanswered_invitations())


SWEEP_STEPS = [SweepStep("expert_pool.unanswered_invitations", _lapse)]


async def load_demo(context) -> None:
    from expert_pool.demo import load_demo as load

    await load(context)
