"""The waitlist sweep (DOMAIN.md "Training"): waitlists of started courses close, once."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.training.helpers import make_course, make_mediators, today
from training import enrolments, waitlist


def test_sweep_closes_waitlists_of_started_courses_and_is_idempotent(run):
    mediators = run(make_mediators(3))
    course_id = run(make_course(capacity=1))
    for m in mediators:
        run(enrolments.enrol(None, course_id, m))
    assert run(waitlist.close_started_waitlists(on=today())) == 0
    later = today() + timedelta(days=11)
    assert run(waitlist.close_started_waitlists(on=later)) == 2
    assert run(waitlist.close_started_waitlists(on=later)) == 0


def test_daily_sweep_step_reports_its_changes(run):
    import training as training_domain

    [step] = training_domain.SWEEP_STEPS
    assert step.name == "training.close_started_waitlists"
    assert run(step.func()).changes == 0
