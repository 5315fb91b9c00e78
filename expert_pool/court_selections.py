"""Court selections (选定调解专家): a court's case checked, the fair draw from the pool snapshot
stored with its seed and inputs (so it can be replayed), one live selection per court case,
who may see a selection, and the selection as its page and the API show it."""

from __future__ import annotations

import secrets
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import is_unique_violation, serialise_on, write_transaction
from core.errors import Conflict, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_name, within_regions
from core.settings import get_settings
from core.text import check_fields
from core.vocab import DisputeType
from core.workdays import add_working_days
from expert_pool import selection as rules
from expert_pool.credit_codes import valid_credit_code
from expert_pool.experts import expert_for_user
from expert_pool.pool_snapshot import cyclic_gc_paused, stored_snapshot
from expert_pool.schemas import Row
from expert_pool.tables import Selection, SelectionEvent, SelectionParty


@dataclass(frozen=True, slots=True)
class SelectionMade:
    """A new selection: its list, every expert considered with reasons, and a message when
    fewer experts were eligible than asked for."""

    id: int
    seed: str
    shortlist: list[int]
    considered: list[rules.Considered]
    shortfall: str | None


@dataclass(frozen=True, slots=True)
class Strike:
    side: str
    struck: list[int]
    ranking: list[int]
    at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    expert_id: int
    due_on: date | None
    at: datetime


@dataclass(frozen=True, slots=True)
class InvitationAnswer:
    expert_id: int
    answer: str  # accept|decline|lapse
    reason: str
    good_reason: bool | None
    at: datetime


@dataclass(frozen=True, slots=True)
class SelectionStep:
    """One event of a selection, as its history shows it."""

    id: int
    kind: str
    side: str
    expert_id: int | None
    reason: str
    good_reason: bool | None
    due_on: date | None
    at: datetime
    data: dict[str, Any]  # the step's stored details (struck names, ranking, outcome)


@dataclass(frozen=True, slots=True)
class SelectionView:
    """A selection with its later steps (the court's page and the API's answer)."""

    id: int
    seed: str
    shortlist: list[int]
    considered: list[rules.Considered]
    case_no: str
    dispute_type: str
    region: str
    court_id: int
    status: str
    ranking: list[int]
    strike_deadline: date | None
    accepted_expert_id: int | None
    accepted_on: date | None
    outcome: str | None
    outcome_on: date | None
    mediation_deadline: date | None
    invited_expert_id: int | None
    answer_due: date | None
    inputs: rules.CaseInputs
    strikes: list[Strike]
    invitations: list[Invitation]
    answers: list[InvitationAnswer]
    steps: list[SelectionStep]


@dataclass(frozen=True, slots=True)
class Replay:
    """A selection re-run from its stored seed, inputs and pool snapshot."""

    matches: bool
    shortlist: list[int]


@dataclass(frozen=True, slots=True)
class SelectionSummary:
    """A line of the list of selections."""

    id: int
    case_no: str
    dispute_type: str
    region_code: str
    status: str
    created_at: datetime
    outcome: str | None
    court_id: int


def validate_request(data: dict[str, Any]) -> rules.CaseInputs:
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
    employers: list[rules.Party] = []
    for i, e in enumerate(data.get("employers") or []):
        name, code = str(e.get("name") or "").strip(), str(e.get("credit_code") or "").strip().upper()
        if not name:
            errors[f"employers[{i}].name"] = _("Name the employer.")
        if code and not valid_credit_code(code):
            errors[f"employers[{i}].credit_code"] = _("This is not a valid unified social credit code (18 characters, "
                                                      "check digit).")
        employers.append({"name": name, "credit_code": code})
    workers: list[rules.Party] = [{"name": str(w.get("name") or "").strip()} for w in data.get("workers") or []]
    if not employers and not workers:
        errors["employers"] = _("Name at least one party.")
    agents: list[rules.Party] = [{"name": str(a.get("name") or "").strip(), "firm": str(a.get("firm") or "").strip()}
                                 for a in data.get("agents") or []]
    declared: list[rules.DeclaredRelation] = []
    for i, d in enumerate(data.get("declared_relations") or []):
        if not isinstance(d.get("expert_id"), int):
            errors[f"declared_relations[{i}].expert_id"] = _("Give the expert's id.")
        declared.append({"expert_id": d.get("expert_id"), "relation": str(d.get("relation") or "")})
    waivers: list[rules.Waiver] = []
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
            named.update({f"{side}[{i}].{key}": str(value) for key, value in party.items()})
    check_fields(named, errors, tuple(named))
    if errors:
        raise FieldErrors(errors)
    return {"case_no": case_no, "dispute_type": dispute, "region": region, "employers": employers,
            "workers": workers, "agents": agents, "declared_relations": declared, "waivers": waivers,
            "count": count, "allow_shared": bool(data.get("allow_shared"))}


# A selection's columns but the stored snapshot and reasons, which only a view and a replay read.
_STORED_JSON = (Selection.pool_snapshot, Selection.pool_snapshot_zlib, Selection.considered, Selection.considered_zlib)
SELECTION_ROW = [c for c in Selection._meta.columns if c not in _STORED_JSON]


def _compressed(value: Any) -> bytes:
    """JSON, zlib level 1: ten times smaller for about a millisecond (level 6 gains a third more
    for four times the time). msgspec encodes the few hundred kB ten times faster than json."""
    return zlib.compress(msgspec.json.encode(value), 1)


async def _stored_json(selection_id: int, *names: str) -> list[Any]:
    """The stored snapshot and/or reasons of a selection, whichever form they were stored in."""
    columns = [getattr(Selection, n) for name in names for n in (name, f"{name}_zlib")]
    row = await Selection.select(*columns).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    return [msgspec.json.decode(zlib.decompress(row[f"{name}_zlib"])) if row[f"{name}_zlib"] is not None
            else row[name] for name in names]


async def create_selection(principal: Principal, data: dict[str, Any], seed: str | None = None,
                           on: date | None = None) -> SelectionMade:
    inputs = validate_request(data)
    court_id = principal.court_id
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
    stored = await stored_snapshot(inputs, on)
    with cyclic_gc_paused():
        shortlist, considered = rules.select(inputs, rules.unpack_snapshot(stored), seed)
        record = (_compressed(stored), _compressed(considered))
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
    shortfall = None
    if len(shortlist) < inputs["count"]:
        shortfall = _("Only %(found)s of the %(asked)s experts asked for are eligible.",
                      found=len(shortlist), asked=inputs["count"])
    return SelectionMade(selection_id, seed, shortlist, considered, shortfall)


async def _refuse_second_live_selection(case_key: str) -> None:
    """A court case has one live selection: a second request answers 409 naming the first (a
    new list for the case comes once the first has ended: exhausted, or closed with an outcome)."""
    existing = await Selection.select(Selection.id).where(Selection.live_case_key == case_key).first()
    if existing:
        raise Conflict(_("This court already has a live selection for this case number (no. %(id)s); "
                         "continue that one.", id=existing["id"]), "case_no", existing_id=existing["id"])


async def _store_selection(principal: Principal, inputs: rules.CaseInputs, court_id: int, case_key: str | None,
                           seed: str, shortlist: list[int], record: tuple[bytes, bytes], deadline: date) -> int:
    """The selection, its parties and waivers, audited, in one transaction. `case_key` is None
    for a list found empty (exhausted at once: not live)."""
    async with write_transaction():
        row = await Selection.insert(Selection(
            court_id=court_id, user_id=principal.user_id, case_no=inputs["case_no"],
            dispute_type=inputs["dispute_type"], region_code=inputs["region"], inputs=inputs, seed=seed,
            shortlist=shortlist, ranking=shortlist, pool_snapshot_zlib=record[0], considered_zlib=record[1],
            live_case_key=case_key,
            status="striking" if shortlist else "exhausted", strike_deadline=deadline,
            created_at=clock.now())).returning(Selection.id)
        selection_id = row[0]["id"]
        parties = [(role, p) for role, side in (("employer", inputs["employers"]), ("worker", inputs["workers"]))
                   for p in side]
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


async def selection_for(principal: Principal, selection_id: int) -> Row:
    """The selection's row for one who may see it (its court; an administrator or auditor of its
    region; an expert on its list); to anyone else it is not there (404)."""
    row = await Selection.select(*SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    if principal.has_role(Role.COURT) and not principal.has_role(Role.ADMIN, Role.AUDITOR):
        if principal.court_id != row["court_id"]:
            raise NotFound(_("No such selection."))
    elif not principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR):
        expert = await expert_for_user(principal.user_id)
        if not expert or expert.id not in row["shortlist"]:
            raise NotFound(_("No such selection."))
    return row


async def selection_view(principal: Principal, selection_id: int) -> SelectionView:
    row = await selection_for(principal, selection_id)
    events = await SelectionEvent.select().where(SelectionEvent.selection == selection_id).order_by(
        SelectionEvent.id).output(load_json=True)
    invited = current_invitation(events)
    return SelectionView(
        id=row["id"], seed=row["seed"], shortlist=row["shortlist"],
        considered=(await _stored_json(selection_id, "considered"))[0],
        case_no=row["case_no"], dispute_type=row["dispute_type"], region=row["region_code"],
        court_id=row["court_id"], status=row["status"], ranking=row["ranking"],
        strike_deadline=row["strike_deadline"], accepted_expert_id=row["accepted_expert_id"],
        accepted_on=row["accepted_on"], outcome=row["outcome"], outcome_on=row["outcome_on"],
        mediation_deadline=(row["accepted_on"] + timedelta(days=get_settings().rules.mediation_time_limit_days)
                            if row["accepted_on"] else None),
        invited_expert_id=invited["expert_id"] if invited else None,
        answer_due=invited["due_on"] if invited else None,
        inputs=row["inputs"],
        strikes=[Strike(e["side"], e["data"].get("struck", []), e["data"].get("ranking", []), e["at"])
                 for e in events if e["kind"] == "strike"],
        invitations=[Invitation(e["expert_id"], e["due_on"], e["at"]) for e in events if e["kind"] == "invite"],
        answers=[InvitationAnswer(e["expert_id"], e["kind"], e["reason"], e["good_reason"], e["at"])
                 for e in events if e["kind"] in ("accept", "decline", "lapse")],
        steps=[SelectionStep(e["id"], e["kind"], e["side"], e["expert_id"], e["reason"], e["good_reason"], e["due_on"],
                             e["at"], e["data"]) for e in events],
    )


async def replay(principal: Principal, selection_id: int) -> Replay:
    row = await selection_for(principal, selection_id)
    snapshot, stored_considered = await _stored_json(selection_id, "pool_snapshot", "considered")
    shortlist, considered = rules.select(row["inputs"], rules.unpack_snapshot(snapshot), row["seed"])
    return Replay(shortlist == row["shortlist"] and considered == stored_considered, shortlist)


def current_invitation(events: list[Row]) -> Row | None:
    open_invite = None
    for e in events:
        if e["kind"] == "invite":
            open_invite = e
        elif e["kind"] in ("accept", "decline", "lapse") and open_invite and e["expert_id"] == open_invite["expert_id"]:
            open_invite = None
    return open_invite


async def locked_selection(selection_id: int) -> Row:
    """Inside a write transaction: the selection as it is now, after any other step on it has
    ended (a step double-submitted, or a court and an expert answering at once, runs its checks
    one after the other, so a step is recorded once)."""
    await serialise_on(f"selection:{selection_id}")
    row = await Selection.select(*SELECTION_ROW).where(Selection.id == selection_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such selection."))
    return row


async def selection_events(selection_id: int) -> list[Row]:
    return await SelectionEvent.select().where(SelectionEvent.selection == selection_id).order_by(
        SelectionEvent.id).output(load_json=True)



async def selections_for(principal: Principal, limit: int = 100) -> list[SelectionSummary]:
    query = Selection.select(Selection.id, Selection.case_no, Selection.dispute_type, Selection.region_code,
                             Selection.status, Selection.created_at, Selection.outcome, Selection.court_id)
    if principal.has_role(Role.ADMIN, Role.AUDITOR):
        query = query.where(within_regions(Selection.region_code, principal.regions_for(Role.ADMIN, Role.AUDITOR))
                            or Selection.id == -1)
    else:
        query = query.where(Selection.court_id == (principal.court_id or -1))
    return [SelectionSummary(**r) for r in await query.order_by(Selection.id, ascending=False).limit(limit)]
