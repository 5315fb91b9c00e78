"""Blind double marking and the third examiner. Its loose ends: a disagreement the panel cannot
settle (every panel examiner has already marked the answer) is named in the assignment result
with its reason and told to the region's administrators; a panel under three examiners is
saved with a warning, not refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import clock
from core.auth.roles import Role
from core.errors import Conflict, DomainError, NotFound
from tests.unit.exams.factory import (
    admission_of,
    build_world,
    make_user,
    pooled,
    sit,
)


def test_settle_mean_of_two_within_twenty_percent_else_third_examiner():
    from training.exams.marking import settle

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
    from training.exams import marking
    from training.exams.tables import Marking

    for examiner in world.examiners:
        queue = await marking.examiner_queue(examiner)
        for item in queue.waiting:
            owner = await Marking.select(Marking.answer.admission).where(Marking.id == item.id).first()
            if owner["answer.admission"] == admission_id and examiner.user_id in marks_by_examiner:
                await marking.record_mark(examiner, item.id, marks_by_examiner[examiner.user_id])


def test_each_written_answer_goes_to_two_different_examiners_blind(run):
    from training.exams import marking
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=2)
        await sit(world, 0, objective_right=10)
        rows = await Marking.select()
        by_answer = {}
        for row in rows:
            by_answer.setdefault(row["answer"], []).append(row["examiner_id"])
        assert len(by_answer) == 2 and all(len(set(v)) == 2 == len(v) for v in by_answer.values())
        view = await marking.marking_view(world.examiners[0] if rows[0]["examiner_id"] == world.examiners[0].user_id
                                           else next(e for e in world.examiners if e.user_id == rows[0]["examiner_id"]),
                                           rows[0]["id"])
        text = repr(view)
        assert view.script_no.startswith("S")
        assert "候选人" not in text and "ticket" not in text and "mediator" not in text and "admission" not in text

    run(pooled(scenario()))


def test_examiner_cannot_mark_a_script_not_assigned_or_twice(run):
    from training.exams import marking
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1)
        await sit(world, 0, objective_right=10)
        row = (await Marking.select().order_by(Marking.id))[0]
        owner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
        markers = {m["examiner_id"] for m in await Marking.select().where(Marking.answer == row["answer"])}
        stranger = next(e for e in world.examiners if e.user_id not in markers)
        with pytest.raises(NotFound):
            await marking.record_mark(stranger, row["id"], 5)
        with pytest.raises(NotFound):
            await marking.marking_view(stranger, row["id"])
        with pytest.raises(DomainError):
            await marking.record_mark(owner, row["id"], 99)
        await marking.record_mark(owner, row["id"], 10)
        with pytest.raises(Conflict):
            await marking.record_mark(owner, row["id"], 12)

    run(pooled(scenario()))


def test_marks_more_than_twenty_percent_apart_go_to_a_third_examiner_and_the_two_closest_count(run):
    from training.exams import marking, sittings
    from training.exams.tables import Answer, Marking

    async def scenario():
        world = await build_world(candidates=1, written_count=1)  # one written question of 40 marks
        admission_id = await sit(world, 0, objective_right=8)  # 40 objective marks
        first, second = await Marking.select().order_by(Marking.round)
        e1 = next(e for e in world.examiners if e.user_id == first["examiner_id"])
        e2 = next(e for e in world.examiners if e.user_id == second["examiner_id"])
        await marking.record_mark(e1, first["id"], 10)
        await marking.record_mark(e2, second["id"], 30)  # 20 apart > 8 (20% of 40)
        third = await Marking.select().where(Marking.round == 3).first()
        assert third is not None and third["examiner_id"] not in {e1.user_id, e2.user_id}
        e3 = next(e for e in world.examiners if e.user_id == third["examiner_id"])
        assert (await Answer.select(Answer.score).where(Answer.id == first["answer"]).first())["score"] is None
        await marking.record_mark(e3, third["id"], 26)
        answer = await Answer.select(Answer.score).where(Answer.id == first["answer"]).first()
        assert answer["score"] == 28.0  # mean of 30 and 26, the two closest
        row = await sittings.load_admission(admission_id)
        assert row.status == "marked" and row.total == 68.0 and row.passed is True

    run(pooled(scenario()))


def test_marks_within_twenty_percent_take_the_mean_of_two(run):
    from training.exams import marking, sittings
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1, written_count=1)
        admission_id = await sit(world, 0, objective_right=8)
        first, second = await Marking.select().order_by(Marking.round)
        for row, mark in ((first, 10), (second, 18)):  # 8 apart = exactly 20% of 40
            examiner = next(e for e in world.examiners if e.user_id == row["examiner_id"])
            await marking.record_mark(examiner, row["id"], mark)
        assert not await Marking.exists().where(Marking.round == 3)
        row = await sittings.load_admission(admission_id)
        assert row.total == 54.0 and row.passed is False

    run(pooled(scenario()))


def test_pass_mark_is_60_of_100(run):
    from training.exams import bank, sittings

    async def scenario():
        world = await build_world(candidates=2, written_count=1)
        passing = await sit(world, 0, objective_right=12, written_text="")  # 60 objective, blank written = 0
        failing = await sit(world, 1, objective_right=11, written_text="")  # 55
        assert (await sittings.load_admission(passing)).passed is True
        assert (await sittings.load_admission(failing)).passed is False
        assert bank.rules().exam_pass_mark == 60

    run(pooled(scenario()))


def test_administrator_reassigns_an_examiners_unmarked_scripts(run):
    from training.exams import marking
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=2, examiners=3)
        await sit(world, 0, objective_right=10)
        await sit(world, 1, objective_right=10)
        busy = (await Marking.select().order_by(Marking.id))[0]["examiner_id"]
        target = next(e.user_id for e in world.examiners if e.user_id != busy)
        moved, kept = await marking.reassign(world.admin, world.sitting_id, busy, target)
        assert moved + kept > 0
        for row in await Marking.select():
            pairs = [m["examiner_id"] for m in await Marking.select().where(Marking.answer == row["answer"])]
            assert len(pairs) == len(set(pairs))  # never the same examiner twice on one answer
        progress = await marking.marking_progress(world.admin, world.sitting_id)
        assert progress.markings_total == 8 and progress.markings_done == 0

    run(pooled(scenario()))


def test_scripts_wait_for_a_panel_and_a_missing_third_examiner_is_assigned_later(run):
    from core.auth.services import load_principal
    from tests.unit.exams.factory import make_user
    from training.exams import marking
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1, examiners=0, written_count=1)
        await sit(world, 0, objective_right=8)
        assert await Marking.count() == 0  # no panel yet: the script waits
        examiners = [await load_principal(await make_user(f"late{n}", Role.EXAMINER, "350000")) for n in range(3)]
        await marking.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners[:2]])
        first, second = await Marking.select().order_by(Marking.round)
        by_id = {e.user_id: e for e in examiners}
        await marking.record_mark(by_id[first["examiner_id"]], first["id"], 0)
        await marking.record_mark(by_id[second["examiner_id"]], second["id"], 40)
        assert not await Marking.exists().where(Marking.round == 3)  # nobody left on the panel
        progress = await marking.marking_progress(world.admin, world.sitting_id)
        assert progress.answers_settled == 0
        await marking.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners])
        third = await Marking.select().where(Marking.round == 3).first()
        assert third["examiner_id"] == examiners[2].user_id

    run(pooled(scenario()))


AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


async def _disagree(world):
    """Both panel examiners mark the one written answer (40 marks): 0 and 40, far apart."""
    from training.exams import marking
    from training.exams.tables import Marking

    by_id = {e.user_id: e for e in world.examiners}
    first, second = await Marking.select().order_by(Marking.round)
    await marking.record_mark(by_id[first["examiner_id"]], first["id"], 0)
    await marking.record_mark(by_id[second["examiner_id"]], second["id"], 40)


def test_a_disagreement_with_no_free_panel_examiner_is_named_in_the_assignment_result_with_why(run):
    from training.exams import marking
    from training.exams.tables import Admission, Marking

    async def scenario():
        world = await build_world(candidates=1, examiners=2, written_count=1)
        await sit(world, 0, objective_right=8)
        await _disagree(world)
        result = await marking.assign_pending(world.sitting_id)
        script_no = (await Admission.select(Admission.script_no).where(
            Admission.id == await admission_of(world)).first())["script_no"]
        assert result.created == 0
        [waiting] = result.waiting_third
        assert waiting.script_no == script_no and waiting.marks == (0.0, 40.0)
        # 20% of 40 marks = 8; the panel has 2 examiners, both have marked it
        assert "8.0" in waiting.reason and ("(2)" in waiting.reason or "共 2 位" in waiting.reason)
        assert "2" in result.panel_warning
        assert not await Marking.exists().where(Marking.round == 3)

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_a_panel_under_three_examiners_is_saved_with_a_warning_and_not_refused(run):
    from core.auth.services import load_principal
    from training.exams import marking, sittings

    async def scenario():
        world = await build_world(candidates=0, examiners=0, written_count=1)
        examiners = [await load_principal(await make_user(f"p{n}", Role.EXAMINER, "350000")) for n in range(3)]
        two = await marking.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners[:2]])
        assert "2" in two.panel_warning
        assert (await sittings.load_sitting(world.sitting_id)).examiner_ids == sorted(e.user_id for e in examiners[:2])
        three = await marking.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners])
        assert three.panel_warning == "" and three.waiting_third == []

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_the_regions_administrators_are_told_once_per_panel_that_scripts_wait_for_a_third_examiner(run):
    from core.auth.services import load_principal
    from core.tables import Notification
    from training.exams import marking
    from training.exams.tables import Marking

    async def scenario():
        world = await build_world(candidates=1, examiners=2, written_count=1)
        other_province_admin = await make_user("padmin2", Role.ADMIN, "350000")
        county_admin = await make_user("cadmin", Role.ADMIN, "350504")  # below the sitting's region: not told
        await sit(world, 0, objective_right=8)
        await _disagree(world)  # the second mark finds no third examiner: told at once
        told = await Notification.select(Notification.user_id, Notification.subject).where(
            Notification.kind == "exam_third_examiner")
        assert sorted(n["user_id"] for n in told) == sorted([world.admin.user_id, other_province_admin])
        assert county_admin not in [n["user_id"] for n in told]
        assert told[0]["subject"].startswith("1 ")
        await marking.assign_pending(world.sitting_id)  # the same panel: nobody is told twice
        assert await Notification.count().where(Notification.kind == "exam_third_examiner") == 2

        third = await load_principal(await make_user("third", Role.EXAMINER, "350000"))
        result = await marking.set_panel(world.admin, world.sitting_id,
                                          [e.user_id for e in world.examiners] + [third.user_id])
        assert result.created == 1 and result.waiting_third == [] and result.panel_warning == ""
        assert (await Marking.select().where(Marking.round == 3).first())["examiner_id"] == third.user_id
        progress = await marking.marking_progress(world.admin, world.sitting_id)
        assert progress.waiting_third == []

    with clock.frozen(AT):
        run(pooled(scenario()))
