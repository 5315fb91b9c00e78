"""Courses (DOMAIN.md "Training"): every field error at once, the prerequisite certificate of a
lower grade, joint organisers and who may manage a course."""

from __future__ import annotations

import pytest

from core.auth.roles import Grant, Principal, Role
from core.errors import FieldErrors, Forbidden
from tests.unit.training.helpers import XIAMEN_ADMIN, make_course
from training import catalogue, courses


def test_course_needs_valid_fields_and_reports_each(run):
    with pytest.raises(FieldErrors) as invalid:
        courses.validate_course({"title": "", "grade": "expert", "class_hours": "-1", "capacity": "0",
                                 "enrol_opens_on": "2026-05-10", "enrol_closes_on": "2026-05-01", "starts_on": "x"})
    assert {"title", "grade", "region_code", "class_hours", "capacity", "enrol_closes_on", "starts_on"} <= set(
        invalid.value.errors)


def test_prerequisite_certificate_must_be_of_a_lower_grade(run):
    with pytest.raises(FieldErrors) as invalid:
        courses.validate_course({"title": "t", "grade": "junior", "region_code": "350500", "class_hours": 8,
                                 "capacity": 5, "prerequisite_grade": "senior", "enrol_opens_on": "2026-01-01",
                                 "enrol_closes_on": "2026-01-02", "starts_on": "2026-01-03"})
    assert "prerequisite_grade" in invalid.value.errors


def test_joint_course_keeps_every_organiser_and_any_organiser_region_may_manage(run):
    course_id = run(make_course(joint_organisers="350200 厦门市人社局", organiser_name="泉州市人社局"))
    course = run(catalogue.course_detail(course_id))
    assert [o["region_code"] for o in course.organisers] == ["350500", "350200"]
    assert courses.can_manage_course(XIAMEN_ADMIN, course)
    other = Principal(user_id=None, username="fz", grants=(Grant(Role.ADMIN, "350100"),))
    assert not courses.can_manage_course(other, course)


def test_administrator_cannot_create_a_course_outside_their_region(run):
    with pytest.raises(Forbidden):
        run(courses.create_course(XIAMEN_ADMIN, {
            "title": "t", "grade": "junior", "region_code": "350500", "class_hours": 8, "capacity": 5,
            "enrol_opens_on": "2026-01-01", "enrol_closes_on": "2026-01-02", "starts_on": "2026-01-03"}))
