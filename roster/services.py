"""Roster rules: organisations and their filings, mediators and their status, memberships.
This module (with `recruitment` and `public`, re-exported below) is the only part of the
roster that other domains import."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from core import audit, clock
from core.auth.guards import require_staff_for_region
from core.auth.roles import Principal, Role
from core.db import IN_CHUNK, chunks, contains, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within, region_like, region_name
from core.settings import get_settings
from core.text import check_fields
from core.vocab import MediatorStatus, OrganisationType, SourceCategory
from roster import liaison, personal
from roster.tables import (
    Mediator,
    Membership,
    Organisation,
    OrganisationFiling,
    RosterCounter,
    StatusChange,
)

# The transitions a mediator's status may take; none of them deletes anything.
TRANSITIONS = {
    MediatorStatus.APPLICANT: {MediatorStatus.APPOINTED, MediatorStatus.EXITED},
    MediatorStatus.APPOINTED: {MediatorStatus.SUSPENDED, MediatorStatus.EXITED},
    MediatorStatus.SUSPENDED: {MediatorStatus.APPOINTED, MediatorStatus.EXITED},
    MediatorStatus.EXITED: set(),
}
EMPLOYMENTS = ("full_time", "part_time")
FILING_STATUSES = ("draft", "submitted", "accepted", "returned")


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- summaries
@dataclass(frozen=True)
class MediatorSummary:
    id: int
    name: str
    gender: str
    region_code: str
    status: str
    roster_no: str | None
    source_category: str
    employment: str
    organisation_id: int | None
    organisation_name: str
    photo_path: str | None
    user_id: int | None
    appointed_on: date | None
    term_ends_on: date | None


@dataclass(frozen=True)
class OrganisationSummary:
    id: int
    name: str
    type: str
    region_code: str
    filing_status: str


_SUMMARY_COLUMNS = (
    Mediator.id, Mediator.name, Mediator.gender, Mediator.region_code, Mediator.status, Mediator.roster_no,
    Mediator.source_category, Mediator.employment, Mediator.photo_path, Mediator.user_id,
    Mediator.appointed_on, Mediator.term_ends_on,
)


async def _primary_organisations(mediator_ids: list[int], region_where=None) -> dict[int, tuple[int, str]]:
    """Each mediator's primary (else first current) organisation. For a whole region the
    memberships are selected by a join on the mediator, not by a list of ids."""
    if not mediator_ids:
        return {}
    columns = (Membership.mediator, Membership.organisation, Membership.organisation.name, Membership.primary)
    current = Membership.left_on.is_null()
    if region_where is not None:
        rows = await Membership.select(*columns).where(current & region_where)
    else:
        rows = []
        for part in chunks(mediator_ids):
            rows += await Membership.select(*columns).where(current & Membership.mediator.is_in(part))
    found: dict[int, tuple[int, str]] = {}
    for row in sorted(rows, key=lambda r: not r["primary"]):
        found.setdefault(row["mediator"], (row["organisation"], row["organisation.name"]))
    return found


async def _summaries(where, membership_where=None) -> list[MediatorSummary]:
    rows = await Mediator.select(*_SUMMARY_COLUMNS).where(where).order_by(Mediator.id)
    primary = await _primary_organisations([r["id"] for r in rows], membership_where)
    return [
        MediatorSummary(
            **{k: r[k] for k in ("id", "name", "gender", "region_code", "status", "roster_no", "source_category",
                                 "employment", "photo_path", "user_id", "appointed_on", "term_ends_on")},
            organisation_id=primary.get(r["id"], (None, ""))[0],
            organisation_name=primary.get(r["id"], (None, ""))[1],
        )
        for r in rows
    ]


async def mediator_summary(mediator_id: int) -> MediatorSummary | None:
    found = await _summaries(Mediator.id == mediator_id)
    return found[0] if found else None


async def mediator_summaries(ids) -> dict[int, MediatorSummary]:
    ids = sorted(set(ids))
    found: dict[int, MediatorSummary] = {}
    for part in chunks(ids):
        found.update({s.id: s for s in await _summaries(Mediator.id.is_in(part))})
    return found


async def mediators_by_roster_no(numbers: list[str]) -> dict[str, MediatorSummary]:
    """Roster number → mediator, for the numbers that are on the roster."""
    wanted = sorted({n for n in numbers if n})
    found: dict[str, MediatorSummary] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        found.update({s.roster_no: s for s in await _summaries(Mediator.roster_no.is_in(wanted[start:start + IN_CHUNK]))
                      if s.roster_no})
    return found


async def mediator_for_user(user_id: int | None) -> MediatorSummary | None:
    if user_id is None:
        return None
    found = await _summaries(Mediator.user_id == user_id)
    return found[0] if found else None


async def mediators_in_region(region_code: str, statuses=("appointed",)) -> list[MediatorSummary]:
    like, statuses = region_like(region_code), list(statuses)
    return await _summaries(
        Mediator.region_code.like(like) & Mediator.status.is_in(statuses),
        Membership.mediator.region_code.like(like) & Membership.mediator.status.is_in(statuses),
    )


async def organisation_summaries(ids) -> dict[int, OrganisationSummary]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = []
    for part in chunks(ids):
        rows += await Organisation.select(
            Organisation.id, Organisation.name, Organisation.type, Organisation.region_code, Organisation.filing_status
        ).where(Organisation.id.is_in(part))
    return {r["id"]: OrganisationSummary(**r) for r in rows}


# --------------------------------------------------------------------------- authority
def can_manage_organisation(principal: Principal, organisation: dict[str, Any]) -> bool:
    return principal.can_act_in(organisation["region_code"], Role.ADMIN) or (
        organisation["id"] in principal.organisation_ids
    )


def can_read_region(principal: Principal, region_code: str) -> bool:
    return principal.can_act_in(region_code, Role.ADMIN, Role.AUDITOR)


# --------------------------------------------------------------------------- organisations
ORG_FIELDS = ("name", "type", "region_code", "address", "contact_name", "founded_on", "liaison")


def _parse_date(value: Any, field: str, errors: dict[str, str], required: bool = False) -> date | None:
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
    clean["founded_on"] = _parse_date(data.get("founded_on"), "founded_on", errors)
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


async def _organisation(organisation_id: int) -> dict[str, Any]:
    row = await Organisation.select().where(Organisation.id == organisation_id).first()
    if row is None:
        raise NotFound(_("No such organisation."))
    return row


async def organisation(principal: Principal, organisation_id: int) -> dict[str, Any]:
    row = await _organisation(organisation_id)
    if not (can_manage_organisation(principal, row) or can_read_region(principal, row["region_code"])):
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
    before = await _organisation(organisation_id)
    if not can_manage_organisation(principal, before):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can edit it."))
    clean = validate_organisation({**before, **data})
    if clean["region_code"] != before["region_code"]:
        require_staff_for_region(principal, clean["region_code"])
    changed = {k: v for k, v in clean.items() if before.get(k) != v}
    if not changed:
        return None
    if "liaison" in changed or "region_code" in changed:
        await liaison.check_choice(clean["liaison"], clean["region_code"])
    async with write_transaction():
        await Organisation.update({**changed, "updated_at": clock.now()}).where(Organisation.id == organisation_id)
        filing_id = None
        if before["filing_status"] in ("accepted", "submitted"):
            filing_id = await _record_change(organisation_id, _("Change of particulars"),
                                             audit.diff(before, clean), changed_on or clock.today())
        await audit.record(principal, "update", "organisation", organisation_id,
                           region_code=before["region_code"], before=before, after=clean)
    return filing_id


async def _record_change(organisation_id: int, description: str, changes: dict, changed_on: date) -> int:
    row = await OrganisationFiling.insert(
        OrganisationFiling(organisation=organisation_id, kind="change", description=description, changes=changes,
                           changed_on=changed_on, status="pending", created_at=clock.now())
    ).returning(OrganisationFiling.id)
    return row[0]["id"]


async def submit_initial_filing(principal: Principal, organisation_id: int) -> int:
    org = await _organisation(organisation_id)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if org["filing_status"] not in ("draft", "returned"):
        raise Conflict(_("This organisation's filing has already been submitted."))
    async with write_transaction():
        row = await OrganisationFiling.insert(
            OrganisationFiling(organisation=organisation_id, kind="initial", description=_("Initial filing"),
                               changed_on=org["founded_on"] or clock.today(), submitted_on=clock.today(),
                               status="submitted", created_at=clock.now())
        ).returning(OrganisationFiling.id)
        await Organisation.update({"filing_status": "submitted", "updated_at": clock.now()}).where(
            Organisation.id == organisation_id)
        await audit.record(principal, "submit_filing", "organisation", organisation_id,
                           region_code=org["region_code"], after={"filing_status": "submitted"})
    return row[0]["id"]


def is_late(changed_on: date, submitted_on: date) -> bool:
    """A change filed more than `filing_deadline_days` after it happened is late."""
    return (submitted_on - changed_on).days > get_settings().rules.filing_deadline_days


async def record_change(principal: Principal, organisation_id: int, description: str, changed_on: date) -> int:
    """Record a change (e.g. of members) that must be filed; it starts the 30-day clock."""
    org = await _organisation(organisation_id)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if not description.strip():
        raise DomainError(_("Describe the change."), "description")
    if changed_on > clock.today():
        raise DomainError(_("The change cannot be in the future."), "changed_on")
    async with write_transaction():
        filing_id = await _record_change(organisation_id, description.strip(), {}, changed_on)
        await audit.record(principal, "record_change", "organisation", organisation_id,
                           region_code=org["region_code"], after={"description": description, "changed_on": changed_on})
    return filing_id


async def submit_change_filing(principal: Principal, filing_id: int, submitted_on: date | None = None) -> bool:
    """File a recorded change; returns whether it was late."""
    filing = await OrganisationFiling.select().where(OrganisationFiling.id == filing_id).first()
    if filing is None:
        raise NotFound(_("No such filing."))
    org = await _organisation(filing["organisation"])
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can file it."))
    if filing["status"] not in ("pending", "returned"):
        raise Conflict(_("This change has already been filed."))
    submitted_on = submitted_on or clock.today()
    late = is_late(filing["changed_on"], submitted_on)
    async with write_transaction():
        await OrganisationFiling.update({"status": "submitted", "submitted_on": submitted_on, "late": late}).where(
            OrganisationFiling.id == filing_id)
        await audit.record(principal, "submit_change_filing", "organisation", org["id"], region_code=org["region_code"],
                           after={"filing": filing_id, "late": late})
        await _refresh_overdue([org["id"]])
    return late


async def lock_counters() -> None:
    """Serialise counter bumps until the transaction ends: on PostgreSQL two transactions could
    otherwise both create the first counter row of a year; SQLite's write lock already does this."""
    from piccolo.querystring import QueryString

    from core.db import engine

    if engine().engine_type == "postgres":
        await engine().run_querystring(QueryString("LOCK TABLE roster_counter IN SHARE ROW EXCLUSIVE MODE"))


async def _next_filing_no(region_code: str, year: int) -> str:
    await lock_counters()
    key = f"F{region_code}"
    counter = await RosterCounter.update({RosterCounter.last_serial: RosterCounter.last_serial + 1}).where(
        (RosterCounter.region_code == key) & (RosterCounter.year == year)).returning(RosterCounter.last_serial)
    if not counter:
        await RosterCounter.insert(RosterCounter(region_code=key, year=year, last_serial=1))
        serial = 1
    else:
        serial = counter[0]["last_serial"]
    return f"{region_code}-{year}-{serial:04d}"


async def decide_filing(principal: Principal, filing_id: int, accept: bool, reasons: str = "") -> None:
    """An administrator of the region accepts a filing (the first gets a filing number) or
    returns it with reasons to fix."""
    filing = await OrganisationFiling.select().where(OrganisationFiling.id == filing_id).first()
    if filing is None:
        raise NotFound(_("No such filing."))
    org = await _organisation(filing["organisation"])
    require_staff_for_region(principal, org["region_code"])
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
            if accept and not org["filing_no"]:
                org_update["filing_no"] = update["filing_no"] = await _next_filing_no(org["region_code"],
                                                                                      clock.today().year)
        await OrganisationFiling.update(update).where(OrganisationFiling.id == filing_id)
        await Organisation.update(org_update).where(Organisation.id == org["id"])
        await audit.record(principal, "accept_filing" if accept else "return_filing", "organisation", org["id"],
                           region_code=org["region_code"], after={"filing": filing_id, **org_update}, reason=reasons)


async def filings(organisation_id: int) -> list[dict[str, Any]]:
    return await OrganisationFiling.select().where(OrganisationFiling.organisation == organisation_id).order_by(
        OrganisationFiling.id, ascending=False).output(load_json=True)


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
        where = Organisation.id.is_in(list(overdue_ids)) & (Organisation.filing_overdue == False)  # noqa: E712
        rows = await Organisation.update({Organisation.filing_overdue: True}).where(
            where & scope if scope is not None else where).returning(Organisation.id)
        changed += len(rows)
    where = Organisation.filing_overdue == True  # noqa: E712
    if overdue_ids:
        where = where & Organisation.id.not_in(list(overdue_ids))
    rows = await Organisation.update({Organisation.filing_overdue: False}).where(
        where & scope if scope is not None else where).returning(Organisation.id)
    return changed + len(rows)


async def flag_overdue_filings(on: date | None = None) -> int:
    """Daily sweep step: flag organisations with overdue filings."""
    async with write_transaction():
        return await _refresh_overdue(None, on)


async def set_standing(principal: Principal, organisation_id: int, data: dict[str, Any]) -> None:
    """Star rating (创星) and gold-medal mark, each with date and deciding body."""
    org = await _organisation(organisation_id)
    require_staff_for_region(principal, org["region_code"])
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
        update["star_rated_on"] = _parse_date(data.get("star_rated_on"), "star_rated_on", errors, required=True)
        update["star_body"] = (data.get("star_body") or "").strip()
        if not update["star_body"]:
            errors["star_body"] = _("Name the body that decided it.")
    if str(data.get("gold_medal", "")).lower() in ("1", "true", "on", "yes"):
        update["gold_medal"] = True
        update["gold_medal_on"] = _parse_date(data.get("gold_medal_on"), "gold_medal_on", errors, required=True)
        update["gold_medal_body"] = (data.get("gold_medal_body") or "").strip()
        if not update["gold_medal_body"]:
            errors["gold_medal_body"] = _("Name the body that decided it.")
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        await Organisation.update({**update, "updated_at": clock.now()}).where(Organisation.id == organisation_id)
        await audit.record(principal, "set_standing", "organisation", organisation_id, region_code=org["region_code"],
                           before={k: org.get(k) for k in update}, after=update)


async def organisations_in_scope(principal: Principal, q: str = "", page: int = 1, page_size: int = 30,
                                 overdue_only: bool = False) -> tuple[list[dict[str, Any]], int]:
    regions = principal.regions_for(Role.ADMIN, Role.AUDITOR)
    where = None
    for code in regions:
        clause = Organisation.region_code.like(region_like(code))
        where = clause if where is None else where | clause
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
    return rows, total


# --------------------------------------------------------------------------- mediators
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
        data = {**data, "region_code": (await _organisation(organisation_id))["region_code"]}
    clean = validate_mediator(data)
    if organisation_id:
        org = await _organisation(organisation_id)
        if not can_manage_organisation(principal, org):
            raise Forbidden(_("Only the organisation's manager or an administrator of its region can add members."))
    else:
        require_staff_for_region(principal, clean["region_code"])
    await _ensure_unique_id(clean.get("id_number_hash"))
    async with write_transaction():
        mediator_id = await _insert_mediator(clean, user_id)
        if organisation_id:
            await _join(mediator_id, organisation_id, primary=True)
        await audit.record(principal, "create", "mediator", mediator_id, region_code=clean["region_code"], after=clean)
    return mediator_id


async def _insert_mediator(clean: dict[str, Any], user_id: int | None, status: str = "applicant") -> int:
    row = await Mediator.insert(
        Mediator(**clean, status=status, user_id=user_id, created_at=clock.now(), updated_at=clock.now())
    ).returning(Mediator.id)
    return row[0]["id"]


async def _join(mediator_id: int, organisation_id: int, primary: bool, joined_on: date | None = None) -> int:
    """An effective membership from `joined_on` (today). Callers hold the consent or authority
    it rests on: a new record, an appointment, or an accepted proposal (roster.memberships)."""
    if primary:
        await Membership.update({Membership.primary: False}).where(
            (Membership.mediator == mediator_id) & Membership.left_on.is_null())
    row = await Membership.insert(Membership(mediator=mediator_id, organisation=organisation_id, primary=primary,
                                             joined_on=joined_on or clock.today())).returning(Membership.id)
    return row[0]["id"]


async def _mediator(mediator_id: int) -> dict[str, Any]:
    row = await Mediator.select().where(Mediator.id == mediator_id).first()
    if row is None:
        raise NotFound(_("No such mediator."))
    return row


def _can_manage_mediator(principal: Principal, mediator: dict[str, Any], organisation_ids: list[int]) -> bool:
    return principal.can_act_in(mediator["region_code"], Role.ADMIN) or bool(
        set(organisation_ids) & set(principal.organisation_ids))


async def mediator_record(principal: Principal, mediator_id: int) -> dict[str, Any]:
    """A mediator's record as staff see it: personal data masked."""
    row = await _mediator(mediator_id)
    memberships = await Membership.select(
        Membership.all_columns(), Membership.organisation.name.as_alias("organisation_name"),
        Membership.organisation.region_code.as_alias("organisation_region"),
    ).where(Membership.mediator == mediator_id).order_by(Membership.id)
    active_orgs = [m["organisation"] for m in memberships if not m["left_on"]]
    own = principal.mediator_id == mediator_id
    if not (own or _can_manage_mediator(principal, row, active_orgs) or can_read_region(principal, row["region_code"])):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    history = await StatusChange.select().where(StatusChange.mediator == mediator_id).order_by(StatusChange.id)
    row = {k: v for k, v in row.items() if k not in ("id_number_enc", "phone_enc", "id_number_hash")}
    return {**row, "memberships": memberships, "history": history,
            "can_manage": _can_manage_mediator(principal, row, active_orgs)}


async def reveal_personal_data(principal: Principal, mediator_id: int, reason: str) -> dict[str, str]:
    """Staff open the full ID number and phone deliberately; it is audited with the reason."""
    row = await _mediator(mediator_id)
    require_staff_for_region(principal, row["region_code"])
    if not reason.strip():
        raise DomainError(_("Say why you need to see the full ID number."), "reason")
    async with write_transaction():
        await audit.record(principal, "reveal_personal_data", "mediator", mediator_id,
                           region_code=row["region_code"], reason=reason.strip())
    return {"id_number": personal.reveal(row["id_number_enc"]), "phone": personal.reveal(row["phone_enc"])}


async def update_mediator(principal: Principal, mediator_id: int, data: dict[str, Any]) -> None:
    before = await _mediator(mediator_id)
    orgs = [m["organisation"] for m in await Membership.select(Membership.organisation).where(
        (Membership.mediator == mediator_id) & Membership.left_on.is_null())]
    if not _can_manage_mediator(principal, before, orgs):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    merged = {**before, **{k: v for k, v in data.items() if v not in (None, "") or k in ("education", "profession")}}
    merged.setdefault("id_number", "")
    clean = validate_mediator(merged, require_id=bool(data.get("id_number")))
    if not data.get("id_number"):
        for key in ("id_number_enc", "id_number_hash", "id_number_masked"):
            clean.pop(key, None)
    if not data.get("phone"):
        clean.pop("phone_enc", None)
        clean.pop("phone_masked", None)
    await _ensure_unique_id(clean.get("id_number_hash"), except_id=mediator_id)
    async with write_transaction():
        await Mediator.update({**clean, "updated_at": clock.now()}).where(Mediator.id == mediator_id)
        await audit.record(principal, "update", "mediator", mediator_id, region_code=before["region_code"],
                           before=before, after=clean)


async def set_photo(principal: Principal, mediator_id: int, data: bytes) -> str:
    """JPEG/PNG only, size-limited, re-encoded (EXIF stripped) before it is stored."""
    from core import uploads

    before = await _mediator(mediator_id)
    if principal.mediator_id != mediator_id:
        orgs = [m["organisation"] for m in await Membership.select(Membership.organisation).where(
            (Membership.mediator == mediator_id) & Membership.left_on.is_null())]
        if not _can_manage_mediator(principal, before, orgs):
            raise Forbidden(_("This record belongs to a region outside your authority."))
    clean, kind = await uploads.accept_upload(data, "photo", allow_pdf=False, max_bytes=get_settings().rules.max_photo_bytes)
    stored = uploads.store("photos", clean, kind)
    async with write_transaction():
        await Mediator.update({"photo_path": stored.path, "updated_at": clock.now()}).where(Mediator.id == mediator_id)
        await audit.record(principal, "set_photo", "mediator", mediator_id, region_code=before["region_code"],
                           after={"photo_path": stored.path})
    return stored.path


async def next_roster_no(region_code: str, year: int) -> str:
    """Roster numbers `{region}{year}{5-digit serial}`: gap-free per region and year
    (the counter is bumped inside the appointing transaction)."""
    await lock_counters()
    rows = await RosterCounter.update({RosterCounter.last_serial: RosterCounter.last_serial + 1}).where(
        (RosterCounter.region_code == region_code) & (RosterCounter.year == year)).returning(RosterCounter.last_serial)
    if rows:
        serial = rows[0]["last_serial"]
    else:
        await RosterCounter.insert(RosterCounter(region_code=region_code, year=year, last_serial=1))
        serial = 1
    return f"{region_code}{year}{serial:05d}"


async def _transition(mediator: dict[str, Any], new_status: str, ground: str, actor: Principal | None,
                      on: date) -> dict[str, Any]:
    current = MediatorStatus(mediator["status"])
    target = MediatorStatus(new_status)
    if target not in TRANSITIONS[current]:
        raise Conflict(_("A mediator who is %(current)s cannot become %(target)s.", current=current.label,
                         target=target.label))
    update: dict[str, Any] = {"status": target.value, "updated_at": clock.now()}
    if target == MediatorStatus.APPOINTED and current == MediatorStatus.APPLICANT:
        update["appointed_on"] = on
        update["term_ends_on"] = add_years(on, get_settings().rules.appointment_term_years)
        if not mediator["roster_no"]:
            update["roster_no"] = await next_roster_no(mediator["region_code"], on.year)
    if target == MediatorStatus.EXITED:
        update["exited_on"] = on
        update["exit_ground"] = ground[:200]
    await Mediator.update(update).where(Mediator.id == mediator["id"])
    await StatusChange.insert(StatusChange(mediator=mediator["id"], from_status=current.value, to_status=target.value,
                                           ground=ground, effective_on=on,
                                           actor_id=actor.user_id if actor else None, created_at=clock.now()))
    await audit.record(actor, "status_" + target.value, "mediator", mediator["id"], region_code=mediator["region_code"],
                       before={"status": current.value}, after=update, reason=ground)
    if current != MediatorStatus.APPLICANT:  # an appointment waits for the next publication
        from roster.publication import follow_status_change

        await follow_status_change(mediator["id"], target.value, on, actor, mediator["region_code"])
    return update


async def change_mediator_status(mediator_id: int, new_status: str, *, ground: str, actor: Principal | None,
                                 on: date | None = None) -> None:
    """Appoint, suspend, reinstate or exit, with ground, date and actor (the review's exit
    calls this). Staff authority is checked by the caller's service or `set_status`."""
    if not (ground or "").strip():
        raise DomainError(_("Give the ground for this change."), "ground")
    async with write_transaction():
        mediator = await _mediator(mediator_id)
        await _transition(mediator, new_status, ground.strip(), actor, on or clock.today())


async def set_status(principal: Principal, mediator_id: int, new_status: str, ground: str,
                     on: date | None = None) -> None:
    mediator = await _mediator(mediator_id)
    require_staff_for_region(principal, mediator["region_code"])
    if new_status not in {s.value for s in MediatorStatus}:
        raise DomainError(_("Choose a status."), "status")
    await change_mediator_status(mediator_id, new_status, ground=ground, actor=principal, on=on)


async def renew_appointment(principal: Principal, mediator_id: int) -> date:
    """Reappointment for a new term from the end of the current one."""
    mediator = await _mediator(mediator_id)
    require_staff_for_region(principal, mediator["region_code"])
    if mediator["status"] != MediatorStatus.APPOINTED:
        raise Conflict(_("Only an appointed mediator can be reappointed."))
    start = max(mediator["term_ends_on"] or clock.today(), clock.today())
    ends = add_years(start, get_settings().rules.appointment_term_years)
    async with write_transaction():
        await Mediator.update({"term_ends_on": ends, "updated_at": clock.now()}).where(Mediator.id == mediator_id)
        await audit.record(principal, "reappoint", "mediator", mediator_id, region_code=mediator["region_code"],
                           before={"term_ends_on": mediator["term_ends_on"]}, after={"term_ends_on": ends})
    return ends


async def mediators_in_scope(principal: Principal, q: str = "", status: str = "", page: int = 1,
                             page_size: int = 30) -> tuple[list[dict[str, Any]], int]:
    where = None
    for code in principal.regions_for(Role.ADMIN, Role.AUDITOR):
        clause = Mediator.region_code.like(region_like(code))
        where = clause if where is None else where | clause
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
    rows = await Mediator.select(*_SUMMARY_COLUMNS, Mediator.id_number_masked).where(where).order_by(
        Mediator.id).offset((page - 1) * page_size).limit(page_size)
    primary = await _primary_organisations([r["id"] for r in rows])
    for row in rows:
        row["organisation_name"] = primary.get(row["id"], (None, ""))[1]
    return rows, total


# --------------------------------------------------------------------------- records for other domains
async def create_organisation_record(*, name: str, region_code: str, type: str = "township",  # noqa: A002
                                     filing_status: str = "accepted", actor_id: int | None = None) -> int:
    """An organisation for other domains' demos and tests (no authority check)."""
    async with write_transaction():
        row = await Organisation.insert(
            Organisation(name=name, type=type, region_code=region_code, filing_status=filing_status,
                         created_at=clock.now(), updated_at=clock.now())
        ).returning(Organisation.id)
        organisation_id = row[0]["id"]
        if filing_status == "accepted":
            await Organisation.update({"filing_no": await _next_filing_no(region_code, clock.today().year)}).where(
                Organisation.id == organisation_id)
    return organisation_id


async def create_mediator_record(*, name: str, region_code: str, gender: str = "female", source_category: str = "lawyer",
                                 employment: str = "part_time", status: str = "appointed",
                                 organisation_id: int | None = None, user_id: int | None = None,
                                 id_number: str | None = None, appointed_on: date | None = None,
                                 actor_id: int | None = None, joined_on: date | None = None) -> int:
    """A mediator for other domains' demos and tests; goes through the real transitions. The
    membership of `organisation_id` runs from `joined_on` (else the appointment, else today)."""
    clean: dict[str, Any] = {"name": name, "gender": gender, "source_category": source_category,
                             "employment": employment, "region_code": region_code}
    if id_number:
        id_number = personal.normalise_id_number(id_number)
        clean.update(id_number_enc=personal.protect(id_number), id_number_hash=personal.id_hash(id_number),
                     id_number_masked=personal.mask_id_number(id_number))
    async with write_transaction():
        mediator_id = await _insert_mediator(clean, user_id)
        if organisation_id:
            await _join(mediator_id, organisation_id, primary=True, joined_on=joined_on or appointed_on)
        mediator = await _mediator(mediator_id)
        on = appointed_on or clock.today()
        if status != MediatorStatus.APPLICANT:
            mediator.update(await _transition(mediator, MediatorStatus.APPOINTED, "appointed", None, on))
        if status in (MediatorStatus.SUSPENDED, MediatorStatus.EXITED):
            await _transition(mediator, status, status, None, on)
    if user_id:
        from core.auth.services import link_grant

        await link_grant(user_id, Role.MEDIATOR, mediator_id=mediator_id)
    return mediator_id


def summary_dict(summary: MediatorSummary) -> dict[str, Any]:
    return asdict(summary)


def within(code: str, ancestor: str) -> bool:
    return is_within(code, ancestor)


__all__ = [
    "MediatorSummary", "OrganisationSummary", "change_mediator_status", "create_mediator_record",
    "create_organisation_record", "mediator_for_user", "mediator_summaries", "mediator_summary",
    "mediators_in_region", "organisation_summaries",
]


async def work_list(principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """What waits for an administrator in their region: filings to review, overdue filings,
    applications to review, objections to decide, notices ending (or ended, to appoint)."""
    from roster.tables import Application, Objection

    regions = principal.regions_for(Role.ADMIN)
    if not regions:
        return {}

    def within_regions(column):
        where = None
        for code in regions:
            clause = column.like(region_like(code))
            where = clause if where is None else where | clause
        return where

    soon = clock.today() + timedelta(days=2)
    return {
        "filings": await OrganisationFiling.select(
            OrganisationFiling.id, OrganisationFiling.kind, OrganisationFiling.description,
            OrganisationFiling.submitted_on, OrganisationFiling.late, OrganisationFiling.organisation,
            OrganisationFiling.organisation.name.as_alias("organisation_name"),
        ).where((OrganisationFiling.status == "submitted")
                & within_regions(OrganisationFiling.organisation.region_code)).order_by(OrganisationFiling.id),
        "overdue": await Organisation.select(Organisation.id, Organisation.name, Organisation.region_code).where(
            (Organisation.filing_overdue == True) & within_regions(Organisation.region_code)),  # noqa: E712
        "applications": await Application.select(
            Application.id, Application.name, Application.call, Application.call.title.as_alias("call_title"),
            Application.created_at).where((Application.status == "submitted") & within_regions(Application.region_code)),
        "objections": await Objection.select(
            Objection.id, Objection.lodged_by, Objection.application.name.as_alias("candidate"),
            Objection.application.call.as_alias("call")).where(
            (Objection.status == "lodged") & within_regions(Objection.application.region_code)),
        "notices": await Application.select(
            Application.id, Application.name, Application.call, Application.notice_ends_on).where(
            (Application.status == "on_notice") & (Application.notice_ends_on <= soon)
            & within_regions(Application.region_code)).order_by(Application.notice_ends_on),
    }
