"""Attendance (DOMAIN.md "Training"): QR sign-in refusals, completion at the attendance ratio and
its credit, staff marking only those holding a place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.errors import DomainError
from tests.unit.training.helpers import (
    ADMIN,
    force_enrol,
    make_course,
    make_mediators,
    one_session_now_course,
    today,
)
from training import attendance, courses, enrolments, services
from training.schemas import rules
from training.sessions import sessions_of


def test_sign_in_with_a_valid_code_records_attendance_and_completes_single_session_course(run):
    [mediator] = run(make_mediators(1))
    course_id = run(one_session_now_course())
    run(enrolments.enrol(None, course_id, mediator))
    session = run(sessions_of(course_id))[0]
    result = run(attendance.sign_in(None, attendance.sign_in_code(session.id), mediator))
    assert result.completed and not result.already
    again = run(attendance.sign_in(None, attendance.sign_in_code(session.id), mediator))
    assert again.already
    assert run(services.training_hours([mediator], today().year)) == {mediator: 2.0}


def test_sign_in_code_older_than_its_valid_slots_is_refused_as_expired(run):
    [mediator] = run(make_mediators(1))
    course_id = run(one_session_now_course())
    run(enrolments.enrol(None, course_id, mediator))
    session = run(sessions_of(course_id))[0]
    old = attendance.sign_in_code(session.id, clock.now() - timedelta(seconds=rules().qr_sign_in_slot_seconds * 3))
    with pytest.raises(DomainError) as refused:
        run(attendance.sign_in(None, old, mediator))
    assert "expired" in refused.value.message or "过期" in refused.value.message


def test_sign_in_code_for_another_session_is_refused(run):
    [mediator] = run(make_mediators(1))
    course_id = run(one_session_now_course())
    run(enrolments.enrol(None, course_id, mediator))
    session = run(sessions_of(course_id))[0]
    with pytest.raises(DomainError) as refused:
        run(attendance.sign_in(None, attendance.sign_in_code(session.id), mediator, session_id=session.id + 1))
    assert refused.value.field == "code"
    forged = attendance.sign_in_code(session.id).replace(f"{session.id}-", f"{session.id + 1}-", 1)
    with pytest.raises(DomainError):
        run(attendance.sign_in(None, forged, mediator))


def test_sign_in_outside_the_session_window_is_refused(run):
    [mediator] = run(make_mediators(1))
    later = clock.now() + timedelta(days=12)
    course_id = run(make_course(sessions=[(later, 2.0)]))
    run(enrolments.enrol(None, course_id, mediator))
    session = run(sessions_of(course_id))[0]
    with pytest.raises(DomainError) as refused:
        run(attendance.sign_in(None, attendance.sign_in_code(session.id), mediator))
    assert refused.value.field == "code"


def test_sign_in_by_a_mediator_not_enrolled_is_refused(run):
    enrolled, stranger = run(make_mediators(2))
    course_id = run(one_session_now_course())
    run(enrolments.enrol(None, course_id, enrolled))
    session = run(sessions_of(course_id))[0]
    with pytest.raises(DomainError) as refused:
        run(attendance.sign_in(None, attendance.sign_in_code(session.id), stranger))
    assert refused.value.field == "mediator"


def test_course_is_completed_at_80_percent_of_its_hours_attended_and_not_below(run):
    a, b = run(make_mediators(2))
    # five sessions of 2 hours: 8 of 10 hours is exactly 80%; 6 of 10 is not
    start = clock.now() - timedelta(days=10)
    course_id = run(make_course(capacity=5, class_hours=10, sessions=[(start + timedelta(days=i), 2.0) for i in range(5)],
                                opens=today() - timedelta(days=20), closes=today() - timedelta(days=11),
                                starts=today() - timedelta(days=10), publish=False))
    run(courses.set_course_status(ADMIN, course_id, "published"))
    for m in (a, b):
        run(force_enrol(course_id, m))
    sessions = run(sessions_of(course_id))
    for session in sessions[:3]:
        run(attendance.mark_attendance(ADMIN, session.id, [a, b]))
    assert run(services.completed_course_of_grade(a, "junior")) is None
    run(attendance.mark_attendance(ADMIN, sessions[3].id, [a]))
    done = run(services.completed_course_of_grade(a, "junior"))
    assert done is not None and done.course_id == course_id and done.hours == 10
    assert run(services.completed_course_of_grade(b, "junior")) is None
    assert run(services.completions_of_grade([a, b], "junior")).keys() == {a}
    # the hours are credited to the year of the course's last session
    year = clock.date_of(sessions[-1].starts_at).year
    assert run(services.training_hours([a, b], year)) == {a: 10.0, b: 0.0}
    # correcting attendance below the ratio takes the completion and the credit back
    run(attendance.mark_attendance(ADMIN, sessions[3].id, []))
    assert run(services.completed_course_of_grade(a, "junior")) is None
    assert run(services.training_hours([a], year)) == {a: 0.0}


def test_staff_cannot_mark_a_mediator_not_enrolled(run):
    enrolled, stranger = run(make_mediators(2))
    course_id = run(make_course())
    run(enrolments.enrol(None, course_id, enrolled))
    session = run(sessions_of(course_id))[0]
    with pytest.raises(DomainError):
        run(attendance.mark_attendance(ADMIN, session.id, [stranger]))
