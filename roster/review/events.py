"""What the dynamic review tells, or asks of, the expert pool above it (core.events): an exit
carried out removes the mediator from the pool; the refusal ground counts the pool's declines;
the report shows the pool's selections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from core import events
from core.auth.roles import Principal

if TYPE_CHECKING:
    from roster.review.report_parts import Buckets, Period


@dataclass(frozen=True)
class MediatorExited(events.Event):
    """An exit was carried out (inside its transaction): whatever else the mediator holds ends."""

    mediator_id: int
    ground: str
    actor: Principal | None


@dataclass(frozen=True)
class RefusalsWanted(events.Event):
    """Declines without good reason (and lapsed invitations) since `since`, per mediator;
    answered {mediator id: count}."""

    mediator_ids: tuple[int, ...]
    since: date


@dataclass(frozen=True)
class ReportTablesWanted(events.Event):
    """The report of a region and period: each answer is a list of `ReportTable`s, shown in
    the order the domains subscribed."""

    region: str
    period: Period
    buckets: Buckets


async def refusals(mediator_ids: list[int], since: date) -> dict[int, int]:
    return events.merged(await events.publish(RefusalsWanted(tuple(sorted(set(mediator_ids))), since)))
