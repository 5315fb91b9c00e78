"""Certification's dates are the platform's calendar dates (Beijing): issue date, expiry, the
year in the certificate number, the daily sweep's expiry and its 60/30-day reminders. `night`
freezes the clock where Beijing's date (5 December 2026) is a day ahead of UTC's."""

from __future__ import annotations

from datetime import date, datetime

from certification import issuing, lifecycle, registry, services
from core import clock
from core.auth.roles import Grant, Role
from tests.unit.certification.conftest import new_mediator


def test_issued_at_night_the_certificate_is_dated_by_beijings_calendar(run, night):
    row = run(issuing.issue_certificate_unchecked(run(new_mediator()), "junior"))
    assert row.issued_on == date(2026, 12, 5)
    assert row.expires_on == date(2029, 12, 4)  # 3 years, the last day included
    assert row.certificate_no == "3505042026J000001"


def test_issued_in_the_first_hour_of_new_year_in_beijing_the_number_carries_the_new_year(run):
    with clock.frozen(datetime.fromisoformat("2027-01-01T00:30:00+08:00")):  # 2026-12-31 16:30 UTC
        row = run(issuing.issue_certificate_unchecked(run(new_mediator()), "senior"))
    assert row.certificate_no == "3505042027G000001"
    assert (row.issued_on, row.expires_on) == (date(2027, 1, 1), date(2029, 12, 31))


def test_the_night_sweep_expires_a_certificate_whose_last_day_was_yesterday_in_beijing(run, night):
    mediator = run(new_mediator())
    ended = run(issuing.issue_certificate_unchecked(mediator, "junior", issued_on=date(2023, 12, 5)))
    last_day = run(issuing.issue_certificate_unchecked(run(new_mediator("王五")), "junior", issued_on=date(2023, 12, 6)))
    assert (ended.expires_on, last_day.expires_on) == (date(2026, 12, 4), date(2026, 12, 5))
    assert not run(services.has_valid_certificate(mediator))
    assert run(lifecycle.expire_due()) == 1
    assert run(registry.by_number(ended.certificate_no)).status == "expired"
    assert run(registry.by_number(last_day.certificate_no)).status == "valid"  # today is its last day


def test_the_night_sweep_reminds_60_days_before_expiry_by_beijings_date(run, night):
    from core.auth.services import create_user
    from core.tables import Notification

    user = run(create_user("holder", "long-enough-password", "持证人", [Grant(Role.MEDIATOR, "350504")]))
    row = run(issuing.issue_certificate_unchecked(run(new_mediator(user_id=user)), "junior", issued_on=date(2024, 2, 4)))
    assert row.expires_on == date(2027, 2, 3)  # 5 Dec + 26 days = 31 Dec, + 31 = 31 Jan, + 3 = 3 Feb: 60 days
    assert run(lifecycle.send_expiry_reminders()) == 1
    note = run(Notification.select().where(Notification.user_id == user).first())
    assert note["dedupe_key"] == f"certificate-expiry:{row.id}:60" and "2027-02-03" in note["subject"]
