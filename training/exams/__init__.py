"""Examinations (考试): question bank, papers, sittings and admission tickets, online exams
with autosave, blind double marking with a third examiner, results, re-checks and item
statistics. Registers its router, menu, sweep step and demo data."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from training.exams.controllers import (
        BankController,
        ExamsApiController,
        PapersController,
        SittingsController,
    )
    from training.exams.marking_controllers import MarkingController
    from training.exams.taking_controllers import CandidateController

    return Router(path="/", route_handlers=[
        BankController, PapersController, SittingsController, CandidateController, MarkingController,
        ExamsApiController,
    ])


router = _router()

NAV = [
    NavItem("/exams", N_("My exams"), (Role.MEDIATOR,), 22),
    NavItem("/exams/marking", N_("Marking"), (Role.EXAMINER,), 20),
    NavItem("/admin/exams/sittings", N_("Exams"), (Role.ADMIN,), 23),
    NavItem("/admin/exams/questions", N_("Question bank"), (Role.ADMIN,), 24),
]


async def _finalise_expired() -> JobResult:
    from training.exams.taking import finalise_expired

    return JobResult(changes=await finalise_expired())


SWEEP_STEPS = [SweepStep("exams.finalise_expired_papers", _finalise_expired)]


async def load_demo(context) -> None:
    from training.exams.demo import load_demo as load

    await load(context)
