"""The parts of a report (统计报告) every domain's table is made of: the period asked for, a
table with its charts, the sub-region rows. Domains above the review build their tables from
these (roster.review.events.ReportTablesWanted)."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import clock
from core.data.fujian_regions import all_regions
from core.errors import FieldErrors
from core.exports import Table
from core.i18n import N_, _
from core.regions import is_within, region_name

MAX_PERIOD_DAYS = 366 * 10
FIRST_YEAR = 2000


# --------------------------------------------------------------------------- the period
@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str  # for file names and the heading: 2025, 2025-Q2, 2025-04, 2025-04-01_2025-05-15

    @property
    def starts_at(self):
        return clock.start_of(self.first)

    @property
    def ends_at(self):  # exclusive: the instant the last day ends
        return clock.end_of(self.last)

    @property
    def until(self) -> date:
        """The day "the end of the period" means: its last day, or today while it runs."""
        return min(self.last, clock.today())


def _int(value: str, name: str, low: int, high: int, message: str, errors: dict[str, str]) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdecimal() or not low <= int(value) <= high:
        errors[name] = message
        return None
    return int(value)


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def parse_period(year: str = "", quarter: str = "", month: str = "", start: str = "", end: str = "") -> Period:
    """The period asked for: from–to when either date is given, else a month or a quarter of the
    year, else the year (by default last year). Raises FieldErrors naming the wrong field."""
    today = clock.today()
    errors: dict[str, str] = {}
    if (start or "").strip() or (end or "").strip():
        first, last = _day(start, "from", errors), _day(end, "to", errors)
        if not errors and first is None:
            errors["from"] = _("Give the first day of the period.")
        if not errors and last is None:
            errors["to"] = _("Give the last day of the period.")
        if errors or first is None or last is None:
            raise FieldErrors(errors)
        if last < first:
            errors["to"] = _("The last day comes before the first day.")
        elif (last - first).days >= MAX_PERIOD_DAYS:
            errors["to"] = _("A period is at most ten years long.")
        elif first > today:
            errors["from"] = _("The period has not begun yet.")
        if errors:
            raise FieldErrors(errors)
        return Period(first, last, f"{first.isoformat()}_{last.isoformat()}")
    y = _int(year, "year", FIRST_YEAR, today.year, _("Enter a year from %(first)s to %(last)s.",
                                                        first=FIRST_YEAR, last=today.year), errors)
    q = _int(quarter, "quarter", 1, 4, _("A quarter is 1, 2, 3 or 4."), errors)
    m = _int(month, "month", 1, 12, _("A month is 1 to 12."), errors)
    if q and m:
        errors["month"] = _("Choose a quarter or a month, not both.")
    if errors:
        raise FieldErrors(errors)
    y = y or today.year - 1
    if m:
        period = Period(date(y, m, 1), date(y, m, monthrange(y, m)[1]), f"{y}-{m:02d}")
    elif q:
        period = Period(date(y, 3 * q - 2, 1), date(y, 3 * q, monthrange(y, 3 * q)[1]), f"{y}-Q{q}")
    else:
        period = Period(date(y, 1, 1), date(y, 12, 31), str(y))
    if period.first > today:
        raise FieldErrors({"month" if m else "quarter": _("The period has not begun yet.")})
    return period


# --------------------------------------------------------------------------- the report's shape
@dataclass
class Chart:
    title: str
    bars: list[tuple[str, float]]
    percent: bool = False  # a rate: the scale runs to 100 %

    @property
    def top(self) -> float:
        return 100.0 if self.percent else max([v for _label, v in self.bars] + [0]) or 1


@dataclass
class ReportTable:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    charts: list[Chart] = field(default_factory=list)
    as_of: str = ""  # what the figures describe: the period, its end, or today
    snapshot: bool = False  # counted as it stands today (the file name carries today's date)

    def export(self) -> Table:
        return Table(self.key, self.columns, self.rows)


def title(key: str) -> str:
    return _(TITLES[key])


def rate(part: float, whole: float) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def sub_regions(region: str) -> list[str]:
    return [code for code, _name, parent, _level in all_regions() if parent == region]


class Buckets:
    """Figures summed per sub-region of `region` (a row each), records filed at the region itself
    (a row when there are any) and the total."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.children = sub_regions(region)
        self.keys = self.children + [region]

    def key(self, code: str) -> str:
        return next((c for c in self.children if is_within(code, c)), self.region)

    def rows(self, values: dict[str, list[float]], width: int, finish: Callable[[list[float]], list[Any]]
             ) -> list[list[Any]]:
        out = []
        for code in self.children:
            out.append([region_name(code)] + finish(values.get(code, [0] * width)))
        own = values.get(self.region)
        if own and any(own):
            out.append([_("%(region)s (itself)", region=region_name(self.region))] + finish(own))
        total = [sum(v[i] for v in values.values()) for i in range(width)]
        out.append([_("Total")] + finish(total))
        return out

    def tally(self, records: Iterable[tuple[str, int]], width: int) -> dict[str, list[float]]:
        """records: (region_code, column index) pairs, each counting one."""
        values: dict[str, list[float]] = {}
        for code, column in records:
            values.setdefault(self.key(code), [0] * width)[column] += 1
        return values


def region_bars(rows: list[list[Any]], column: int, total: bool = True) -> list[tuple[str, float]]:
    """One column's bars, a row each; a count chart leaves the total out (it would dwarf the rows),
    a rate chart keeps it (the rate of the whole region, on the same 0–100 % scale)."""
    return [(row[0], row[column]) for row in (rows if total else rows[:-1])]


TITLES = {
    "roster": N_("Mediators and certification"), "training": N_("Training hours"),
    "exams": N_("Exam results by region"), "exams_by_grade": N_("Exam results by grade"),
    "selections": N_("Expert selections"), "exits_by_ground": N_("Exits by ground"),
    "grades": N_("Appraisal grades"),
    "organisations_by_type": N_("Organisations by type"), "organisations_by_filing": N_("Organisations by filing status"),
    "mediators_by_source": N_("Appointed mediators by source"), "mediators_by_status": N_("Mediators by status"),
}
