"""Bank, papers, eligibility, taking the exam, objective marking."""

from datetime import timedelta

import pytest

from core.errors import Conflict, DomainError, FieldErrors, NotFound
from tests.unit.exams.factory import (
    admission_of,
    build_world,
    everyone_completed,
    nobody_completed,
    pooled,
    single,
    utcnow,
    written,
)


def test_question_validation_names_each_bad_field():
    from training.exams.services import validate_question

    with pytest.raises(FieldErrors) as raised:
        validate_question({"kind": "single", "topic": "", "grade": "x", "difficulty": "9", "marks": "0",
                           "stem": "", "options": "only one", "answer": "Z"})
    assert set(raised.value.errors) >= {"topic", "grade", "difficulty", "marks", "stem", "options", "answer"}
    clean = validate_question(single(answer="B"))
    assert clean["answer"] == [1] and clean["options"] == ["yes", "no", "maybe"]
    assert validate_question({**single(), "kind": "true_false", "answer": "错"})["answer"] == [False]


def test_paper_must_total_100_marks_before_a_sitting_uses_it(run):
    from core.auth.roles import Role
    from core.auth.services import load_principal
    from tests.unit.exams.factory import make_user
    from training.exams import services

    async def scenario():
        admin = await load_principal(await make_user("a", Role.ADMIN, "350000"))
        ids = [await services.create_question(admin, single(marks=10)) for _ in range(9)]
        paper_id = await services.create_paper(admin, {"title": "P", "grade": "junior", "kind": "fixed",
                                                       "duration_minutes": "60"})
        await services.set_paper_questions(admin, paper_id, ids)
        with pytest.raises(FieldErrors) as raised:
            await services.create_sitting(admin, {"title": "S", "paper_id": str(paper_id), "region_code": "350000",
                                                  "opens_at": "2026-05-01 09:00", "closes_at": "2026-05-01 12:00"})
        assert "90" in raised.value.errors["paper_id"] and "100" in raised.value.errors["paper_id"]
        assert services.rules().exam_total_marks == 100

    run(pooled(scenario()))


def test_blueprint_draw_is_reproducible_from_the_stored_seed(run):
    from core.auth.roles import Role
    from core.auth.services import load_principal
    from tests.unit.exams.factory import make_user
    from training.exams import services

    async def scenario():
        admin = await load_principal(await make_user("a", Role.ADMIN, "350000"))
        for _ in range(30):
            await services.create_question(admin, single(topic="wages", marks=2))
        for _ in range(10):
            await services.create_question(admin, written(topic="cases", marks=10))
        with pytest.raises(FieldErrors) as too_much:
            await services.create_paper(admin, {"title": "B", "grade": "junior", "kind": "blueprint",
                                                "duration_minutes": "60", "blueprint": "wages, single, *, 2, 40\n"
                                                "cases, *, *, 10, 2"})
        assert "blueprint" in too_much.value.errors
        paper_id = await services.create_paper(admin, {
            "title": "B", "grade": "junior", "kind": "blueprint", "duration_minutes": "60",
            "blueprint": "wages, single, *, 2, 20\ncases, short_answer, 3, 10, 6"})
        paper_row = await services.paper(paper_id)
        first = await services.draw_questions(paper_row, "seed-1")
        assert first == await services.draw_questions(paper_row, "seed-1")
        assert len(first) == 26 and len(set(first)) == 26
        others = {tuple(await services.draw_questions(paper_row, f"seed-{n}")) for n in range(2, 7)}
        assert len(others) > 1

    run(pooled(scenario()))


def test_eligibility_requires_the_course_of_the_grade(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1)
        from roster import services as roster_services

        other = await roster_services.create_mediator_record(name="未培训", region_code="350504")
        admitted, refused = await services.admit_candidates(world.admin, world.sitting_id, [other],
                                                            completions=nobody_completed)
        assert admitted == [] and "培训课程" in " ".join(refused[other])  # "completed the required course"

    run(pooled(scenario()))


def test_at_most_two_resits_per_grade_per_year(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1)
        mid = world.mediators[0]
        sittings = []
        for n in range(3):
            sittings.append(await services.create_sitting(world.admin, {
                "title": f"Resit {n}", "paper_id": str(world.paper_id), "region_code": "350000",
                "opens_at": (utcnow() + timedelta(days=1)).isoformat(),
                "closes_at": (utcnow() + timedelta(days=1, hours=3)).isoformat()}))
        # the first sitting plus two re-sits are allowed; a fourth sitting this year is refused
        assert (await services.admit_candidates(world.admin, sittings[0], [mid], completions=everyone_completed))[0]
        assert (await services.admit_candidates(world.admin, sittings[1], [mid], completions=everyone_completed))[0]
        admitted, refused = await services.admit_candidates(world.admin, sittings[2], [mid],
                                                            completions=everyone_completed)
        assert admitted == [] and "2" in refused[mid][0]
        assert services.rules().resits_per_grade_per_year == 2

    run(pooled(scenario()))


def test_tickets_and_script_numbers_are_unique_and_script_numbers_reveal_nothing(run):
    from training.exams.tables import Admission

    async def scenario():
        world = await build_world(candidates=3)
        rows = await Admission.select().where(Admission.sitting == world.sitting_id)
        assert len({r["ticket_no"] for r in rows}) == 3 and len({r["script_no"] for r in rows}) == 3
        for row in rows:
            assert row["ticket_no"] not in row["script_no"] and str(row["mediator_id"]) != row["script_no"]

    run(pooled(scenario()))


def test_late_answers_after_the_deadline_are_refused(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1)
        who = world.mediator_users[0]
        admission_id = await admission_of(world)
        row = await services.start_exam(who, admission_id)
        assert row["deadline"] <= row["started_at"] + timedelta(minutes=60)
        qid = world.objective_ids[0]
        await services.save_answers(who, admission_id, {qid: ["0"]}, at=row["deadline"] - timedelta(seconds=1))
        with pytest.raises(Conflict):
            await services.save_answers(who, admission_id, {qid: ["1"]}, at=row["deadline"] + timedelta(seconds=1))
        with pytest.raises(Conflict):
            await services.submit(who, admission_id, at=row["deadline"] + timedelta(seconds=5))
        # the answers saved in time were kept and submitted automatically
        after = await services._admission(admission_id)
        assert after["status"] == "marked" and after["objective_score"] == 5.0  # written answers left blank score 0
        assert (await services.saved_responses(admission_id))[qid] == [0]

    run(pooled(scenario()))


def test_exam_cannot_start_outside_the_window(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1, opens_at=utcnow() + timedelta(hours=1),
                                  closes_at=utcnow() + timedelta(hours=4))
        with pytest.raises(DomainError):
            await services.start_exam(world.mediator_users[0], await admission_of(world))
        row = await services.start_exam(world.mediator_users[0], await admission_of(world),
                                        at=utcnow() + timedelta(hours=3, minutes=30))
        # the deadline never passes the window's close
        assert row["deadline"] <= (await services._sitting(world.sitting_id))["closes_at"]

    run(pooled(scenario()))


def test_candidate_cannot_open_another_candidates_paper(run):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=2)
        other = await admission_of(world, 1)
        with pytest.raises(NotFound):
            await services.exam_paper_view(world.mediator_users[0], other)
        with pytest.raises(NotFound):
            await services.start_exam(world.mediator_users[0], other)

    run(pooled(scenario()))


def test_multiple_choice_is_all_or_nothing():
    from training.exams.services import mark_objective

    q = {"kind": "multiple", "marks": 4, "answer": [0, 2]}
    assert mark_objective(q, [0, 2]) == 4 and mark_objective(q, [0]) == 0 and mark_objective(q, [0, 1, 2]) == 0
    assert mark_objective({"kind": "true_false", "marks": 2, "answer": [True]}, [True]) == 2


def test_an_answer_racing_the_submission_is_refused_by_the_database(run, monkeypatch):
    from training.exams import services

    async def scenario():
        world = await build_world(candidates=1)
        who = world.mediator_users[0]
        admission_id = await admission_of(world)
        await services.start_exam(who, admission_id)
        await services.save_answers(who, admission_id, {world.objective_ids[0]: "0"})
        await services.submit(who, admission_id)
        # as if the save had passed its checks just before the submission committed
        monkeypatch.setattr(services, "_check_time", lambda row, at: None)
        with pytest.raises(Conflict):
            await services.save_answers(who, admission_id, {world.objective_ids[0]: "1"})
        assert (await services.saved_responses(admission_id))[world.objective_ids[0]] == [0]

    run(pooled(scenario()))
