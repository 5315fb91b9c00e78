"""A paper submitted twice at once (a double click, or two tabs) is submitted once and both land
on the exams page; a re-check asked for twice at once is asked for once."""

from __future__ import annotations

from core.audit import AuditRecord
from tests.concurrency import double_click, form_fields, two_tabs
from tests.helpers import login
from tests.unit.exams.factory import admission_of, build_world
from tests.unit.exams.test_results import _released_world
from training.exams import sittings, taking
from training.exams.tables import Answer, Recheck


def _started(run) -> tuple[object, int]:
    """A candidate in the middle of the paper (the written answers left blank: marked at once)."""
    world = run(build_world(candidates=1))
    admission_id = run(admission_of(world))
    run(taking.start_exam(world.mediator_users[0], admission_id))
    run(taking.save_answers(world.mediator_users[0], admission_id, {world.objective_ids[0]: ["0"]}))
    return world, admission_id


def _submitted(run, admission_id: int) -> tuple[str, int, int]:
    status = run(sittings.load_admission(admission_id)).status
    return (status, run(AuditRecord.count().where(AuditRecord.action == "submit")),
            run(Answer.count().where(Answer.admission == admission_id)))


def test_a_paper_submitted_with_a_double_click_is_submitted_once(client, run):
    world, admission_id = _started(run)
    login(client, world.mediator_users[0].username)
    paper = f"/exams/admissions/{admission_id}/paper"
    answers = double_click(client, run, paper, f"/exams/admissions/{admission_id}/submit", {"confirm": "1"})
    assert [a.status_code for a in answers] == [303, 303] and {a.headers["location"] for a in answers} == {"/exams"}
    assert _submitted(run, admission_id) == ("marked", 1, len(world.objective_ids) + len(world.written_ids))


def test_a_paper_submitted_from_two_tabs_at_once_is_submitted_once(client, run):
    world, admission_id = _started(run)
    login(client, world.mediator_users[0].username)
    paper = f"/exams/admissions/{admission_id}/paper"
    answers = two_tabs(client, run, paper, f"/exams/admissions/{admission_id}/submit", {"confirm": "1"})
    assert [a.status_code for a in answers] == [303, 303] and {a.headers["location"] for a in answers} == {"/exams"}
    assert _submitted(run, admission_id) == ("marked", 1, len(world.objective_ids) + len(world.written_ids))


def test_a_paper_submitted_again_from_a_tab_left_open_lands_on_the_exams_page(client, run):
    """The other tab's submission committed first (the race two_tabs may or may not meet): the
    late tab is told the paper is submitted and goes to the exams page, not back to a closed paper."""
    world, admission_id = _started(run)
    login(client, world.mediator_users[0].username)
    paper = f"/exams/admissions/{admission_id}/paper"
    late_tab = {"confirm": "1", **form_fields(client, paper)}
    run(taking.submit(world.mediator_users[0], admission_id))  # the first tab
    answer = client.post(f"/exams/admissions/{admission_id}/submit", data=late_tab, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/exams"
    assert "该试卷已交卷" in client.get("/exams").text  # the reason, flashed on the exams page
    assert _submitted(run, admission_id) == ("marked", 1, len(world.objective_ids) + len(world.written_ids))


def test_a_recheck_asked_for_from_two_tabs_at_once_is_asked_for_once(client, run):
    world, admission_id = run(_released_world())
    login(client, world.mediator_users[0].username)
    page = f"/exams/admissions/{admission_id}/result"
    answers = two_tabs(client, run, page, f"/exams/admissions/{admission_id}/recheck", {"reason": "第二题漏评"})
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert run(Recheck.count()) == 1
    assert run(AuditRecord.count().where(AuditRecord.action == "request_recheck")) == 1
