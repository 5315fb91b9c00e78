"""The roster's figures for the reports (统计报告): who was on the roster at a day's end, and
organisations and mediators counted by a column. Read-only and set-based; the review's report
calls these instead of reading the roster's tables."""

from __future__ import annotations

from datetime import date

from piccolo.columns import Column
from piccolo.query.methods.select import Count
from piccolo.querystring import QueryString

from core.db import engine
from core.regions import region_like
from roster.tables import Mediator, Organisation


async def on_roster_at(region: str, last: date) -> dict[int, str]:
    """Mediators on the roster at the end of `last` (appointed by then and not yet exited):
    id → their current region code."""
    rows = await Mediator.select(Mediator.id, Mediator.region_code).where(
        Mediator.region_code.like(region_like(region)) & Mediator.appointed_on.is_not_null()
        & (Mediator.appointed_on <= last) & (Mediator.exited_on.is_null() | (Mediator.exited_on > last)))
    return {r["id"]: r["region_code"] for r in rows}


async def mediator_regions(region: str) -> dict[int, str]:
    """Every mediator of the region and below, whatever their status: id → region code."""
    rows = await Mediator.select(Mediator.id, Mediator.region_code).where(Mediator.region_code.like(region_like(region)))
    return {r["id"]: r["region_code"] for r in rows}


async def _count_by(table, column: Column, where) -> dict[str, int]:
    rows = await table.select(column.as_alias("k"), Count().as_alias("n")).where(where).group_by(column)
    return {r["k"]: int(r["n"]) for r in rows}


async def organisations_by_type(region: str) -> dict[str, int]:
    return await _count_by(Organisation, Organisation.type, Organisation.region_code.like(region_like(region)))


async def organisations_by_filing(region: str) -> dict[str, int]:
    return await _count_by(Organisation, Organisation.filing_status,
                           Organisation.region_code.like(region_like(region)))


async def appointed_by_source(region: str) -> dict[str, int]:
    return await _count_by(Mediator, Mediator.source_category,
                           Mediator.region_code.like(region_like(region)) & (Mediator.status == "appointed"))


async def mediators_by_status(region: str) -> dict[str, int]:
    return await _count_by(Mediator, Mediator.status, Mediator.region_code.like(region_like(region)))


async def per_city(kind: str) -> dict[str, int]:
    """Per city (the first four digits of the code), counted in the database: `appointed`
    mediators or `accepted` (filed) organisations."""
    sql = {"appointed": "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM mediator "
                        "WHERE status = 'appointed' GROUP BY SUBSTR(region_code, 1, 4)",
           "accepted": "SELECT SUBSTR(region_code, 1, 4) AS k, COUNT(*) AS n FROM organisation "
                       "WHERE filing_status = 'accepted' GROUP BY SUBSTR(region_code, 1, 4)"}[kind]
    return {r["k"]: int(r["n"]) for r in await engine().run_querystring(QueryString(sql))}
