"""Double marking's loose ends: a disagreement the panel cannot settle (every panel examiner
has already marked the answer) is named in the assignment result with its reason, shown on
the sitting's page and told to the region's administrators; a panel under three examiners
is saved with a warning, not refused."""

from datetime import UTC, datetime

from core import clock
from core.auth.roles import Role
from tests.unit.exams.factory import admission_of, build_world, make_user, pooled, sit

AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


async def _disagree(world):
    """Both panel examiners mark the one written answer (40 marks): 0 and 40, far apart."""
    from training.exams import services
    from training.exams.tables import Marking

    by_id = {e.user_id: e for e in world.examiners}
    first, second = await Marking.select().order_by(Marking.round)
    await services.record_mark(by_id[first["examiner_id"]], first["id"], 0)
    await services.record_mark(by_id[second["examiner_id"]], second["id"], 40)


def test_a_disagreement_with_no_free_panel_examiner_is_named_in_the_assignment_result_with_why(run):
    from training.exams import services
    from training.exams.tables import Admission, Marking

    async def scenario():
        world = await build_world(candidates=1, examiners=2, written_count=1)
        await sit(world, 0, objective_right=8)
        await _disagree(world)
        result = await services.assign_pending(world.sitting_id)
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
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=0, examiners=0, written_count=1)
        examiners = [await load_principal(await make_user(f"p{n}", Role.EXAMINER, "350000")) for n in range(3)]
        two = await services.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners[:2]])
        assert "2" in two.panel_warning
        assert (await services._sitting(world.sitting_id))["examiner_ids"] == sorted(e.user_id for e in examiners[:2])
        three = await services.set_panel(world.admin, world.sitting_id, [e.user_id for e in examiners])
        assert three.panel_warning == "" and three.waiting_third == []

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_the_regions_administrators_are_told_once_per_panel_that_scripts_wait_for_a_third_examiner(run):
    from core.auth.services import load_principal
    from core.tables import Notification
    from training.exams import services
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
        await services.assign_pending(world.sitting_id)  # the same panel: nobody is told twice
        assert await Notification.count().where(Notification.kind == "exam_third_examiner") == 2

        third = await load_principal(await make_user("third", Role.EXAMINER, "350000"))
        result = await services.set_panel(world.admin, world.sitting_id,
                                          [e.user_id for e in world.examiners] + [third.user_id])
        assert result.created == 1 and result.waiting_third == [] and result.panel_warning == ""
        assert (await Marking.select().where(Marking.round == 3).first())["examiner_id"] == third.user_id
        progress = await services.marking_progress(world.admin, world.sitting_id)
        assert progress["waiting_third"] == []

    with clock.frozen(AT):
        run(pooled(scenario()))
