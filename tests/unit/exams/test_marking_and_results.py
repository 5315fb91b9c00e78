"""Blind double marking, the third examiner, results, re-checks, statistics, contract."""

from datetime import timedelta

import pytest

from core.auth.roles import Role
from core.errors import Conflict, DomainError, NotFound
from tests.unit.exams.factory import build_world, pooled, sit, utcnow


def test_settle_mean_of_two_within_twenty_percent_else_third_examiner():
    from training.exams.services import settle

    # 20% of 20 marks = 4: a difference of exactly 4 is within tolerance
    assert settle([10, 14], 20) == (12.0, False)
    assert settle([10, 14.5], 20) == (None, True)
    # third examiner: mean of the two closest marks
    assert settle([10, 16, 15], 20) == (15.5, False)
    assert settle([10, 16, 11], 20) == (10.5, False)
    # equally close pairs: the higher mean counts (benefit of the doubt to the candidate)
    assert settle([10, 16, 13], 20) == (14.5, False)


async def _mark_all(world, admission_id, marks_by_examiner):
    """Each examiner marks their assignments of this admission with the mark given."""
    from training.exams import services
    from training.exams.tables import Marking

    for examiner in world.examiners:
        queue = await services.examiner_queue(examiner)
        for item in queue["waiting"]:
            owner = await Marking.select(Marking.answer.admission).where(Marking.id == item["id"]).first()
            if owner["answer.admission"] == admission_id and examiner.user_id in marks_by_examiner:
                await services.record_mark(examiner, item["id"], marks_by_examiner[examiner.user_id])


def test_each_written_answer_goes_to_two_different_examiners_blind(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=2)
        await sit(world, 0, objective_right=10)
        rows = await Marking.select()
        by_answer = {}
        for row in rows:
            by_answer.setdefault(row["answer"], []).append(row["examiner_id"])
        assert len(by_answer) == 2 and all(len(set(v)) == 2 == len(v) for v in by_answer.values())
        view = await services.marking_view(world.examiners[0] if rows[0]["examiner_id"] == world.examiners[0].user_id
                                           else next(e for e in world.examiners if e.user_id == rows[0]["examiner_id"]),
                                           rows[0]["id"])
        text = repr(view)
        assert view["script_no"].startswith("S")
        assert "候选人" not in text and "ticket" not in text and "mediator" not in text and "admission" not in text

    run(pooled(scenario()))


def test_examiner_cannot_mark_a_script_not_assigned_or_twice(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1)
        await sit(world, 0, objective_right=10)
        row = (await Marking.select().order_by(Marking.id))[0]
        owner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
        markers = {m["examiner_id"] for m in await Marking.select().where(Marking.answer == row["answer"])}
        stranger = next(e for e in world.examiners if e.user_id not in markers)
        with pytest.raises(NotFound):
            await services.record_mark(stranger, row["id"], 5)
        with pytest.raises(NotFound):
            await services.marking_view(stranger, row["id"])
        with pytest.raises(DomainError):
            await services.record_mark(owner, row["id"], 99)
        await services.record_mark(owner, row["id"], 10)
        with pytest.raises(Conflict):
            await services.record_mark(owner, row["id"], 12)

    run(pooled(scenario()))


def test_marks_more_than_twenty_percent_apart_go_to_a_third_examiner_and_the_two_closest_count(run):
    from training.exams import services
    from training.exams.tables import Answer, Marking

    async def scenario():
        world = await build_world(candidates=1, written_count=1)  # one written question of 40 marks
        admission_id = await sit(world, 0, objective_right=8)  # 40 objective marks
        first, second = await Marking.select().order_by(Marking.round)
        e1 = next(e for e in world.examiners if e.user_id == first["examiner_id"])
        e2 = next(e for e in world.examiners if e.user_id == second["examiner_id"])
        await services.record_mark(e1, first["id"], 10)
        await services.record_mark(e2, second["id"], 30)  # 20 apart > 8 (20% of 40)
        third = await Marking.select().where(Marking.round == 3).first()
        assert third is not None and third["examiner_id"] not in {e1.user_id, e2.user_id}
        e3 = next(e for e in world.examiners if e.user_id == third["examiner_id"])
        assert (await Answer.select(Answer.score).where(Answer.id == first["answer"]).first())["score"] is None
        await services.record_mark(e3, third["id"], 26)
        answer = await Answer.select(Answer.score).where(Answer.id == first["answer"]).first()
        assert answer["score"] == 28.0  # mean of 30 and 26, the two closest
        row = await services._admission(admission_id)
        assert row["status"] == "marked" and row["total"] == 68.0 and row["passed"] is True

    run(pooled(scenario()))


def test_marks_within_twenty_percent_take_the_mean_of_two(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1, written_count=1)
        admission_id = await sit(world, 0, objective_right=8)
        first, second = await Marking.select().order_by(Marking.round)
        for row, mark in ((first, 10), (second, 18)):  # 8 apart = exactly 20% of 40
            examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
            await services.record_mark(examiner, row["id"], mark)
        assert not await Marking.exists().where(Marking.round == 3)
        row = await services._admission(admission_id)
        assert row["total"] == 54.0 and row["passed"] is False

    run(pooled(scenario()))


def test_pass_mark_is_60_of_100(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=2, written_count=1)
        passing = await sit(world, 0, objective_right=12, written_text="")  # 60 objective, blank written = 0
        failing = await sit(world, 1, objective_right=11, written_text="")  # 55
        assert (await services._admission(passing))["passed"] is True
        assert (await services._admission(failing))["passed"] is False
        assert services.rules().exam_pass_mark == 60

    run(pooled(scenario()))


async def _released_world(written_marks=(20, 20)):
    from training.exams import services
    from training.exams.tables import Marking

    world = await build_world(candidates=1, written_count=1, closes_at=utcnow() + timedelta(hours=2))
    admission_id = await sit(world, 0, objective_right=8)
    for row, mark in zip(await Marking.select().order_by(Marking.round), written_marks, strict=True):
        examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
        await services.record_mark(examiner, row["id"], mark)
    await services.release_results(world.admin, world.sitting_id, at=utcnow() + timedelta(hours=3))
    return world, admission_id


def test_results_are_released_by_the_administrator_with_sections(run):
    from training.exams import services

    async def scenario():
        world, admission_id = await _released_world()
        result = await services.result(world.mediator_users[0], admission_id)
        assert result["admission"]["total"] == 60.0 and result["admission"]["passed"] is True
        sections = {s["kind"]: (s["score"], s["max"]) for s in result["sections"]}
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
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1, written_count=1, closes_at=utcnow() + timedelta(hours=2))
        await sit(world, 0, objective_right=8)
        with pytest.raises(Conflict):
            await services.release_results(world.admin, world.sitting_id, at=utcnow() + timedelta(hours=3))
        assert await services.exam_pass(world.mediators[0], "junior") is None

    run(pooled(scenario()))


def test_recheck_within_7_days_by_a_different_examiner_records_the_outcome(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world, admission_id = await _released_world(written_marks=(16, 18))  # 17 written + 40 = 57, failed
        who = world.mediator_users[0]
        late = utcnow() + timedelta(hours=3, days=8)
        with pytest.raises(DomainError):
            await services.request_recheck(who, admission_id, "Please look again", at=late)
        recheck_id = await services.request_recheck(who, admission_id, "Please look again")
        view_holder = {m["examiner_id"] for m in await Marking.select()}
        queue_owner = next(e for e in world.examiners if e.user_id not in view_holder)
        view = await services.recheck_view(queue_owner, recheck_id)
        assert view["script_no"].startswith("S")
        for examiner in world.examiners:
            if examiner.user_id in view_holder:
                with pytest.raises(NotFound):
                    await services.recheck_view(examiner, recheck_id)
                with pytest.raises(DomainError):
                    await services.assign_recheck(world.admin, recheck_id, examiner.user_id)
        answer_id = view["written"][0]["answer_id"]
        outcome = await services.handle_recheck(queue_owner, recheck_id, {answer_id: "20"}, note="Missed a point")
        assert outcome == "changed"
        row = await services._admission(admission_id)
        assert row["total"] == 60.0 and row["passed"] is True
        with pytest.raises(Conflict):
            await services.handle_recheck(queue_owner, recheck_id, {answer_id: "20"})
        with pytest.raises(Conflict):
            await services.request_recheck(who, admission_id, "again")
        assert services.rules().recheck_window_days == 7

    run(pooled(scenario()))


def test_administrator_reassigns_an_examiners_unmarked_scripts(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=2, examiners=3)
        await sit(world, 0, objective_right=10)
        await sit(world, 1, objective_right=10)
        busy = (await Marking.select().order_by(Marking.id))[0]["examiner_id"]
        target = next(e.user_id for e in world.examiners if e.user_id != busy)
        moved, kept = await services.reassign(world.admin, world.sitting_id, busy, target)
        assert moved + kept > 0
        for row in await Marking.select():
            pairs = [m["examiner_id"] for m in await Marking.select().where(Marking.answer == row["answer"])]
            assert len(pairs) == len(set(pairs))  # never the same examiner twice on one answer
        progress = await services.marking_progress(world.admin, world.sitting_id)
        assert progress["markings_total"] == 8 and progress["markings_done"] == 0

    run(pooled(scenario()))


def test_item_statistics_difficulty_and_discrimination(run):
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=4, written_count=1, closes_at=utcnow() + timedelta(hours=2))
        for index, right in enumerate((12, 9, 6, 3)):
            await sit(world, index, objective_right=right)
        for row in await Marking.select():
            examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
            await services.record_mark(examiner, row["id"], 20)
        stats = {s["question_id"]: s for s in await services.item_statistics(world.admin, world.paper_id)}
        easiest = stats[world.objective_ids[0]]  # everyone right
        hardest = stats[world.objective_ids[11]]  # only the best candidate right
        assert easiest["difficulty"] == 1.0 and easiest["discrimination"] == 0.0
        assert hardest["difficulty"] == 0.25 and hardest["discrimination"] == 1.0

    run(pooled(scenario()))


def test_scripts_wait_for_a_panel_and_a_missing_third_examiner_is_assigned_later(run):
    from core.auth.services import load_principal
    from tests.unit.exams.factory import make_user
    from training.exams import services
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1, examiners=0, written_count=1)
        await sit(world, 0, objective_right=8)
        assert await Marking.count() == 0  # no panel yet: the script waits
        examiners = [await load_principal(await make_user(f"late{n}", Role.EXAMINER, "350000")) for n in range(3)]
        await services.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners[:2]])
        first, second = await Marking.select().order_by(Marking.round)
        by_id = {e.user_id: e for e in examiners}
        await services.record_mark(by_id[first["examiner_id"]], first["id"], 0)
        await services.record_mark(by_id[second["examiner_id"]], second["id"], 40)
        assert not await Marking.exists().where(Marking.round == 3)  # nobody left on the panel
        progress = await services.marking_progress(world.admin, world.sitting_id)
        assert progress["answers_settled"] == 0
        await services.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners])
        third = await Marking.select().where(Marking.round == 3).first()
        assert third["examiner_id"] == examiners[2].user_id

    run(pooled(scenario()))
