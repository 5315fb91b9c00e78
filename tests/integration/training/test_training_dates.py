"""Training dates are the platform's (core.clock), asserted at night: at 23:30 UTC and at 00:30
Beijing time the platform's day is 2026-12-05 while the server's UTC day is 2026-12-04. The
enrolment window, the completion and credit dates, the hours year, a typical case's publication
date and the waitlist sweep follow the platform's calendar; the API answers instants with +08:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core import clock
from core.auth.roles import Role
from tests.conftest import BEIJING_DAY
from tests.helpers import api_token, login, make_user, post_form
from tests.integration.training.test_training_routes import ADMIN, _mediator_account
from training import cases, courses, enrolments, sessions
from training.attendance import sign_in_code
from training.waitlist import close_started_waitlists

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date.fromisoformat(BEIJING_DAY)


async def _course_of_the_day(**extra) -> int:
    """A course whose enrolment opens and closes on 5 December and whose one session runs from
    00:00 to 09:00 Beijing time that day (open at both night moments); 4 class hours."""
    course_id = await courses.create_course(ADMIN, {
        "title": "夜间测试课程", "grade": "junior", "region_code": "350500", "class_hours": 4, "capacity": 1,
        "enrol_opens_on": BEIJING_DAY, "enrol_closes_on": BEIJING_DAY, "starts_on": BEIJING_DAY, **extra})
    await sessions.add_session(ADMIN, course_id, {"starts_at": f"{BEIJING_DAY}T00:00", "ends_at": f"{BEIJING_DAY}T09:00",
                                                  "place": "培训室", "hours": 4})
    await courses.set_course_status(ADMIN, course_id, "published")
    return course_id


def test_course_sessions_are_read_and_answered_on_the_platforms_wall_clock(client, run, night):
    course_id = run(_course_of_the_day())
    [session] = run(sessions.sessions_of(course_id))
    assert session.starts_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 00:00 Beijing, stored as the instant
    body = client.get(f"/api/v1/training/courses/{course_id}").json()
    assert body["sessions"][0]["starts_at"] == "2026-12-05T00:00:00+08:00"
    assert body["sessions"][0]["ends_at"] == "2026-12-05T09:00:00+08:00"


def test_a_mediator_enrols_signs_in_and_is_credited_on_the_platforms_date(client, run, night):
    mediator = run(_mediator_account("night_owl"))
    course_id = run(_course_of_the_day())
    login(client, "night_owl")
    enrolled = client.post(f"/api/v1/training/courses/{course_id}/enrol", headers=api_token(client, "night_owl"))
    assert enrolled.status_code == 201, enrolled.text  # the window opens on 5 December: today, in Beijing
    [session] = run(sessions.sessions_of(course_id))
    signed = client.get(f"/training/sign-in/{sign_in_code(session.id)}")
    assert signed.status_code == 200, signed.text
    enrolment = run(enrolments.enrolment_of(course_id, mediator))
    assert enrolment.status == "completed" and enrolment.completed_on == date(2026, 12, 5)
    hours = client.get("/api/v1/training/hours", headers=api_token(client, "night_owl")).json()
    assert hours["year"] == 2026 and hours["earned"] == 4.0
    assert [c["credited_on"] for c in hours["courses"]] == ["2026-12-05"]
    assert "2026-12-05" in client.get("/training/my").text


def test_the_hours_year_turns_at_midnight_beijing_time(client, run):
    run(_mediator_account("new_year"))
    login(client, "new_year")
    with clock.frozen(datetime(2027, 1, 1, 0, 30, tzinfo=BEIJING)):  # still 2026 on the server's UTC clock
        assert client.get("/api/v1/training/hours", headers=api_token(client, "new_year")).json()["year"] == 2027


def test_a_typical_case_published_at_night_is_dated_that_day(client, run, night):
    case_id = run(cases.create_case(ADMIN, {"title": "夜间发布的案例", "dispute_type": "wage_arrears",
                                            "summary": "摘要", "region_code": "350500"}))
    run(make_user("editor", Role.ADMIN, "350500"))
    login(client, "editor")
    answer = post_form(client, f"/admin/training/cases/{case_id}/publish", {"published": "1"},
                       form_page=f"/admin/training/cases/{case_id}")
    assert answer.status_code == 303
    assert run(cases.typical_case(case_id)).published_on == date(2026, 12, 5)
    assert "2026-12-05" in client.get(f"/training/cases/{case_id}").text


def test_the_sweep_at_01_30_closes_the_waitlist_of_a_course_starting_that_day(run, night):
    first, second = run(_mediator_account("first")), run(_mediator_account("second"))
    course_id = run(courses.create_course(ADMIN, {
        "title": "今日开课", "grade": "junior", "region_code": "350500", "class_hours": 4, "capacity": 1,
        "enrol_opens_on": DAY - timedelta(days=9), "enrol_closes_on": DAY - timedelta(days=1), "starts_on": DAY}))
    run(sessions.add_session(ADMIN, course_id, {"starts_at": f"{BEIJING_DAY}T14:00", "ends_at": f"{BEIJING_DAY}T18:00",
                                                "place": "培训室", "hours": 4}))
    run(courses.set_course_status(ADMIN, course_id, "published"))
    for mediator in (first, second):
        run(enrolments.enrol(None, course_id, mediator, on=DAY - timedelta(days=2)))
    assert run(enrolments.enrolment_of(course_id, second)).status == "waitlisted"
    assert run(close_started_waitlists()) == 1  # the course starts today (5 December in Beijing)
    assert run(enrolments.enrolment_of(course_id, second)).status == "waitlist_closed"
