"""Expert pool (调解专家库), invited-mediation list (特邀调解名册), courts, and the
selections courts make, with every later step as an event. Mediator and organisation ids
are plain integers (other Piccolo apps)."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Court(Table):
    """A court or arbitration body that invites mediation."""

    id: Serial
    name = Varchar(length=200)
    region_code = Varchar(length=12, index=True)
    kind = Varchar(length=20, default="court")  # court|arbitration


class Expert(Table):
    id: Serial
    mediator_id = Integer(null=True, default=None, index=True)  # null: not on the mediator roster
    user_id = Integer(null=True, default=None, index=True)
    name = Varchar(length=100, index=True)
    background = Varchar(length=30)  # mediator|arbitrator|lawyer|scholar|retired_judge|retired_prosecutor
    region_code = Varchar(length=12, index=True)
    organisation_name = Varchar(length=200, default="")
    specialties = JSONB(default=[])
    industries = JSONB(default=[])
    regions_served = JSONB(default=[])
    languages = JSONB(default=[])
    max_concurrent_cases = Integer(default=3)
    term_starts_on = Date(null=True, default=None)
    term_ends_on = Date(null=True, default=None)
    status = Varchar(length=20, default="nominated", index=True)  # nominated|admitted|rejected|suspended|removed
    shared = Boolean(default=False)  # opened to other regions by its administrator
    nomination_source = Varchar(length=20, default="admin")  # admin|organisation|self
    nominated_by = Integer(null=True, default=None)
    grounds = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Absence(Table):
    """A period the expert is away (unavailable for selection)."""

    id: Serial
    expert = ForeignKey(Expert, index=True)
    starts_on = Date()
    ends_on = Date()
    reason = Varchar(length=200, default="")


class StandingConflict(Table):
    """A declared standing relation to a party: former employer, represented client, a
    relative's employer, other. `until` is when it ended (null: current)."""

    id: Serial
    expert = ForeignKey(Expert, index=True)
    kind = Varchar(length=30)
    party_name = Varchar(length=200)
    credit_code = Varchar(length=18, default="", index=True)
    until = Date(null=True, default=None)
    party_key = Text(default="", index=True)  # selection.normalise_name(party_name): found by index


class InvitedListing(Table):
    """特邀调解名册: an expert or an organisation approved for court-invited mediation."""

    id: Serial
    expert_id = Integer(null=True, default=None, index=True)
    organisation_id = Integer(null=True, default=None)
    name = Varchar(length=200)
    organisation_name = Varchar(length=200, default="")
    region_code = Varchar(length=12, index=True)
    specialties = JSONB(default=[])
    courts = JSONB(default=[])  # court ids served
    approved_on = Date()
    status = Varchar(length=20, default="active", index=True)  # active|removed
    removed_reason = Text(default="")


class Selection(Table):
    """A court's request for experts: inputs, seed and pool snapshot are stored so anyone can
    re-run it and get the same list."""

    id: Serial
    court_id = Integer(index=True)
    user_id = Integer(null=True, default=None)
    case_no = Varchar(length=60)
    dispute_type = Varchar(length=40)
    region_code = Varchar(length=12, index=True)
    inputs = JSONB(default={})
    seed = Varchar(length=40)
    # The snapshot and the reasons for every expert considered (a few hundred kB of JSON at
    # pool scale) are stored zlib-compressed; selections stored before then keep them in the
    # JSONB columns (`court_selections._stored_json` reads both).
    pool_snapshot = JSONB(default=[])
    pool_snapshot_zlib = Bytea(null=True, default=None)
    shortlist = JSONB(default=[])
    considered = JSONB(default=[])
    considered_zlib = Bytea(null=True, default=None)
    ranking = JSONB(default=[])  # final order after strikes
    status = Varchar(length=20, default="striking", index=True)  # striking|inviting|accepted|exhausted|closed
    strike_deadline = Date(null=True, default=None)
    accepted_expert_id = Integer(null=True, default=None, index=True)
    accepted_on = Date(null=True, default=None)
    outcome = Varchar(length=20, null=True, default=None)  # agreement|no_agreement|withdrawn
    outcome_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # `selection.live_case_key` while the selection is live (striking, inviting, accepted), None
    # once it ended (exhausted, closed): a unique index (migration 2026-12-05T14:00:01) holds a
    # court case to one live selection, however many requests arrive at once.
    live_case_key = Varchar(length=100, null=True, default=None)


class SelectionParty(Table):
    """An employer or worker of a selection's case, keyed by the normalised name: the next
    selections find an expert's past mediations for the same parties by index instead of
    reading every past selection's inputs."""

    id: Serial
    selection = ForeignKey(Selection, index=True)
    position = Integer(default=0)  # order in the case: employers, then workers
    role = Varchar(length=20)  # employer|worker
    name = Text(default="")
    credit_code = Varchar(length=18, default="", index=True)
    party_key = Text(default="", index=True)


class SelectionEvent(Table):
    """A later step: strike, rank, confirm, designate, invite, accept, decline, lapse, outcome."""

    id: Serial
    selection = ForeignKey(Selection, index=True)
    kind = Varchar(length=20)
    side = Varchar(length=20, default="")  # employer|worker|court
    expert_id = Integer(null=True, default=None, index=True)
    reason = Text(default="")
    good_reason = Boolean(null=True, default=None)
    data = JSONB(default={})
    due_on = Date(null=True, default=None)
    user_id = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
