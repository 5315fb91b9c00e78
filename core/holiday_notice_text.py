"""Reading the days a province administrator types or pastes on the calendar page: a list of
dates and ranges (`2027-02-06..2027-02-13`), or the State Council's holiday notice as printed
(国务院办公厅关于2027年部分节假日安排的通知), whose numbered items read like

    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。

Nothing is guessed: text that is not a date, a range running backwards or over a month, or a
weekday in brackets that the date does not fall on (a notice pasted under the wrong year) is
refused with the reason, and nothing is entered."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import DomainError
from core.i18n import _

HOLIDAY, WORKDAY = "holiday", "workday"
LONGEST_RANGE_DAYS = 31  # no holiday of a notice runs longer: a longer range is a typo
MOST_DAYS = 120  # days one entry may name

_ISO = r"\d{4}-\d{1,2}-\d{1,2}"
_RANGE_MARKS = r"(?:\.\.|~|至|到|—|–|-{1,2})"
_ISO_ITEM = re.compile(rf"({_ISO})(?:\s*{_RANGE_MARKS}\s*({_ISO}))?")
_SEPARATORS = re.compile(r"[\s,、;]+")  # NFKC has turned ，； into ,;

_ITEM = re.compile(r"^\s*[一二三四五六七八九十]+\s*、\s*([^:]{1,64}?)\s*:(.+)$")
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*\(([^)]*)\))?")
_CLAUSE = re.compile(r"[。;,]")
_WEEKDAYS = "一二三四五六日"
_NOTICE_YEAR = re.compile(r"(\d{4})\s*年部分节假日安排")
NOTICE_TITLE = re.compile(r"国务院办公厅关于\s*\d{4}\s*年部分节假日安排的通知")


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str  # holiday | workday
    name: str


def _plain(text: str) -> str:
    """Full-width digits, brackets, colons and commas as their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise DomainError(_("“%(text)s” is not a date.", text=text), field) from None


def _span(first: date, last: date, field: str) -> list[date]:
    if last < first:
        raise DomainError(_("The range %(first)s to %(last)s runs backwards.", first=first.isoformat(),
                            last=last.isoformat()), field)
    if (last - first).days >= LONGEST_RANGE_DAYS:
        raise DomainError(_("The range %(first)s to %(last)s is longer than a month: check it.",
                            first=first.isoformat(), last=last.isoformat()), field)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at_most(days: list[date], field: str) -> list[date]:
    if len(days) > MOST_DAYS:
        raise DomainError(_("Enter at most %(most)s days at a time.", most=MOST_DAYS), field)
    return days


def parse_days(text: str, field: str = "days") -> list[date]:
    """Dates and ranges separated by commas, spaces or new lines: `2027-02-06..2027-02-13,
    2027-02-20` (a range may also be written with ~, 至 or a dash)."""
    text = _plain(text)
    days: list[date] = []
    for match in _ISO_ITEM.finditer(text):
        first = _date(match.group(1), field)
        days += _span(first, _date(match.group(2), field), field) if match.group(2) else [first]
    left_over = _SEPARATORS.sub(" ", _ISO_ITEM.sub(" ", text)).strip()
    if left_over:
        raise DomainError(_("“%(text)s” is not a date: write dates as 2027-02-06, ranges as "
                            "2027-02-06..2027-02-13.", text=left_over[:40]), field)
    if not days:
        raise DomainError(_("Enter at least one date."), field)
    return _at_most(sorted(set(days)), field)


def notice_year(text: str) -> int | None:
    """The year a pasted notice names in its title, if it does."""
    match = _NOTICE_YEAR.search(_plain(text))
    return int(match.group(1)) if match else None


def notice_title(text: str) -> str:
    match = NOTICE_TITLE.search(_plain(text))
    return re.sub(r"\s+", "", match.group(0)) if match else ""


def _check_weekday(day: date, aside: str | None, field: str) -> None:
    """The notice prints each date's weekday (周四, 星期四): a mismatch means the wrong year."""
    weekday = re.search(r"(?:周|星期)([一二三四五六日天])", aside or "")
    if weekday is None:
        return
    named = _WEEKDAYS.index(weekday.group(1).replace("天", "日"))
    if named != day.weekday():
        raise DomainError(_("%(day)s is not a %(weekday)s as the notice says: is the year right?",
                            day=day.isoformat(), weekday=weekday.group(0)), field)


def _clause_days(clause: str, year: int, field: str) -> list[date]:
    """The dates of one clause, a range where two dates are joined by 至; a date without its month
    or year takes the one before it (2月15日至23日)."""
    days: list[date] = []
    month = None
    previous_end = 0
    range_from: date | None = None
    for match in _DATE.finditer(clause):
        year = int(match.group(1) or year)
        month = int(match.group(2) or month or 0)
        try:
            day = date(year, month, int(match.group(3)))
        except ValueError:
            raise DomainError(_("“%(text)s” is not a date.", text=match.group(0)), field) from None
        _check_weekday(day, match.group(4), field)
        joined = re.search(r"(至|到|-|~)", clause[previous_end:match.start()]) is not None
        if joined and range_from is not None:
            days += _span(range_from, day, field)[1:]
            range_from = None
        else:
            days.append(day)
            range_from = day
        previous_end = match.end()
    return days


def parse_notice(text: str, year: int, field: str = "text") -> list[NoticeDay]:
    """The holidays (放假, 补休) and make-up working days (上班) of each numbered item of a notice."""
    text = _plain(text)
    named = notice_year(text)
    if named is not None and named != year:
        raise DomainError(_("The notice is for %(named)s, not %(year)s.", named=named, year=year), field)
    found: dict[date, NoticeDay] = {}
    for line in text.splitlines():
        item = _ITEM.match(line)
        if item is None:
            continue
        name, holidays = item.group(1).strip(), 0
        for clause in _CLAUSE.split(item.group(2)):
            # 放假 (off), 补休 (a day off in lieu: 2017's 元旦), 上班 (a make-up working day)
            kind = WORKDAY if "上班" in clause else HOLIDAY if ("放假" in clause or "补休" in clause) else None
            if kind is None:
                continue
            for day in _clause_days(clause, year, field):
                if day in found and found[day].kind != kind:
                    raise DomainError(_("%(day)s is both a holiday and a working day in the notice.",
                                        day=day.isoformat()), field)
                found[day] = NoticeDay(day, kind, name)
                holidays += kind == HOLIDAY
        if not holidays:
            raise DomainError(_("No holiday dates were found in “%(item)s”.", item=line.strip()[:40]), field)
    if not found:
        raise DomainError(_("No holiday arrangement was found: paste the notice's numbered items "
                            "(一、元旦：…), one per line."), field)
    _at_most(list(found), field)
    return sorted(found.values(), key=lambda d: d.day)
