"""Changes of members (成员变更): joining an organisation takes the mediator's consent.

An organisation's manager (or an administrator of the organisation's region) proposes that a
mediator join. The proposal grants nothing: no `Membership` row exists until the mediator
agrees on their own page or an administrator whose region covers the MEDIATOR's region
accepts it, so every reader of memberships (record access, the published roster, case
records, the appraisal) sees effective memberships only. An administrator who covers both
the mediator's and the organisation's region is that accepting authority, so their addition
takes effect at once. A membership that takes effect, and one that ends, is recorded as a
change of members to file (备案) within the filing deadline. Ending is dated today: an
organisation cannot shed a past membership and with it the cases the mediator handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import chunks, engine, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within
from core.vocab import MediatorStatus
from roster.mediators import MediatorFile
from roster.organisations import (
    OrganisationRecord,
    can_manage_organisation,
    organisation_row,
    record_change_filing,
)
from roster.services import MediatorRecord, join_organisation, mediator_row
from roster.tables import Mediator, Membership, MembershipProposal

PROPOSED, ACCEPTED, DECLINED, WITHDRAWN = "proposed", "accepted", "declined", "withdrawn"


@dataclass(frozen=True)
class Proposal:
    id: int
    state: str  # proposed, or accepted when the proposer was the accepting authority


@dataclass(frozen=True)
class MembershipPeriod:
    """An effective membership, both ends inclusive (a member on the day they leave)."""

    organisation_id: int
    joined_on: date
    left_on: date | None
    primary: bool

    def covers(self, first: date, last: date) -> bool:
        return self.joined_on <= first and (self.left_on is None or self.left_on >= last)


def may_accept(principal: Principal, mediator: MediatorRecord | MediatorFile) -> bool:
    """The mediator themself, or an administrator whose region covers the mediator's."""
    return principal.mediator_id == mediator.id or principal.can_act_in(mediator.region_code, Role.ADMIN)


def _accepts_at_once(principal: Principal, mediator: MediatorRecord, org: OrganisationRecord) -> bool:
    return principal.can_act_in(mediator.region_code, Role.ADMIN) and principal.can_act_in(
        org.region_code, Role.ADMIN)


async def _lock_mediator(mediator_id: int) -> None:
    """Serialise membership changes of one mediator (SQLite's write lock already does)."""
    if engine().engine_type == "postgres":
        await Mediator.raw("SELECT id FROM mediator WHERE id = {} FOR UPDATE", mediator_id)


async def _is_member(mediator_id: int, organisation_id: int) -> bool:
    return await Membership.exists().where(
        (Membership.mediator == mediator_id) & (Membership.organisation == organisation_id)
        & Membership.left_on.is_null())


# --------------------------------------------------------------------------- proposing
async def propose_membership(principal: Principal, mediator_id: int, organisation_id: int,
                             primary: bool = False) -> Proposal:
    mediator = await mediator_row(mediator_id)
    org = await organisation_row(organisation_id)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can add members."))
    if mediator.status == MediatorStatus.EXITED:
        raise Conflict(_("A mediator who has exited cannot join an organisation."), "mediator_id")
    at_once = _accepts_at_once(principal, mediator, org)
    if not at_once and not mediator.roster_no:
        # proposals reach people on the public roster only, found by their public roster number
        raise DomainError(_("Only a mediator on the roster can be asked to join."), "mediator_id")
    async with write_transaction():
        await _lock_mediator(mediator_id)
        if await _is_member(mediator_id, organisation_id):
            raise Conflict(_("This mediator is already a member of the organisation."), "mediator_id")
        waiting = await MembershipProposal.select(MembershipProposal.id).where(
            MembershipProposal.pending_key == f"{mediator_id}:{organisation_id}").first()
        if waiting and not at_once:
            raise Conflict(_("This mediator has already been asked to join and has not answered yet."), "mediator_id")
        if waiting:
            proposal_id = waiting["id"]
        else:
            row = await MembershipProposal.insert(MembershipProposal(
                mediator=mediator_id, organisation=organisation_id, primary=primary, state=PROPOSED,
                pending_key=f"{mediator_id}:{organisation_id}", proposed_by=principal.user_id,
                proposed_at=clock.now())).returning(MembershipProposal.id)
            proposal_id = row[0]["id"]
            await audit.record(principal, "propose_membership", "mediator", mediator_id,
                               region_code=org.region_code,
                               after={"organisation": organisation_id, "primary": primary, "proposal": proposal_id})
        if at_once:
            await _take_effect(principal, proposal_id, mediator, org, "admin")
            return Proposal(proposal_id, ACCEPTED)
        await _tell_proposed(principal, proposal_id, mediator, org)
    return Proposal(proposal_id, PROPOSED)


async def propose_by_roster_no(principal: Principal, organisation_id: int, roster_no: str,
                               primary: bool = False) -> Proposal:
    """The organisation's page asks by the public roster number, the only thing a manager
    knows of a mediator who is not yet a member."""
    row = await Mediator.select(Mediator.id).where(Mediator.roster_no == roster_no.strip()).first()
    if not roster_no.strip() or row is None:
        raise FieldErrors({"roster_no": _("No mediator on the roster has this number.")})
    try:
        return await propose_membership(principal, row["id"], organisation_id, primary)
    except DomainError as refused:
        if refused.field == "mediator_id" and not isinstance(refused, Forbidden):
            raise FieldErrors({"roster_no": refused.message}) from None
        raise


# --------------------------------------------------------------------------- deciding
@dataclass(frozen=True, slots=True)
class StoredProposal:
    """A membership proposal as kept, whatever its state."""

    id: int
    mediator: int
    organisation: int
    primary: bool
    state: str  # proposed → accepted | declined | withdrawn
    pending_key: str | None
    proposed_by: int | None
    proposed_at: datetime
    decided_by: int | None
    decided_as: str
    decided_at: datetime | None
    membership: int | None


async def _proposal(proposal_id: int, mediator_id: int | None = None, organisation_id: int | None = None
                    ) -> StoredProposal:
    """The proposal; a page's path that names its mediator or organisation must name the right one."""
    row = await MembershipProposal.select().where(MembershipProposal.id == proposal_id).first()
    if row is None or mediator_id not in (None, row["mediator"]) or organisation_id not in (None, row["organisation"]):
        raise NotFound(_("No such proposal."))
    return StoredProposal(**row)


async def _close(proposal_id: int, state: str, principal: Principal, decided_as: str) -> None:
    """Move a proposal out of `proposed` exactly once: a second answer finds nothing to change."""
    rows = await MembershipProposal.update({
        MembershipProposal.state: state, MembershipProposal.pending_key: None,
        MembershipProposal.decided_by: principal.user_id, MembershipProposal.decided_as: decided_as,
        MembershipProposal.decided_at: clock.now(),
    }).where((MembershipProposal.id == proposal_id) & (MembershipProposal.state == PROPOSED)).returning(
        MembershipProposal.id)
    if not rows:
        raise Conflict(_("This proposal has already been answered."))


async def _take_effect(principal: Principal, proposal_id: int, mediator: MediatorRecord, org: OrganisationRecord,
                       decided_as: str) -> int:
    """Inside the caller's transaction: close the proposal, make the membership, record the
    change of members to file, audit and tell the other side."""
    proposal = await _proposal(proposal_id)
    await _close(proposal_id, ACCEPTED, principal, decided_as)
    if await _is_member(mediator.id, org.id):
        raise Conflict(_("This mediator is already a member of the organisation."), "mediator_id")
    has_primary = await Membership.exists().where(
        (Membership.mediator == mediator.id) & (Membership.primary == True)  # noqa: E712
        & Membership.left_on.is_null())
    membership_id = await join_organisation(mediator.id, org.id, proposal.primary or not has_primary)
    await MembershipProposal.update({MembershipProposal.membership: membership_id}).where(
        MembershipProposal.id == proposal_id)
    filing_id = await record_change_filing(org.id, _("Member joined: %(name)s", name=mediator.name),
                                            {"joined": mediator.id, "proposal": proposal_id}, clock.today())
    await audit.record(principal, "accept_membership", "mediator", mediator.id, region_code=mediator.region_code,
                       after={"organisation": org.id, "proposal": proposal_id, "membership": membership_id,
                              "accepted_as": decided_as, "filing": filing_id})
    await _tell_decided(principal, proposal, mediator, org, ACCEPTED)
    return membership_id


async def _parties(proposal: StoredProposal) -> tuple[MediatorRecord, OrganisationRecord]:
    return await mediator_row(proposal.mediator), await organisation_row(proposal.organisation)


async def accept_membership(principal: Principal, proposal_id: int, mediator_id: int | None = None) -> int:
    """The mediator agrees, or an administrator of the mediator's region accepts; returns the
    membership id."""
    mediator, org = await _parties(await _proposal(proposal_id, mediator_id))
    if not may_accept(principal, mediator):
        raise Forbidden(_("Only the mediator or an administrator of the mediator's region can accept this."))
    if mediator.status == MediatorStatus.EXITED:
        raise Conflict(_("A mediator who has exited cannot join an organisation."), "mediator_id")
    decided_as = "mediator" if principal.mediator_id == mediator.id else "admin"
    async with write_transaction():
        await _lock_mediator(mediator.id)
        return await _take_effect(principal, proposal_id, mediator, org, decided_as)


async def decline_membership(principal: Principal, proposal_id: int, mediator_id: int | None = None) -> None:
    proposal = await _proposal(proposal_id, mediator_id)
    mediator, org = await _parties(proposal)
    if not may_accept(principal, mediator):
        raise Forbidden(_("Only the mediator or an administrator of the mediator's region can decline this."))
    decided_as = "mediator" if principal.mediator_id == mediator.id else "admin"
    async with write_transaction():
        await _close(proposal_id, DECLINED, principal, decided_as)
        await audit.record(principal, "decline_membership", "mediator", mediator.id,
                           region_code=mediator.region_code,
                           after={"organisation": org.id, "proposal": proposal_id, "declined_as": decided_as})
        await _tell_decided(principal, proposal, mediator, org, DECLINED)


async def withdraw_membership(principal: Principal, proposal_id: int, organisation_id: int | None = None) -> None:
    """The proposing side takes back a proposal that has not been answered."""
    proposal = await _proposal(proposal_id, organisation_id=organisation_id)
    mediator, org = await _parties(proposal)
    if not can_manage_organisation(principal, org):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can withdraw this."))
    async with write_transaction():
        await _close(proposal_id, WITHDRAWN, principal, "proposer")
        await audit.record(principal, "withdraw_membership", "mediator", mediator.id, region_code=org.region_code,
                           after={"organisation": org.id, "proposal": proposal_id})


async def end_membership(principal: Principal, mediator_id: int, organisation_id: int) -> None:
    """Ending is a change of members to file; the membership stays effective on the end date.
    The organisation's side, the mediator, or an administrator of the mediator's region ends it."""
    mediator = await mediator_row(mediator_id)
    org = await organisation_row(organisation_id)
    if not (can_manage_organisation(principal, org) or may_accept(principal, mediator)):
        raise Forbidden(_("Only the organisation's manager or an administrator of its region can remove members."))
    async with write_transaction():
        rows = await Membership.update({"left_on": clock.today(), "primary": False}).where(
            (Membership.mediator == mediator_id) & (Membership.organisation == organisation_id)
            & Membership.left_on.is_null()).returning(Membership.id)
        if not rows:
            raise NotFound(_("This mediator is not a member of the organisation."))
        await record_change_filing(organisation_id, _("Member left: %(name)s", name=mediator.name),
                                    {"left": mediator_id}, clock.today())
        await audit.record(principal, "end_membership", "mediator", mediator_id, region_code=org.region_code,
                           after={"organisation": organisation_id, "left_on": clock.today()})


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True, slots=True)
class PendingProposal:
    """A membership proposal (入会邀请) nobody has answered yet, with the public names of both sides."""

    id: int
    mediator: int
    organisation: int
    primary: bool
    state: str
    proposed_at: datetime
    decided_at: datetime | None
    organisation_name: str
    organisation_region: str
    mediator_name: str
    roster_no: str | None
    mediator_region: str


_PROPOSAL_COLUMNS = (
    MembershipProposal.id, MembershipProposal.mediator, MembershipProposal.organisation, MembershipProposal.primary,
    MembershipProposal.state, MembershipProposal.proposed_at, MembershipProposal.decided_at,
    MembershipProposal.organisation.name.as_alias("organisation_name"),
    MembershipProposal.organisation.region_code.as_alias("organisation_region"),
    MembershipProposal.mediator.name.as_alias("mediator_name"),
    MembershipProposal.mediator.roster_no.as_alias("roster_no"),
    MembershipProposal.mediator.region_code.as_alias("mediator_region"),
)


async def pending_for_mediator(mediator_id: int) -> list[PendingProposal]:
    rows = await MembershipProposal.select(*_PROPOSAL_COLUMNS).where(
        (MembershipProposal.mediator == mediator_id) & (MembershipProposal.state == PROPOSED)).order_by(
        MembershipProposal.id)
    return [PendingProposal(**row) for row in rows]


async def pending_of_organisation(organisation_id: int) -> list[PendingProposal]:
    """What the organisation asked and nobody has answered (names and roster numbers are public)."""
    rows = await MembershipProposal.select(*_PROPOSAL_COLUMNS).where(
        (MembershipProposal.organisation == organisation_id) & (MembershipProposal.state == PROPOSED)).order_by(
        MembershipProposal.id)
    return [PendingProposal(**row) for row in rows]


async def pending_to_accept(principal: Principal) -> list[PendingProposal]:
    """An administrator's work list: proposals for mediators of their regions."""
    from core.regions import within_regions

    where = within_regions(MembershipProposal.mediator.region_code, principal.regions_for(Role.ADMIN))
    if where is None:
        return []
    rows = await MembershipProposal.select(*_PROPOSAL_COLUMNS).where(
        where & (MembershipProposal.state == PROPOSED)).order_by(MembershipProposal.id).limit(200)
    return [PendingProposal(**row) for row in rows]


async def membership_periods(mediator_ids) -> dict[int, list[MembershipPeriod]]:
    """Every effective membership (current and ended) of the mediators, for checking that a
    case was handled while the mediator belonged to the recording organisation."""
    found: dict[int, list[MembershipPeriod]] = {}
    for part in chunks(sorted(set(mediator_ids))):
        for row in await Membership.select(Membership.mediator, Membership.organisation, Membership.joined_on,
                                           Membership.left_on, Membership.primary).where(
                Membership.mediator.is_in(part)):
            found.setdefault(row["mediator"], []).append(MembershipPeriod(
                row["organisation"], row["joined_on"], row["left_on"], row["primary"]))
    return found


def qualifying_case_sql(case: str) -> str:
    """SQL condition on a `mediation_case` row aliased `case`: it names an organisation the
    mediator was an effective member of from the day it was received to the day it closed.
    Records that fail it (made before this rule, or by an organisation that was never joined)
    count nowhere."""
    return (f"EXISTS (SELECT 1 FROM membership ms WHERE ms.mediator = {case}.mediator_id "
            f"AND ms.organisation = {case}.organisation_id AND ms.joined_on <= {case}.received_on "
            f"AND (ms.left_on IS NULL OR ms.left_on >= COALESCE({case}.closed_on, {case}.received_on)))")


# --------------------------------------------------------------------------- notifications
async def _accepting_administrators(region_code: str) -> list[int]:
    """Active administrators whose grant covers the region."""
    from core.tables import UserRole

    rows = await UserRole.select(UserRole.user, UserRole.region_code).where(
        (UserRole.role == Role.ADMIN.value) & (UserRole.user.is_active == True))  # noqa: E712
    return sorted({r["user"] for r in rows if is_within(region_code, r["region_code"])})


async def _tell_proposed(principal: Principal, proposal_id: int, mediator: MediatorRecord,
                         org: OrganisationRecord) -> None:
    from core.notifications import Message, notify

    messages = []
    if mediator.user_id:
        messages.append(Message(
            user_id=mediator.user_id, kind="membership", region_code=mediator.region_code,
            subject=_("%(organisation)s asks you to join it", organisation=org.name),
            body=_("Accept or decline on your page “My roster record”. Until you agree, the organisation "
                   "has no access to your record."),
            dedupe_key=f"membership:{proposal_id}:proposed:{mediator.user_id}"))
    for user_id in await _accepting_administrators(mediator.region_code):
        if user_id == principal.user_id:
            continue
        messages.append(Message(
            user_id=user_id, kind="membership", region_code=mediator.region_code,
            subject=_("A membership awaits acceptance: %(name)s", name=mediator.name),
            body=_("%(organisation)s asked %(name)s (%(roster_no)s) to join it. The mediator or an administrator "
                   "of the mediator's region accepts or declines it on the work list.",
                   organisation=org.name, name=mediator.name, roster_no=mediator.roster_no or "—"),
            dedupe_key=f"membership:{proposal_id}:proposed:{user_id}"))
    await notify(messages)


async def _tell_decided(principal: Principal, proposal: StoredProposal, mediator: MediatorRecord,
                        org: OrganisationRecord, state: str) -> None:
    """The proposer learns the answer; the mediator learns what an administrator decided."""
    from core.notifications import Message, notify

    if state == ACCEPTED:
        subject = _("Membership accepted: %(name)s joins %(organisation)s", name=mediator.name,
                    organisation=org.name)
    else:
        subject = _("Membership declined: %(name)s does not join %(organisation)s", name=mediator.name,
                    organisation=org.name)
    told = {principal.user_id}
    messages = []
    for user_id in (proposal.proposed_by, mediator.user_id):
        if user_id and user_id not in told:
            told.add(user_id)
            messages.append(Message(user_id=user_id, kind="membership", region_code=mediator.region_code,
                                    subject=subject, body=subject,
                                    dedupe_key=f"membership:{proposal.id}:{state}:{user_id}"))
    await notify(messages)

