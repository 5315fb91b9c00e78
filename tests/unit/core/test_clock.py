"""One clock: instants in UTC, calendar dates in the platform's zone (Asia/Shanghai by default)."""

from datetime import UTC, date, datetime

from core import clock
from tests.conftest import BEIJING_DAY


def test_today_is_the_platforms_date_not_the_servers(night):
    assert night.date() == date(2026, 12, 4)  # what the server's UTC clock says
    assert clock.today() == date.fromisoformat(BEIJING_DAY)
    assert clock.local_now().utcoffset().total_seconds() == 8 * 3600


def test_dates_of_instants_and_the_bounds_of_a_day():
    assert clock.date_of(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)) == date(2026, 12, 5)
    assert clock.date_of(datetime(2026, 12, 4, 15, 59, 59, tzinfo=UTC)) == date(2026, 12, 4)
    assert clock.start_of(date(2026, 12, 5)) == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert clock.end_of(date(2026, 12, 5)) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
    assert clock.iso(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)) == "2026-12-05T01:30:00+08:00"


def test_a_naive_instant_is_read_as_utc():
    assert clock.iso(datetime(2026, 12, 4, 17, 30)) == "2026-12-05T01:30:00+08:00"


def test_api_bodies_carry_the_platforms_offset():
    import msgspec

    class Run(msgspec.Struct):
        started_at: datetime
        on: date

    body = clock.localise({"items": [Run(datetime(2026, 12, 4, 17, 30, tzinfo=UTC), date(2026, 12, 5))]})
    assert msgspec.json.encode(body) == b'{"items":[{"started_at":"2026-12-05T01:30:00+08:00","on":"2026-12-05"}]}'


def test_healthz_answers_today_and_the_time_zone(client, night):
    body = client.get("/healthz").json()
    assert body["today"] == BEIJING_DAY and body["time_zone"] == "Asia/Shanghai"
