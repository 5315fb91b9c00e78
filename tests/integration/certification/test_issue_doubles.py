"""A certificate issued twice at once (a double click, two tabs, two batch runs) is issued once:
one number taken, and both requests land on the certificate. The holder is really eligible: a
released passing exam and a completed course of the grade."""

from __future__ import annotations

import asyncio

from certification import issuing, lifecycle
from certification.tables import Certificate
from core.auth.roles import Role
from core.clock import now
from tests.concurrency import double_click, two_tabs
from tests.helpers import login, make_user
from tests.unit.exams.test_results import _released_world
from training.tables import Course, Enrolment


def _eligible(run) -> tuple[object, int]:
    """A mediator who passed the junior exam (released) and completed a junior course."""
    world, _admission = run(_released_world())
    mediator_id = world.mediators[0]
    course = run(Course.insert(Course(title="初级调解员培训", grade="junior", region_code="350500", class_hours=24,
                                      status="published", created_at=now(), updated_at=now())).returning(Course.id))
    run(Enrolment.insert(Enrolment(course=course[0]["id"], mediator_id=mediator_id, pair_key=f"{course[0]['id']}:"
                                   f"{mediator_id}", status="completed", queued_at=now(), completed_on=now().date())))
    assert run(issuing.check_eligibility(mediator_id, "junior")).eligible
    return world, mediator_id


def _admin(client, run) -> None:
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")


def test_an_issue_double_clicked_issues_one_certificate_and_both_clicks_land_on_it(client, run):
    _world, mediator_id = _eligible(run)
    _admin(client, run)
    page = "/admin/certificates/issue"
    answers = double_click(client, run, page, page, {"mediator_id": str(mediator_id), "grade": "junior"})
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    number = run(Certificate.select(Certificate.certificate_no).first())["certificate_no"]
    assert {a.headers["location"] for a in answers} == {f"/admin/certificates/{number}"}
    assert run(Certificate.count()) == 1


def test_an_issue_sent_from_two_tabs_at_once_issues_one_certificate(client, run):
    _world, mediator_id = _eligible(run)
    _admin(client, run)
    page = "/admin/certificates/issue"
    answers = two_tabs(client, run, page, page, {"mediator_id": str(mediator_id), "grade": "junior"})
    assert run(Certificate.count()) == 1
    number = run(Certificate.select(Certificate.certificate_no).first())["certificate_no"]
    assert number.endswith("000001")  # one number taken
    # Each tab lands on that certificate; a tab whose eligibility check ran after the other's
    # commit is told the mediator already holds it (two forms are two decisions, not one).
    for answer in answers:
        landed = answer.status_code == 303 and answer.headers["location"] == f"/admin/certificates/{number}"
        told = answer.status_code == 400 and number in answer.text
        assert landed or told, (answer.status_code, answer.text[:300])
    assert answers[0].status_code == 303 or answers[1].status_code == 303


def test_a_batch_issue_run_twice_at_once_issues_each_certificate_once(client, run):
    world, mediator_id = _eligible(run)

    async def twice():
        return await asyncio.gather(*(issuing.batch_issue(world.admin, sitting_id=world.sitting_id, render=False)
                                      for _ in range(2)))

    first, second = run(twice())
    assert run(Certificate.count().where(Certificate.mediator_id == mediator_id)) == 1
    assert {r.id for r in first} | {r.id for r in second} == {run(Certificate.select(Certificate.id).first())[
        "id"]}


def test_a_revocation_sent_twice_at_once_is_recorded_once(client, run):
    _world, mediator_id = _eligible(run)
    row = run(issuing.issue_certificate_unchecked(mediator_id, "junior"))
    from core.audit import AuditRecord

    async def twice():
        return await asyncio.gather(*(lifecycle.revoke(None, row.certificate_no, "fraud") for _ in range(2)),
                                    return_exceptions=True)

    outcomes = run(twice())
    assert sum(type(o).__name__ == "Conflict" for o in outcomes) == 1
    assert run(AuditRecord.count().where(AuditRecord.action == "revoke")) == 1
