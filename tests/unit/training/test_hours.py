"""The yearly hours ledger (DOMAIN.md "Training"): earned hours against the 24 required, and who
is short of them in a region."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core import clock
from tests.unit.training.helpers import ADMIN, force_enrol, make_course, make_mediators, today
from training import attendance, sessions
from training.hours import hours_ledger, short_of_hours


def test_hours_ledger_compares_earned_hours_with_the_24_hours_required_per_year(run):
    a, b = run(make_mediators(2, region="350504"))
    [xiamen] = run(make_mediators(1, region="350203", start=10))
    year = today().year
    for hours in (16.0, 8.0):
        start = datetime(year, 3, 1, 9, tzinfo=clock.zone()) + timedelta(days=int(hours))
        course_id = run(make_course(class_hours=hours, sessions=[(start, hours)], publish=True,
                                    opens=date(year, 1, 1), closes=date(year, 2, 1), starts=date(year, 3, 1)))
        run(force_enrol(course_id, a))
        session = run(sessions.sessions_of(course_id))[0]
        run(attendance.mark_attendance(ADMIN, session.id, [a]))
    ledger = run(hours_ledger(a, year))
    assert ledger.required == 24 and ledger.earned == 24 and ledger.met and ledger.short == 0
    assert len(ledger.credits) == 2
    short = run(short_of_hours("350500", year))
    assert [row.id for row in short] == [b]
    assert short[0].short == 24
    assert xiamen not in [row.id for row in run(short_of_hours("350500", year))]
