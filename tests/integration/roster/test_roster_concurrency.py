"""Roster numbers stay unique and gap-free, and a recruitment quota holds, when appointments
run at the same moment (parallel transactions on the engine under test)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import applications, mediators, recruitment
from roster.tables import Mediator
from tests.unit.roster.test_roster_rules import mediator_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def test_parallel_appointments_get_unique_gap_free_roster_numbers(client, run):
    ids = [run(mediators.register_mediator(ADMIN, mediator_form(40 + i))) for i in range(8)]

    async def appoint_all():
        await asyncio.gather(*(mediators.set_status(ADMIN, i, "appointed", "选聘", on=date(2026, 6, 1)) for i in ids))

    run(appoint_all())
    numbers = sorted(r["roster_no"] for r in run(Mediator.select(Mediator.roster_no).where(Mediator.id.is_in(ids))))
    assert numbers == [f"3505042026{n:05d}" for n in range(1, 9)]


def test_two_administrators_appointing_at_once_cannot_exceed_the_quota(client, run):
    call_id = run(recruitment.open_call(ADMIN, {"title": "选聘", "region_code": "350500", "quota": "1",
                                                "opens_on": clock.today().isoformat(),
                                                "closes_on": clock.today().isoformat()}))
    apps = [run(applications.apply_to_call(ADMIN, call_id, mediator_form(60 + i))) for i in range(2)]
    for app_id in apps:
        run(applications.review_application(ADMIN, app_id, accept=True))
    later = clock.today() + timedelta(days=30)

    async def both():
        return await asyncio.gather(*(applications.appoint_candidate(ADMIN, a, on=later) for a in apps),
                                    return_exceptions=True)

    outcomes = run(both())
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert sum(type(o).__name__ == "Conflict" for o in outcomes) == 1
