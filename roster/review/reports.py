"""Reports (统计报告) per region and year: organisations, mediators, certification,
training, appraisal grades, exits, expert selections; a province dashboard comparing its
cities. Tables with bar charts (server-rendered SVG) and CSV/XLSX downloads."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from piccolo.querystring import QueryString

from core import exports
from core.auth.guards import requires
from core.auth.roles import Role
from core.db import engine
from core.errors import Forbidden, NotFound
from core.exports import Table
from core.i18n import N_, _
from core.regions import region_choices, region_like, region_name
from core.vocab import AppraisalGrade, MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import render, who


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await engine().run_querystring(QueryString(sql, *args))


async def _counted(sql: str, labels: dict[str, str], *args: Any) -> list[tuple[str, int]]:
    counts = {r["k"]: int(r["n"]) for r in await _rows(sql, *args)}
    return [(labels.get(k, k or "—"), n) for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]


async def region_report(region: str, year: int) -> dict[str, list[tuple[str, Any]]]:
    like = region_like(region)
    filing = {"draft": _("Not yet filed"), "submitted": _("Submitted"), "accepted": _("Accepted"),
              "returned": _("Returned")}
    report: dict[str, list[tuple[str, Any]]] = {}
    report["organisations_by_type"] = await _counted(
        "SELECT type AS k, COUNT(*) AS n FROM organisation WHERE region_code LIKE {} GROUP BY type",
        dict(choices(OrganisationType)), like)
    report["organisations_by_filing"] = await _counted(
        "SELECT filing_status AS k, COUNT(*) AS n FROM organisation WHERE region_code LIKE {} GROUP BY filing_status",
        filing, like)
    report["mediators_by_source"] = await _counted(
        "SELECT source_category AS k, COUNT(*) AS n FROM mediator WHERE region_code LIKE {} AND status = 'appointed' "
        "GROUP BY source_category", dict(choices(SourceCategory)), like)
    report["mediators_by_status"] = await _counted(
        "SELECT status AS k, COUNT(*) AS n FROM mediator WHERE region_code LIKE {} GROUP BY status",
        dict(choices(MediatorStatus)), like)
    report["grades"] = await _counted(
        "SELECT grade AS k, COUNT(*) AS n FROM appraisal WHERE region_code LIKE {} AND year = {} AND confirmed = {} "
        "GROUP BY grade", dict(choices(AppraisalGrade)), like, year, True)
    from roster.review.exits import ground_text

    grounds = await _rows("SELECT ground AS k, COUNT(*) AS n FROM exit_notice WHERE region_code LIKE {} "
                          "AND status = 'upheld' AND decided_on >= {} AND decided_on < {} GROUP BY ground",
                          like, date(year, 1, 1), date(year + 1, 1, 1))
    report["exits_by_ground"] = [(ground_text(r["k"]), int(r["n"])) for r in grounds]
    report["certification"] = await _certification(region)
    report["training"] = await _training(region, year)
    report["selections"] = await _selections(region, year)
    return report


async def _certification(region: str) -> list[tuple[str, Any]]:
    from roster import services as roster

    ids = [m.id for m in await roster.mediators_in_region(region)]
    try:
        from certification import services as certification

        standing = await certification.certificate_standing(ids)
    except (ImportError, AttributeError):
        return [(_("Appointed mediators"), len(ids))]
    valid = sum(1 for s in standing.values() if s.status == "valid")
    rate = round(100 * valid / len(ids), 1) if ids else 0.0
    return [(_("Appointed mediators"), len(ids)), (_("With a valid certificate"), valid),
            (_("Certification rate (%)"), rate)]


async def _training(region: str, year: int) -> list[tuple[str, Any]]:
    from core.settings import get_settings
    from roster import services as roster

    ids = [m.id for m in await roster.mediators_in_region(region)]
    try:
        from training import services as training

        hours = await training.training_hours(ids, year)
    except (ImportError, AttributeError):
        return []
    required = get_settings().rules.yearly_training_hours
    return [(_("Class hours credited"), round(sum(hours.values()), 1)),
            (_("Mediators who met %(hours)s hours", hours=required), sum(1 for i in ids if hours.get(i, 0) >= required)),
            (_("Mediators short of hours"), sum(1 for i in ids if hours.get(i, 0) < required))]


async def _selections(region: str, year: int) -> list[tuple[str, Any]]:
    try:
        from expert_pool import services as experts

        summary = getattr(experts, "selection_summary", None)
    except ImportError:
        return []
    return list((await summary(region, year)).items()) if summary else []


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
    "organisations_by_type": N_("Organisations by type"), "organisations_by_filing": N_("Organisations by filing status"),
    "mediators_by_source": N_("Appointed mediators by source"), "mediators_by_status": N_("Mediators by status"),
    "certification": N_("Certification"), "training": N_("Training hours"), "grades": N_("Appraisal grades"),
    "exits_by_ground": N_("Exits by ground"), "selections": N_("Expert selections"),
}


# Tables counted over the chosen year; the others count what stands today.
YEARLY = {"grades", "exits_by_ground", "training", "selections"}


def report_table(table: str, rows: list[tuple[str, Any]]) -> Table:
    return Table(table, [_("Item"), _("Value")], rows)


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
    async def report(self, request: Request, region: FromQuery[str] = "", year: FromQuery[int] = 0) -> Template:
        region = self._region(request, region)
        year = year or date.today().year - 1
        me = who(request)
        options = [(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=3)
                   if me.can_act_in(c, Role.ADMIN, Role.AUDITOR)]
        return render("review/reports.html", region=region, year=year, report=await region_report(region, year),
                      titles={k: _(v) for k, v in TITLES.items()}, region_options=options,
                      cities=await city_dashboard(year) if region == "350000" else None)

    @get("/{table:str}/{fmt:str}")
    async def download(self, request: Request, table: FromPath[str], fmt: FromPath[str], region: FromQuery[str] = "",
                       year: FromQuery[int] = 0) -> Response:
        region = self._region(request, region)
        if table not in TITLES or fmt not in ("csv", "xlsx"):
            raise NotFound(_("No such report."))
        year = year or date.today().year - 1
        rows = (await region_report(region, year))[table]
        # named for the region and the period counted: the year, or today for what stands now
        return exports.download(report_table(table, rows), fmt, stem=_(TITLES[table]), ascii_stem=table,
                                qualifiers=[region, year if table in YEARLY else date.today()])
