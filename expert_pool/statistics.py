"""The expert pool's part of the reports (统计报告): invitations and their answers, agreements,
as a table the review's report shows (it asks through roster.review.events)."""

from __future__ import annotations

from datetime import date, datetime

from core.i18n import _
from core.regions import region_like
from expert_pool.schemas import Row
from expert_pool.tables import Selection, SelectionEvent
from roster.review.report_parts import Buckets, Chart, Period, ReportTable, rate, region_bars, title

ANSWERS = ("invite", "accept", "decline", "lapse")


async def invitation_events(starts_at: datetime, ends_at: datetime, region_pattern: str) -> list[Row]:
    """Invitations, acceptances, declines (with the court's judgement of the reason, as it stands)
    and lapses that happened in [starts_at, ends_at), with their selection's region."""
    return await SelectionEvent.select(
        SelectionEvent.kind, SelectionEvent.good_reason,
        SelectionEvent.selection.region_code.as_alias("region_code")).where(
        SelectionEvent.kind.is_in(list(ANSWERS)) & (SelectionEvent.at >= starts_at) & (SelectionEvent.at < ends_at)
        & SelectionEvent.selection.region_code.like(region_pattern))


async def agreements(first: date, last: date, region_pattern: str) -> list[Row]:
    """Selections whose mediation reached an agreement on a day from `first` to `last`."""
    return await Selection.select(Selection.region_code).where(
        (Selection.outcome == "agreement") & (Selection.outcome_on >= first) & (Selection.outcome_on <= last)
        & Selection.region_code.like(region_pattern))


async def selections_table(region: str, period: Period, buckets: Buckets) -> ReportTable:
    """The report's table of selections (roster.review.events.ReportTablesWanted): invitations
    and their answers made in the period, agreements reached in it, per sub-region."""
    def column(event: Row) -> int:
        if event["kind"] == "decline":
            return 2 if event["good_reason"] else 3
        return {"invite": 0, "accept": 1, "lapse": 4}[event["kind"]]

    answers = await invitation_events(period.starts_at, period.ends_at, region_like(region))
    agreed = await agreements(period.first, period.last, region_like(region))
    values = buckets.tally([(e["region_code"], column(e)) for e in answers]
                           + [(a["region_code"], 5) for a in agreed], 6)
    rows = buckets.rows(values, 6, lambda v: [int(x) for x in v] + [rate(v[1], v[0])])
    columns = [_("Region"), _("Invitations"), _("Invitations accepted"), _("Declined with good reason"),
               _("Declined without good reason"), _("Lapsed unanswered"), _("Agreements reached"),
               _("Acceptance rate (%)")]
    total = rows[-1]
    return ReportTable("selections", title("selections"), columns, rows,
                       [Chart(_("Invitations and answers") + " · " + _("number"),
                              list(zip(columns[1:7], total[1:7], strict=True))),
                        Chart(_("Acceptance rate (%)"), region_bars(rows, 7), percent=True)],
                       _("Invitations and answers made in the period; agreements reached in it"))
