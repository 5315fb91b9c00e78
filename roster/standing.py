"""Standing marks of organisations: awarding a star rating (创星) or a gold-medal mark, and
withdrawing one (撤销星级 / 撤销金牌): a star rating or a gold-medal mark of an
organisation is withdrawn with a reason and the day it stops (the deciding body's decision
date). The mark as awarded is kept in `StandingWithdrawal` (history), the change is audited,
and the organisation and the public roster stop showing it: the current published entry is
corrected at once (as an exit corrects a mediator's entry), and later publications copy the
organisation as it now is.

A withdrawal takes effect on a day that has come (today or earlier): the public roster can
only stop showing a mark from the moment the withdrawal is recorded, so a future day would
promise what the roster does not do; it is refused with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.columns import Column

from core import audit, clock
from core.auth.guards import require_staff_for_region
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, FieldErrors
from core.i18n import N_, _
from core.text import text_problem
from roster.organisations import OrganisationRecord, organisation_row, parse_date
from roster.tables import Organisation, PublishedOrganisation, StandingWithdrawal, by_name

MARKS = {"star_rating": N_("Star rating"), "gold_medal": N_("Gold medal")}


@dataclass(frozen=True)
class Withdrawal:
    id: int
    mark: str
    stars: int | None
    awarded_on: date | None
    awarded_by: str
    withdrawn_on: date
    reason: str


def _held(org: OrganisationRecord, mark: str) -> bool:
    return bool(org.star_rating) if mark == "star_rating" else bool(org.gold_medal)


async def set_standing(principal: Principal, organisation_id: int, data: dict[str, Any]) -> None:
    """Star rating (创星) and gold-medal mark, each with date and deciding body."""
    org = await organisation_row(organisation_id)
    require_staff_for_region(principal, org.region_code)
    errors: dict[str, str] = {}
    update: dict[str, Any] = {}
    stars = data.get("star_rating")
    if stars not in (None, ""):
        try:
            stars = int(stars)
        except (TypeError, ValueError):
            stars = 0
        if not 1 <= stars <= 5:
            errors["star_rating"] = _("A star rating is from 1 to 5.")
        update["star_rating"] = stars
        update["star_rated_on"] = parse_date(data.get("star_rated_on"), "star_rated_on", errors, required=True)
        update["star_body"] = (data.get("star_body") or "").strip()
        if not update["star_body"]:
            errors["star_body"] = _("Name the body that decided it.")
    if str(data.get("gold_medal", "")).lower() in ("1", "true", "on", "yes"):
        update["gold_medal"] = True
        update["gold_medal_on"] = parse_date(data.get("gold_medal_on"), "gold_medal_on", errors, required=True)
        update["gold_medal_body"] = (data.get("gold_medal_body") or "").strip()
        if not update["gold_medal_body"]:
            errors["gold_medal_body"] = _("Name the body that decided it.")
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        await Organisation.update(by_name({**update, "updated_at": clock.now()})).where(Organisation.id == organisation_id)
        await audit.record(principal, "set_standing", "organisation", organisation_id, region_code=org.region_code,
                           before={k: getattr(org, k) for k in update}, after=update)


async def withdraw_mark(principal: Principal, organisation_id: int, data: dict[str, Any]) -> int:
    """Withdraw the organisation's star rating or gold medal (`mark`) on `withdrawn_on` with a
    `reason`. Returns the history record's id."""
    org = await organisation_row(organisation_id)
    require_staff_for_region(principal, org.region_code)
    errors: dict[str, str] = {}
    mark = str(data.get("mark") or "")
    if mark not in MARKS:
        errors["mark"] = _("Choose the mark to withdraw: the star rating or the gold medal.")
    elif not _held(org, mark):
        errors["mark"] = _("The organisation does not hold this mark.")
    withdrawn_on = parse_date(data.get("withdrawn_on"), "withdrawn_on", errors, required=True)
    awarded_on = (org.star_rated_on if mark == "star_rating" else org.gold_medal_on) if mark in MARKS else None
    if withdrawn_on and withdrawn_on > clock.today():
        errors["withdrawn_on"] = _("A withdrawal takes effect on today or an earlier day, not on %(day)s: record it "
                                   "on the day it takes effect.", day=withdrawn_on.isoformat())
    elif withdrawn_on and awarded_on and withdrawn_on < awarded_on:
        errors["withdrawn_on"] = _("The mark was awarded on %(day)s: it cannot be withdrawn before that.",
                                   day=awarded_on.isoformat())
    reason = str(data.get("reason") or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the withdrawal.")
    elif len(reason) > 1000:
        errors["reason"] = _("Keep the reason under 1,000 characters.")
    elif problem := text_problem(reason):
        errors["reason"] = problem
    if errors or withdrawn_on is None:  # a missing day is among the errors
        raise FieldErrors(errors)
    cleared: dict[Column | str, Any]
    public: dict[Column | str, Any]
    if mark == "star_rating":
        kept = {"stars": org.star_rating, "awarded_on": org.star_rated_on, "awarded_by": org.star_body}
        cleared = {Organisation.star_rating: None, Organisation.star_rated_on: None, Organisation.star_body: ""}
        public = {PublishedOrganisation.star_rating: None}
        held = Organisation.star_rating.is_not_null()
    else:
        kept = {"stars": None, "awarded_on": org.gold_medal_on, "awarded_by": org.gold_medal_body}
        cleared = {Organisation.gold_medal: False, Organisation.gold_medal_on: None, Organisation.gold_medal_body: ""}
        public = {PublishedOrganisation.gold_medal: False}
        held = Organisation.gold_medal == True  # noqa: E712
    async with write_transaction():
        changed = await Organisation.update({**cleared, Organisation.updated_at: clock.now()}).where(
            (Organisation.id == organisation_id) & held).returning(Organisation.id)
        if not changed:
            raise Conflict(_("The organisation does not hold this mark."), "mark")
        row = await StandingWithdrawal.insert(StandingWithdrawal(
            organisation=organisation_id, mark=mark, withdrawn_on=withdrawn_on, reason=reason,
            withdrawn_by=principal.user_id, created_at=clock.now(), stars=kept["stars"], awarded_on=kept["awarded_on"],
            awarded_by=kept["awarded_by"])).returning(StandingWithdrawal.id)
        await PublishedOrganisation.update(public).where(
            (PublishedOrganisation.organisation_id == organisation_id) & (PublishedOrganisation.is_current == True))  # noqa: E712
        await audit.record(principal, "withdraw_standing", "organisation", organisation_id,
                           region_code=org.region_code,
                           before={"mark": mark, **{k: v.isoformat() if isinstance(v, date) else v
                                                    for k, v in kept.items()}},
                           after={"mark": mark, "withdrawn_on": withdrawn_on.isoformat(), "withdrawal": row[0]["id"]},
                           reason=reason)
    return row[0]["id"]


async def withdrawals(organisation_id: int) -> list[Withdrawal]:
    """The organisation's withdrawn marks, newest first."""
    rows = await StandingWithdrawal.select().where(StandingWithdrawal.organisation == organisation_id).order_by(
        StandingWithdrawal.withdrawn_on, ascending=False).order_by(StandingWithdrawal.id, ascending=False)
    return [Withdrawal(id=r["id"], mark=r["mark"], stars=r["stars"], awarded_on=r["awarded_on"],
                       awarded_by=r["awarded_by"], withdrawn_on=r["withdrawn_on"], reason=r["reason"]) for r in rows]
