"""Sittings and admissions: eligibility, re-sits, tickets and script numbers, the year a sitting
counts for (its opening on the platform's calendar, in the platform's time zone), and a window
already closed by the platform's clock (10:00 in Beijing on 5 December 2026) refused at
creation and at edit, with the error on `closes_at`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core import settings as settings_module
from core.errors import DomainError, FieldErrors
from tests.unit.exams.factory import (
    build_world,
    everyone_completed,
    nobody_completed,
    pooled,
    utcnow,
)


def test_eligibility_requires_the_course_of_the_grade(run):
    from training.exams import sittings

    async def scenario():
        world = await build_world(candidates=1)
        from roster import services as roster_services

        other = await roster_services.create_mediator_record(name="未培训", region_code="350504")
        admitted, refused = await sittings.admit_candidates(world.admin, world.sitting_id, [other],
                                                            completions=nobody_completed)
        assert admitted == [] and "培训课程" in " ".join(refused[other])  # "completed the required course"

    run(pooled(scenario()))


def test_at_most_two_resits_per_grade_per_year(run):
    from training.exams import bank, sittings

    async def scenario():
        world = await build_world(candidates=1)
        mid = world.mediators[0]
        sitting_ids = []
        for n in range(3):
            sitting_ids.append(await sittings.create_sitting(world.admin, {
                "title": f"Resit {n}", "paper_id": str(world.paper_id), "region_code": "350000",
                "opens_at": (utcnow() + timedelta(days=1)).isoformat(),
                "closes_at": (utcnow() + timedelta(days=1, hours=3)).isoformat()}))
        # the first sitting plus two re-sits are allowed; a fourth sitting this year is refused
        assert (await sittings.admit_candidates(world.admin, sitting_ids[0], [mid], completions=everyone_completed))[0]
        assert (await sittings.admit_candidates(world.admin, sitting_ids[1], [mid], completions=everyone_completed))[0]
        admitted, refused = await sittings.admit_candidates(world.admin, sitting_ids[2], [mid],
                                                            completions=everyone_completed)
        assert admitted == [] and "2" in refused[mid][0]
        assert bank.rules().resits_per_grade_per_year == 2

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


@pytest.mark.parametrize(("zone", "opens_at", "now"), [
    # midnight on 1 January 2027 in Beijing, still 31 December 2026 on the server's UTC clock
    ("Asia/Shanghai", datetime(2026, 12, 31, 16, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)),
    # a platform on Tokyo time: midnight in Tokyo is 23:00 on 31 December in Beijing
    ("Asia/Tokyo", datetime(2026, 12, 31, 15, 0, tzinfo=UTC), datetime(2026, 12, 31, 15, 30, tzinfo=UTC)),
], ids=["Beijing", "Tokyo"])
def test_a_sitting_opening_at_new_year_counts_for_the_new_year(run, monkeypatch, zone, opens_at, now):
    from training.exams import sittings
    from training.exams.tables import Admission

    monkeypatch.setenv("MEDIATION_TIME_ZONE", zone)
    settings_module.get_settings.cache_clear()
    try:
        with clock.frozen(now):
            world = run(pooled(build_world(candidates=1, opens_at=opens_at,
                                           closes_at=datetime(2027, 1, 1, 3, 0, tzinfo=UTC))))
            [admission] = run(Admission.select(Admission.year, Admission.ticket_no))
            assert admission["year"] == 2027 and admission["ticket_no"].startswith("2027")
            assert run(sittings.sittings_taken(world.mediators, "junior", 2027)) == {world.mediators[0]: 1}
    finally:
        settings_module.get_settings.cache_clear()


AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 2026-12-05 10:00 in Beijing


def _form(world, opens: str, closes: str, title: str = "冬季场次") -> dict:
    return {"title": title, "paper_id": str(world.paper_id), "region_code": "350000",
            "opens_at": opens, "closes_at": closes}


def test_a_sitting_whose_window_already_closed_is_refused_at_creation(run):
    from training.exams import sittings
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        with pytest.raises(FieldErrors) as raised:
            await sittings.create_sitting(world.admin, _form(world, "2026-12-05 08:00", "2026-12-05 09:59"))
        assert list(raised.value.errors) == ["closes_at"]
        assert "2026-12-05 09:59" in raised.value.errors["closes_at"]
        assert await Sitting.count() == 1  # only the world's own sitting
        # a window that closes one minute from now is accepted
        await sittings.create_sitting(world.admin, _form(world, "2026-12-05 08:00", "2026-12-05 10:01"))
        assert await Sitting.count() == 2

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_a_sitting_edited_to_a_window_that_already_closed_is_refused(run):
    from core.tables import AuditRecord
    from training.exams import sittings
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        with pytest.raises(FieldErrors) as raised:
            await sittings.update_sitting(world.admin, world.sitting_id,
                                          {"title": "改", "opens_at": "2026-12-04 08:00", "closes_at": "2026-12-05 10:00",
                                           "duration_minutes": "60"})
        assert list(raised.value.errors) == ["closes_at"]
        row = await Sitting.select().where(Sitting.id == world.sitting_id).first()
        assert row["title"] == "Spring sitting"

        await sittings.update_sitting(world.admin, world.sitting_id,
                                      {"title": "改期场次", "opens_at": "2026-12-06 09:00", "closes_at": "2026-12-06 11:00",
                                       "duration_minutes": "60"})
        row = await sittings.load_sitting(world.sitting_id)
        assert row.title == "改期场次" and row.duration_minutes == 60
        assert row.closes_at == datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
        assert await AuditRecord.exists().where(AuditRecord.entity == "exam_sitting").where(
            AuditRecord.action == "update")

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_a_sitting_whose_results_are_released_can_no_longer_be_edited(run):
    from training.exams import sittings
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        await Sitting.update({Sitting.status: "released"}).where(Sitting.id == world.sitting_id)
        with pytest.raises(DomainError) as raised:
            await sittings.update_sitting(world.admin, world.sitting_id,
                                          {"title": "x", "opens_at": "2026-12-06 09:00",
                                           "closes_at": "2026-12-06 11:00"})
        assert raised.value.field == "closes_at"

    with clock.frozen(AT):
        run(pooled(scenario()))
