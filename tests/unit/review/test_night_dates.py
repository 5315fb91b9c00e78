"""Beijing time in the appeal window (issue 14): a window that closed on 4 December is closed at
night on the 5th in Beijing, even while the server's UTC date is still the 4th (the `night`
fixture: 23:30 UTC and 00:30 Beijing time). Expected dates are stated by hand."""

from __future__ import annotations

from datetime import date

import pytest

from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict
from roster import services as roster
from roster.review import appeals, exits, records
from roster.review.tables import ExitNotice

ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))


def _notice_issued_on_19_november(run) -> dict:
    """Issued 19 November 2026: 15 days to appeal, the last day 4 December."""
    mediator = run(roster.create_mediator_record(name="申诉人", region_code="350504", appointed_on=date(2024, 1, 1)))
    run(records.record_finding(ADMIN, mediator, {"found_on": "2026-11-18", "ground": "bribery"}))
    run(exits.evaluate_exit_grounds("350504", today=date(2026, 11, 19)))
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator).first())
    assert notice["appeal_deadline"] == date(2026, 12, 4)
    return notice


def test_an_appeal_window_that_closed_yesterday_in_beijing_is_closed_at_night(run, night):
    notice = _notice_issued_on_19_november(run)
    person = Principal(user_id=None, username="med", grants=(
        Grant(Role.MEDIATOR, "350504", mediator_id=notice["mediator_id"]),))
    with pytest.raises(Conflict, match="2026-12-04"):
        run(appeals.appeal(person, notice["id"], "本人从未收受任何礼品，请求复核"))


def test_the_daily_sweep_at_night_flags_the_window_that_closed_yesterday(run, night):
    notice = _notice_issued_on_19_november(run)
    assert run(exits.mark_lapsed_appeal_windows()) == 1
    assert run(ExitNotice.select(ExitNotice.status).where(ExitNotice.id == notice["id"]).first()) == {
        "status": "lapsed"}
