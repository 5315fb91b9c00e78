"""Results: release, sections and the cross-domain contract, re-checks, item statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict, DomainError, NotFound
from tests.unit.exams.factory import (
    build_world,
    pooled,
    sit,
    utcnow,
)


async def _released_world(written_marks=(20, 20)):
    from training.exams import marking, results
    from training.exams.tables import Marking

    world = await build_world(candidates=1, written_count=1, closes_at=utcnow() + timedelta(hours=2))
    admission_id = await sit(world, 0, objective_right=8)
    for row, mark in zip(await Marking.select().order_by(Marking.round), written_marks, strict=True):
        examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
        await marking.record_mark(examiner, row["id"], mark)
    await results.release_results(world.admin, world.sitting_id, at=utcnow() + timedelta(hours=3))
    return world, admission_id


def test_results_are_released_by_the_administrator_with_sections(run):
    from training.exams import results, services

    async def scenario():
        world, admission_id = await _released_world()
        result = await results.result(world.mediator_users[0], admission_id)
        assert result.admission.total == 60.0 and result.admission.passed is True
        sections = {s.kind: (s.score, s.max_marks) for s in result.sections}
        assert sections == {"single": (40.0, 60), "short_answer": (20.0, 40)}
        passed = await services.exam_pass(world.mediators[0], "junior")
        assert passed and passed.score == 60.0 and passed.sitting_id == world.sitting_id
        assert [p.mediator_id for p in await services.passed_candidates(world.sitting_id)] == world.mediators
        summary = await services.sitting_summary(world.sitting_id)
        assert summary.grade == "junior" and summary.passed == 1
        assert [s.id for s in await services.released_sittings("350000")] == [world.sitting_id]
        assert await services.released_sittings("350200") == []

    run(pooled(scenario()))


def test_results_cannot_be_released_before_every_script_is_marked(run):
    from training.exams import results, services

    async def scenario():
        world = await build_world(candidates=1, written_count=1, closes_at=utcnow() + timedelta(hours=2))
        await sit(world, 0, objective_right=8)
        with pytest.raises(Conflict):
            await results.release_results(world.admin, world.sitting_id, at=utcnow() + timedelta(hours=3))
        assert await services.exam_pass(world.mediators[0], "junior") is None

    run(pooled(scenario()))


def test_recheck_within_7_days_by_a_different_examiner_records_the_outcome(run):
    from training.exams import bank, results, sittings
    from training.exams.tables import Marking

    async def scenario():
        world, admission_id = await _released_world(written_marks=(16, 18))  # 17 written + 40 = 57, failed
        who = world.mediator_users[0]
        late = utcnow() + timedelta(hours=3, days=8)
        with pytest.raises(DomainError):
            await results.request_recheck(who, admission_id, "Please look again", at=late)
        recheck_id = await results.request_recheck(who, admission_id, "Please look again")
        view_holder = {m["examiner_id"] for m in await Marking.select()}
        queue_owner = next(e for e in world.examiners if e.user_id not in view_holder)
        view = await results.recheck_view(queue_owner, recheck_id)
        assert view.script_no.startswith("S")
        for examiner in world.examiners:
            if examiner.user_id in view_holder:
                with pytest.raises(NotFound):
                    await results.recheck_view(examiner, recheck_id)
                with pytest.raises(DomainError):
                    await results.assign_recheck(world.admin, recheck_id, examiner.user_id)
        answer_id = view.written[0].answer_id
        outcome = await results.handle_recheck(queue_owner, recheck_id, {answer_id: "20"}, note="Missed a point")
        assert outcome == "changed"
        row = await sittings.load_admission(admission_id)
        assert row.total == 60.0 and row.passed is True
        with pytest.raises(Conflict):
            await results.handle_recheck(queue_owner, recheck_id, {answer_id: "20"})
        with pytest.raises(Conflict):
            await results.request_recheck(who, admission_id, "again")
        assert bank.rules().recheck_window_days == 7

    run(pooled(scenario()))


def test_item_statistics_difficulty_and_discrimination(run):
    from training.exams import marking, results
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=4, written_count=1, closes_at=utcnow() + timedelta(hours=2))
        for index, right in enumerate((12, 9, 6, 3)):
            await sit(world, index, objective_right=right)
        for row in await Marking.select():
            examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
            await marking.record_mark(examiner, row["id"], 20)
        stats = {s.question_id: s for s in await results.item_statistics(world.admin, world.paper_id)}
        easiest = stats[world.objective_ids[0]]  # everyone right
        hardest = stats[world.objective_ids[11]]  # only the best candidate right
        assert easiest.difficulty == 1.0 and easiest.discrimination == 0.0
        assert hardest.difficulty == 0.25 and hardest.discrimination == 1.0

    run(pooled(scenario()))
