"""Enrolment sent twice at once (a double click, or two tabs) enrols once: one enrolment, one
place taken, and both requests land on the course page."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.audit import AuditRecord
from tests.concurrency import at_once, double_click, two_tabs
from tests.helpers import api_token, login
from tests.integration.training.test_training_routes import _course, _mediator_account
from training.tables import Enrolment


def _later_course(run) -> int:
    today = clock.today()
    return run(_course(capacity=2, sessions=[(clock.now() + timedelta(days=5), 4.0)],
                       enrol_closes_on=today + timedelta(days=2), starts_on=today + timedelta(days=5)))


def _enrolled(run) -> tuple[int, int]:
    return run(Enrolment.count()), run(AuditRecord.count().where(AuditRecord.action == "enrol"))


def test_enrolment_double_clicked_enrols_once_and_both_clicks_land_on_the_course(client, run):
    run(_mediator_account("mei"))
    course_id = _later_course(run)
    login(client, "mei")
    page = f"/training/courses/{course_id}"
    answers = double_click(client, run, page, f"{page}/enrol", {})
    assert [a.status_code for a in answers] == [303, 303] and {a.headers["location"] for a in answers} == {page}
    assert _enrolled(run) == (1, 1)


def test_enrolment_from_two_tabs_at_once_enrols_once(client, run):
    run(_mediator_account("mei"))
    course_id = _later_course(run)
    login(client, "mei")
    page = f"/training/courses/{course_id}"
    answers = two_tabs(client, run, page, f"{page}/enrol", {})
    assert [a.status_code for a in answers] == [303, 303] and {a.headers["location"] for a in answers} == {page}
    assert _enrolled(run) == (1, 1)


def test_enrolment_through_the_api_twice_at_once_enrols_once(client, run):
    run(_mediator_account("mei"))
    course_id = _later_course(run)
    headers = api_token(client, "mei")
    answers = at_once(client, run, [("POST", f"/api/v1/training/courses/{course_id}/enrol", {"headers": headers})] * 2)
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert _enrolled(run) == (1, 1)
