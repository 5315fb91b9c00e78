"""Mediators' records (调解员) as staff see them: entering a person as an applicant, the record
with personal data masked (opened in full on purpose, audited), photo, status and
reappointment, and the list of mediators in the staff member's scope."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from core import audit, clock
from core.auth.guards import require_staff_for_region
from core.auth.roles import Principal, Role
from core.db import contains, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden
from core.i18n import _
from core.regions import region_name, within_regions
from core.settings import get_settings
from core.text import check_fields
from core.vocab import MediatorStatus, SourceCategory
from roster import personal
from roster.organisations import can_manage_organisation, can_read_region, organisation_row
from roster.services import (
    MediatorParticulars,
    MediatorRecord,
    add_years,
    change_mediator_status,
    insert_mediator,
    join_organisation,
    mediator_row,
    primary_organisations,
)
from roster.tables import Mediator, Membership, StatusChange

EMPLOYMENTS = ("full_time", "part_time")


@dataclass(frozen=True, slots=True)
class HeldMembership:
    """An effective membership (current, or ended on `left_on`)."""

    organisation: int
    organisation_name: str
    primary: bool
    joined_on: date
    left_on: date | None


@dataclass(frozen=True, slots=True)
class StatusStep:
    """One change of status in the mediator's history."""

    from_status: str
    to_status: str
    ground: str
    effective_on: date


@dataclass(frozen=True, slots=True)
class MediatorFile(MediatorParticulars):
    """A mediator's record as staff see it: the ID number and phone masked (the full ones are
    opened on purpose with `reveal_personal_data`), memberships and status history."""

    memberships: list[HeldMembership]
    history: list[StatusStep]
    can_manage: bool  # the viewer may manage the record (end memberships)


@dataclass(frozen=True, slots=True)
class ListedMediator:
    """A line of the staff's list of mediators (the ID number masked)."""

    id: int
    name: str
    roster_no: str | None
    id_number_masked: str
    source_category: str
    status: str
    term_ends_on: date | None
    organisation_name: str  # the primary (else first current) organisation


@dataclass(frozen=True, slots=True)
class PersonalData:
    """The full ID number and phone, opened on purpose (audited)."""

    id_number: str
    phone: str


def validate_mediator(data: dict[str, Any], *, require_id: bool = True) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["name"] = (data.get("name") or "").strip()
    if not clean["name"]:
        errors["name"] = _("Enter the name.")
    elif len(clean["name"]) > 100:
        errors["name"] = _("The name is too long (100 characters at most).")
    clean["gender"] = data.get("gender") or ""
    if clean["gender"] not in ("female", "male", ""):
        errors["gender"] = _("Choose a gender.")
    clean["source_category"] = data.get("source_category") or ""
    if clean["source_category"] not in {s.value for s in SourceCategory}:
        errors["source_category"] = _("Choose a source category.")
    clean["employment"] = data.get("employment") or "part_time"
    if clean["employment"] not in EMPLOYMENTS:
        errors["employment"] = _("Choose full-time or part-time.")
    clean["region_code"] = (data.get("region_code") or "").strip()
    if region_name(clean["region_code"]) in ("", clean["region_code"]):
        errors["region_code"] = _("Choose a region.")
    clean["education"] = (data.get("education") or "").strip()[:40]
    clean["profession"] = (data.get("profession") or "").strip()[:100]
    id_number = (data.get("id_number") or "").strip()
    if id_number or require_id:
        try:
            id_number = personal.normalise_id_number(id_number)
            clean.update(id_number_enc=personal.protect(id_number), id_number_hash=personal.id_hash(id_number),
                         id_number_masked=personal.mask_id_number(id_number))
        except DomainError as bad:
            errors["id_number"] = bad.message
    phone = (data.get("phone") or "").strip()
    if phone:
        try:
            phone = personal.normalise_phone(phone)
            clean.update(phone_enc=personal.protect(phone), phone_masked=personal.mask_phone(phone))
        except DomainError as bad:
            errors["phone"] = bad.message
    check_fields(clean, errors, ("name", "education", "profession"))
    if errors:
        raise FieldErrors(errors)
    return clean


async def _ensure_unique_id(id_hash: str | None, except_id: int | None = None) -> None:
    if not id_hash:
        return
    query = Mediator.exists().where(Mediator.id_number_hash == id_hash)
    if except_id:
        query = Mediator.exists().where((Mediator.id_number_hash == id_hash) & (Mediator.id != except_id))
    if await query:
        raise FieldErrors({"id_number": _("A mediator with this ID number is already on the roster.")})


async def register_mediator(principal: Principal, data: dict[str, Any], *, organisation_id: int | None = None,
                            user_id: int | None = None) -> int:
    """Enter a person as an applicant (the roster's first status)."""
    if organisation_id and not data.get("region_code"):
        data = {**data, "region_code": (await organisation_row(organisation_id)).region_code}
    clean = validate_mediator(data)
    if organisation_id:
        org = await organisation_row(organisation_id)
        if not can_manage_organisation(principal, org):
            raise Forbidden(_("Only the organisation's manager or an administrator of its region can add members."))
    else:
        require_staff_for_region(principal, clean["region_code"])
    await _ensure_unique_id(clean.get("id_number_hash"))
    async with write_transaction():
        mediator_id = await insert_mediator(clean, user_id)
        if organisation_id:
            await join_organisation(mediator_id, organisation_id, primary=True)
        await audit.record(principal, "create", "mediator", mediator_id, region_code=clean["region_code"], after=clean)
    return mediator_id


def _can_manage_mediator(principal: Principal, mediator: MediatorRecord, organisation_ids: list[int]) -> bool:
    return principal.can_act_in(mediator.region_code, Role.ADMIN) or bool(
        set(organisation_ids) & set(principal.organisation_ids))


async def mediator_record(principal: Principal, mediator_id: int) -> MediatorFile:
    """A mediator's record as staff (and the mediator) see it: personal data masked."""
    row = await mediator_row(mediator_id)
    memberships = [HeldMembership(**m) for m in await Membership.select(
        Membership.organisation, Membership.organisation.name.as_alias("organisation_name"), Membership.primary,
        Membership.joined_on, Membership.left_on,
    ).where(Membership.mediator == mediator_id).order_by(Membership.id)]
    active_orgs = [m.organisation for m in memberships if not m.left_on]
    own = principal.mediator_id == mediator_id
    if not (own or _can_manage_mediator(principal, row, active_orgs) or can_read_region(principal, row.region_code)):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    history = [StatusStep(**h) for h in await StatusChange.select(
        StatusChange.from_status, StatusChange.to_status, StatusChange.ground, StatusChange.effective_on,
    ).where(StatusChange.mediator == mediator_id).order_by(StatusChange.id)]
    shown = {f.name: getattr(row, f.name) for f in fields(MediatorParticulars)}
    return MediatorFile(**shown, memberships=memberships, history=history,
                        can_manage=_can_manage_mediator(principal, row, active_orgs))


async def reveal_personal_data(principal: Principal, mediator_id: int, reason: str) -> PersonalData:
    """Staff open the full ID number and phone deliberately; it is audited with the reason."""
    row = await mediator_row(mediator_id)
    require_staff_for_region(principal, row.region_code)
    if not reason.strip():
        raise DomainError(_("Say why you need to see the full ID number."), "reason")
    async with write_transaction():
        await audit.record(principal, "reveal_personal_data", "mediator", mediator_id,
                           region_code=row.region_code, reason=reason.strip())
    return PersonalData(id_number=personal.reveal(row.id_number_enc), phone=personal.reveal(row.phone_enc))


async def set_photo(principal: Principal, mediator_id: int, data: bytes) -> str:
    """JPEG/PNG only, size-limited, re-encoded (EXIF stripped) before it is stored."""
    from core import uploads

    before = await mediator_row(mediator_id)
    if principal.mediator_id != mediator_id:
        orgs = [m["organisation"] for m in await Membership.select(Membership.organisation).where(
            (Membership.mediator == mediator_id) & Membership.left_on.is_null())]
        if not _can_manage_mediator(principal, before, orgs):
            raise Forbidden(_("This record belongs to a region outside your authority."))
    clean, kind = await uploads.accept_upload(data, "photo", allow_pdf=False, max_bytes=get_settings().rules.max_photo_bytes)
    stored = uploads.store("photos", clean, kind)
    async with write_transaction():
        await Mediator.update({"photo_path": stored.path, "updated_at": clock.now()}).where(Mediator.id == mediator_id)
        await audit.record(principal, "set_photo", "mediator", mediator_id, region_code=before.region_code,
                           after={"photo_path": stored.path})
    return stored.path


async def set_status(principal: Principal, mediator_id: int, new_status: str, ground: str,
                     on: date | None = None) -> None:
    mediator = await mediator_row(mediator_id)
    require_staff_for_region(principal, mediator.region_code)
    if new_status not in {s.value for s in MediatorStatus}:
        raise DomainError(_("Choose a status."), "status")
    await change_mediator_status(mediator_id, new_status, ground=ground, actor=principal, on=on)


async def renew_appointment(principal: Principal, mediator_id: int) -> date:
    """Reappointment for a new term from the end of the current one."""
    mediator = await mediator_row(mediator_id)
    require_staff_for_region(principal, mediator.region_code)
    if mediator.status != MediatorStatus.APPOINTED:
        raise Conflict(_("Only an appointed mediator can be reappointed."))
    start = max(mediator.term_ends_on or clock.today(), clock.today())
    ends = add_years(start, get_settings().rules.appointment_term_years)
    async with write_transaction():
        await Mediator.update({"term_ends_on": ends, "updated_at": clock.now()}).where(Mediator.id == mediator_id)
        await audit.record(principal, "reappoint", "mediator", mediator_id, region_code=mediator.region_code,
                           before={"term_ends_on": mediator.term_ends_on}, after={"term_ends_on": ends})
    return ends


async def mediators_in_scope(principal: Principal, q: str = "", status: str = "", page: int = 1,
                             page_size: int = 30) -> tuple[list[ListedMediator], int]:
    where = within_regions(Mediator.region_code, principal.regions_for(Role.ADMIN, Role.AUDITOR))
    if principal.organisation_ids:
        members = await Membership.select(Membership.mediator).where(
            Membership.organisation.is_in(principal.organisation_ids) & Membership.left_on.is_null())
        clause = Mediator.id.is_in([m["mediator"] for m in members] or [0])
        where = clause if where is None else where | clause
    if where is None:
        return [], 0
    if q:
        where = where & (contains(Mediator.name, q) | contains(Mediator.roster_no, q))
    if status:
        where = where & (Mediator.status == status)
    total = await Mediator.count().where(where)
    rows = await Mediator.select(
        Mediator.id, Mediator.name, Mediator.roster_no, Mediator.id_number_masked, Mediator.source_category,
        Mediator.status, Mediator.term_ends_on,
    ).where(where).order_by(Mediator.id).offset((page - 1) * page_size).limit(page_size)
    primary = await primary_organisations([r["id"] for r in rows])
    return [ListedMediator(**r, organisation_name=primary.get(r["id"], (None, ""))[1]) for r in rows], total
