"""Reports (统计报告) for a region and any period: a year, a quarter, a month or from–to.

Period tables (exams, selections, exits, training, mediators and certificates at the period's
end) have a row per sub-region of the chosen region and a total; grade tables split exams by
grade. Snapshot tables (organisations, mediators by source and status) count what stands today,
and say so. Every table downloads as CSV and XLSX named for the region and the period; every
chart shows one unit (counts, hours or a percentage), never two on one axis.

What "as of the end of the period" means where the data keeps no history:
- on the roster: appointed on or before the last day and not exited by then (a suspension is not
  dated on the mediator row, so suspended mediators count as on the roster); the mediator's
  current region;
- a valid certificate: issued on or before the last day and expiring on or after it, and not
  suspended or revoked before the period ended (the status change's time is the certificate's
  `updated_at`);
- exams: marked results of released sittings that opened in the period (rechecks as decided);
- declines: the court's judgement of the reason as it stands today."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from piccolo.querystring import QueryString

from core import clock, exports
from core.auth.guards import requires
from core.auth.roles import Role
from core.data.fujian_regions import all_regions
from core.db import engine
from core.errors import FieldErrors, Forbidden, NotFound
from core.exports import Table
from core.i18n import N_, _
from core.regions import is_within, region_choices, region_like, region_name
from core.vocab import AppraisalGrade, Grade, MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import render, who

MAX_PERIOD_DAYS = 366 * 10
FIRST_YEAR = 2000
SCORE_BANDS = ((0, 60), (60, 70), (70, 80), (80, 90), (90, 101))


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
    if not value.isdigit() or not low <= int(value) <= high:
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
        if not errors and last < first:
            errors["to"] = _("The last day comes before the first day.")
        if not errors and (last - first).days >= MAX_PERIOD_DAYS:
            errors["to"] = _("A period is at most ten years long.")
        if not errors and first > today:
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


def _title(key: str) -> str:
    return _(TITLES[key])


def _rate(part: float, whole: float) -> float:
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


def _region_bars(rows: list[list[Any]], column: int, total: bool = True) -> list[tuple[str, float]]:
    """One column's bars, a row each; a count chart leaves the total out (it would dwarf the rows),
    a rate chart keeps it (the rate of the whole region, on the same 0–100 % scale)."""
    return [(row[0], row[column]) for row in (rows if total else rows[:-1])]


# --------------------------------------------------------------------------- the figures
async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await engine().run_querystring(QueryString(sql, *args))


async def _counted(sql: str, labels: dict[str, str], *args: Any) -> list[list[Any]]:
    counts = {r["k"]: int(r["n"]) for r in await _rows(sql, *args)}
    return [[labels.get(k, k or "—"), n] for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _item_table(key: str, rows: list[list[Any]], as_of: str, snapshot: bool = False) -> ReportTable:
    return ReportTable(key, _(TITLES[key]), [_("Item"), _("Value")], rows,
                       [Chart(_(TITLES[key]) + " · " + _("number"), _region_bars(rows, 1))] if rows else [],
                       as_of, snapshot)


async def _on_roster(region: str, last: date) -> dict[int, str]:
    """Mediators on the roster at the end of `last`: id → region code."""
    from roster.tables import Mediator

    rows = await Mediator.select(Mediator.id, Mediator.region_code).where(
        Mediator.region_code.like(region_like(region)) & Mediator.appointed_on.is_not_null()
        & (Mediator.appointed_on <= last) & (Mediator.exited_on.is_null() | (Mediator.exited_on > last)))
    return {r["id"]: r["region_code"] for r in rows}


async def _certified(ids: list[int], last: date, ends_at) -> set[int]:
    """Of these mediators, those holding a certificate valid on `last` (see the module's note)."""
    from certification.tables import Certificate
    from roster.services import chunks

    out: set[int] = set()
    for part in chunks(ids):
        for r in await Certificate.select(Certificate.mediator_id, Certificate.status, Certificate.updated_at).where(
                Certificate.mediator_id.is_in(part) & (Certificate.issued_on <= last)
                & (Certificate.expires_on >= last)):
            if r["status"] not in ("suspended", "revoked") or r["updated_at"] >= ends_at:
                out.add(r["mediator_id"])
    return out


async def roster_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    on_roster = await _on_roster(region, period.until)
    certified = await _certified(list(on_roster), period.until, clock.end_of(period.until))
    values = buckets.tally(((code, 0) for code in on_roster.values()), 2)
    for mediator_id in certified:
        values[buckets.key(on_roster[mediator_id])][1] += 1
    rows = buckets.rows(values, 2, lambda v: [int(v[0]), int(v[1]), _rate(v[1], v[0])])
    return ReportTable("roster", _title("roster"),
                       [_("Region"), _("Mediators on the roster"), _("With a valid certificate"),
                        _("Certification rate (%)")], rows,
                       [Chart(_("Mediators on the roster") + " · " + _("number"), _region_bars(rows, 1, total=False)),
                        Chart(_("Certification rate (%)"), _region_bars(rows, 3), percent=True)],
                       _("At the end of %(last)s", last=period.until.isoformat()))


async def training_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from core.settings import get_settings
    from roster.tables import Mediator
    from training.tables import HoursCredit

    required = get_settings().rules.yearly_training_hours
    on_roster = await _on_roster(region, period.until)
    regions = {r["id"]: r["region_code"] for r in await Mediator.select(Mediator.id, Mediator.region_code).where(
        Mediator.region_code.like(region_like(region)))}
    values: dict[str, list[float]] = {}

    def add(code: str, column: int, amount: float) -> None:
        values.setdefault(buckets.key(code), [0.0] * 4)[column] += amount

    in_period = await HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(
        (HoursCredit.credited_on >= period.first) & (HoursCredit.credited_on <= period.last))
    for r in in_period:
        if r["mediator_id"] in regions:
            add(regions[r["mediator_id"]], 1, float(r["hours"]))
    year_to_date: dict[int, float] = {}
    for r in await HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(
            (HoursCredit.year == period.until.year) & (HoursCredit.credited_on <= period.until)):
        year_to_date[r["mediator_id"]] = year_to_date.get(r["mediator_id"], 0.0) + float(r["hours"])
    for mediator_id, code in on_roster.items():
        add(code, 0, 1)
        add(code, 2 if year_to_date.get(mediator_id, 0.0) >= required else 3, 1)
    rows = buckets.rows(values, 4, lambda v: [int(v[0]), round(float(v[1]), 1), int(v[2]), int(v[3]), _rate(v[2], v[0])])
    met = _("Met %(hours)s hours by the period's end", hours=required)
    return ReportTable("training", _title("training"),
                       [_("Region"), _("Mediators on the roster"), _("Class hours credited in the period"), met,
                        _("Short of %(hours)s hours", hours=required), _("Share who met the yearly requirement (%)")],
                       rows,
                       [Chart(_("Class hours credited in the period"), _region_bars(rows, 2, total=False)),
                        Chart(_("Share who met the yearly requirement (%)"), _region_bars(rows, 5), percent=True)],
                       _("Hours credited in the period; the yearly requirement counted over %(year)s up to the "
                         "period's end", year=period.last.year))


def _band(result: dict[str, Any]) -> int:
    score = 100 * result["total"] / result["total_marks"]
    return next(i for i, (low, high) in enumerate(SCORE_BANDS) if low <= score < high or i == len(SCORE_BANDS) - 1)


def _exam_columns(first: str) -> list[str]:
    return [first, _("Candidates"), _("Passed"), _("Failed"), _("Pass rate (%)")] + [
        _("Score %(low)s–%(high)s", low=low, high=min(high, 100) - (0 if high > 100 else 1))
        for low, high in SCORE_BANDS]


def _exam_figures(v: list[float]) -> list[Any]:
    return [int(v[0]), int(v[1]), int(v[0] - v[1]), _rate(v[1], v[0])] + [int(x) for x in v[2:]]


async def exam_tables(region: str, period: Period, buckets: Buckets) -> list[ReportTable]:
    from training.exams import statistics

    results = await statistics.released_results(period.starts_at, period.ends_at, region_like(region))
    width = 2 + len(SCORE_BANDS)
    by_region: dict[str, list[float]] = {}
    by_grade: dict[str, list[float]] = {g.value: [0] * width for g in Grade}
    for r in results:
        for row in (by_region.setdefault(buckets.key(r["region_code"]), [0] * width),
                    by_grade.setdefault(r["grade"], [0] * width)):
            row[0] += 1
            row[1] += 1 if r["passed"] else 0
            row[2 + _band(r)] += 1
    region_rows = buckets.rows(by_region, width, _exam_figures)
    grades = dict(choices(Grade))
    grade_rows = [[grades.get(g, g)] + _exam_figures(v) for g, v in by_grade.items()]
    grade_rows.append([_("Total")] + _exam_figures([sum(v[i] for v in by_grade.values()) for i in range(width)]))
    as_of = _("Released results of sittings held in the period")
    bands = [(label, value) for label, value in zip(_exam_columns("")[5:], grade_rows[-1][5:], strict=True)]
    return [
        ReportTable("exams", _title("exams"), _exam_columns(_("Region")), region_rows,
                    [Chart(_("Pass rate (%)"), _region_bars(region_rows, 4), percent=True),
                     Chart(_("Candidates") + " · " + _("number"), _region_bars(region_rows, 1, total=False))], as_of),
        ReportTable("exams_by_grade", _title("exams_by_grade"), _exam_columns(_("Training grade")), grade_rows,
                    [Chart(_("Pass rate (%)"), _region_bars(grade_rows[:-1], 4), percent=True),
                     Chart(_("Score distribution") + " · " + _("candidates"), bands)], as_of),
    ]


async def selections_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from expert_pool import statistics

    def column(event: dict[str, Any]) -> int:
        if event["kind"] == "decline":
            return 2 if event["good_reason"] else 3
        return {"invite": 0, "accept": 1, "lapse": 4}[event["kind"]]

    events = await statistics.invitation_events(period.starts_at, period.ends_at, region_like(region))
    agreements = await statistics.agreements(period.first, period.last, region_like(region))
    values = buckets.tally([(e["region_code"], column(e)) for e in events]
                           + [(a["region_code"], 5) for a in agreements], 6)
    rows = buckets.rows(values, 6, lambda v: [int(x) for x in v] + [_rate(v[1], v[0])])
    columns = [_("Region"), _("Invitations"), _("Invitations accepted"), _("Declined with good reason"),
               _("Declined without good reason"), _("Lapsed unanswered"), _("Agreements reached"),
               _("Acceptance rate (%)")]
    total = rows[-1]
    return ReportTable("selections", _title("selections"), columns, rows,
                       [Chart(_("Invitations and answers") + " · " + _("number"),
                              list(zip(columns[1:7], total[1:7], strict=True))),
                        Chart(_("Acceptance rate (%)"), _region_bars(rows, 7), percent=True)],
                       _("Invitations and answers made in the period; agreements reached in it"))


async def exits_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from roster.review.exits import GROUNDS, ground_text
    from roster.review.tables import ExitNotice

    notices = await ExitNotice.select(ExitNotice.region_code, ExitNotice.ground).where(
        ExitNotice.region_code.like(region_like(region)) & (ExitNotice.status == "upheld")
        & (ExitNotice.decided_on >= period.first) & (ExitNotice.decided_on <= period.last))
    grounds = [g for g in GROUNDS if any(n["ground"] == g for n in notices)]
    grounds += sorted({n["ground"] for n in notices} - set(grounds))
    values = buckets.tally([(n["region_code"], grounds.index(n["ground"])) for n in notices], len(grounds))
    rows = buckets.rows(values, len(grounds), lambda v: [int(x) for x in v] + [int(sum(v))])
    labels = [ground_text(g) if g in GROUNDS else g for g in grounds]
    return ReportTable("exits_by_ground", _title("exits_by_ground"), [_("Region")] + labels + [_("Total")], rows,
                       [Chart(_("Exits by ground") + " · " + _("number"),
                              list(zip(labels, rows[-1][1:-1], strict=True)))],
                       _("Exits upheld in the period"))


async def region_report(region: str, period: Period) -> dict[str, ReportTable]:
    like = region_like(region)
    buckets = Buckets(region)
    filing = {"draft": _("Not yet filed"), "submitted": _("Submitted"), "accepted": _("Accepted"),
              "returned": _("Returned")}
    today = _("As it stands today")
    tables = [
        await roster_table(region, period, buckets),
        await training_table(region, period, buckets),
        *await exam_tables(region, period, buckets),
        await selections_table(region, period, buckets),
        await exits_table(region, period, buckets),
        _item_table("grades", await _counted(
            "SELECT grade AS k, COUNT(*) AS n FROM appraisal WHERE region_code LIKE {} AND year >= {} AND year <= {} "
            "AND confirmed = {} GROUP BY grade", dict(choices(AppraisalGrade)), like, period.first.year,
            period.last.year, True), _("Confirmed appraisals of the years %(first)s–%(last)s",
                                       first=period.first.year, last=period.last.year)),
        _item_table("organisations_by_type", await _counted(
            "SELECT type AS k, COUNT(*) AS n FROM organisation WHERE region_code LIKE {} GROUP BY type",
            dict(choices(OrganisationType)), like), today, snapshot=True),
        _item_table("organisations_by_filing", await _counted(
            "SELECT filing_status AS k, COUNT(*) AS n FROM organisation WHERE region_code LIKE {} "
            "GROUP BY filing_status", filing, like), today, snapshot=True),
        _item_table("mediators_by_source", await _counted(
            "SELECT source_category AS k, COUNT(*) AS n FROM mediator WHERE region_code LIKE {} "
            "AND status = 'appointed' GROUP BY source_category", dict(choices(SourceCategory)), like),
            today, snapshot=True),
        _item_table("mediators_by_status", await _counted(
            "SELECT status AS k, COUNT(*) AS n FROM mediator WHERE region_code LIKE {} GROUP BY status",
            dict(choices(MediatorStatus)), like), today, snapshot=True),
    ]
    return {t.key: t for t in tables}


async def city_dashboard(year: int) -> list[dict[str, Any]]:
    """Per city of the province: the headline figures side by side."""
    cities = [code for code, _n, level in region_choices(max_level=2) if level == 2]
    mediators = {r["k"]: int(r["n"]) for r in await _rows(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM mediator WHERE status = 'appointed' GROUP BY "
        "SUBSTR(region_code, 1, 4)")}
    organisations = {r["k"]: int(r["n"]) for r in await _rows(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM organisation WHERE filing_status = 'accepted' "
        "GROUP BY SUBSTR(region_code, 1, 4)")}
    excellent = {r["k"]: int(r["n"]) for r in await _rows(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM appraisal WHERE year = {} AND confirmed = {} "
        "AND grade = 'excellent' GROUP BY SUBSTR(region_code, 1, 4)", year, True)}
    exits = {r["k"]: int(r["n"]) for r in await _rows(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM exit_notice WHERE status = 'upheld' "
        "GROUP BY SUBSTR(region_code, 1, 4)")}
    return [{"code": c, "name": region_name(c), "mediators": mediators.get(c[:4], 0),
             "organisations": organisations.get(c[:4], 0), "excellent": excellent.get(c[:4], 0),
             "exits": exits.get(c[:4], 0)} for c in cities]


TITLES = {
    "roster": N_("Mediators and certification"), "training": N_("Training hours"),
    "exams": N_("Exam results by region"), "exams_by_grade": N_("Exam results by grade"),
    "selections": N_("Expert selections"), "exits_by_ground": N_("Exits by ground"),
    "grades": N_("Appraisal grades"),
    "organisations_by_type": N_("Organisations by type"), "organisations_by_filing": N_("Organisations by filing status"),
    "mediators_by_source": N_("Appointed mediators by source"), "mediators_by_status": N_("Mediators by status"),
}


PERIOD_FIELDS = {"year": N_("Year"), "quarter": N_("Quarter"), "month": N_("Month"), "from": N_("From"),
                 "to": N_("To")}


class ReportsController(Controller):
    path = "/admin/reports"
    include_in_schema = False
    guards = [requires(Role.ADMIN, Role.AUDITOR)]

    def _region(self, request: Request, region: str) -> str:
        me = who(request)
        regions = me.regions_for(Role.ADMIN, Role.AUDITOR)
        region = region or regions[0]
        if not me.can_act_in(region, Role.ADMIN, Role.AUDITOR):
            raise Forbidden(_("This record belongs to a region outside your authority."))
        return region

    @get("/")
    async def report(self, request: Request, region: FromQuery[str] = "", year: FromQuery[str] = "",
                     quarter: FromQuery[str] = "", month: FromQuery[str] = "") -> Template:
        region = self._region(request, region)
        asked = {"year": year, "quarter": quarter, "month": month, "from": request.query_params.get("from", ""),
                 "to": request.query_params.get("to", "")}
        me = who(request)
        options = [(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=3)
                   if me.can_act_in(c, Role.ADMIN, Role.AUDITOR)]
        context = {"region": region, "region_options": options, "asked": asked,
                   "quarters": [(str(q), _("Quarter %(q)s", q=q)) for q in range(1, 5)],
                   "months": [(str(m), _("Month %(m)s", m=m)) for m in range(1, 13)]}
        try:
            period = parse_period(year, quarter, month, asked["from"], asked["to"])
        except FieldErrors as wrong:
            return render("review/reports.html", errors=wrong.errors, period=None, report={}, cities=None,
                          status_code=400, **context)
        if not asked["year"] and not asked["from"]:
            asked["year"] = str(period.first.year)
        query = urlencode([(k, v) for k, v in [("region", region)] + list(asked.items()) if v])
        return render("review/reports.html", errors={}, period=period, report=await region_report(region, period),
                      query=query, cities=await city_dashboard(period.last.year) if region == "350000" else None,
                      **context)

    @get("/{table:str}/{fmt:str}")
    async def download(self, request: Request, table: FromPath[str], fmt: FromPath[str], region: FromQuery[str] = "",
                       year: FromQuery[str] = "", quarter: FromQuery[str] = "", month: FromQuery[str] = "") -> Response:
        region = self._region(request, region)
        if table not in TITLES or fmt not in exports.FORMATS:
            raise NotFound(_("No such report."))
        try:
            period = parse_period(year, quarter, month, request.query_params.get("from", ""),
                                  request.query_params.get("to", ""))
        except FieldErrors as wrong:  # a file has no form to show the error beside: name the field
            name, message = next(iter(wrong.errors.items()))
            raise FieldErrors({name: _("%(field)s: %(problem)s", field=_(PERIOD_FIELDS[name]), problem=message)}
                              ) from None
        report = (await region_report(region, period))[table]
        # named for the region and the period counted, or today for what stands now
        return exports.download(report.export(), fmt, stem=report.title, ascii_stem=table,
                                qualifiers=[region, clock.today() if report.snapshot else period.label])
