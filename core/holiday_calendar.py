"""The province's entry of the State Council's holiday notice (the `Holiday` table), which
working-day deadlines follow before the calendar library (core/workdays.py). Only an
administrator of the province (the root region) enters it: the calendar is the whole
province's. Every change is audited in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import DomainError, FieldErrors, Forbidden
from core.holiday_notice_text import NoticeDay, notice_title, parse_days, parse_notice
from core.i18n import N_, _, current_language
from core.regions import root_region
from core.tables import Holiday
from core.text import text_problem
from core.workdays import (
    HOLIDAY,
    WORKDAY,
    library_day,
    library_name_zh,
    library_years,
    settings_days_off,
    years_without_notice,
)

KINDS = {HOLIDAY: N_("Public holiday"), WORKDAY: N_("Make-up working day")}
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the years the page opens: a typo in the address stays harmless


@dataclass(frozen=True)
class CalendarDay:
    """One day of a year's calendar on the page, with who decided it."""

    day: date
    kind: str  # holiday | workday
    name: str
    source: str  # province | settings | library
    entry_id: int | None = None
    notice: str = ""
    replaced: bool = False  # a library or settings day that the province's entry decides instead


@dataclass(frozen=True)
class YearCalendar:
    year: int
    days: list[CalendarDay]
    library_covers: bool
    entered: bool

    @property
    def notice_missing(self) -> bool:
        """Neither the library nor the province has the year: deadlines count weekends only."""
        return not self.library_covers and not self.entered


def may_enter_notice(principal: Principal) -> bool:
    return principal.can_act_in(root_region(), Role.ADMIN)


def check_may_enter_notice(principal: Principal) -> None:
    if not may_enter_notice(principal):
        raise Forbidden(_("The holiday calendar is the whole province's: only a province administrator keeps it."))


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("Choose a year between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR), "year")
    return year


def _library_name(english: str) -> str:
    return library_name_zh(english) if current_language.get() == "zh_CN" else english


async def year_calendar(year: int) -> YearCalendar:
    """The province's entries of `year`, and the library's and the settings' days beside them
    (marked replaced where an entry decides the day)."""
    check_year(year)
    rows = await Holiday.select().where((Holiday.day >= date(year, 1, 1)) & (Holiday.day <= date(year, 12, 31)))
    entered = {row["day"]: row for row in rows}
    days = [CalendarDay(row["day"], row["kind"], row["name"], "province", row["id"], row["notice"]) for row in rows]
    for day in sorted(d for d in settings_days_off() if d.year == year):
        days.append(CalendarDay(day, HOLIDAY, "", "settings", replaced=day in entered))
    covers = year in library_years()
    if covers:
        for day, (kind, name) in _library_days(year):
            days.append(CalendarDay(day, kind, _library_name(name), "library", replaced=day in entered))
    order = {"province": 0, "settings": 1, "library": 2}
    days.sort(key=lambda d: (d.day, order[d.source]))
    return YearCalendar(year, days, covers, bool(entered))


def _library_days(year: int) -> list[tuple[date, tuple[str, str]]]:
    first = date(year, 1, 1)
    out = []
    for offset in range((date(year + 1, 1, 1) - first).days):
        day = date.fromordinal(first.toordinal() + offset)
        named = library_day(day)
        if named is not None:
            out.append((day, named))
    return out


def _clean_entry(data: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    kind = data.get("kind", "")
    if kind not in KINDS:
        errors["kind"] = _("Choose public holiday or make-up working day.")
    name = data.get("name", "").strip()
    if not name:
        errors["name"] = _("Name the holiday, e.g. 春节 or 国庆节.")
    elif len(name) > 64:
        errors["name"] = _("At most %(n)s characters.", n=64)
    notice = data.get("notice", "").strip()
    if len(notice) > 200:
        errors["notice"] = _("At most %(n)s characters.", n=200)
    for field_name, value in (("name", name), ("notice", notice)):
        problem = text_problem(value)
        if problem and field_name not in errors:
            errors[field_name] = problem
    if errors:
        raise FieldErrors(errors)
    return {"kind": kind, "name": name, "notice": notice}


async def enter_days(principal: Principal, data: dict[str, str]) -> int:
    """Enter days of one kind and name (dates and ranges typed or pasted): a day entered before
    takes the new values. Returns how many days changed."""
    check_may_enter_notice(principal)
    errors: dict[str, str] = {}
    try:
        clean = _clean_entry(data)
    except FieldErrors as invalid:
        errors, clean = dict(invalid.errors), {}
    try:
        days = parse_days(data.get("days", ""))
        for day in days:
            check_year(day.year)
    except DomainError as invalid:
        errors.setdefault("days", invalid.message)
    if errors:
        raise FieldErrors(errors)
    return await _save(principal, [NoticeDay(day, clean["kind"], clean["name"]) for day in days], clean["notice"])


async def enter_notice(principal: Principal, year: int, text: str, notice: str = "") -> int:
    """Enter every day of a pasted State Council notice for `year`. Returns how many days changed."""
    check_may_enter_notice(principal)
    check_year(year)
    try:
        days = parse_notice(text, year)
    except DomainError as invalid:
        raise FieldErrors({"text": invalid.message}) from None
    notice = notice.strip() or notice_title(text)
    problem = text_problem(notice) or (_("At most %(n)s characters.", n=200) if len(notice) > 200 else None)
    if problem:
        raise FieldErrors({"notice": problem})
    for entry in days:
        if len(entry.name) > 64 or text_problem(entry.name):
            raise FieldErrors({"text": _("The holiday name “%(name)s” is too long or holds control characters.",
                                         name=entry.name[:64])})
    return await _save(principal, days, notice)


async def _save(principal: Principal, days: list[NoticeDay], notice: str) -> int:
    """Insert the new days (in one statement) and update the changed ones, each audited, one
    calendar edit at a time."""
    changed = 0
    async with write_transaction():
        await serialise_on("holiday_calendar")  # two entries of the same day at once: one wins, none fails
        existing = {row["day"]: row for row in await Holiday.select().where(Holiday.day.is_in([d.day for d in days]))}
        rows, audits = [], []
        for entry in days:
            after = {"day": entry.day, "kind": entry.kind, "name": entry.name, "notice": notice}
            before = existing.get(entry.day)
            if before is None:
                rows.append(Holiday(day=entry.day, kind=entry.kind, name=entry.name, notice=notice))
            elif any(before[key] != after[key] for key in ("kind", "name", "notice")):
                await Holiday.update({Holiday.kind: entry.kind, Holiday.name: entry.name,
                                      Holiday.notice: notice}).where(Holiday.id == before["id"])
            else:
                continue  # the same entry again changes nothing
            audits.append(audit.audit_row(principal, "enter_holiday", "holiday", entry.day.isoformat(),
                                          region_code=root_region(), before=_audited(before), after=after))
            changed += 1
        if rows:
            await Holiday.insert(*rows)
        await audit.record_many(audits)
    return changed


def _audited(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return {key: row[key] for key in ("day", "kind", "name", "notice")} if row else None


async def remove_entry(principal: Principal, entry_id: int) -> date | None:
    """Remove one of the province's entries: the day goes back to the library or the weekend.
    Returns its date, or None when it was removed already (the same request twice)."""
    check_may_enter_notice(principal)
    async with write_transaction():
        await serialise_on("holiday_calendar")
        row = await Holiday.select().where(Holiday.id == entry_id).first()
        if row is None:
            return None
        await Holiday.delete().where(Holiday.id == entry_id)
        await audit.record(principal, "remove_holiday", "holiday", row["day"].isoformat(), region_code=root_region(),
                           before=_audited(row))
    return row["day"]


def default_year() -> int:
    return clock.today().year


@dataclass(frozen=True)
class MissingNotice:
    """Years whose holiday notice is missing, for an administrator's work list."""

    years: list[int]
    may_enter: bool  # a province administrator, who enters it on the calendar page


async def missing_notice(principal: Principal) -> MissingNotice | None:
    """The years a deadline set today can reach whose notice is missing, or None."""
    years = await years_without_notice()
    return MissingNotice(years, may_enter_notice(principal)) if years else None
