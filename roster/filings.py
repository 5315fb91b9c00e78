"""Filing (备案) of mediation organisations: the initial filing, changes to file within the
deadline (late ones marked), an administrator's decision (the first acceptance gives a filing
number), and the daily flag of organisations with a change overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from core import audit, clock
from core.auth.guards import require_staff_for_region
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import _
from core.settings import get_settings
from roster.counters import next_filing_no
from roster.organisations import can_manage_organisation, organisation_row, record_change_filing
from roster.tables import Organisation, OrganisationFiling


async def submit_initial_filing(principal: Principal, organisation_id: int) -> int:
    org = await organisation_row(organisation_id)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if org.filing_status not in ("draft", "returned"):
        raise Conflict(_("This organisation's filing has already been submitted."))
    async with write_transaction():
        row = await OrganisationFiling.insert(
            OrganisationFiling(organisation=organisation_id, kind="initial", description=_("Initial filing"),
                               changed_on=org.founded_on or clock.today(), submitted_on=clock.today(),
                               status="submitted", created_at=clock.now())
        ).returning(OrganisationFiling.id)
        await Organisation.update({"filing_status": "submitted", "updated_at": clock.now()}).where(
            Organisation.id == organisation_id)
        await audit.record(principal, "submit_filing", "organisation", organisation_id,
                           region_code=org.region_code, after={"filing_status": "submitted"})
    return row[0]["id"]


def is_late(changed_on: date, submitted_on: date) -> bool:
    """A change filed more than `filing_deadline_days` after it happened is late."""
    return (submitted_on - changed_on).days > get_settings().rules.filing_deadline_days


async def record_change(principal: Principal, organisation_id: int, description: str, changed_on: date) -> int:
    """Record a change (e.g. of members) that must be filed; it starts the 30-day clock."""
    org = await organisation_row(organisation_id)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if not description.strip():
        raise DomainError(_("Describe the change."), "description")
    if changed_on > clock.today():
        raise DomainError(_("The change cannot be in the future."), "changed_on")
    async with write_transaction():
        filing_id = await record_change_filing(organisation_id, description.strip(), {}, changed_on)
        await audit.record(principal, "record_change", "organisation", organisation_id,
                           region_code=org.region_code, after={"description": description, "changed_on": changed_on})
    return filing_id


async def submit_change_filing(principal: Principal, filing_id: int, submitted_on: date | None = None) -> bool:
    """File a recorded change; returns whether it was late."""
    filing = await OrganisationFiling.select().where(OrganisationFiling.id == filing_id).first()
    if filing is None:
        raise NotFound(_("No such filing."))
    org = await organisation_row(filing["organisation"])
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if filing["status"] not in ("pending", "returned"):
        raise Conflict(_("This change has already been filed."))
    submitted_on = submitted_on or clock.today()
    late = is_late(filing["changed_on"], submitted_on)
    async with write_transaction():
        await OrganisationFiling.update({"status": "submitted", "submitted_on": submitted_on, "late": late}).where(
            OrganisationFiling.id == filing_id)
        await audit.record(principal, "submit_change_filing", "organisation", org.id, region_code=org.region_code,
                           after={"filing": filing_id, "late": late})
        await _refresh_overdue([org.id])
    return late




async def decide_filing(principal: Principal, filing_id: int, accept: bool, reasons: str = "") -> None:
    """An administrator of the region accepts a filing (the first gets a filing number) or
    returns it with reasons to fix."""
    filing = await OrganisationFiling.select().where(OrganisationFiling.id == filing_id).first()
    if filing is None:
        raise NotFound(_("No such filing."))
    org = await organisation_row(filing["organisation"])
    require_staff_for_region(principal, org.region_code)
    if filing["status"] != "submitted":
        raise Conflict(_("Only a submitted filing can be decided."))
    if not accept and not reasons.strip():
        raise DomainError(_("Give the reasons the filing is returned."), "reasons")
    async with write_transaction():
        update: dict[Any, Any] = {"status": "accepted" if accept else "returned", "reasons": reasons.strip(),
                                  "decided_by": principal.user_id, "decided_on": clock.today()}
        org_update: dict[Any, Any] = {"updated_at": clock.now()}
        if filing["kind"] == "initial":
            org_update["filing_status"] = "accepted" if accept else "returned"
            if accept and not org.filing_no:
                org_update["filing_no"] = update["filing_no"] = await next_filing_no(org.region_code,
                                                                                     clock.today().year)
        await OrganisationFiling.update(update).where(OrganisationFiling.id == filing_id)
        await Organisation.update(org_update).where(Organisation.id == org.id)
        await audit.record(principal, "accept_filing" if accept else "return_filing", "organisation", org.id,
                           region_code=org.region_code, after={"filing": filing_id, **org_update}, reason=reasons)


@dataclass(frozen=True, slots=True)
class Filing:
    """A filing (备案) or change filing (变更备案) of an organisation, and its review."""

    id: int
    organisation: int
    kind: str  # initial|change
    description: str
    changes: dict[str, Any]  # the JSON column: what changed, as recorded
    changed_on: date
    submitted_on: date | None
    status: str  # pending|submitted|accepted|returned
    late: bool
    filing_no: str | None
    reasons: str
    decided_by: int | None
    decided_on: date | None
    created_at: datetime


async def filings(organisation_id: int) -> list[Filing]:
    rows = await OrganisationFiling.select().where(OrganisationFiling.organisation == organisation_id).order_by(
        OrganisationFiling.id, ascending=False).output(load_json=True)
    return [Filing(**row) for row in rows]


def overdue_before(on: date | None = None) -> date:
    return (on or clock.today()) - timedelta(days=get_settings().rules.filing_deadline_days)


async def _refresh_overdue(organisation_ids: list[int] | None = None, on: date | None = None) -> int:
    """Set `filing_overdue` where an unfiled change is older than the deadline, clear it
    elsewhere; returns how many organisations changed (0 on a second run)."""
    cutoff = overdue_before(on)
    pending = await OrganisationFiling.select(OrganisationFiling.organisation).where(
        OrganisationFiling.status.is_in(["pending", "returned"]) & (OrganisationFiling.kind == "change")
        & (OrganisationFiling.changed_on < cutoff))
    overdue_ids = {r["organisation"] for r in pending}
    scope = Organisation.id.is_in(organisation_ids) if organisation_ids else None
    changed = 0
    if overdue_ids:
        newly = Organisation.id.is_in(list(overdue_ids)) & (Organisation.filing_overdue == False)  # noqa: E712
        rows = await Organisation.update({Organisation.filing_overdue: True}).where(
            newly & scope if scope is not None else newly).returning(Organisation.id)
        changed += len(rows)
    no_longer: Combinable = Organisation.filing_overdue == True  # noqa: E712
    if overdue_ids:
        no_longer = no_longer & Organisation.id.not_in(list(overdue_ids))
    rows = await Organisation.update({Organisation.filing_overdue: False}).where(
        no_longer & scope if scope is not None else no_longer).returning(Organisation.id)
    return changed + len(rows)


async def flag_overdue_filings(on: date | None = None) -> int:
    """Daily sweep step: flag organisations with overdue filings."""
    async with write_transaction():
        return await _refresh_overdue(None, on)
