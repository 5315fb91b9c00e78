"""Enrolment (DOMAIN.md "Training"): eligibility and refusals, waitlist order, withdrawal and
its audit."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict, DomainError
from tests.unit.training.helpers import make_course, make_mediators, today
from training import enrolments


def test_enrolment_is_refused_outside_the_enrolment_window(run):
    [mediator] = run(make_mediators(1))
    early = run(make_course(opens=today() + timedelta(days=1), closes=today() + timedelta(days=3)))
    late = run(make_course(opens=today() - timedelta(days=9), closes=today() - timedelta(days=1)))
    with pytest.raises(DomainError) as refused:
        run(enrolments.enrol(None, early, mediator))
    assert refused.value.field == "window" and (today() + timedelta(days=1)).isoformat() in refused.value.message
    with pytest.raises(DomainError) as refused:
        run(enrolments.enrol(None, late, mediator))
    assert refused.value.field == "window" and (today() - timedelta(days=1)).isoformat() in refused.value.message


def test_enrolling_twice_is_refused_with_the_reason(run):
    [mediator] = run(make_mediators(1))
    course_id = run(make_course())
    assert run(enrolments.enrol(None, course_id, mediator)).status == "enrolled"
    with pytest.raises(Conflict) as refused:
        run(enrolments.enrol(None, course_id, mediator))
    assert refused.value.field == "twice"


def test_enrolment_without_the_prerequisite_course_is_refused(run):
    [mediator] = run(make_mediators(1))
    first = run(make_course(grade="induction"))
    second = run(make_course(grade="junior", prerequisite_course_id=first))
    with pytest.raises(DomainError) as refused:
        run(enrolments.enrol(None, second, mediator))
    assert refused.value.field == "prerequisite"


def test_enrolment_without_the_prerequisite_certificate_is_refused(run, monkeypatch):
    [mediator] = run(make_mediators(1))
    course_id = run(make_course(grade="intermediate", prerequisite_grade="junior"))
    with pytest.raises(DomainError) as refused:
        run(enrolments.enrol(None, course_id, mediator))
    assert refused.value.field == "prerequisite"

    async def holds_junior(_mediator_id):
        return "junior"

    monkeypatch.setattr(enrolments, "_certificate_grade_held", holds_junior)
    assert run(enrolments.enrol(None, course_id, mediator)).status == "enrolled"


def test_full_course_waitlists_and_promotes_in_order_on_withdrawal(run):
    mediators = run(make_mediators(5))
    course_id = run(make_course(capacity=2))
    results = [run(enrolments.enrol(None, course_id, m)) for m in mediators]
    assert [r.status for r in results] == ["enrolled", "enrolled", "waitlisted", "waitlisted", "waitlisted"]
    assert [r.position for r in results[2:]] == [1, 2, 3]
    promoted = run(enrolments.withdraw(None, course_id, mediators[0]))
    assert promoted == [mediators[2]]
    assert run(enrolments.enrolment_of(course_id, mediators[3])).position == 1
    # a waitlisted mediator withdrawing frees no place and promotes nobody
    assert run(enrolments.withdraw(None, course_id, mediators[3])) == []
    assert run(enrolments.withdraw(None, course_id, mediators[1])) == [mediators[4]]


def test_withdrawal_is_refused_once_the_course_has_started(run):
    [mediator] = run(make_mediators(1))
    course_id = run(make_course())
    run(enrolments.enrol(None, course_id, mediator))
    with pytest.raises(DomainError):
        run(enrolments.withdraw(None, course_id, mediator, at=clock.now() + timedelta(days=30)))


@pytest.mark.skipif(os.environ.get("MEDIATION_TEST_DATABASE") != "postgres", reason="PostgreSQL concurrency")
def test_capacity_and_waitlist_order_hold_under_concurrent_enrolment_on_postgresql(run):
    mediators = run(make_mediators(12))
    course_id = run(make_course(capacity=5))

    async def all_at_once():
        return await asyncio.gather(*(enrolments.enrol(None, course_id, m) for m in mediators), return_exceptions=True)

    results = run(all_at_once())
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.status == "enrolled" for r in results) == 5
    positions = sorted(r.position for r in results if r.status == "waitlisted")
    assert positions == list(range(1, 8))
    # the same mediator in parallel: one enrolment, the rest refused as twice
    course2 = run(make_course(capacity=5))

    async def same_mediator():
        return await asyncio.gather(*(enrolments.enrol(None, course2, mediators[0]) for _ in range(5)),
                                    return_exceptions=True)

    outcomes = run(same_mediator())
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, BaseException))


def test_enrolment_withdrawal_and_promotion_are_audited(run):
    from core.tables import AuditRecord

    a, b = run(make_mediators(2))
    course_id = run(make_course(capacity=1))
    run(enrolments.enrol(None, course_id, a))
    run(enrolments.enrol(None, course_id, b))
    run(enrolments.withdraw(None, course_id, a))
    actions = [r["action"] for r in run(AuditRecord.select(AuditRecord.action).where(AuditRecord.entity == "enrolment")
                                        .order_by(AuditRecord.id))]
    assert actions == ["enrol", "enrol", "withdraw", "promote"]
