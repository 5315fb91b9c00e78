"""A sitting whose window has already closed (by the platform's clock) is refused at creation
and at edit, with the error on `closes_at`. The clock is frozen at 10:00 in Beijing on
5 December 2026."""

from datetime import UTC, datetime

import pytest

from core import clock
from core.errors import DomainError, FieldErrors
from tests.unit.exams.factory import build_world, pooled

AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 2026-12-05 10:00 in Beijing


def _form(world, opens: str, closes: str, title: str = "冬季场次") -> dict:
    return {"title": title, "paper_id": str(world.paper_id), "region_code": "350000",
            "opens_at": opens, "closes_at": closes}


def test_a_sitting_whose_window_already_closed_is_refused_at_creation(run):
    from training.exams import services
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        with pytest.raises(FieldErrors) as raised:
            await services.create_sitting(world.admin, _form(world, "2026-12-05 08:00", "2026-12-05 09:59"))
        assert list(raised.value.errors) == ["closes_at"]
        assert "2026-12-05 09:59" in raised.value.errors["closes_at"]
        assert await Sitting.count() == 1  # only the world's own sitting
        # a window that closes one minute from now is accepted
        await services.create_sitting(world.admin, _form(world, "2026-12-05 08:00", "2026-12-05 10:01"))
        assert await Sitting.count() == 2

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_a_sitting_edited_to_a_window_that_already_closed_is_refused(run):
    from core.tables import AuditRecord
    from training.exams import services
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        with pytest.raises(FieldErrors) as raised:
            await services.update_sitting(world.admin, world.sitting_id,
                                          {"title": "改", "opens_at": "2026-12-04 08:00", "closes_at": "2026-12-05 10:00",
                                           "duration_minutes": "60"})
        assert list(raised.value.errors) == ["closes_at"]
        row = await Sitting.select().where(Sitting.id == world.sitting_id).first()
        assert row["title"] == "Spring sitting"

        await services.update_sitting(world.admin, world.sitting_id,
                                      {"title": "改期场次", "opens_at": "2026-12-06 09:00", "closes_at": "2026-12-06 11:00",
                                       "duration_minutes": "60"})
        row = await services._sitting(world.sitting_id)
        assert row["title"] == "改期场次" and row["duration_minutes"] == 60
        assert row["closes_at"] == datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
        assert await AuditRecord.exists().where(AuditRecord.entity == "exam_sitting").where(
            AuditRecord.action == "update")

    with clock.frozen(AT):
        run(pooled(scenario()))


def test_a_sitting_whose_results_are_released_can_no_longer_be_edited(run):
    from training.exams import services
    from training.exams.tables import Sitting

    async def scenario():
        world = await build_world(candidates=0, examiners=0)
        await Sitting.update({Sitting.status: "released"}).where(Sitting.id == world.sitting_id)
        with pytest.raises(DomainError) as raised:
            await services.update_sitting(world.admin, world.sitting_id,
                                          {"title": "x", "opens_at": "2026-12-06 09:00",
                                           "closes_at": "2026-12-06 11:00"})
        assert raised.value.field == "closes_at"

    with clock.frozen(AT):
        run(pooled(scenario()))
