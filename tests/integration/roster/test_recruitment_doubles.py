"""Recruitment forms sent twice at once create one record: an appointment double-clicked or sent
from two tabs makes one mediator with one roster number and lands both clicks on them; an
application, a review and an objection's decision sent twice are kept once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core import clock
from core.audit import AuditRecord
from core.auth.roles import Principal, Role
from roster import applications, public_notice
from roster.tables import Application, Mediator, Objection, RosterCounter
from tests.concurrency import double_click, two_tabs
from tests.helpers import login, make_user
from tests.integration.roster.test_application_documents_routes import SEED, _call, _particulars


def _after_notice(run, application_id: int) -> None:
    """The notice ran out yesterday (set directly: waiting five working days is no test)."""
    yesterday = clock.today() - timedelta(days=1)
    run(Application.update({Application.notice_starts_on: yesterday - timedelta(days=7),
                            Application.notice_ends_on: yesterday}).where(Application.id == application_id))


def _on_notice(run, seed: int = 1) -> tuple[int, int]:
    call_id = _call(run)
    user = run(make_user(f"citizen{seed}", None))
    application_id = run(applications.apply_to_call(Principal(user_id=user, username="c"), call_id, _particulars(seed)))
    run(applications.review_application(SEED, application_id, accept=True))
    return call_id, application_id


def _appointments(run) -> tuple[int, int, int]:
    appointed = run(Mediator.count().where(Mediator.status == "appointed"))
    serials = sum(r["last_serial"] for r in run(RosterCounter.select(RosterCounter.last_serial)))
    audits = run(AuditRecord.count().where(AuditRecord.action == "appoint"))
    return appointed, serials, audits


def test_an_appointment_double_clicked_makes_one_mediator_and_both_clicks_land_on_them(client, run):
    call_id, application_id = _on_notice(run)
    _after_notice(run, application_id)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = f"/admin/recruitment/{call_id}"
    answers = double_click(client, run, page, f"{page}/applications/{application_id}/appoint", {})
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert _appointments(run) == (1, 1, 1)


def test_an_appointment_sent_from_two_tabs_at_once_makes_one_mediator_with_one_roster_number(client, run):
    call_id, application_id = _on_notice(run)
    _after_notice(run, application_id)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = f"/admin/recruitment/{call_id}"
    answers = two_tabs(client, run, page, f"{page}/applications/{application_id}/appoint", {})
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    mediator_id = run(Application.select(Application.mediator_id).where(Application.id == application_id).first())[
        "mediator_id"]
    assert {a.headers["location"] for a in answers} == {f"/admin/mediators/{mediator_id}"}
    assert _appointments(run) == (1, 1, 1)


def test_the_same_appointment_run_twice_at_once_answers_the_same_mediator(client, run):
    _call_id, application_id = _on_notice(run)
    _after_notice(run, application_id)

    async def both():
        return await asyncio.gather(*(applications.appoint_candidate(SEED, application_id) for _ in range(2)))

    first, second = run(both())
    assert first == second and _appointments(run) == (1, 1, 1)


def test_an_application_sent_twice_at_once_is_kept_once(client, run):
    call_id = _call(run)
    run(make_user("citizen", None))
    login(client, "citizen")
    page = f"/roster/calls/{call_id}"
    answers = two_tabs(client, run, page, f"{page}/apply", _particulars(3))
    assert sorted(a.status_code for a in answers)[0] == 303, [a.text[:300] for a in answers]
    assert run(Application.count()) == 1
    assert run(AuditRecord.count().where(AuditRecord.action == "apply")) == 1


def test_a_review_and_an_objection_decision_sent_twice_at_once_are_made_once(client, run):
    call_id, application_id = _on_notice(run, 2)
    objection = run(public_notice.lodge_objection(application_id, "某公司", "候选人与本公司存在利害关系，请核查"))

    async def twice(step, *args, **kwargs):
        return await asyncio.gather(step(SEED, *args, **kwargs), step(SEED, *args, **kwargs))

    run(twice(public_notice.decide_objection, objection, uphold=False, finding="经核查不属实"))
    assert run(AuditRecord.count().where(AuditRecord.action == "dismiss_objection")) == 1
    assert run(Objection.select(Objection.status).first())["status"] == "dismissed"
    second = run(applications.apply_to_call(SEED, call_id, _particulars(4)))
    run(twice(applications.review_application, second, accept=True))
    assert run(AuditRecord.count().where(AuditRecord.action == "accept_application")) == 2  # one per application
