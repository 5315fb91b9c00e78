"""The review's figures for the reports (统计报告): confirmed grades and upheld exits counted by
region. Read-only and set-based, like roster/statistics.py; the report reads the review's own
tables only through these."""

from __future__ import annotations

from datetime import date

from piccolo.querystring import QueryString

from core.db import engine
from core.regions import region_like
from roster.review.tables import ExitNotice


async def _counts(sql: str, *args: object) -> dict[str, int]:
    """{k: n} of a grouped query answering the columns k and n."""
    return {r["k"]: int(r["n"]) for r in await engine().run_querystring(QueryString(sql, *args))}


async def confirmed_grades(region: str, first_year: int, last_year: int) -> dict[str, int]:
    """Confirmed appraisals of the region and below in the years, by grade."""
    return await _counts(
        "SELECT grade AS k, COUNT(*) AS n FROM appraisal WHERE region_code LIKE {} AND year >= {} AND year <= {} "
        "AND confirmed = {} GROUP BY grade", region_like(region), first_year, last_year, True)


async def excellent_per_city(year: int) -> dict[str, int]:
    """Confirmed 优秀 grades of the year, by the city's first four digits."""
    return await _counts(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM appraisal WHERE year = {} AND confirmed = {} "
        "AND grade = 'excellent' GROUP BY SUBSTR(region_code, 1, 4)", year, True)


async def exits_per_city() -> dict[str, int]:
    """Upheld exits ever, by the city's first four digits."""
    return await _counts(
        "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM exit_notice WHERE status = 'upheld' "
        "GROUP BY SUBSTR(region_code, 1, 4)")


async def upheld_exits(region: str, first: date, last: date) -> list[tuple[str, str]]:
    """(region code, ground) of every exit of the region and below upheld between the days."""
    rows = await ExitNotice.select(ExitNotice.region_code, ExitNotice.ground).where(
        ExitNotice.region_code.like(region_like(region)) & (ExitNotice.status == "upheld")
        & (ExitNotice.decided_on >= first) & (ExitNotice.decided_on <= last))
    return [(r["region_code"], r["ground"]) for r in rows]
