"""Expert pool rules: nomination, admission with a term, suspension and removal, sharing,
absences and standing conflicts; the invited list; court selections with strikes,
invitations, answers and outcomes; and the functions other domains call."""

from __future__ import annotations

import asyncio
import gc
import secrets
import zlib
from contextlib import contextmanager
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import is_unique_violation, serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within, region_like, region_name, region_prefix
from core.settings import get_settings
from core.text import check_fields
from core.vocab import DisputeType
from core.workdays import add_working_days
from expert_pool import selection as rules
from expert_pool.tables import (
    Absence,
    Court,
    Expert,
    InvitedListing,
    Selection,
    SelectionEvent,
    SelectionParty,
    StandingConflict,
)

BACKGROUNDS = ("mediator", "arbitrator", "lawyer", "scholar", "retired_judge", "retired_prosecutor")
CONFLICT_KINDS = ("former_employer", "represented", "relative_employer", "other")
OUTCOMES = ("agreement", "no_agreement", "withdrawn")
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """GB 32100-2015: the 18th character of a unified social credit code."""
    total = sum(_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return _CODE_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    return (len(code) == 18 and all(c in _CODE_ALPHABET for c in code)
            and credit_code_check(code[:17]) == code[17])


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- pool
def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").replace("，", ",").split(",") if v.strip()]


def validate_expert(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"name": str(data.get("name") or "").strip()[:100]}
    if not clean["name"]:
        errors["name"] = _("Enter the name.")
    clean["background"] = str(data.get("background") or "")
    if clean["background"] not in BACKGROUNDS:
        errors["background"] = _("Choose a background.")
    clean["region_code"] = str(data.get("region_code") or "").strip()
    if region_name(clean["region_code"]) in ("", clean["region_code"]):
        errors["region_code"] = _("Choose a region.")
    clean["specialties"] = _list(data.get("specialties"))
    if not clean["specialties"]:
        errors["specialties"] = _("Choose at least one specialty.")
    elif any(s not in {d.value for d in DisputeType} for s in clean["specialties"]):
        errors["specialties"] = _("Use the dispute type codes.")
    clean["industries"] = _list(data.get("industries"))
    clean["languages"] = _list(data.get("languages")) or ["普通话"]
    clean["regions_served"] = _list(data.get("regions_served"))
    clean["organisation_name"] = str(data.get("organisation_name") or "").strip()[:200]
    try:
        clean["max_concurrent_cases"] = int(data.get("max_concurrent_cases") or 3)
        if not 1 <= clean["max_concurrent_cases"] <= 20:
            raise ValueError
    except ValueError:
        errors["max_concurrent_cases"] = _("Enter a whole number from 1 to 20.")
    mediator_id = data.get("mediator_id")
    clean["mediator_id"] = int(mediator_id) if str(mediator_id or "").isdecimal() else None
    check_fields(clean, errors, ("name", "organisation_name"))
    check_fields({"industries": "".join(clean["industries"]), "languages": "".join(clean["languages"])}, errors,
                 ("industries", "languages"))
    if errors:
        raise FieldErrors(errors)
    return clean


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


async def _nomination_source(principal: Principal, clean: dict[str, Any]) -> str:
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


async def _expert(expert_id: int) -> dict[str, Any]:
    row = await Expert.select().where(Expert.id == expert_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such expert."))
    return row


async def _set_status(principal: Principal, expert_id: int, status: str, grounds: str, allowed: tuple[str, ...],
                      extra: dict[str, Any] | None = None) -> None:
    expert = await _expert(expert_id)
    if not principal.can_act_in(expert["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if expert["status"] not in allowed:
        raise Conflict(_("An expert who is %(current)s cannot be %(target)s.", current=expert["status"], target=status))
    if status in ("rejected", "suspended", "removed") and not grounds.strip():
        raise DomainError(_("Give the grounds."), "grounds")
    update = {"status": status, "grounds": grounds.strip(), **(extra or {})}
    async with write_transaction():
        await Expert.update(update).where(Expert.id == expert_id)
        if status == "removed":
            await InvitedListing.update({"status": "removed", "removed_reason": grounds.strip()}).where(
                (InvitedListing.expert_id == expert_id) & (InvitedListing.status == "active"))
        await audit.record(principal, f"expert_{status}", "expert", expert_id, region_code=expert["region_code"],
                           before={"status": expert["status"]}, after=update, reason=grounds)


async def admit(principal: Principal, expert_id: int, on: date | None = None) -> None:
    """Admission after review, for a term of 3 years (settings)."""
    on = on or clock.today()
    await _set_status(principal, expert_id, "admitted", "", ("nominated",),
                      {"term_starts_on": on, "term_ends_on": _add_years(on, get_settings().rules.expert_term_years)})


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
    expert = await _expert(expert_id)
    if not principal.can_act_in(expert["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    async with write_transaction():
        await Expert.update({"shared": shared}).where(Expert.id == expert_id)
        await audit.record(principal, "share_expert" if shared else "unshare_expert", "expert", expert_id,
                           region_code=expert["region_code"])


def _can_edit_expert(principal: Principal, expert: dict[str, Any]) -> bool:
    return principal.can_act_in(expert["region_code"], Role.ADMIN) or (
        principal.user_id is not None and expert.get("user_id") == principal.user_id)


async def add_absence(principal: Principal, expert_id: int, starts_on: date, ends_on: date, reason: str = "") -> int:
    expert = await _expert(expert_id)
    if not _can_edit_expert(principal, expert):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if ends_on < starts_on:
        raise DomainError(_("The end must not be before the start."), "ends_on")
    async with write_transaction():
        row = await Absence.insert(Absence(expert=expert_id, starts_on=starts_on, ends_on=ends_on,
                                           reason=reason[:200])).returning(Absence.id)
        await audit.record(principal, "add_absence", "expert", expert_id, region_code=expert["region_code"],
                           after={"starts_on": starts_on, "ends_on": ends_on})
    return row[0]["id"]


async def add_conflict(principal: Principal, expert_id: int, data: dict[str, Any]) -> int:
    expert = await _expert(expert_id)
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
        await audit.record(principal, "add_conflict", "expert", expert_id, region_code=expert["region_code"],
                           after={"kind": kind, "party_name": party})
    return row[0]["id"]


async def pool(principal: Principal, status: str = "", q: str = "", page: int = 1, page_size: int = 30
               ) -> tuple[list[dict[str, Any]], int]:
    from core.db import contains

    where = None
    for code in principal.regions_for(Role.ADMIN, Role.AUDITOR):
        clause = Expert.region_code.like(region_like(code))
        where = clause if where is None else where | clause
    if where is None:
        return [], 0
    if status:
        where = where & (Expert.status == status)
    if q:
        where = where & contains(Expert.name, q)
    total = await Expert.count().where(where)
    rows = await Expert.select().where(where).order_by(Expert.id).offset((page - 1) * page_size).limit(
        page_size).output(load_json=True)
    return rows, total


async def expert_detail(principal: Principal, expert_id: int) -> dict[str, Any]:
    expert = await _expert(expert_id)
    if not (principal.can_act_in(expert["region_code"], Role.ADMIN, Role.AUDITOR, Role.COURT)
            or expert.get("user_id") == principal.user_id):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    expert["conflicts"] = await StandingConflict.select().where(StandingConflict.expert == expert_id)
    expert["absences"] = await Absence.select().where(Absence.expert == expert_id).order_by(Absence.starts_on)
    expert["listings"] = await InvitedListing.select().where(InvitedListing.expert_id == expert_id).output(
        load_json=True)
    return expert


async def expert_for_user(user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    return await Expert.select().where(Expert.user_id == user_id).output(load_json=True).first()


# --------------------------------------------------------------------------- invited list
async def list_invited(principal: Principal, expert_id: int, courts: list[int], on: date | None = None) -> int:
    expert = await _expert(expert_id)
    if not principal.can_act_in(expert["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if expert["status"] != "admitted":
        raise Conflict(_("Only an admitted expert can be put on the invited list."))
    if not courts:
        raise DomainError(_("Choose the courts this expert serves."), "courts")
    async with write_transaction():
        row = await InvitedListing.insert(InvitedListing(
            expert_id=expert_id, name=expert["name"], organisation_name=expert["organisation_name"],
            region_code=expert["region_code"], specialties=expert["specialties"], courts=courts,
            approved_on=on or clock.today())).returning(InvitedListing.id)
        await audit.record(principal, "list_invited", "expert", expert_id, region_code=expert["region_code"],
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


async def listings_for(principal: Principal) -> list[dict[str, Any]]:
    """Every listing (active and withdrawn) in the administrator's or auditor's regions."""
    where = None
    for code in principal.regions_for(Role.ADMIN, Role.AUDITOR):
        clause = InvitedListing.region_code.like(region_like(code))
        where = clause if where is None else where | clause
    if where is None:
        return []
    rows = await InvitedListing.select().where(where).order_by(InvitedListing.status,
                                                               InvitedListing.region_code).output(load_json=True)
    names = {c["id"]: c["name"] for c in await Court.select(Court.id, Court.name)}
    for r in rows:
        r["court_names"] = [names.get(c, "") for c in r["courts"] or []]
    return rows


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
                         ) -> tuple[list[dict[str, Any]], int]:
    """The published invited list: names, organisation, specialties, region, courts."""
    from core.db import contains

    where = InvitedListing.status == "active"
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
    courts = {c["id"]: c["name"] for c in await Court.select(Court.id, Court.name)}
    for r in rows:
        r["court_names"] = [courts.get(c, "") for c in r["courts"] or []]
        r["kind"] = "expert" if r.pop("expert_id") else "organisation"
    return rows[(page - 1) * page_size: page * page_size], len(rows)


# --------------------------------------------------------------------------- courts
async def create_court(name: str, region_code: str, kind: str = "court") -> int:
    existing = await Court.select(Court.id).where(Court.name == name).first()
    if existing:
        return existing["id"]
    row = await Court.insert(Court(name=name, region_code=region_code, kind=kind)).returning(Court.id)
    return row[0]["id"]


async def courts() -> list[dict[str, Any]]:
    return await Court.select().order_by(Court.region_code)


# --------------------------------------------------------------------------- snapshot and selection
# The candidates with what the rules read about each, in one query. The counts of recent
# accepted cases and today's absences come from correlated subqueries served by indexes
# (selection_accepted_expert_on covers the counts), so nothing grows with the pool but the
# rows. Experts serving the case's city are found by the text of `regions_served` (a
# superset: the exact rule, `r[:4] == city`, is applied in Python). Each candidate is one
# JSON array and the candidates one JSON value: 2,000 rows of typed columns converted value by
# value cost SQLite as much again as the query itself. The engines name the JSON functions
# differently (and PostgreSQL's jsonb needs no json()).
_CANDIDATE_COLUMNS = ("id", "mediator_id", "region_code", "status", "shared", "specialties", "regions_served",
                      "max_cases", "term_starts_on", "term_ends_on", "in_city", "active_cases", "assignments_12m",
                      "away")
_CANDIDATES_SQL = """
SELECT %(agg)s(%(array)s(
       e.id, e.mediator_id, e.region_code, e.status, e.shared, %(json)s(e.specialties), %(json)s(e.regions_served),
       e.max_concurrent_cases, e.term_starts_on, e.term_ends_on, e.region_code LIKE {},
       (SELECT COUNT(*) FROM selection s WHERE s.accepted_expert_id = e.id AND s.accepted_on >= {}
          AND s.outcome IS NULL),
       (SELECT COUNT(*) FROM selection s WHERE s.accepted_expert_id = e.id AND s.accepted_on >= {}
          AND s.accepted_on >= {}),
       EXISTS (SELECT 1 FROM absence a WHERE a.expert = e.id AND a.starts_on <= {} AND a.ends_on >= {})
       )) AS candidates
FROM expert e
WHERE e.status IN ('admitted', 'suspended')
  AND (e.region_code LIKE {} OR CAST(e.regions_served AS TEXT) LIKE {} OR (e.shared AND {}))
"""
_ID, _MEDIATOR, _SHARED, _SERVED, _IN_CITY = (_CANDIDATE_COLUMNS.index(c) for c in (
    "id", "mediator_id", "shared", "regions_served", "in_city"))
_JSON_FUNCTIONS = {"sqlite": {"agg": "json_group_array", "array": "json_array", "json": "json"},
                   "postgres": {"agg": "json_agg", "array": "json_build_array", "json": ""}}


async def pool_snapshot(case: dict[str, Any], on: date) -> list[dict[str, Any]]:
    """The candidates as the rules read them (see `_stored_snapshot`)."""
    return rules.unpack_snapshot(await _stored_snapshot(case, on))


async def _stored_snapshot(case: dict[str, Any], on: date) -> dict[str, Any]:
    """Everything the selection's rules read about every candidate, in a constant number of
    queries whatever the pool size: experts of the case's city, those serving it, and shared
    ones when the case allows them, with their open cases, assignments in 12 months and
    absences (one query); their standing conflicts and past mediations naming one of the
    case's parties (one query each, by the stored party keys); certificates (one query, when
    a candidate is on the mediator roster).

    Conflicts and past mediations naming none of the case's parties are left out: the
    recusal rules compare each with the case's parties (kept in the stored inputs), so they
    cannot change the list or its replay, and reading them all was most of the time."""
    city = case["region"][:4]
    allow_shared = bool(case.get("allow_shared"))
    lookback = on - timedelta(days=round(365.25 * get_settings().rules.conflict_lookback_years))
    year_ago = on - timedelta(days=365)
    parties, agents = rules.case_parties(case)
    found, conflicts, past_parties = await asyncio.gather(  # independent: read side by side
        Expert.raw(_CANDIDATES_SQL % _JSON_FUNCTIONS[Expert._meta.db.engine_type], city + "%", lookback, lookback,
                   year_ago, on, on, city + "%", f'%"{city}%', allow_shared),
        _matching_conflicts(*rules.match_keys(parties + agents)),
        _past_parties(lookback, *rules.match_keys(parties)))
    with _cyclic_gc_paused():
        candidates = msgspec.json.decode(found[0]["candidates"] or "[]")  # PostgreSQL: null for no rows
        experts = sorted((c for c in candidates if c[_IN_CITY] or (allow_shared and c[_SHARED])
                          or any(r[:4] == city for r in c[_SERVED])), key=itemgetter(_ID))
        del candidates
    if not experts:
        return rules.stored_snapshot([])
    certified = await _certified([e[_MEDIATOR] for e in experts if e[_MEDIATOR]], on)
    with _cyclic_gc_paused():
        return rules.stored_snapshot([[  # in rules.SNAPSHOT_FIELDS order
            expert_id, region_code, status, bool(shared), specialties, regions_served, term_starts_on, term_ends_on,
            mediator_id is not None, mediator_id in certified if mediator_id else None, bool(away), active_cases,
            max_cases, assignments_12m, conflicts.get(expert_id, []), past_parties.get(expert_id, []),
        ] for (expert_id, mediator_id, region_code, status, shared, specialties, regions_served, max_cases,
               term_starts_on, term_ends_on, _in_city, active_cases, assignments_12m, away) in experts])


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


@contextmanager
def _cyclic_gc_paused():
    """No cyclic garbage collection while a selection builds and drops tens of thousands of
    short-lived objects (none in a cycle: reference counting frees them). Otherwise they set
    off a full collection every few selections, which walks the whole process's heap (in the
    benchmark 15 of about 45 ms each in 60 selections, against 2 with the pause: the p95).
    Only around code without `await`, so no other request runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _matching_conflicts(names: set[str], codes: set[str]) -> dict[int, list[dict[str, Any]]]:
    """Standing conflicts, by expert, whose party key or credit code is one of the case's; a
    row without its key (written around `add_conflict`) is always read, so it is checked by
    the rules rather than missed."""
    where = (StandingConflict.party_key == "") & (StandingConflict.party_name != "")
    if names:
        where = where | StandingConflict.party_key.is_in(sorted(names))
    if codes:
        where = where | StandingConflict.credit_code.is_in(sorted(codes))
    out: dict[int, list[dict[str, Any]]] = {}
    for c in await StandingConflict.select(
            StandingConflict.expert, StandingConflict.kind, StandingConflict.party_name, StandingConflict.credit_code,
            StandingConflict.until).where(where).order_by(StandingConflict.id):
        out.setdefault(c["expert"], []).append({"kind": c["kind"], "party_name": c["party_name"],
                                                "credit_code": c["credit_code"], "until": _iso(c["until"])})
    return out


async def _past_parties(since: date, names: set[str], codes: set[str]) -> dict[int, list[dict[str, Any]]]:
    """Parties of the cases accepted since `since` that are also this case's, by the expert
    who accepted them."""
    if not names and not codes:
        return {}
    clauses = ([SelectionParty.party_key.is_in(sorted(names))] if names else []) + (
        [SelectionParty.credit_code.is_in(sorted(codes))] if codes else [])
    where = clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]
    rows = await SelectionParty.select(
        SelectionParty.selection.accepted_expert_id.as_alias("expert"),
        SelectionParty.selection.accepted_on.as_alias("on"), SelectionParty.name, SelectionParty.credit_code,
    ).where(where & SelectionParty.selection.accepted_expert_id.is_not_null()
            & (SelectionParty.selection.accepted_on >= since)).order_by(SelectionParty.selection, SelectionParty.position)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["expert"], []).append({"party_name": r["name"], "credit_code": r["credit_code"],
                                                "on": _iso(r["on"])})
    return out


async def _by_expert(query, key: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for row in await query:
        out.setdefault(row[key], []).append(row)
    return out


async def _certified(mediator_ids: list[int], on: date) -> set[int]:
    if not mediator_ids:
        return set()
    try:
        from certification import services as certification

        standing = await certification.certificate_standing(mediator_ids)
    except (ImportError, AttributeError):
        return set()
    return {mid for mid, s in standing.items() if s.status == "valid" and s.expires_on >= on}


def validate_request(data: dict[str, Any]) -> dict[str, Any]:
    """The court's case, checked field by field (nested fields named like `employers[0].credit_code`)."""
    errors: dict[str, str] = {}
    case_no = str(data.get("case_no") or "").strip()
    if not case_no:
        errors["case_no"] = _("Enter the case number.")
    dispute = str(data.get("dispute_type") or "")
    if dispute not in {d.value for d in DisputeType}:
        errors["dispute_type"] = _("Use one of the dispute type codes.")
    region = str(data.get("region") or "").strip()
    if region_name(region) in ("", region):
        errors["region"] = _("Choose a region.")
    employers = []
    for i, e in enumerate(data.get("employers") or []):
        name, code = str(e.get("name") or "").strip(), str(e.get("credit_code") or "").strip().upper()
        if not name:
            errors[f"employers[{i}].name"] = _("Name the employer.")
        if code and not valid_credit_code(code):
            errors[f"employers[{i}].credit_code"] = _("This is not a valid unified social credit code (18 characters, "
                                                      "check digit).")
        employers.append({"name": name, "credit_code": code})
    workers = [{"name": str(w.get("name") or "").strip()} for w in data.get("workers") or []]
    if not employers and not workers:
        errors["employers"] = _("Name at least one party.")
    agents = [{"name": str(a.get("name") or "").strip(), "firm": str(a.get("firm") or "").strip()}
              for a in data.get("agents") or []]
    declared = []
    for i, d in enumerate(data.get("declared_relations") or []):
        if not isinstance(d.get("expert_id"), int):
            errors[f"declared_relations[{i}].expert_id"] = _("Give the expert's id.")
        declared.append({"expert_id": d.get("expert_id"), "relation": str(d.get("relation") or "")})
    waivers = []
    for i, w in enumerate(data.get("waivers") or []):
        if not isinstance(w.get("expert_id"), int):
            errors[f"waivers[{i}].expert_id"] = _("Give the expert's id.")
        if str(w.get("ground") or "") not in rules.RECUSAL_GROUNDS:
            errors[f"waivers[{i}].ground"] = _("Name the ground waived: %(grounds)s.",
                                                grounds=", ".join(rules.RECUSAL_GROUNDS))
        waivers.append({"expert_id": w.get("expert_id"), "ground": str(w.get("ground") or ""),
                        "employer_side": bool(w.get("employer_side")), "worker_side": bool(w.get("worker_side"))})
    try:
        count = int(data.get("count") or 0)
        if not 1 <= count <= 20:
            raise ValueError
    except (TypeError, ValueError):
        errors["count"] = _("Ask for 1 to 20 experts.")
        count = 0
    # every name here is printed on the selection and matched against the pool's conflicts
    named = {"case_no": case_no}
    for side, parties in (("employers", employers), ("workers", workers), ("agents", agents)):
        for i, party in enumerate(parties):
            named.update({f"{side}[{i}].{key}": value for key, value in party.items()})
    check_fields(named, errors, tuple(named))
    if errors:
        raise FieldErrors(errors)
    return {"case_no": case_no, "dispute_type": dispute, "region": region, "employers": employers,
            "workers": workers, "agents": agents, "declared_relations": declared, "waivers": waivers,
            "count": count, "allow_shared": bool(data.get("allow_shared"))}


# A selection's columns but the stored snapshot and reasons, which only a view and a replay read.
_STORED_JSON = (Selection.pool_snapshot, Selection.pool_snapshot_zlib, Selection.considered, Selection.considered_zlib)
_SELECTION_ROW = [c for c in Selection._meta.columns if c not in _STORED_JSON]


def _compressed(value: Any) -> bytes:
    """JSON, zlib level 1: ten times smaller for about a millisecond (level 6 gains a third more
    for four times the time). msgspec encodes the few hundred kB ten times faster than json."""
    return zlib.compress(msgspec.json.encode(value), 1)


async def _stored_json(selection_id: int, *names: str) -> list[Any]:
    """The stored snapshot and/or reasons of a selection, whichever form they were stored in."""
    columns = [getattr(Selection, n) for name in names for n in (name, f"{name}_zlib")]
    row = await Selection.select(*columns).where(Selection.id == selection_id).output(load_json=True).first()
    return [msgspec.json.decode(zlib.decompress(row[f"{name}_zlib"])) if row[f"{name}_zlib"] is not None
            else row[name] for name in names]


def _court_of(principal: Principal) -> int | None:
    return principal.court_id


async def create_selection(principal: Principal, data: dict[str, Any], seed: str | None = None,
                           on: date | None = None) -> dict[str, Any]:
    inputs = validate_request(data)
    court_id = _court_of(principal)
    if court_id is None and not principal.has_role(Role.ADMIN):
        raise Forbidden(_("Your account is not bound to a court."))
    if not principal.can_act_in(inputs["region"], Role.COURT, Role.ADMIN):
        raise FieldErrors({"region": _("The case's region is outside your court's region.")})
    case_key = rules.live_case_key(court_id or 0, inputs["region"], inputs["case_no"])
    await _refuse_second_live_selection(case_key)  # before the costly draw; the unique index decides
    on = on or clock.today()
    inputs["on"] = on.isoformat()
    inputs["lookback_years"] = get_settings().rules.conflict_lookback_years
    inputs["recusal_rules"] = rules.RECUSAL_RULES  # the look-back applies to employment and past mediation only
    seed = seed or secrets.token_hex(8)
    stored = await _stored_snapshot(inputs, on)
    with _cyclic_gc_paused():
        shortlist, considered = rules.select(inputs, rules.unpack_snapshot(stored), seed)
        record = {"pool_snapshot_zlib": _compressed(stored), "considered_zlib": _compressed(considered)}
        del stored
    deadline = await add_working_days(on, get_settings().rules.strike_window_working_days)
    try:
        selection_id = await _store_selection(principal, inputs, court_id or 0, case_key if shortlist else None,
                                              seed, shortlist, record, deadline)
    except Exception as failure:
        if not is_unique_violation(failure, "live_case_key"):
            raise
        await _refuse_second_live_selection(case_key)  # another request for the case won the race
        raise
    result = {"id": selection_id, "seed": seed, "shortlist": shortlist, "considered": considered}
    if len(shortlist) < inputs["count"]:
        result["message"] = _("Only %(found)s of the %(asked)s experts asked for are eligible.",
                              found=len(shortlist), asked=inputs["count"])
    return result


async def _refuse_second_live_selection(case_key: str) -> None:
    """A court case has one live selection: a second request answers 409 naming the first (a
    new list for the case comes once the first has ended: exhausted, or closed with an outcome)."""
    existing = await Selection.select(Selection.id).where(Selection.live_case_key == case_key).first()
    if existing:
        raise Conflict(_("This court already has a live selection for this case number (no. %(id)s); "
                         "continue that one.", id=existing["id"]), "case_no", existing_id=existing["id"])


async def _store_selection(principal: Principal, inputs: dict[str, Any], court_id: int, case_key: str | None,
                           seed: str, shortlist: list[int], record: dict[str, bytes], deadline: date) -> int:
    """The selection, its parties and waivers, audited, in one transaction. `case_key` is None
    for a list found empty (exhausted at once: not live)."""
    async with write_transaction():
        row = await Selection.insert(Selection(
            court_id=court_id, user_id=principal.user_id, case_no=inputs["case_no"],
            dispute_type=inputs["dispute_type"], region_code=inputs["region"], inputs=inputs, seed=seed,
            shortlist=shortlist, ranking=shortlist, **record, live_case_key=case_key,
            status="striking" if shortlist else "exhausted", strike_deadline=deadline,
            created_at=clock.now())).returning(Selection.id)
        selection_id = row[0]["id"]
        parties = [(role, p) for role in ("employer", "worker") for p in inputs[f"{role}s"]]
        if parties:
            await SelectionParty.insert(*[SelectionParty(
                selection=selection_id, position=n, role=role, name=p["name"], credit_code=p.get("credit_code", ""),
                party_key=rules.normalise_name(p["name"])) for n, (role, p) in enumerate(parties)])
        for w in inputs["waivers"]:
            if w["employer_side"] and w["worker_side"]:
                await SelectionEvent.insert(SelectionEvent(selection=selection_id, kind="waiver", side="both",
                                                           expert_id=w["expert_id"], reason=w["ground"],
                                                           user_id=principal.user_id, at=clock.now()))
        await audit.record(principal, "select_experts", "selection", selection_id, region_code=inputs["region"],
                           after={"case_no": inputs["case_no"], "shortlist": shortlist, "seed": seed})
    return selection_id


async def _selection(principal: Principal, selection_id: int) -> dict[str, Any]:
    row = await Selection.select(*_SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    if principal.has_role(Role.COURT) and not principal.has_role(Role.ADMIN, Role.AUDITOR):
        if principal.court_id != row["court_id"]:
            raise NotFound(_("No such selection."))
    elif not principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR):
        expert = await expert_for_user(principal.user_id)
        if not expert or expert["id"] not in row["shortlist"]:
            raise NotFound(_("No such selection."))
    return row


async def selection_view(principal: Principal, selection_id: int) -> dict[str, Any]:
    row = await _selection(principal, selection_id)
    events = await SelectionEvent.select().where(SelectionEvent.selection == selection_id).order_by(
        SelectionEvent.id).output(load_json=True)
    invited = _current_invitation(events)
    return {
        "id": row["id"], "seed": row["seed"], "shortlist": row["shortlist"],
        "considered": (await _stored_json(selection_id, "considered"))[0],
        "case_no": row["case_no"], "dispute_type": row["dispute_type"], "region": row["region_code"],
        "court_id": row["court_id"], "status": row["status"], "ranking": row["ranking"],
        "strike_deadline": row["strike_deadline"], "accepted_expert_id": row["accepted_expert_id"],
        "accepted_on": row["accepted_on"], "outcome": row["outcome"], "outcome_on": row["outcome_on"],
        "mediation_deadline": (row["accepted_on"] + timedelta(days=get_settings().rules.mediation_time_limit_days)
                               if row["accepted_on"] else None),
        "invited_expert_id": invited["expert_id"] if invited else None,
        "answer_due": invited["due_on"] if invited else None,
        "inputs": row["inputs"],
        "strikes": [{"side": e["side"], "struck": e["data"].get("struck", []), "ranking": e["data"].get("ranking", []),
                     "at": e["at"]} for e in events if e["kind"] == "strike"],
        "invitations": [{"expert_id": e["expert_id"], "due_on": e["due_on"], "at": e["at"]}
                        for e in events if e["kind"] == "invite"],
        "answers": [{"expert_id": e["expert_id"], "answer": e["kind"], "reason": e["reason"],
                     "good_reason": e["good_reason"], "at": e["at"]}
                    for e in events if e["kind"] in ("accept", "decline", "lapse")],
        "steps": [{"id": e["id"], "kind": e["kind"], "side": e["side"], "expert_id": e["expert_id"], "reason": e["reason"],
                   "good_reason": e["good_reason"], "due_on": e["due_on"], "at": e["at"], "data": e["data"]}
                  for e in events],
    }


async def replay(principal: Principal, selection_id: int) -> dict[str, Any]:
    row = await _selection(principal, selection_id)
    snapshot, stored_considered = await _stored_json(selection_id, "pool_snapshot", "considered")
    shortlist, considered = rules.select(row["inputs"], rules.unpack_snapshot(snapshot), row["seed"])
    return {"matches": shortlist == row["shortlist"] and considered == stored_considered, "shortlist": shortlist}


def _current_invitation(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    open_invite = None
    for e in events:
        if e["kind"] == "invite":
            open_invite = e
        elif e["kind"] in ("accept", "decline", "lapse") and open_invite and e["expert_id"] == open_invite["expert_id"]:
            open_invite = None
    return open_invite


async def _current(selection_id: int) -> dict[str, Any]:
    """Inside a write transaction: the selection as it is now, after any other step on it has
    ended (a step double-submitted, or a court and an expert answering at once, runs its checks
    one after the other, so a step is recorded once)."""
    await serialise_on(f"selection:{selection_id}")
    return await Selection.select(*_SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()


async def _events(selection_id: int) -> list[dict[str, Any]]:
    return await SelectionEvent.select().where(SelectionEvent.selection == selection_id).order_by(
        SelectionEvent.id).output(load_json=True)


async def strike(principal: Principal, selection_id: int, side: str, struck: list[int], ranking: list[int],
                 on: date | None = None) -> None:
    """A side strikes up to N names and ranks the rest within the strike window (2 working days,
    在线调解规则 Art. 10), recorded by the court for the party. `ranking` is the side's order of
    the names it did not strike, best first; it may stop short (the names it leaves out follow in
    draw order) or be empty (the draw order). Names the other side strikes drop out when the
    two rankings are combined (`selection.combine_rankings`). The same answer sent again changes
    nothing."""
    on = on or clock.today()
    row = await _selection(principal, selection_id)
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
        row = await _current(selection_id)
        answered = [e for e in await _events(selection_id) if e["kind"] == "strike" and e["side"] == side]
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
    row = await _selection(principal, selection_id)
    if not principal.has_role(Role.COURT, Role.ADMIN):
        raise Forbidden(_("Only the court confirms the list."))
    if designate is not None and designate not in row["shortlist"]:
        raise DomainError(_("Designate an expert from the list."), "designate")
    due = await add_working_days(on, get_settings().rules.invitation_answer_working_days)
    async with write_transaction():
        row = await _current(selection_id)
        if row["status"] != "striking":
            raise Conflict(_("This list has already been confirmed."))
        events = await _events(selection_id)
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


async def _invite_next(row: dict[str, Any], after_expert: int, on: date, actor: Principal | None) -> int | None:
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
    row = await Selection.select(*_SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    invite = _current_invitation(await _events(selection_id))
    if row["status"] != "inviting" or invite is None:
        raise Conflict(_("No invitation is waiting for an answer."))
    expert = await _expert(invite["expert_id"])
    is_expert = principal.user_id is not None and expert.get("user_id") == principal.user_id
    is_court = principal.court_id == row["court_id"] or principal.can_act_in(row["region_code"], Role.ADMIN)
    if not (is_expert or is_court) or (as_expert and not is_expert):
        raise Forbidden(_("Only the invited expert or the court can answer."))
    if not accept and not is_expert and (expert.get("user_id") or not principal.court_id == row["court_id"]):
        # DOMAIN: the court records acceptance; a decline is the expert's own answer (a decline
        # without good reason counts toward removal, 在线调解规则 Art. 29), so an expert with an
        # account declines on their own page. The court records it only for an expert with no
        # account (who told the court), and the court still judges the reason either way.
        raise Forbidden(_("Only the invited expert can decline the invitation."))
    if not accept and not reason.strip():
        raise DomainError(_("Give the reason for declining."), "reason")
    async with write_transaction():
        row = await _current(selection_id)
        still = _current_invitation(await _events(selection_id))
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
    row = await _selection(principal, selection_id)
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
    events: dict[int, list[dict[str, Any]]] = {}
    for e in await SelectionEvent.select().where(SelectionEvent.selection.is_in(inviting or [0])).order_by(
            SelectionEvent.id).output(load_json=True):
        events.setdefault(e["selection"], []).append(e)
    changes = 0
    for selection_id in [s for s in inviting if _overdue(_current_invitation(events.get(s, [])), on)]:
        async with write_transaction():
            row = await _current(selection_id)  # answered meanwhile? then nothing lapses
            invite = _current_invitation(await _events(selection_id)) if row["status"] == "inviting" else None
            if _overdue(invite, on):
                await SelectionEvent.insert(SelectionEvent(selection=selection_id, kind="lapse",
                                                           expert_id=invite["expert_id"], good_reason=False,
                                                           reason="no answer", at=clock.now()))
                await _invite_next(row, invite["expert_id"], on, None)
                await audit.record(None, "invitation_lapsed", "selection", selection_id,
                                   region_code=row["region_code"], after={"expert_id": invite["expert_id"]})
                changes += 1
    return changes


def _overdue(invite: dict[str, Any] | None, on: date) -> bool:
    return bool(invite and invite["due_on"] and invite["due_on"] < on)


async def record_outcome(principal: Principal, selection_id: int, outcome: str, on: date | None = None) -> None:
    """The mediation's outcome closes the selection (and frees its case for a new one). The same
    outcome sent again changes nothing."""
    row = await _selection(principal, selection_id)
    if outcome not in OUTCOMES:
        raise DomainError(_("The outcome is agreement, no_agreement or withdrawn."), "outcome")
    on = on or clock.today()
    async with write_transaction():
        row = await _current(selection_id)
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


async def selections_for(principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
    query = Selection.select(Selection.id, Selection.case_no, Selection.dispute_type, Selection.region_code,
                             Selection.status, Selection.created_at, Selection.outcome, Selection.court_id)
    if principal.has_role(Role.ADMIN, Role.AUDITOR):
        where = None
        for code in principal.regions_for(Role.ADMIN, Role.AUDITOR):
            clause = Selection.region_code.like(region_like(code))
            where = clause if where is None else where | clause
        query = query.where(where)
    else:
        query = query.where(Selection.court_id == (principal.court_id or -1))
    return await query.order_by(Selection.id, ascending=False).limit(limit)


async def invitations_for_expert(expert_id: int) -> list[dict[str, Any]]:
    rows = await Selection.select(Selection.id, Selection.case_no, Selection.dispute_type, Selection.status,
                                  Selection.accepted_expert_id, Selection.accepted_on).where(
        Selection.id.is_in([e["selection"] for e in await SelectionEvent.select(SelectionEvent.selection).where(
            (SelectionEvent.expert_id == expert_id) & (SelectionEvent.kind == "invite"))] or [0]))
    return rows


# --------------------------------------------------------------------------- API listing
async def experts_for_court(principal: Principal, specialty: str = "", region: str = "", page: int = 1,
                            page_size: int = 20) -> tuple[list[dict[str, Any]], int]:
    """Admitted (and suspended) experts the caller can draw on, with availability today and
    their standing conflicts (so case systems can check before asking): filtered and paged in
    SQL, whatever the pool's size."""
    where = _within_reach(principal)
    if where is None or (specialty and specialty not in {d.value for d in DisputeType}):
        return [], 0
    where = where & Expert.status.is_in(["admitted", "suspended"])
    if region:
        where = where & _serving([region_prefix(region)])
    if specialty:
        where = where & WhereRaw("CAST(specialties AS TEXT) LIKE {}", f'%"{specialty}"%')
    total = await Expert.count().where(where)
    rows = await Expert.select().where(where).order_by(Expert.id).offset((page - 1) * page_size).limit(
        page_size).output(load_json=True)
    ids = [r["id"] for r in rows]
    snapshot = {s["id"]: s for s in await _snapshot_rows(ids)}
    conflicts = await _by_expert(StandingConflict.select().where(StandingConflict.expert.is_in(ids or [0])), "expert")
    items = []
    for r in rows:
        s = snapshot.get(r["id"])
        items.append({
            "id": r["id"], "name": r["name"], "specialties": r["specialties"], "region": r["region_code"],
            "region_name": region_name(r["region_code"]), "organisation": r["organisation_name"],
            "background": r["background"], "shared": r["shared"], "regions_served": r["regions_served"] or [],
            "available": bool(s) and not rules.unavailability(s, clock.today()),
            "standing_conflicts": [{"kind": c["kind"], "party_name": c["party_name"],
                                    "credit_code": c["credit_code"] or None,
                                    "until": c["until"].isoformat() if c["until"] else None}
                                   for c in conflicts.get(r["id"], [])],
        })
    return items, total


def _serving(prefixes: list[str]) -> Any:
    """Experts a region's cases may draw on (as a selection does): those of the region, those
    who serve it, and those their administrators shared with every region (专家库共享)."""
    where = Expert.shared == True  # noqa: E712 - a column comparison, not a truth test
    for prefix in sorted(set(prefixes)):
        where = (where | Expert.region_code.like(prefix + "%")
                 | WhereRaw("CAST(regions_served AS TEXT) LIKE {}", f'%"{prefix}%'))
    return where


def _within_reach(principal: Principal) -> Any | None:
    """A court draws on its city's pool (a selection's candidates come from the case's city);
    an administrator on their own region and below. None: no reach at all."""
    prefixes = [region_prefix(code)[:4] for code in principal.regions_for(Role.COURT)]
    prefixes += [region_prefix(code) for code in principal.regions_for(Role.ADMIN)]
    return _serving(prefixes) if prefixes else None


async def _snapshot_rows(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    on = clock.today()
    experts = await Expert.select().where(Expert.id.is_in(ids)).output(load_json=True)
    away = {r["expert"] for r in await Absence.select(Absence.expert).where(
        Absence.expert.is_in(ids) & (Absence.starts_on <= on) & (Absence.ends_on >= on))}
    open_cases: dict[int, int] = {}
    for s in await Selection.select(Selection.accepted_expert_id).where(
            Selection.accepted_expert_id.is_in(ids) & Selection.outcome.is_null()):
        open_cases[s["accepted_expert_id"]] = open_cases.get(s["accepted_expert_id"], 0) + 1
    certified = await _certified([e["mediator_id"] for e in experts if e["mediator_id"]], on)
    return [{"id": e["id"], "status": e["status"],
             "term_starts_on": e["term_starts_on"].isoformat() if e["term_starts_on"] else None,
             "term_ends_on": e["term_ends_on"].isoformat() if e["term_ends_on"] else None,
             "needs_certificate": e["mediator_id"] is not None, "certificate_valid": e["mediator_id"] in certified,
             "away": e["id"] in away, "active_cases": open_cases.get(e["id"], 0),
             "max_cases": e["max_concurrent_cases"]} for e in experts]


# --------------------------------------------------------------------------- for other domains
async def refusals_without_good_reason(mediator_ids, since: date) -> dict[int, int]:
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


async def mediations_closed(mediator_ids, year: int) -> dict[int, int]:
    ids = set(mediator_ids)
    experts = {e["id"]: e["mediator_id"] for e in await Expert.select(Expert.id, Expert.mediator_id).where(
        Expert.mediator_id.is_not_null())}
    out: dict[int, int] = {}
    for s in await Selection.select(Selection.accepted_expert_id).where(
            (Selection.outcome_on >= date(year, 1, 1)) & (Selection.outcome_on < date(year + 1, 1, 1))):
        mediator_id = experts.get(s["accepted_expert_id"])
        if mediator_id in ids:
            out[mediator_id] = out.get(mediator_id, 0) + 1
    return out


async def selection_summary(region: str, year: int) -> dict[str, int]:
    rows = await Selection.select(Selection.status, Selection.outcome).where(
        Selection.region_code.like(region_like(region)) & (Selection.created_at >= _year_start(year))
        & (Selection.created_at < _year_start(year + 1)))
    return {_("Selections"): len(rows),
            _("An expert accepted"): sum(1 for r in rows if r["status"] in ("accepted", "closed")),
            _("Agreements reached"): sum(1 for r in rows if r["outcome"] == "agreement")}


def _year_start(year: int):
    """The instant the platform's year begins (a selection made at 00:30 Beijing on 1 January
    belongs to the new year)."""
    return clock.start_of(date(year, 1, 1))


def within(code: str, ancestor: str) -> bool:
    return is_within(code, ancestor)
