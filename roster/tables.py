"""Roster tables: mediation organisations and their filings, mediators, memberships, the
status history, recruitment calls, applications and objections. Nothing here is ever
deleted: leaving, exiting and withdrawing are states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.columns import (
    JSONB,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class LiaisonArbitrator(Table):
    """联络仲裁员: an arbitrator of the arbitration court (commission) of an area, assigned to
    organisations there (仲裁员分片/挂钩联系). The phone is personal data: protected, masked."""

    id: Serial
    name = Varchar(length=100)
    court = Varchar(length=200, default="")  # the arbitration court or commission
    region_code = Varchar(length=12, index=True)
    phone_enc = Text(default="")
    phone_masked = Varchar(length=20, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()


class Organisation(Table):
    """调解组织."""

    id: Serial
    name = Varchar(length=200, index=True)
    type = Varchar(length=40, index=True)
    region_code = Varchar(length=12, index=True)
    address = Varchar(length=300, default="")
    contact_name = Varchar(length=100, default="")
    contact_phone_enc = Text(default="")  # protected: the public never sees it
    founded_on = Date(null=True, default=None)
    filing_status = Varchar(length=20, default="draft")  # draft|submitted|accepted|returned
    filing_no = Varchar(length=40, null=True, default=None, unique=True)
    filing_overdue = Boolean(default=False, index=True)
    star_rating = SmallInt(null=True, default=None)
    star_rated_on = Date(null=True, default=None)
    star_body = Varchar(length=200, default="")
    gold_medal = Boolean(default=False)
    gold_medal_on = Date(null=True, default=None)
    gold_medal_body = Varchar(length=200, default="")
    liaison_arbitrator = Varchar(length=100, default="")  # the free text of before; see `liaison`
    liaison = ForeignKey(LiaisonArbitrator, null=True, default=None, index=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class StandingWithdrawal(Table):
    """A star rating or gold-medal mark withdrawn (撤销), with its day and reason: the mark as it
    was awarded is kept here; the organisation and the current public roster stop showing it."""

    id: Serial
    organisation = ForeignKey(Organisation, index=True)
    mark = Varchar(length=20)  # star_rating|gold_medal
    stars = SmallInt(null=True, default=None)
    awarded_on = Date(null=True, default=None)
    awarded_by = Varchar(length=200, default="")
    withdrawn_on = Date()
    reason = Text(default="")
    withdrawn_by = Integer(null=True, default=None)
    created_at = Timestamptz()


class OrganisationFiling(Table):
    """备案: the first filing and every change filing, with the date the change happened."""

    id: Serial
    organisation = ForeignKey(Organisation, index=True)
    kind = Varchar(length=20)  # initial|change
    description = Text(default="")
    changes = JSONB(default={})
    changed_on = Date()  # when the change happened (the 30-day clock starts here)
    submitted_on = Date(null=True, default=None)  # null: recorded but not yet filed
    status = Varchar(length=20, default="pending", index=True)  # pending|submitted|accepted|returned
    late = Boolean(default=False)
    filing_no = Varchar(length=40, null=True, default=None)
    reasons = Text(default="")
    decided_by = Integer(null=True, default=None)
    decided_on = Date(null=True, default=None)
    created_at = Timestamptz()


class Mediator(Table):
    """调解员. ID number and phone are stored encrypted with their masks beside them; the
    ID number's keyed hash makes it unique without storing it in clear."""

    id: Serial
    name = Varchar(length=100, index=True)
    gender = Varchar(length=10, default="")
    id_number_enc = Text(default="")
    id_number_hash = Varchar(length=64, null=True, default=None, unique=True)
    id_number_masked = Varchar(length=24, default="")
    phone_enc = Text(default="")
    phone_masked = Varchar(length=20, default="")
    education = Varchar(length=40, default="")
    profession = Varchar(length=100, default="")
    photo_path = Varchar(length=200, null=True, default=None)
    source_category = Varchar(length=40, index=True)
    employment = Varchar(length=20, default="part_time")  # full_time|part_time
    region_code = Varchar(length=12, index=True)
    roster_no = Varchar(length=30, null=True, default=None, unique=True)
    status = Varchar(length=20, default="applicant", index=True)
    appointed_on = Date(null=True, default=None)
    term_ends_on = Date(null=True, default=None)
    exited_on = Date(null=True, default=None)
    exit_ground = Varchar(length=200, default="")
    user_id = Integer(null=True, default=None, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Membership(Table):
    """A mediator belongs to one or more organisations; one is primary."""

    id: Serial
    mediator = ForeignKey(Mediator, index=True)
    organisation = ForeignKey(Organisation, index=True)
    primary = Boolean(default=False)
    joined_on = Date()
    left_on = Date(null=True, default=None)


class MembershipProposal(Table):
    """A proposed change of members (入会): an organisation asks a mediator to join. It grants
    nothing until the mediator agrees or an administrator of the MEDIATOR's region accepts it;
    only then is a `Membership` row made (so every reader of memberships sees effective ones
    only). state: proposed → accepted | declined | withdrawn."""

    id: Serial
    mediator = ForeignKey(Mediator, index=True)
    organisation = ForeignKey(Organisation, index=True)
    primary = Boolean(default=False)
    state = Varchar(length=12, default="proposed", index=True)
    # "mediator:organisation" while proposed, null once decided: at most one open proposal per
    # pair even when two requests race (NULLs never collide in a unique index)
    pending_key = Varchar(length=40, null=True, default=None, unique=True)
    proposed_by = Integer(null=True, default=None)  # user id
    proposed_at = Timestamptz()
    decided_by = Integer(null=True, default=None)  # user id
    decided_as = Varchar(length=12, default="")  # mediator|admin|proposer: on whose authority it was decided
    decided_at = Timestamptz(null=True, default=None)
    membership = ForeignKey(Membership, null=True, default=None)  # the membership it made, once accepted


class StatusChange(Table):
    """Every transition of a mediator's status, with ground, date and actor."""

    id: Serial
    mediator = ForeignKey(Mediator, index=True)
    from_status = Varchar(length=20)
    to_status = Varchar(length=20)
    ground = Text(default="")
    effective_on = Date()
    actor_id = Integer(null=True, default=None)
    created_at = Timestamptz()


class RosterCounter(Table):
    """Gap-free roster numbers per region and year."""

    id: Serial
    region_code = Varchar(length=12)
    year = Integer()
    last_serial = Integer(default=0)


class RecruitmentCall(Table):
    """招募公告."""

    id: Serial
    title = Varchar(length=200)
    region_code = Varchar(length=12, index=True)
    description = Text(default="")
    requirements = JSONB(default={})  # source_categories, min_education, min_years
    quotas = JSONB(default={})  # region code or "org:<id>" -> places
    opens_on = Date()
    closes_on = Date()
    status = Varchar(length=20, default="open")  # open|closed
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    closed_on = Date(null=True, default=None)  # closed early: the platform's day it was closed
    closed_reason = Text(default="")
    closed_by = Integer(null=True, default=None)


class Application(Table):
    """An application to a call, through review (资格审查), public notice (公示) and appointment."""

    id: Serial
    call = ForeignKey(RecruitmentCall, index=True)
    user_id = Integer(null=True, default=None, index=True)
    name = Varchar(length=100)
    gender = Varchar(length=10, default="")
    id_number_enc = Text(default="")
    id_number_hash = Varchar(length=64, index=True)
    id_number_masked = Varchar(length=24, default="")
    phone_enc = Text(default="")
    phone_masked = Varchar(length=20, default="")
    education = Varchar(length=40, default="")
    profession = Varchar(length=100, default="")
    years_experience = Integer(default=0)
    source_category = Varchar(length=40)
    employment = Varchar(length=20, default="part_time")
    region_code = Varchar(length=12, index=True)
    organisation_id = Integer(null=True, default=None)
    documents = JSONB(default=[])
    status = Varchar(length=20, default="submitted", index=True)
    reasons = Text(default="")
    notice_starts_on = Date(null=True, default=None)
    notice_ends_on = Date(null=True, default=None)
    mediator_id = Integer(null=True, default=None)
    created_at = Timestamptz()


class Objection(Table):
    """An objection lodged during public notice; upheld objections stop the appointment."""

    id: Serial
    application = ForeignKey(Application, index=True)
    lodged_by = Varchar(length=100)
    text = Text()
    status = Varchar(length=20, default="lodged")  # lodged|upheld|dismissed
    finding = Text(default="")
    decided_by = Integer(null=True, default=None)
    created_at = Timestamptz()


# --------------------------------------------------------------------------- the published roster
class RosterPublication(Table):
    """名册公布: an administrator publishes the roster of a region and everything below it as a
    dated snapshot. The public sees the current entries; every snapshot stays viewable."""

    id: Serial
    region_code = Varchar(length=12, index=True)  # the scope: this region and below
    published_at = Timestamptz()
    published_by = Integer(null=True, default=None)
    mediators = Integer(default=0)
    organisations = Integer(default=0)
    mediators_added = Integer(default=0)  # against the entries this publication replaced
    mediators_removed = Integer(default=0)
    organisations_added = Integer(default=0)
    organisations_removed = Integer(default=0)
    note = Text(default="")


class PublishedMediator(Table):
    """A mediator's line in a publication: exactly the public columns, no personal data.
    `is_current` marks the lines the public roster shows; a later publication of the same
    scope un-marks them, an exit withdraws one at once (`withdrawn_on`). Composite indexes for
    the filters and the stable sort are in the migration."""

    id: Serial
    publication = ForeignKey(RosterPublication)
    mediator_id = Integer(index=True)
    roster_no = Varchar(length=30, default="")
    name = Varchar(length=100)
    organisation_id = Integer(null=True, default=None)
    organisation = Varchar(length=200, default="")
    region_code = Varchar(length=12)
    source_category = Varchar(length=40)
    employment = Varchar(length=20, default="part_time")
    grade = Varchar(length=20, null=True, default=None)
    certificate_status = Varchar(length=20, null=True, default=None)
    status = Varchar(length=20)
    is_current = Boolean(default=True)
    withdrawn_on = Date(null=True, default=None)


class PublishedOrganisation(Table):
    """A filed organisation's line in a publication (no contact person or phone)."""

    id: Serial
    publication = ForeignKey(RosterPublication)
    organisation_id = Integer(index=True)
    name = Varchar(length=200)
    type = Varchar(length=40)
    region_code = Varchar(length=12)
    address = Varchar(length=300, default="")
    filing_no = Varchar(length=40, null=True, default=None)
    founded_on = Date(null=True, default=None)
    star_rating = SmallInt(null=True, default=None)
    gold_medal = Boolean(default=False)
    mediators = Integer(default=0)
    is_current = Boolean(default=True)


# --------------------------------------------------------------------------- application documents
class ApplicationDocument(Table):
    """报名材料: a document attached to a recruitment application (a copy of the ID card,
    qualification certificates, a CV). Checked by content and re-encoded when an image; the
    file lies under var/uploads/applications named by its SHA-256, which is kept here too."""

    id: Serial
    application = ForeignKey(Application, index=True)
    position = SmallInt(default=0)  # the order the applicant attached them in
    name = Varchar(length=120)  # the applicant's file name, shown to reviewers; never a path
    kind = Varchar(length=8)  # pdf|jpeg|png, by content
    size = Integer(default=0)
    sha256 = Varchar(length=64)
    path = Varchar(length=200)  # relative to var/uploads
    created_at = Timestamptz()


def by_name(changes: Mapping[str, Any]) -> dict[Column | str, Any]:
    """Column values keyed by name, as Piccolo's `update` takes them (its annotation names
    columns but it accepts their names too); the audit records the same dict by name."""
    return {name: value for name, value in changes.items()}
