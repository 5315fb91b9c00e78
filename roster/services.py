"""Roster rules other domains call: mediators and organisations as summaries, a mediator's
status transitions, and records for other domains' demos and tests. Organisations are in
`organisations` and `filings`, mediators' records in `mediators`, the rest of the roster in
their own sibling modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import IN_CHUNK, chunks, write_transaction
from core.errors import Conflict, DomainError, NotFound
from core.i18n import _
from core.regions import region_like
from core.settings import get_settings
from core.vocab import MediatorStatus
from roster import personal
from roster.counters import next_filing_no, next_roster_no
from roster.tables import Mediator, Membership, Organisation, StatusChange, by_name

# The transitions a mediator's status may take; none of them deletes anything.
TRANSITIONS = {
    MediatorStatus.APPLICANT: {MediatorStatus.APPOINTED, MediatorStatus.EXITED},
    MediatorStatus.APPOINTED: {MediatorStatus.SUSPENDED, MediatorStatus.EXITED},
    MediatorStatus.SUSPENDED: {MediatorStatus.APPOINTED, MediatorStatus.EXITED},
    MediatorStatus.EXITED: set(),
}


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


SUMMARY_COLUMNS = (
    Mediator.id, Mediator.name, Mediator.gender, Mediator.region_code, Mediator.status, Mediator.roster_no,
    Mediator.source_category, Mediator.employment, Mediator.photo_path, Mediator.user_id,
    Mediator.appointed_on, Mediator.term_ends_on,
)


async def primary_organisations(mediator_ids: list[int], region_where=None) -> dict[int, tuple[int, str]]:
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
    rows = await Mediator.select(*SUMMARY_COLUMNS).where(where).order_by(Mediator.id)
    primary = await primary_organisations([r["id"] for r in rows], membership_where)
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


# --------------------------------------------------------------------------- mediator records
@dataclass(frozen=True, slots=True)
class MediatorParticulars:
    """What staff may see of a mediator's record: the ID number and phone only masked."""

    id: int
    name: str
    gender: str
    id_number_masked: str
    phone_masked: str
    education: str
    profession: str
    photo_path: str | None
    source_category: str
    employment: str
    region_code: str
    roster_no: str | None
    status: str
    appointed_on: date | None
    term_ends_on: date | None
    exited_on: date | None
    exit_ground: str
    user_id: int | None


@dataclass(frozen=True, slots=True)
class MediatorRecord(MediatorParticulars):
    """A mediator's stored record within the roster, personal data still protected: the ID
    number and phone are opened only by `mediators.reveal_personal_data`."""

    id_number_enc: str
    id_number_hash: str | None
    phone_enc: str
    created_at: datetime
    updated_at: datetime


async def insert_mediator(clean: dict[str, Any], user_id: int | None, status: str = "applicant") -> int:
    row = await Mediator.insert(
        Mediator(**clean, status=status, user_id=user_id, created_at=clock.now(), updated_at=clock.now())
    ).returning(Mediator.id)
    return row[0]["id"]


async def join_organisation(mediator_id: int, organisation_id: int, primary: bool, joined_on: date | None = None) -> int:
    """An effective membership from `joined_on` (today). Callers hold the consent or authority
    it rests on: a new record, an appointment, or an accepted proposal (roster.memberships)."""
    if primary:
        await Membership.update({Membership.primary: False}).where(
            (Membership.mediator == mediator_id) & Membership.left_on.is_null())
    row = await Membership.insert(Membership(mediator=mediator_id, organisation=organisation_id, primary=primary,
                                             joined_on=joined_on or clock.today())).returning(Membership.id)
    return row[0]["id"]


async def mediator_row(mediator_id: int) -> MediatorRecord:
    """The mediator's stored record, whoever asks (the caller checks authority)."""
    row = await Mediator.select().where(Mediator.id == mediator_id).first()
    if row is None:
        raise NotFound(_("No such mediator."))
    return MediatorRecord(**row)


async def transition(mediator: MediatorRecord, new_status: str, ground: str, actor: Principal | None,
                     on: date) -> None:
    current = MediatorStatus(mediator.status)
    target = MediatorStatus(new_status)
    if target not in TRANSITIONS[current]:
        raise Conflict(_("A mediator who is %(current)s cannot become %(target)s.", current=current.label,
                         target=target.label))
    update: dict[str, Any] = {"status": target.value, "updated_at": clock.now()}
    if target == MediatorStatus.APPOINTED and current == MediatorStatus.APPLICANT:
        update["appointed_on"] = on
        update["term_ends_on"] = add_years(on, get_settings().rules.appointment_term_years)
        if not mediator.roster_no:
            update["roster_no"] = await next_roster_no(mediator.region_code, on.year)
    if target == MediatorStatus.EXITED:
        update["exited_on"] = on
        update["exit_ground"] = ground[:200]
    await Mediator.update(by_name(update)).where(Mediator.id == mediator.id)
    await StatusChange.insert(StatusChange(mediator=mediator.id, from_status=current.value, to_status=target.value,
                                           ground=ground, effective_on=on,
                                           actor_id=actor.user_id if actor else None, created_at=clock.now()))
    await audit.record(actor, "status_" + target.value, "mediator", mediator.id, region_code=mediator.region_code,
                       before={"status": current.value}, after=update, reason=ground)
    if current != MediatorStatus.APPLICANT:  # an appointment waits for the next publication
        from roster.publication import follow_status_change

        await follow_status_change(mediator.id, target.value, on, actor, mediator.region_code)


async def change_mediator_status(mediator_id: int, new_status: str, *, ground: str, actor: Principal | None,
                                 on: date | None = None) -> None:
    """Appoint, suspend, reinstate or exit, with ground, date and actor (the review's exit
    calls this). Staff authority is checked by the caller's service or `set_status`."""
    if not (ground or "").strip():
        raise DomainError(_("Give the ground for this change."), "ground")
    async with write_transaction():
        mediator = await mediator_row(mediator_id)
        await transition(mediator, new_status, ground.strip(), actor, on or clock.today())


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
            await Organisation.update({"filing_no": await next_filing_no(region_code, clock.today().year)}).where(
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
        mediator_id = await insert_mediator(clean, user_id)
        if organisation_id:
            await join_organisation(mediator_id, organisation_id, primary=True, joined_on=joined_on or appointed_on)
        on = appointed_on or clock.today()
        if status != MediatorStatus.APPLICANT:
            await transition(await mediator_row(mediator_id), MediatorStatus.APPOINTED, "appointed", None, on)
        if status in (MediatorStatus.SUSPENDED, MediatorStatus.EXITED):
            await transition(await mediator_row(mediator_id), status, status, None, on)
    if user_id:
        from core.auth.services import link_grant

        await link_grant(user_id, Role.MEDIATOR, mediator_id=mediator_id)
    return mediator_id


