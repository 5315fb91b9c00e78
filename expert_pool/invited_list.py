"""The invited-mediation list (特邀调解名册): experts of the pool and filed mediation
organisations listed for the courts they serve, withdrawn with a reason, and published; and
the courts themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import _
from core.regions import region_like, within_regions
from core.vocab import DisputeType
from expert_pool.experts import pool_expert
from expert_pool.schemas import Listing
from expert_pool.tables import Court, InvitedListing


@dataclass(frozen=True, slots=True)
class PublicListing:
    """A listing as the public list shows it: who, where, for which courts (which expert or
    organisation it is, and any withdrawal, stay with the administrators' `Listing`)."""

    id: int
    kind: str  # expert|organisation
    name: str
    organisation_name: str
    region_code: str
    specialties: list[str]
    court_names: list[str]
    courts: list[int]
    approved_on: date


async def list_invited(principal: Principal, expert_id: int, courts: list[int], on: date | None = None) -> int:
    expert = await pool_expert(expert_id)
    if not principal.can_act_in(expert.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if expert.status != "admitted":
        raise Conflict(_("Only an admitted expert can be put on the invited list."))
    if not courts:
        raise DomainError(_("Choose the courts this expert serves."), "courts")
    async with write_transaction():
        row = await InvitedListing.insert(InvitedListing(
            expert_id=expert_id, name=expert.name, organisation_name=expert.organisation_name,
            region_code=expert.region_code, specialties=expert.specialties, courts=courts,
            approved_on=on or clock.today())).returning(InvitedListing.id)
        await audit.record(principal, "list_invited", "expert", expert_id, region_code=expert.region_code,
                           after={"courts": courts})
    return row[0]["id"]


async def list_invited_organisation(principal: Principal, organisation_id: int, courts: list[int],
                                    specialties: list[str], on: date | None = None) -> int:
    from roster import services as roster

    org = (await roster.organisation_summaries([organisation_id])).get(organisation_id)
    if org is None:
        raise DomainError(_("No such organisation."), "organisation_id")
    if not principal.can_act_in(org.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if org.filing_status != "accepted":
        raise DomainError(_("Only an organisation whose filing was accepted can be listed."), "organisation_id")
    if not courts:
        raise DomainError(_("Choose the courts this expert serves."), "courts")
    if any(s not in {d.value for d in DisputeType} for s in specialties):
        raise DomainError(_("Use the dispute type codes."), "specialties")
    async with write_transaction():
        row = await InvitedListing.insert(InvitedListing(
            organisation_id=organisation_id, name=org.name, organisation_name=org.name, region_code=org.region_code,
            specialties=specialties, courts=courts, approved_on=on or clock.today())).returning(InvitedListing.id)
        await audit.record(principal, "list_invited", "organisation", organisation_id, region_code=org.region_code,
                           after={"courts": courts})
    return row[0]["id"]


async def listings_for(principal: Principal) -> list[Listing]:
    """Every listing (active and withdrawn) in the administrator's or auditor's regions."""
    where = within_regions(InvitedListing.region_code, principal.regions_for(Role.ADMIN, Role.AUDITOR))
    if where is None:
        return []
    rows = await InvitedListing.select().where(where).order_by(InvitedListing.status,
                                                               InvitedListing.region_code).output(load_json=True)
    names = await _court_names()
    return [Listing.of(r, [names.get(c, "") for c in r["courts"] or []]) for r in rows]


async def withdraw_listing(principal: Principal, listing_id: int, reason: str) -> None:
    row = await InvitedListing.select().where(InvitedListing.id == listing_id).first()
    if row is None:
        raise NotFound(_("No such listing."))
    if not principal.can_act_in(row["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if not reason.strip():
        raise DomainError(_("Give the grounds."), "reason")
    if row["status"] != "active":
        raise Conflict(_("This listing was already withdrawn."))
    async with write_transaction():
        await InvitedListing.update({"status": "removed", "removed_reason": reason.strip()}).where(
            InvitedListing.id == listing_id)
        await audit.record(principal, "withdraw_listing", "invited_listing", listing_id,
                           region_code=row["region_code"], reason=reason)


async def public_invited(region: str = "", specialty: str = "", q: str = "", page: int = 1, page_size: int = 30
                         ) -> tuple[list[PublicListing], int]:
    """The published invited list: names, organisation, specialties, region, courts."""
    from core.db import contains

    where: Any = InvitedListing.status == "active"
    if region:
        where = where & InvitedListing.region_code.like(region_like(region))
    if q:
        where = where & contains(InvitedListing.name, q)
    rows = await InvitedListing.select(
        InvitedListing.id, InvitedListing.name, InvitedListing.organisation_name, InvitedListing.region_code,
        InvitedListing.specialties, InvitedListing.courts, InvitedListing.approved_on, InvitedListing.expert_id,
    ).where(where).order_by(InvitedListing.region_code, InvitedListing.id).output(load_json=True)
    if specialty:
        rows = [r for r in rows if specialty in (r["specialties"] or [])]
    names = await _court_names()
    return [PublicListing(
        id=r["id"], kind="expert" if r["expert_id"] else "organisation", name=r["name"],
        organisation_name=r["organisation_name"], region_code=r["region_code"], specialties=r["specialties"],
        court_names=[names.get(c, "") for c in r["courts"] or []], courts=r["courts"], approved_on=r["approved_on"],
    ) for r in rows[(page - 1) * page_size: page * page_size]], len(rows)


async def _court_names() -> dict[int, str]:
    return {c["id"]: c["name"] for c in await Court.select(Court.id, Court.name)}


# --------------------------------------------------------------------------- courts
@dataclass(frozen=True, slots=True)
class CourtOption:
    """A court (or arbitration commission) a listing serves and a selection comes from."""

    id: int
    name: str
    region_code: str
    kind: str


async def create_court(name: str, region_code: str, kind: str = "court") -> int:
    existing = await Court.select(Court.id).where(Court.name == name).first()
    if existing:
        return existing["id"]
    row = await Court.insert(Court(name=name, region_code=region_code, kind=kind)).returning(Court.id)
    return row[0]["id"]


async def courts() -> list[CourtOption]:
    return [CourtOption(**c) for c in await Court.select().order_by(Court.region_code)]
