"""The expert pool (调解专家库): nomination, admission with a term, rejection, suspension and
removal, sharing with other regions, and what each expert declares (absences and standing
conflicts of interest); the administrators' list of the pool and an expert's own record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_name, within_regions
from core.settings import get_settings
from core.text import check_fields
from core.vocab import DisputeType
from expert_pool import selection as rules
from expert_pool.credit_codes import valid_credit_code
from expert_pool.schemas import Listing
from expert_pool.tables import Absence, Expert, InvitedListing, StandingConflict

BACKGROUNDS = ("mediator", "arbitrator", "lawyer", "scholar", "retired_judge", "retired_prosecutor")
CONFLICT_KINDS = ("former_employer", "represented", "relative_employer", "other")


class Nomination(TypedDict):
    """A nomination as checked: the new expert's row (and the audit's record of it)."""

    name: str
    background: str
    region_code: str
    specialties: list[str]
    industries: list[str]
    languages: list[str]
    regions_served: list[str]
    organisation_name: str
    max_concurrent_cases: int
    mediator_id: int | None
    user_id: NotRequired[int | None]  # a roster mediator's account: they answer on their own page


@dataclass(frozen=True, slots=True)
class PoolExpert:
    """An expert of the pool (调解专家), whatever their status."""

    id: int
    mediator_id: int | None  # None: not on the mediator roster
    user_id: int | None  # None: no account, the court answers for them
    name: str
    background: str
    region_code: str
    organisation_name: str
    specialties: list[str]
    industries: list[str]
    regions_served: list[str]
    languages: list[str]
    max_concurrent_cases: int
    term_starts_on: date | None
    term_ends_on: date | None
    status: str
    shared: bool
    nomination_source: str
    nominated_by: int | None
    grounds: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExpertName:
    """How a selection's page names an expert on its list."""

    id: int
    name: str
    region_code: str
    organisation_name: str
    has_account: bool  # False: the court answers for them


@dataclass(frozen=True, slots=True)
class DeclaredConflict:
    """A standing conflict of interest the expert declared: a relation with a party."""

    id: int
    expert: int
    kind: str
    party_name: str
    credit_code: str
    until: date | None
    party_key: str


@dataclass(frozen=True, slots=True)
class AbsencePeriod:
    id: int
    expert: int
    starts_on: date
    ends_on: date
    reason: str


@dataclass(frozen=True, slots=True)
class ExpertProfile(PoolExpert):
    """An expert with what they declared and their invited listings (the expert's page)."""

    conflicts: list[DeclaredConflict]
    absences: list[AbsencePeriod]
    listings: list[Listing]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").replace("，", ",").split(",") if v.strip()]


def validate_expert(data: dict[str, Any]) -> Nomination:
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()[:100]
    if not name:
        errors["name"] = _("Enter the name.")
    background = str(data.get("background") or "")
    if background not in BACKGROUNDS:
        errors["background"] = _("Choose a background.")
    region_code = str(data.get("region_code") or "").strip()
    if region_name(region_code) in ("", region_code):
        errors["region_code"] = _("Choose a region.")
    specialties = _list(data.get("specialties"))
    if not specialties:
        errors["specialties"] = _("Choose at least one specialty.")
    elif any(s not in {d.value for d in DisputeType} for s in specialties):
        errors["specialties"] = _("Use the dispute type codes.")
    industries = _list(data.get("industries"))
    languages = _list(data.get("languages")) or ["普通话"]
    organisation_name = str(data.get("organisation_name") or "").strip()[:200]
    max_cases = 0
    try:
        max_cases = int(data.get("max_concurrent_cases") or 3)
        if not 1 <= max_cases <= 20:
            raise ValueError
    except ValueError:
        errors["max_concurrent_cases"] = _("Enter a whole number from 1 to 20.")
    mediator_id = data.get("mediator_id")
    check_fields({"name": name, "organisation_name": organisation_name}, errors, ("name", "organisation_name"))
    check_fields({"industries": "".join(industries), "languages": "".join(languages)}, errors,
                 ("industries", "languages"))
    if errors:
        raise FieldErrors(errors)
    return Nomination(name=name, background=background, region_code=region_code, specialties=specialties,
                      industries=industries, languages=languages, regions_served=_list(data.get("regions_served")),
                      organisation_name=organisation_name, max_concurrent_cases=max_cases,
                      mediator_id=int(str(mediator_id)) if str(mediator_id or "").isdecimal() else None)


async def self_nomination_allowed(mediator_id: int) -> bool:
    """An appointed mediator graded 优秀 or holding a senior certificate may apply."""
    from roster import services as roster

    summary = await roster.mediator_summary(mediator_id)
    if summary is None or summary.status != "appointed":
        return False
    try:
        from roster.review.services import latest_confirmed_grade

        if await latest_confirmed_grade(mediator_id) == "excellent":
            return True
    except ImportError:
        pass
    try:
        from certification import services as certification

        standing = (await certification.certificate_standing([mediator_id])).get(mediator_id)
        return bool(standing and standing.status == "valid" and standing.grade == "senior")
    except (ImportError, AttributeError):
        return False


async def _nomination_source(principal: Principal, clean: Nomination) -> str:
    """An administrator of the region nominates anyone; an organisation manager nominates
    the organisation's own mediators; an eligible mediator applies for themself."""
    summary = None
    if clean["mediator_id"]:
        from roster import services as roster

        summary = await roster.mediator_summary(clean["mediator_id"])
    # The expert's region is the nominator's own choice, so it gives no authority over the person:
    # a mediator on the roster is nominated by an administrator of the mediator's region.
    if principal.can_act_in(clean["region_code"], Role.ADMIN) and (
            summary is None or principal.can_act_in(summary.region_code, Role.ADMIN)):
        return "admin"
    if clean["mediator_id"]:
        if summary and summary.organisation_id and summary.organisation_id in principal.organisation_ids:
            return "organisation"
        if summary and principal.user_id is not None and summary.user_id == principal.user_id:
            if not await self_nomination_allowed(summary.id):
                raise Forbidden(_("Self-application is open to appointed mediators graded excellent or holding a "
                                  "senior certificate."))
            return "self"
    raise Forbidden(_("This record belongs to a region outside your authority."))


async def nominate(principal: Principal, data: dict[str, Any]) -> int:
    clean = validate_expert(data)
    source = await _nomination_source(principal, clean)
    if clean["mediator_id"]:
        await _refuse_second_nomination(clean["mediator_id"])
        from roster import services as roster

        summary = await roster.mediator_summary(clean["mediator_id"])
        if summary is None:
            raise FieldErrors({"mediator_id": _("No such mediator on the roster.")})
        clean["user_id"] = summary.user_id  # the mediator answers invitations on their own page
    async with write_transaction():
        if clean["mediator_id"]:  # nominated twice at once (a double click): once
            await serialise_on(f"expert:mediator:{clean['mediator_id']}")
            await _refuse_second_nomination(clean["mediator_id"])
        row = await Expert.insert(Expert(**clean, status="nominated", nomination_source=source,
                                         nominated_by=principal.user_id)).returning(Expert.id)
        await audit.record(principal, "nominate_expert", "expert", row[0]["id"], region_code=clean["region_code"],
                           after={**clean, "source": source})
    return row[0]["id"]


async def _refuse_second_nomination(mediator_id: int) -> None:
    if await Expert.exists().where((Expert.mediator_id == mediator_id) & Expert.status.not_in(["rejected", "removed"])):
        raise FieldErrors({"mediator_id": _("This mediator is already in the pool or nominated.")})


async def pool_expert(expert_id: int) -> PoolExpert:
    row = await Expert.select().where(Expert.id == expert_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such expert."))
    return PoolExpert(**row)


async def _set_status(principal: Principal, expert_id: int, status: str, grounds: str, allowed: tuple[str, ...],
                      term: tuple[date, date] | None = None) -> None:
    expert = await pool_expert(expert_id)
    if not principal.can_act_in(expert.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if expert.status not in allowed:
        raise Conflict(_("An expert who is %(current)s cannot be %(target)s.", current=expert.status, target=status))
    if status in ("rejected", "suspended", "removed") and not grounds.strip():
        raise DomainError(_("Give the grounds."), "grounds")
    update = {"status": status, "grounds": grounds.strip()} | (
        {"term_starts_on": term[0], "term_ends_on": term[1]} if term else {})
    async with write_transaction():
        await Expert.update({Expert.status: status, Expert.grounds: grounds.strip(),
                             **({Expert.term_starts_on: term[0], Expert.term_ends_on: term[1]} if term else {})}
                            ).where(Expert.id == expert_id)
        if status == "removed":
            await InvitedListing.update({"status": "removed", "removed_reason": grounds.strip()}).where(
                (InvitedListing.expert_id == expert_id) & (InvitedListing.status == "active"))
        await audit.record(principal, f"expert_{status}", "expert", expert_id, region_code=expert.region_code,
                           before={"status": expert.status}, after=update, reason=grounds)


async def admit(principal: Principal, expert_id: int, on: date | None = None) -> None:
    """Admission after review, for a term of 3 years (settings)."""
    on = on or clock.today()
    await _set_status(principal, expert_id, "admitted", "", ("nominated",),
                      (on, _add_years(on, get_settings().rules.expert_term_years)))


async def reject(principal: Principal, expert_id: int, grounds: str) -> None:
    await _set_status(principal, expert_id, "rejected", grounds, ("nominated",))


async def suspend(principal: Principal, expert_id: int, grounds: str) -> None:
    await _set_status(principal, expert_id, "suspended", grounds, ("admitted",))


async def reinstate(principal: Principal, expert_id: int) -> None:
    await _set_status(principal, expert_id, "admitted", "", ("suspended",))


async def remove(principal: Principal, expert_id: int, grounds: str) -> None:
    await _set_status(principal, expert_id, "removed", grounds, ("admitted", "suspended", "nominated"))


async def set_shared(principal: Principal, expert_id: int, shared: bool) -> None:
    """专家库共享: the expert's administrator opens them to other regions."""
    expert = await pool_expert(expert_id)
    if not principal.can_act_in(expert.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    async with write_transaction():
        await Expert.update({"shared": shared}).where(Expert.id == expert_id)
        await audit.record(principal, "share_expert" if shared else "unshare_expert", "expert", expert_id,
                           region_code=expert.region_code)


def _can_edit_expert(principal: Principal, expert: PoolExpert) -> bool:
    return principal.can_act_in(expert.region_code, Role.ADMIN) or (
        principal.user_id is not None and expert.user_id == principal.user_id)


async def add_absence(principal: Principal, expert_id: int, starts_on: date, ends_on: date, reason: str = "") -> int:
    expert = await pool_expert(expert_id)
    if not _can_edit_expert(principal, expert):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if ends_on < starts_on:
        raise DomainError(_("The end must not be before the start."), "ends_on")
    async with write_transaction():
        row = await Absence.insert(Absence(expert=expert_id, starts_on=starts_on, ends_on=ends_on,
                                           reason=reason[:200])).returning(Absence.id)
        await audit.record(principal, "add_absence", "expert", expert_id, region_code=expert.region_code,
                           after={"starts_on": starts_on, "ends_on": ends_on})
    return row[0]["id"]


async def add_conflict(principal: Principal, expert_id: int, data: dict[str, Any]) -> int:
    expert = await pool_expert(expert_id)
    if not _can_edit_expert(principal, expert):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "")
    if kind not in CONFLICT_KINDS:
        errors["kind"] = _("Choose the kind of relation.")
    party = str(data.get("party_name") or "").strip()
    if not party:
        errors["party_name"] = _("Name the party.")
    check_fields({"party_name": party}, errors, ("party_name",))
    code = str(data.get("credit_code") or "").strip().upper()
    if code and not valid_credit_code(code):
        errors["credit_code"] = _("This is not a valid unified social credit code (18 characters, check digit).")
    until = None
    if data.get("until"):
        try:
            until = date.fromisoformat(str(data["until"]))
        except ValueError:
            errors["until"] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        row = await StandingConflict.insert(StandingConflict(
            expert=expert_id, kind=kind, party_name=party[:200], credit_code=code, until=until,
            party_key=rules.normalise_name(party[:200]))).returning(StandingConflict.id)
        await audit.record(principal, "add_conflict", "expert", expert_id, region_code=expert.region_code,
                           after={"kind": kind, "party_name": party})
    return row[0]["id"]


async def pool(principal: Principal, status: str = "", q: str = "", page: int = 1, page_size: int = 30
               ) -> tuple[list[PoolExpert], int]:
    from core.db import contains

    where = within_regions(Expert.region_code, principal.regions_for(Role.ADMIN, Role.AUDITOR))
    if where is None:
        return [], 0
    if status:
        where = where & (Expert.status == status)
    if q:
        where = where & contains(Expert.name, q)
    total = await Expert.count().where(where)
    rows = await Expert.select().where(where).order_by(Expert.id).offset((page - 1) * page_size).limit(
        page_size).output(load_json=True)
    return [PoolExpert(**r) for r in rows], total


async def expert_detail(principal: Principal, expert_id: int) -> ExpertProfile:
    expert = await pool_expert(expert_id)
    if not (principal.can_act_in(expert.region_code, Role.ADMIN, Role.AUDITOR, Role.COURT)
            or expert.user_id == principal.user_id):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    conflicts = await StandingConflict.select().where(StandingConflict.expert == expert_id)
    absences = await Absence.select().where(Absence.expert == expert_id).order_by(Absence.starts_on)
    listings = await InvitedListing.select().where(InvitedListing.expert_id == expert_id).output(load_json=True)
    return ExpertProfile(**asdict(expert), conflicts=[DeclaredConflict(**c) for c in conflicts],
                         absences=[AbsencePeriod(**a) for a in absences], listings=[Listing.of(r) for r in listings])


async def expert_for_user(user_id: int | None) -> PoolExpert | None:
    if user_id is None:
        return None
    row = await Expert.select().where(Expert.user_id == user_id).output(load_json=True).first()
    return PoolExpert(**row) if row else None


async def expert_names(ids: list[int]) -> list[ExpertName]:
    if not ids:
        return []
    rows = await Expert.select(Expert.id, Expert.name, Expert.region_code, Expert.organisation_name,
                               Expert.user_id).where(Expert.id.is_in(ids))
    return [ExpertName(r["id"], r["name"], r["region_code"], r["organisation_name"], r["user_id"] is not None)
            for r in rows]
