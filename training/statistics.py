"""Training's figures for the reports (统计报告): class hours credited."""

from __future__ import annotations

from datetime import date

from training.tables import HoursCredit


async def hours_credited(first: date, last: date) -> list[tuple[int, float]]:
    """(mediator id, hours) of every credit made from `first` to `last`."""
    rows = await HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(
        (HoursCredit.credited_on >= first) & (HoursCredit.credited_on <= last))
    return [(r["mediator_id"], float(r["hours"])) for r in rows]


async def hours_of_year_until(until: date) -> dict[int, float]:
    """Each mediator's hours credited in `until`'s year up to and including `until`."""
    out: dict[int, float] = {}
    for r in await HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(
            (HoursCredit.year == until.year) & (HoursCredit.credited_on <= until)):
        out[r["mediator_id"]] = out.get(r["mediator_id"], 0.0) + float(r["hours"])
    return out
