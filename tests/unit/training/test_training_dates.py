"""Training reads its zone from the platform's setting (MEDIATION_TIME_ZONE), never a zone of its
own: in a platform on Tokyo time, 00:30 on 5 December in Tokyo (23:30 on the 4th in Beijing) is
the 5th for enrolment, session times, completion and credit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import clock
from core import settings as settings_module
from tests.unit.training.helpers import ADMIN, make_mediators
from training import attendance, courses, enrolments, hours, sessions


@pytest.fixture
def tokyo(monkeypatch, db):
    monkeypatch.setenv("MEDIATION_TIME_ZONE", "Asia/Tokyo")
    settings_module.get_settings.cache_clear()
    try:
        with clock.frozen(datetime(2026, 12, 4, 15, 30, tzinfo=UTC)) as at:
            yield at
    finally:
        settings_module.get_settings.cache_clear()


def test_training_dates_follow_the_platforms_time_zone_setting(run, tokyo):
    assert clock.today() == date(2026, 12, 5)
    [mediator] = run(make_mediators(1))
    course_id = run(courses.create_course(ADMIN, {
        "title": "东京时区课程", "grade": "junior", "region_code": "350500", "class_hours": 4, "capacity": 5,
        "enrol_opens_on": "2026-12-05", "enrol_closes_on": "2026-12-05", "starts_on": "2026-12-05"}))
    run(sessions.add_session(ADMIN, course_id, {"starts_at": "2026-12-05T00:00", "ends_at": "2026-12-05T04:00",
                                                "place": "培训室", "hours": 4}))
    run(courses.set_course_status(ADMIN, course_id, "published"))
    [session] = run(sessions.sessions_of(course_id))
    assert session.starts_at == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # midnight in Tokyo
    assert run(enrolments.enrol(None, course_id, mediator)).status == "enrolled"  # the window opens today
    run(attendance.mark_attendance(ADMIN, session.id, [mediator]))
    assert run(enrolments.enrolment_of(course_id, mediator)).completed_on == date(2026, 12, 5)
    ledger = run(hours.hours_ledger(mediator))
    assert ledger.year == 2026 and [c.credited_on for c in ledger.credits] == [date(2026, 12, 5)]
