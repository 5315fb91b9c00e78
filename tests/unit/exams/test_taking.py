"""Taking the exam: the window and the deadline, one's own paper only, objective marking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict, DomainError, NotFound
from tests.unit.exams.factory import (
    admission_of,
    build_world,
    pooled,
    utcnow,
)


def test_late_answers_after_the_deadline_are_refused(run):
    from training.exams import sittings, taking

    async def scenario():
        world = await build_world(candidates=1)
        who = world.mediator_users[0]
        admission_id = await admission_of(world)
        row = await taking.start_exam(who, admission_id)
        assert row.deadline <= row.started_at + timedelta(minutes=60)
        qid = world.objective_ids[0]
        await taking.save_answers(who, admission_id, {qid: ["0"]}, at=row.deadline - timedelta(seconds=1))
        with pytest.raises(Conflict):
            await taking.save_answers(who, admission_id, {qid: ["1"]}, at=row.deadline + timedelta(seconds=1))
        with pytest.raises(Conflict):
            await taking.submit(who, admission_id, at=row.deadline + timedelta(seconds=5))
        # the answers saved in time were kept and submitted automatically
        after = await sittings.load_admission(admission_id)
        assert after.status == "marked" and after.objective_score == 5.0  # written answers left blank score 0
        assert (await taking.saved_responses(admission_id))[qid] == [0]

    run(pooled(scenario()))


def test_exam_cannot_start_outside_the_window(run):
    from training.exams import sittings, taking

    async def scenario():
        world = await build_world(candidates=1, opens_at=utcnow() + timedelta(hours=1),
                                  closes_at=utcnow() + timedelta(hours=4))
        with pytest.raises(DomainError):
            await taking.start_exam(world.mediator_users[0], await admission_of(world))
        row = await taking.start_exam(world.mediator_users[0], await admission_of(world),
                                        at=utcnow() + timedelta(hours=3, minutes=30))
        # the deadline never passes the window's close
        assert row.deadline <= (await sittings.load_sitting(world.sitting_id)).closes_at

    run(pooled(scenario()))


def test_candidate_cannot_open_another_candidates_paper(run):
    from training.exams import taking

    async def scenario():
        world = await build_world(candidates=2)
        other = await admission_of(world, 1)
        with pytest.raises(NotFound):
            await taking.exam_paper_view(world.mediator_users[0], other)
        with pytest.raises(NotFound):
            await taking.start_exam(world.mediator_users[0], other)

    run(pooled(scenario()))


def test_multiple_choice_is_all_or_nothing():
    from training.exams.bank import ExamQuestion
    from training.exams.taking import mark_objective

    def question(kind, marks, answer):
        return ExamQuestion(id=1, kind=kind, topic="t", grade="junior", difficulty=3, marks=marks, stem="s",
                            options=["a", "b", "c"], answer=answer, rubric="", region_code="350000", active=True)

    q = question("multiple", 4, [0, 2])
    assert mark_objective(q, [0, 2]) == 4 and mark_objective(q, [0]) == 0 and mark_objective(q, [0, 1, 2]) == 0
    assert mark_objective(question("true_false", 2, [True]), [True]) == 2


def test_an_answer_racing_the_submission_is_refused_by_the_database(run, monkeypatch):
    from training.exams import taking

    async def scenario():
        world = await build_world(candidates=1)
        who = world.mediator_users[0]
        admission_id = await admission_of(world)
        await taking.start_exam(who, admission_id)
        await taking.save_answers(who, admission_id, {world.objective_ids[0]: "0"})
        await taking.submit(who, admission_id)
        # as if the save had passed its checks just before the submission committed
        monkeypatch.setattr(taking, "_check_time", lambda row, at: None)
        with pytest.raises(Conflict):
            await taking.save_answers(who, admission_id, {world.objective_ids[0]: "1"})
        assert (await taking.saved_responses(admission_id))[world.objective_ids[0]] == [0]

    run(pooled(scenario()))
