"""Mediation organisations (调解组织): who may manage or read one, its particulars (checked,
created, edited; once filed, an edit is a change to file) and the list staff see. Filing
itself is in `filings`, standing marks in `standing`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from core import audit, clock
from core.auth.guards import require_staff_for_region
from core.auth.roles import Principal, Role
from core.db import contains, write_transaction
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_name, within_regions
from core.text import check_fields
from core.vocab import OrganisationType
from roster import liaison, personal
from roster.tables import Organisation, OrganisationFiling, by_name


@dataclass(frozen=True, slots=True)
class OrganisationRecord:
    """An organisation's stored record, for its managers and administrators (the contact phone
    stays protected; the public roster shows a published copy without it)."""

    id: int
    name: str
    type: str
    region_code: str
    address: str
    contact_name: str
    contact_phone_enc: str
    founded_on: date | None
    filing_status: str
    filing_no: str | None
    filing_overdue: bool
    star_rating: int | None
    star_rated_on: date | None
    star_body: str
    gold_medal: bool
    gold_medal_on: date | None
    gold_medal_body: str
    liaison_arbitrator: str  # the free text of before `liaison`
    liaison: int | None
    created_at: datetime
    updated_at: datetime


def can_manage_organisation(principal: Principal, organisation: OrganisationRecord) -> bool:
    return principal.can_act_in(organisation.region_code, Role.ADMIN) or (
        organisation.id in principal.organisation_ids
    )


def can_read_region(principal: Principal, region_code: str) -> bool:
    return principal.can_act_in(region_code, Role.ADMIN, Role.AUDITOR)




def parse_date(value: Any, field: str, errors: dict[str, str], required: bool = False) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        if required:
            errors[field] = _("Enter a date.")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None



def validate_organisation(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["name"] = (data.get("name") or "").strip()
    if not clean["name"]:
        errors["name"] = _("Enter the organisation's name.")
    elif len(clean["name"]) > 200:
        errors["name"] = _("The name is too long (200 characters at most).")
    clean["type"] = data.get("type") or ""
    if clean["type"] not in {t.value for t in OrganisationType}:
        errors["type"] = _("Choose the organisation's type.")
    clean["region_code"] = (data.get("region_code") or "").strip()
    if not region_name(clean["region_code"]) or region_name(clean["region_code"]) == clean["region_code"]:
        errors["region_code"] = _("Choose a region.")
    clean["address"] = (data.get("address") or "").strip()[:300]
    clean["contact_name"] = (data.get("contact_name") or "").strip()[:100]
    clean["liaison"] = liaison.parse_choice(data.get("liaison"), errors)  # a record: roster.liaison
    clean["founded_on"] = parse_date(data.get("founded_on"), "founded_on", errors)
    if clean["founded_on"] and clean["founded_on"] > clock.today():
        errors["founded_on"] = _("The founding date cannot be in the future.")
    phone = (data.get("contact_phone") or "").strip()
    if phone:
        try:
            clean["contact_phone_enc"] = personal.protect(personal.normalise_phone(phone, "contact_phone"))
        except DomainError as bad:
            errors["contact_phone"] = bad.message
    check_fields(clean, errors, ("name", "address", "contact_name"))
    if errors:
        raise FieldErrors(errors)
    return clean



async def organisation_row(organisation_id: int) -> OrganisationRecord:
    """The organisation, whoever asks (the caller checks authority)."""
    row = await Organisation.select().where(Organisation.id == organisation_id).first()
    if row is None:
        raise NotFound(_("No such organisation."))
    return OrganisationRecord(**row)


async def organisation(principal: Principal, organisation_id: int) -> OrganisationRecord:
    row = await organisation_row(organisation_id)
    if not (can_manage_organisation(principal, row) or can_read_region(principal, row.region_code)):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return row


async def create_organisation(principal: Principal, data: dict[str, Any]) -> int:
    clean = validate_organisation(data)
    require_staff_for_region(principal, clean["region_code"])
    await liaison.check_choice(clean["liaison"], clean["region_code"])
    async with write_transaction():
        row = await Organisation.insert(
            Organisation(**clean, filing_status="draft", created_at=clock.now(), updated_at=clock.now())
        ).returning(Organisation.id)
        organisation_id = row[0]["id"]
        await audit.record(principal, "create", "organisation", organisation_id, region_code=clean["region_code"],
                           after=clean)
    return organisation_id


async def update_particulars(principal: Principal, organisation_id: int, data: dict[str, Any],
                             changed_on: date | None = None) -> int | None:
    """Edit particulars. Once the organisation is filed, every change is a change filing
    (pending until submitted) dated when the change happened."""
    record = await organisation_row(organisation_id)
    if not can_manage_organisation(principal, record):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can edit it."))
    before = asdict(record)  # by column name, for the change filing and the audit
    clean = validate_organisation({**before, **data})
    if clean["region_code"] != record.region_code:
        require_staff_for_region(principal, clean["region_code"])
    changed = {k: v for k, v in clean.items() if before.get(k) != v}
    if not changed:
        return None
    if "liaison" in changed or "region_code" in changed:
        await liaison.check_choice(clean["liaison"], clean["region_code"])
    async with write_transaction():
        await Organisation.update(by_name({**changed, "updated_at": clock.now()})).where(Organisation.id == organisation_id)
        filing_id = None
        if record.filing_status in ("accepted", "submitted"):
            filing_id = await record_change_filing(organisation_id, _("Change of particulars"),
                                                   audit.diff(before, clean), changed_on or clock.today())
        await audit.record(principal, "update", "organisation", organisation_id,
                           region_code=record.region_code, before=before, after=clean)
    return filing_id



async def record_change_filing(organisation_id: int, description: str, changes: dict[str, Any],
                               changed_on: date) -> int:
    """A change that must be filed (pending until submitted); it starts the filing deadline's clock."""
    row = await OrganisationFiling.insert(
        OrganisationFiling(organisation=organisation_id, kind="change", description=description, changes=changes,
                           changed_on=changed_on, status="pending", created_at=clock.now())
    ).returning(OrganisationFiling.id)
    return row[0]["id"]




async def organisations_in_scope(principal: Principal, q: str = "", page: int = 1, page_size: int = 30,
                                 overdue_only: bool = False) -> tuple[list[OrganisationRecord], int]:
    where = within_regions(Organisation.region_code, principal.regions_for(Role.ADMIN, Role.AUDITOR))
    if principal.organisation_ids:
        clause = Organisation.id.is_in(principal.organisation_ids)
        where = clause if where is None else where | clause
    if where is None:
        return [], 0
    if q:
        where = where & contains(Organisation.name, q)
    if overdue_only:
        where = where & (Organisation.filing_overdue == True)  # noqa: E712
    total = await Organisation.count().where(where)
    rows = await Organisation.select().where(where).order_by(Organisation.id).offset((page - 1) * page_size).limit(
        page_size)
    return [OrganisationRecord(**row) for row in rows], total
