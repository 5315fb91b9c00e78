"""Papers: a paper totals 100 marks before a sitting uses it; a blueprint draw replays from its seed."""

from __future__ import annotations

import pytest

from core.auth.roles import Role
from core.errors import FieldErrors
from tests.unit.exams.factory import (
    make_user,
    pooled,
    single,
    written,
)


def test_paper_must_total_100_marks_before_a_sitting_uses_it(run):
    from core.auth.services import load_principal
    from training.exams import bank, papers, sittings

    async def scenario():
        admin = await load_principal(await make_user("a", Role.ADMIN, "350000"))
        ids = [await bank.create_question(admin, single(marks=10)) for _ in range(9)]
        paper_id = await papers.create_paper(admin, {"title": "P", "grade": "junior", "kind": "fixed",
                                                       "duration_minutes": "60"})
        await papers.set_paper_questions(admin, paper_id, ids)
        with pytest.raises(FieldErrors) as raised:
            await sittings.create_sitting(admin, {"title": "S", "paper_id": str(paper_id), "region_code": "350000",
                                                  "opens_at": "2026-05-01 09:00", "closes_at": "2026-05-01 12:00"})
        assert "90" in raised.value.errors["paper_id"] and "100" in raised.value.errors["paper_id"]
        assert bank.rules().exam_total_marks == 100

    run(pooled(scenario()))


def test_blueprint_draw_is_reproducible_from_the_stored_seed(run):
    from core.auth.services import load_principal
    from training.exams import bank, papers

    async def scenario():
        admin = await load_principal(await make_user("a", Role.ADMIN, "350000"))
        for _ in range(30):
            await bank.create_question(admin, single(topic="wages", marks=2))
        for _ in range(10):
            await bank.create_question(admin, written(topic="cases", marks=10))
        with pytest.raises(FieldErrors) as too_much:
            await papers.create_paper(admin, {"title": "B", "grade": "junior", "kind": "blueprint",
                                                "duration_minutes": "60", "blueprint": "wages, single, *, 2, 40\n"
                                                "cases, *, *, 10, 2"})
        assert "blueprint" in too_much.value.errors
        paper_id = await papers.create_paper(admin, {
            "title": "B", "grade": "junior", "kind": "blueprint", "duration_minutes": "60",
            "blueprint": "wages, single, *, 2, 20\ncases, short_answer, 3, 10, 6"})
        paper_row = await papers.paper(paper_id)
        first = await papers.draw_questions(paper_row, "seed-1")
        assert first == await papers.draw_questions(paper_row, "seed-1")
        assert len(first) == 26 and len(set(first)) == 26
        others = {tuple(await papers.draw_questions(paper_row, f"seed-{n}")) for n in range(2, 7)}
        assert len(others) > 1

    run(pooled(scenario()))
