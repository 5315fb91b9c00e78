"""Working-day deadlines (公示 5 working days, strikes 2, answers 3): weekends and the
holidays in settings are skipped."""

from __future__ import annotations

from datetime import date, timedelta

from core.settings import get_settings


def holidays() -> set[date]:
    return {date.fromisoformat(day) for day in get_settings().rules.holidays}


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays()


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current
