"""Read-only figures for the reports (统计报告): invitations and their answers, agreements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from expert_pool.tables import Selection, SelectionEvent

ANSWERS = ("invite", "accept", "decline", "lapse")


async def invitation_events(starts_at: datetime, ends_at: datetime, region_pattern: str) -> list[dict[str, Any]]:
    """Invitations, acceptances, declines (with the court's judgement of the reason, as it stands)
    and lapses that happened in [starts_at, ends_at), with their selection's region."""
    return await SelectionEvent.select(
        SelectionEvent.kind, SelectionEvent.good_reason,
        SelectionEvent.selection.region_code.as_alias("region_code")).where(
        SelectionEvent.kind.is_in(list(ANSWERS)) & (SelectionEvent.at >= starts_at) & (SelectionEvent.at < ends_at)
        & SelectionEvent.selection.region_code.like(region_pattern))


async def agreements(first: date, last: date, region_pattern: str) -> list[dict[str, Any]]:
    """Selections whose mediation reached an agreement on a day from `first` to `last`."""
    return await Selection.select(Selection.region_code).where(
        (Selection.outcome == "agreement") & (Selection.outcome_on >= first) & (Selection.outcome_on <= last)
        & Selection.region_code.like(region_pattern))
