"""A selection's later steps: each side's strikes and ranking, the court's confirmation (or
designation), invitations in order with their answers (accept, decline, lapse after the
answer window) and the court's judgement of a decline's reason, and the mediation's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import _
from core.settings import get_settings
from core.workdays import add_working_days
from expert_pool import selection as rules
from expert_pool.court_selections import (
    SELECTION_ROW,
    current_invitation,
    locked_selection,
    selection_events,
    selection_for,
)
from expert_pool.experts import pool_expert
from expert_pool.schemas import Row
from expert_pool.tables import Selection, SelectionEvent

OUTCOMES = ("agreement", "no_agreement", "withdrawn")


@dataclass(frozen=True, slots=True)
class ExpertInvitation:
    """A selection that invited the expert (their own page)."""

    id: int
    case_no: str
    dispute_type: str
    status: str
    accepted_expert_id: int | None
    accepted_on: date | None


async def strike(principal: Principal, selection_id: int, side: str, struck: list[int], ranking: list[int],
                 on: date | None = None) -> None:
    """A side strikes up to N names and ranks the rest within the strike window (2 working days,
    在线调解规则 Art. 10), recorded by the court for the party. `ranking` is the side's order of
    the names it did not strike, best first; it may stop short (the names it leaves out follow in
    draw order) or be empty (the draw order). Names the other side strikes drop out when the
    two rankings are combined (`selection.combine_rankings`). The same answer sent again changes
    nothing."""
    on = on or clock.today()
    row = await selection_for(principal, selection_id)
    if not principal.has_role(Role.COURT, Role.ADMIN):
        raise Forbidden(_("Only the court records the parties' strikes."))
    if side not in ("employer", "worker"):
        raise DomainError(_("A strike comes from the employer side or the worker side."), "side")
    limit = get_settings().rules.strikes_per_side
    if len(struck) > limit:
        raise DomainError(_("Each side may strike at most %(n)s names.", n=limit), "struck")
    if any(e not in row["shortlist"] for e in struck):
        raise DomainError(_("Strike only names on the list."), "struck")
    if len(set(struck)) != len(struck):
        raise DomainError(_("Strike each name once."), "struck")
    if any(e not in row["shortlist"] for e in ranking):
        raise DomainError(_("Rank only names on the list."), "ranking")
    if any(e in struck for e in ranking):
        raise DomainError(_("A name this side strikes cannot be ranked."), "ranking")
    if len(set(ranking)) != len(ranking):
        raise DomainError(_("Rank each name once."), "ranking")
    async with write_transaction():
        row = await locked_selection(selection_id)
        answered = [e for e in await selection_events(selection_id) if e["kind"] == "strike" and e["side"] == side]
        if answered and answered[0]["data"] == {"struck": struck, "ranking": ranking}:
            return
        if answered:
            raise Conflict(_("This side has already answered."))
        if row["status"] != "striking":
            raise Conflict(_("Strikes are closed for this selection."))
        if on > row["strike_deadline"]:
            raise Conflict(_("The strike window closed on %(day)s.", day=row["strike_deadline"].isoformat()))
        await SelectionEvent.insert(SelectionEvent(selection=selection_id, kind="strike", side=side,
                                                   data={"struck": struck, "ranking": ranking},
                                                   user_id=principal.user_id, at=clock.now()))
        await audit.record(principal, "strike", "selection", selection_id, region_code=row["region_code"],
                           after={"side": side, "struck": struck, "ranking": ranking})


async def confirm(principal: Principal, selection_id: int, designate: int | None = None,
                  on: date | None = None) -> list[int]:
    """The court confirms the combined order (or designates an expert) and the first is invited."""
    on = on or clock.today()
    row = await selection_for(principal, selection_id)
    if not principal.has_role(Role.COURT, Role.ADMIN):
        raise Forbidden(_("Only the court confirms the list."))
    if designate is not None and designate not in row["shortlist"]:
        raise DomainError(_("Designate an expert from the list."), "designate")
    due = await add_working_days(on, get_settings().rules.invitation_answer_working_days)
    async with write_transaction():
        row = await locked_selection(selection_id)
        if row["status"] != "striking":
            raise Conflict(_("This list has already been confirmed."))
        events = await selection_events(selection_id)
        struck = {e["side"]: e["data"].get("struck", []) for e in events if e["kind"] == "strike"}
        ranks = {e["side"]: e["data"].get("ranking", []) for e in events if e["kind"] == "strike"}
        ranking = rules.combine_rankings(row["shortlist"], struck, ranks)
        if designate is not None:
            ranking = [designate] + [e for e in ranking if e != designate]
        if not ranking:
            raise Conflict(_("Every name was struck; designate an expert or make a new selection."))
        await Selection.update({"ranking": ranking, "status": "inviting"}).where(Selection.id == selection_id)
        await SelectionEvent.insert(
            SelectionEvent(selection=selection_id, kind="designate" if designate else "confirm", side="court",
                           expert_id=designate, data={"ranking": ranking}, user_id=principal.user_id,
                           at=clock.now()),
            SelectionEvent(selection=selection_id, kind="invite", expert_id=ranking[0], due_on=due,
                           user_id=principal.user_id, at=clock.now()))
        await audit.record(principal, "confirm_selection", "selection", selection_id, region_code=row["region_code"],
                           after={"ranking": ranking})
    return ranking


async def _invite_next(row: Row, after_expert: int, on: date, actor: Principal | None) -> int | None:
    asked = {e["expert_id"] for e in await SelectionEvent.select(SelectionEvent.expert_id).where(
        (SelectionEvent.selection == row["id"]) & (SelectionEvent.kind == "invite"))}
    remaining = [e for e in row["ranking"] if e not in asked]
    if not remaining:  # the list has ended: the court may make a new selection for the case
        await Selection.update({"status": "exhausted", "live_case_key": None}).where(Selection.id == row["id"])
        return None
    due = await add_working_days(on, get_settings().rules.invitation_answer_working_days)
    await SelectionEvent.insert(SelectionEvent(selection=row["id"], kind="invite", expert_id=remaining[0], due_on=due,
                                               user_id=actor.user_id if actor else None, at=clock.now()))
    return remaining[0]


async def answer(principal: Principal, selection_id: int, accept: bool, reason: str = "",
                 good_reason: bool | None = None, on: date | None = None, *, as_expert: bool = False) -> None:
    """The invited expert accepts, or declines with a reason; the court judges whether the
    reason is good (`judge_decline`: a decline counts toward the removal ground until the court
    finds its reason good). The court may record an acceptance (DOMAIN: court users record
    acceptance); a decline is the expert's own, recorded by the court only for an expert with no
    account on the platform. `good_reason`
    is ignored (kept for the API's body). `as_expert`: the expert's own page, where only the
    invited expert answers."""
    on = on or clock.today()
    row = await Selection.select(*SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    invite = current_invitation(await selection_events(selection_id))
    if row["status"] != "inviting" or invite is None:
        raise Conflict(_("No invitation is waiting for an answer."))
    expert = await pool_expert(invite["expert_id"])
    is_expert = principal.user_id is not None and expert.user_id == principal.user_id
    is_court = principal.court_id == row["court_id"] or principal.can_act_in(row["region_code"], Role.ADMIN)
    if not (is_expert or is_court) or (as_expert and not is_expert):
        raise Forbidden(_("Only the invited expert or the court can answer."))
    if not accept and not is_expert and (expert.user_id or not principal.court_id == row["court_id"]):
        # DOMAIN: the court records acceptance; a decline is the expert's own answer (a decline
        # without good reason counts toward removal, 在线调解规则 Art. 29), so an expert with an
        # account declines on their own page. The court records it only for an expert with no
        # account (who told the court), and the court still judges the reason either way.
        raise Forbidden(_("Only the invited expert can decline the invitation."))
    if not accept and not reason.strip():
        raise DomainError(_("Give the reason for declining."), "reason")
    async with write_transaction():
        row = await locked_selection(selection_id)
        still = current_invitation(await selection_events(selection_id))
        if row["status"] != "inviting" or still is None or still["id"] != invite["id"]:
            raise Conflict(_("This invitation has already been answered."))
        await SelectionEvent.insert(SelectionEvent(
            selection=selection_id, kind="accept" if accept else "decline", expert_id=invite["expert_id"],
            # whether the reason is good is the court's judgement (`judge_decline`), not the expert's
            reason=reason.strip(), good_reason=None if accept else False,
            user_id=principal.user_id, at=clock.now()))
        if accept:
            await Selection.update({"status": "accepted", "accepted_expert_id": invite["expert_id"],
                                    "accepted_on": on}).where(Selection.id == selection_id)
        else:
            await _invite_next(row, invite["expert_id"], on, principal)
        await audit.record(principal, "accept_invitation" if accept else "decline_invitation", "selection",
                           selection_id, region_code=row["region_code"], reason=reason)


async def judge_decline(principal: Principal, selection_id: int, event_id: int, good_reason: bool) -> None:
    """The court decides whether a decline's reason was good; only declines without good
    reason count toward the removal ground (在线调解规则 Art. 29)."""
    row = await selection_for(principal, selection_id)
    if not (principal.court_id == row["court_id"] or principal.can_act_in(row["region_code"], Role.ADMIN)):
        raise Forbidden(_("Only the court judges the reason for a decline."))
    event = await SelectionEvent.select().where(
        (SelectionEvent.id == event_id) & (SelectionEvent.selection == selection_id)).first()
    if event is None or event["kind"] != "decline":
        raise NotFound(_("No such decline."))
    async with write_transaction():
        await SelectionEvent.update({"good_reason": good_reason}).where(SelectionEvent.id == event_id)
        await audit.record(principal, "judge_decline", "selection", selection_id, region_code=row["region_code"],
                           before={"good_reason": event["good_reason"]}, after={"good_reason": good_reason,
                                                                                "expert_id": event["expert_id"]})


async def lapse_unanswered_invitations(on: date | None = None) -> int:
    """Daily sweep: an invitation not answered in 3 working days lapses (counted as a refusal
    without good reason) and the next expert is invited. Idempotent: a lapsed invitation is
    closed, so a second run the same day changes nothing (and an answer arriving meanwhile wins)."""
    on = on or clock.today()
    inviting = [r["id"] for r in await Selection.select(Selection.id).where(Selection.status == "inviting")]
    events: dict[int, list[Row]] = {}
    for e in await SelectionEvent.select().where(SelectionEvent.selection.is_in(inviting or [0])).order_by(
            SelectionEvent.id).output(load_json=True):
        events.setdefault(e["selection"], []).append(e)
    changes = 0
    for selection_id in [s for s in inviting if _overdue(current_invitation(events.get(s, [])), on)]:
        async with write_transaction():
            row = await locked_selection(selection_id)  # answered meanwhile? then nothing lapses
            invite = current_invitation(await selection_events(selection_id)) if row["status"] == "inviting" else None
            if invite is not None and _overdue(invite, on):
                await SelectionEvent.insert(SelectionEvent(selection=selection_id, kind="lapse",
                                                           expert_id=invite["expert_id"], good_reason=False,
                                                           reason="no answer", at=clock.now()))
                await _invite_next(row, invite["expert_id"], on, None)
                await audit.record(None, "invitation_lapsed", "selection", selection_id,
                                   region_code=row["region_code"], after={"expert_id": invite["expert_id"]})
                changes += 1
    return changes


def _overdue(invite: Row | None, on: date) -> bool:
    return bool(invite and invite["due_on"] and invite["due_on"] < on)


async def record_outcome(principal: Principal, selection_id: int, outcome: str, on: date | None = None) -> None:
    """The mediation's outcome closes the selection (and frees its case for a new one). The same
    outcome sent again changes nothing."""
    row = await selection_for(principal, selection_id)
    if outcome not in OUTCOMES:
        raise DomainError(_("The outcome is agreement, no_agreement or withdrawn."), "outcome")
    on = on or clock.today()
    async with write_transaction():
        row = await locked_selection(selection_id)
        if row["status"] == "closed" and row["outcome"] == outcome and row["outcome_on"] == on:
            return
        if row["status"] != "accepted":
            raise Conflict(_("Record the outcome once an expert has accepted."))
        if on < row["accepted_on"] or on > clock.today():
            raise DomainError(_("The outcome date must be between acceptance and today."), "on")
        await Selection.update({"outcome": outcome, "outcome_on": on, "status": "closed",
                                "live_case_key": None}).where(Selection.id == selection_id)
        await SelectionEvent.insert(SelectionEvent(selection=selection_id, kind="outcome",
                                                   expert_id=row["accepted_expert_id"], data={"outcome": outcome,
                                                                                              "on": on.isoformat()},
                                                   user_id=principal.user_id, at=clock.now()))
        await audit.record(principal, "record_outcome", "selection", selection_id, region_code=row["region_code"],
                           after={"outcome": outcome})



async def invitations_for_expert(expert_id: int) -> list[ExpertInvitation]:
    rows = await Selection.select(Selection.id, Selection.case_no, Selection.dispute_type, Selection.status,
                                  Selection.accepted_expert_id, Selection.accepted_on).where(
        Selection.id.is_in([e["selection"] for e in await SelectionEvent.select(SelectionEvent.selection).where(
            (SelectionEvent.expert_id == expert_id) & (SelectionEvent.kind == "invite"))] or [0]))
    return [ExpertInvitation(**r) for r in rows]
