"""What other domains ask of the expert pool, through the events they publish
(expert_pool/__init__.py subscribes): refusals without good reason (the review's removal
ground), an exited mediator's removal from the pool, and mediations closed by a mediator."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from core import audit, clock
from core.auth.roles import Principal
from core.db import write_transaction
from expert_pool.tables import Expert, InvitedListing, Selection, SelectionEvent


async def refusals_without_good_reason(mediator_ids: Iterable[int], since: date) -> dict[int, int]:
    ids = list(set(mediator_ids))
    if not ids:
        return {}
    experts = {e["id"]: e["mediator_id"] for e in await Expert.select(Expert.id, Expert.mediator_id).where(
        Expert.mediator_id.is_not_null())}
    wanted = {eid for eid, mid in experts.items() if mid in set(ids)}
    if not wanted:
        return {}
    start = clock.start_of(since)  # the platform's midnight: a refusal at 00:30 Beijing is that day's
    rows = await SelectionEvent.select(SelectionEvent.expert_id).where(
        SelectionEvent.kind.is_in(["decline", "lapse"]) & (SelectionEvent.good_reason == False)  # noqa: E712
        & (SelectionEvent.at >= start) & SelectionEvent.expert_id.is_in(list(wanted)))
    out: dict[int, int] = {}
    for r in rows:
        mediator_id = experts[r["expert_id"]]
        out[mediator_id] = out.get(mediator_id, 0) + 1
    return out


async def remove_mediator_from_pool(mediator_id: int, reason: str, actor: Principal | None) -> int:
    """On a confirmed exit: the mediator's expert entry and invited listings are removed."""
    async with write_transaction():
        experts = await Expert.update({"status": "removed", "grounds": reason}).where(
            (Expert.mediator_id == mediator_id) & Expert.status.not_in(["removed", "rejected"])).returning(Expert.id)
        ids = [e["id"] for e in experts]
        if ids:
            await InvitedListing.update({"status": "removed", "removed_reason": reason}).where(
                InvitedListing.expert_id.is_in(ids) & (InvitedListing.status == "active"))
            await audit.record(actor, "remove_from_pool", "expert", ids[0], reason=reason)
    return len(ids)


async def mediations_closed(mediator_ids: Iterable[int], year: int) -> dict[int, int]:
    ids = set(mediator_ids)
    experts = {e["id"]: e["mediator_id"] for e in await Expert.select(Expert.id, Expert.mediator_id).where(
        Expert.mediator_id.is_not_null())}
    out: dict[int, int] = {}
    for s in await Selection.select(Selection.accepted_expert_id).where(
            (Selection.outcome_on >= date(year, 1, 1)) & (Selection.outcome_on < date(year + 1, 1, 1))):
        mediator_id = experts.get(s["accepted_expert_id"])
        if mediator_id is not None and mediator_id in ids:
            out[mediator_id] = out.get(mediator_id, 0) + 1
    return out
