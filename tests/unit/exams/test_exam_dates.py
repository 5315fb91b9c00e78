"""The year a sitting counts for (re-sits per grade per year, the ticket number's prefix) is the
year of its opening on the platform's calendar, in the platform's time zone setting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import clock
from core import settings as settings_module
from tests.unit.exams.factory import build_world, pooled


@pytest.mark.parametrize(("zone", "opens_at", "now"), [
    # midnight on 1 January 2027 in Beijing, still 31 December 2026 on the server's UTC clock
    ("Asia/Shanghai", datetime(2026, 12, 31, 16, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)),
    # a platform on Tokyo time: midnight in Tokyo is 23:00 on 31 December in Beijing
    ("Asia/Tokyo", datetime(2026, 12, 31, 15, 0, tzinfo=UTC), datetime(2026, 12, 31, 15, 30, tzinfo=UTC)),
], ids=["Beijing", "Tokyo"])
def test_a_sitting_opening_at_new_year_counts_for_the_new_year(run, monkeypatch, zone, opens_at, now):
    from training.exams import services
    from training.exams.tables import Admission

    monkeypatch.setenv("MEDIATION_TIME_ZONE", zone)
    settings_module.get_settings.cache_clear()
    try:
        with clock.frozen(now):
            world = run(pooled(build_world(candidates=1, opens_at=opens_at,
                                           closes_at=datetime(2027, 1, 1, 3, 0, tzinfo=UTC))))
            [admission] = run(Admission.select(Admission.year, Admission.ticket_no))
            assert admission["year"] == 2027 and admission["ticket_no"].startswith("2027")
            assert run(services.sittings_taken(world.mediators, "junior", 2027)) == {world.mediators[0]: 1}
    finally:
        settings_module.get_settings.cache_clear()
