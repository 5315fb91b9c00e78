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

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from core import clock, events, exports
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import FieldErrors, Forbidden, NotFound
from core.i18n import N_, _
from core.regions import region_choices, region_like, region_name
from core.vocab import AppraisalGrade, Grade, MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import render, who
from roster import statistics as roster_figures
from roster.review import statistics as review_figures
from roster.review.events import ReportTablesWanted
from roster.review.report_parts import (
    TITLES,
    Buckets,
    Chart,
    Period,
    ReportTable,
    parse_period,
    rate,
    region_bars,
    title,
)

SCORE_BANDS = ((0, 60), (60, 70), (70, 80), (80, 90), (90, 101))


# --------------------------------------------------------------------------- the figures
def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[list[Any]]:
    """[label, count] rows, the largest first."""
    return [[labels.get(k, k or "—"), n] for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _item_table(key: str, rows: list[list[Any]], as_of: str, snapshot: bool = False) -> ReportTable:
    return ReportTable(key, _(TITLES[key]), [_("Item"), _("Value")], rows,
                       [Chart(_(TITLES[key]) + " · " + _("number"), region_bars(rows, 1))] if rows else [],
                       as_of, snapshot)


async def roster_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from certification.statistics import certified_on
    from roster.statistics import on_roster_at

    on_roster = await on_roster_at(region, period.until)
    certified = await certified_on(list(on_roster), period.until, clock.end_of(period.until))
    values = buckets.tally(((code, 0) for code in on_roster.values()), 2)
    for mediator_id in certified:
        values[buckets.key(on_roster[mediator_id])][1] += 1
    rows = buckets.rows(values, 2, lambda v: [int(v[0]), int(v[1]), rate(v[1], v[0])])
    return ReportTable("roster", title("roster"),
                       [_("Region"), _("Mediators on the roster"), _("With a valid certificate"),
                        _("Certification rate (%)")], rows,
                       [Chart(_("Mediators on the roster") + " · " + _("number"), region_bars(rows, 1, total=False)),
                        Chart(_("Certification rate (%)"), region_bars(rows, 3), percent=True)],
                       _("At the end of %(last)s", last=period.until.isoformat()))


async def training_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from core.settings import get_settings
    from roster.statistics import mediator_regions, on_roster_at
    from training.statistics import hours_credited, hours_of_year_until

    required = get_settings().rules.yearly_training_hours
    on_roster = await on_roster_at(region, period.until)
    regions = await mediator_regions(region)
    values: dict[str, list[float]] = {}

    def add(code: str, column: int, amount: float) -> None:
        values.setdefault(buckets.key(code), [0.0] * 4)[column] += amount

    for mediator_id, hours in await hours_credited(period.first, period.last):
        if mediator_id in regions:
            add(regions[mediator_id], 1, hours)
    year_to_date = await hours_of_year_until(period.until)
    for mediator_id, code in on_roster.items():
        add(code, 0, 1)
        add(code, 2 if year_to_date.get(mediator_id, 0.0) >= required else 3, 1)
    rows = buckets.rows(values, 4, lambda v: [int(v[0]), round(float(v[1]), 1), int(v[2]), int(v[3]), rate(v[2], v[0])])
    met = _("Met %(hours)s hours by the period's end", hours=required)
    return ReportTable("training", title("training"),
                       [_("Region"), _("Mediators on the roster"), _("Class hours credited in the period"), met,
                        _("Short of %(hours)s hours", hours=required), _("Share who met the yearly requirement (%)")],
                       rows,
                       [Chart(_("Class hours credited in the period"), region_bars(rows, 2, total=False)),
                        Chart(_("Share who met the yearly requirement (%)"), region_bars(rows, 5), percent=True)],
                       _("Hours credited in the period; the yearly requirement counted over %(year)s up to the "
                         "period's end", year=period.last.year))


def _band(total: float, total_marks: float) -> int:
    score = 100 * total / total_marks
    return next(i for i, (low, high) in enumerate(SCORE_BANDS) if low <= score < high or i == len(SCORE_BANDS) - 1)


def _exam_columns(first: str) -> list[str]:
    return [first, _("Candidates"), _("Passed"), _("Failed"), _("Pass rate (%)")] + [
        _("Score %(low)s–%(high)s", low=low, high=min(high, 100) - (0 if high > 100 else 1))
        for low, high in SCORE_BANDS]


def _exam_figures(v: list[float]) -> list[Any]:
    return [int(v[0]), int(v[1]), int(v[0] - v[1]), rate(v[1], v[0])] + [int(x) for x in v[2:]]


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
            row[2 + _band(r["total"], r["total_marks"])] += 1
    region_rows = buckets.rows(by_region, width, _exam_figures)
    grades = dict(choices(Grade))
    grade_rows = [[grades.get(g, g)] + _exam_figures(v) for g, v in by_grade.items()]
    grade_rows.append([_("Total")] + _exam_figures([sum(v[i] for v in by_grade.values()) for i in range(width)]))
    as_of = _("Released results of sittings held in the period")
    bands = [(label, value) for label, value in zip(_exam_columns("")[5:], grade_rows[-1][5:], strict=True)]
    return [
        ReportTable("exams", title("exams"), _exam_columns(_("Region")), region_rows,
                    [Chart(_("Pass rate (%)"), region_bars(region_rows, 4), percent=True),
                     Chart(_("Candidates") + " · " + _("number"), region_bars(region_rows, 1, total=False))], as_of),
        ReportTable("exams_by_grade", title("exams_by_grade"), _exam_columns(_("Training grade")), grade_rows,
                    [Chart(_("Pass rate (%)"), region_bars(grade_rows[:-1], 4), percent=True),
                     Chart(_("Score distribution") + " · " + _("candidates"), bands)], as_of),
    ]


async def exits_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    from roster.review.exits import GROUNDS, ground_text

    notices = await review_figures.upheld_exits(region, period.first, period.last)
    grounds = [g for g in GROUNDS if any(ground == g for _code, ground in notices)]
    grounds += sorted({ground for _code, ground in notices} - set(grounds))
    values = buckets.tally([(code, grounds.index(ground)) for code, ground in notices], len(grounds))
    rows = buckets.rows(values, len(grounds), lambda v: [int(x) for x in v] + [int(sum(v))])
    labels = [ground_text(g) if g in GROUNDS else g for g in grounds]
    return ReportTable("exits_by_ground", title("exits_by_ground"), [_("Region")] + labels + [_("Total")], rows,
                       [Chart(_("Exits by ground") + " · " + _("number"),
                              list(zip(labels, rows[-1][1:-1], strict=True)))],
                       _("Exits upheld in the period"))


async def region_report(region: str, period: Period) -> dict[str, ReportTable]:
    buckets = Buckets(region)
    filing = {"draft": _("Not yet filed"), "submitted": _("Submitted"), "accepted": _("Accepted"),
              "returned": _("Returned")}
    today = _("As it stands today")
    tables = [
        await roster_table(region, period, buckets),
        await training_table(region, period, buckets),
        *await exam_tables(region, period, buckets),
        *[table for answer in await events.publish(ReportTablesWanted(region, period, buckets)) for table in answer],
        await exits_table(region, period, buckets),
        _item_table("grades", _labelled(await review_figures.confirmed_grades(
            region, period.first.year, period.last.year), dict(choices(AppraisalGrade))), _("Confirmed appraisals of the years %(first)s–%(last)s",
                                       first=period.first.year, last=period.last.year)),
        _item_table("organisations_by_type", _labelled(await roster_figures.organisations_by_type(region),
                                                       dict(choices(OrganisationType))), today, snapshot=True),
        _item_table("organisations_by_filing", _labelled(await roster_figures.organisations_by_filing(region), filing),
                    today, snapshot=True),
        _item_table("mediators_by_source", _labelled(await roster_figures.appointed_by_source(region),
                                                     dict(choices(SourceCategory))), today, snapshot=True),
        _item_table("mediators_by_status", _labelled(await roster_figures.mediators_by_status(region),
                                                     dict(choices(MediatorStatus))), today, snapshot=True),
    ]
    return {t.key: t for t in tables}


@dataclass(frozen=True, slots=True)
class CityFigures:
    """A city's headline figures on the province's dashboard."""

    code: str
    name: str
    mediators: int
    organisations: int
    excellent: int
    exits: int


async def city_dashboard(year: int) -> list[CityFigures]:
    """Per city of the province: the headline figures side by side."""
    cities = [code for code, _n, level in region_choices(max_level=2) if level == 2]
    mediators = await roster_figures.per_city("appointed")
    organisations = await roster_figures.per_city("accepted")
    excellent = await review_figures.excellent_per_city(year)
    exits = await review_figures.exits_per_city()
    return [CityFigures(c, region_name(c), mediators.get(c[:4], 0), organisations.get(c[:4], 0),
                        excellent.get(c[:4], 0), exits.get(c[:4], 0)) for c in cities]


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
        context: dict[str, Any] = {"region": region, "region_options": options, "asked": asked,
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
