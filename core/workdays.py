"""Working-day deadlines (公示 5 working days, strikes 2, answers 3) on China's official calendar:
public holidays are skipped and make-up working days (调休上班日) count, as the State Council's
yearly holiday notice (国务院办公厅关于X年部分节假日安排的通知) sets them.

Who decides whether a day is worked, first to last:
1. the province's entry of the notice (the `Holiday` table, /admin/calendar/): the province's
   latest word, a notice the library does not have yet or a correction of it;
2. `MEDIATION_HOLIDAYS`: extra days off the operator sets (kept from before the page existed);
3. the `chinese_calendar` library, for the years it covers (it follows each notice);
4. weekends: Monday to Friday are worked.
A year neither the province entered nor the library covers is counted by weekends alone, and the
calendar page and the administrators' work list say that its notice is missing.

The table is read once per deadline, for the days the deadline can reach, so every worker sees an
entry as soon as it is saved (no per-process cache to invalidate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import chinese_calendar

from core import clock
from core.settings import get_settings
from core.tables import Holiday

HOLIDAY, WORKDAY = "holiday", "workday"  # the kinds of day a notice names
# How far ahead a deadline set today can reach: the longest is 5 working days, which a 9-day
# Spring Festival stretches to three weeks. Within this the next year's notice is needed already.
DEADLINE_REACH_DAYS = 31


@cache
def library_years() -> range:
    """The years the calendar library covers (every day of them: holidays and make-up days)."""
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def library_day(day: date) -> tuple[str, str] | None:
    """(kind, English holiday name) of a day the library names, or None for an ordinary day."""
    if day in chinese_calendar.workdays:
        return WORKDAY, chinese_calendar.workdays[day]
    if day in chinese_calendar.holidays:
        return HOLIDAY, chinese_calendar.holidays[day]
    return None


def library_name_zh(english: str) -> str:
    """The Chinese name of one of the library's holidays (元旦, 春节, …)."""
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


def settings_days_off() -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in get_settings().rules.holidays)


@dataclass(frozen=True)
class WorkingCalendar:
    """The days that decide deadlines over a span: the province's entries (True: worked) and
    the settings' days off; every other day is the library's or the weekend's."""

    entered: Mapping[date, bool] = field(default_factory=dict)
    days_off: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.entered:
            return self.entered[day]
        if day in self.days_off:
            return False
        if day.year in library_years():
            named = library_day(day)
            if named is not None:
                return named[0] == WORKDAY
        return day.weekday() < 5

    def walk(self, start: date, days: int, until: date) -> tuple[date, int]:
        """Count working days after `start` up to `until` at most: (where it stopped, days left)."""
        current, left = start, days
        while left > 0 and current < until:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current, left


async def working_calendar(first: date, last: date) -> WorkingCalendar:
    """The calendar of the days from `first` to `last`, with one read of the province's entries."""
    rows = await Holiday.select(Holiday.day, Holiday.kind).where((Holiday.day >= first) & (Holiday.day <= last))
    return WorkingCalendar(entered={row["day"]: row["kind"] == WORKDAY for row in rows},
                           days_off=settings_days_off())


async def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted): the last day of a
    window opened on `start`."""
    current, left = start, days
    while True:
        until = current + timedelta(days=2 * left + DEADLINE_REACH_DAYS)
        calendar = await working_calendar(current + timedelta(days=1), until)
        current, left = calendar.walk(current, left, until)
        if left == 0:
            return current


async def is_working_day(day: date) -> bool:
    return (await working_calendar(day, day)).is_working_day(day)


async def years_entered(years: list[int]) -> set[int]:
    """Those of `years` for which the province entered at least one day of the notice."""
    if not years:
        return set()
    rows = await Holiday.select(Holiday.day).where(
        (Holiday.day >= date(min(years), 1, 1)) & (Holiday.day <= date(max(years), 12, 31)))
    return {row["day"].year for row in rows} & set(years)


async def years_without_notice(on: date | None = None) -> list[int]:
    """The years a deadline set on `on` (today) can reach whose holiday notice neither the library
    has nor the province entered: their deadlines count weekends only until it is entered."""
    today = on or clock.today()
    years = sorted({today.year, (today + timedelta(days=DEADLINE_REACH_DAYS)).year})
    uncovered = [year for year in years if year not in library_years()]
    entered = await years_entered(uncovered)
    return [year for year in uncovered if year not in entered]
