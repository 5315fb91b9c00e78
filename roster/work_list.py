"""What waits for an administrator in their region (the work list): filings to review,
organisations with overdue filings, applications to review, objections to decide, public
notices ending (or ended, to appoint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core import clock
from core.auth.roles import Principal, Role
from core.regions import within_regions
from roster.tables import Application, Objection, Organisation, OrganisationFiling


@dataclass(frozen=True, slots=True)
class FilingToReview:
    id: int
    kind: str
    description: str
    submitted_on: date | None
    late: bool
    organisation: int
    organisation_name: str


@dataclass(frozen=True, slots=True)
class OverdueOrganisation:
    id: int
    name: str
    region_code: str


@dataclass(frozen=True, slots=True)
class ApplicationToReview:
    id: int
    name: str
    call: int
    call_title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ObjectionToDecide:
    id: int
    lodged_by: str
    candidate: str
    call: int


@dataclass(frozen=True, slots=True)
class NoticeEnding:
    id: int
    name: str
    call: int
    notice_ends_on: date


@dataclass(frozen=True, slots=True)
class WorkList:
    filings: list[FilingToReview] = field(default_factory=list)
    overdue: list[OverdueOrganisation] = field(default_factory=list)
    applications: list[ApplicationToReview] = field(default_factory=list)
    objections: list[ObjectionToDecide] = field(default_factory=list)
    notices: list[NoticeEnding] = field(default_factory=list)


async def work_list(principal: Principal) -> WorkList:
    regions = principal.regions_for(Role.ADMIN)
    if not regions:
        return WorkList()

    def within(column: Any) -> Any:
        return within_regions(column, regions)

    soon = clock.today() + timedelta(days=2)
    filings = await OrganisationFiling.select(
        OrganisationFiling.id, OrganisationFiling.kind, OrganisationFiling.description,
        OrganisationFiling.submitted_on, OrganisationFiling.late, OrganisationFiling.organisation,
        OrganisationFiling.organisation.name.as_alias("organisation_name"),
    ).where((OrganisationFiling.status == "submitted")
            & within(OrganisationFiling.organisation.region_code)).order_by(OrganisationFiling.id)
    overdue = await Organisation.select(Organisation.id, Organisation.name, Organisation.region_code).where(
        (Organisation.filing_overdue == True) & within(Organisation.region_code))  # noqa: E712
    applications = await Application.select(
        Application.id, Application.name, Application.call, Application.call.title.as_alias("call_title"),
        Application.created_at).where((Application.status == "submitted") & within(Application.region_code))
    objections = await Objection.select(
        Objection.id, Objection.lodged_by, Objection.application.name.as_alias("candidate"),
        Objection.application.call.as_alias("call")).where(
        (Objection.status == "lodged") & within(Objection.application.region_code))
    notices = await Application.select(
        Application.id, Application.name, Application.call, Application.notice_ends_on).where(
        (Application.status == "on_notice") & (Application.notice_ends_on <= soon)
        & within(Application.region_code)).order_by(Application.notice_ends_on)
    return WorkList(filings=[FilingToReview(**r) for r in filings],
                    overdue=[OverdueOrganisation(**r) for r in overdue],
                    applications=[ApplicationToReview(**r) for r in applications],
                    objections=[ObjectionToDecide(**r) for r in objections],
                    notices=[NoticeEnding(**r) for r in notices])
