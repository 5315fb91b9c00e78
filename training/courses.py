"""Courses (培训课程): who may manage one (the lead organiser's region or any joint
organiser's), the course's values checked all at once, creating, editing and publishing."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Self

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import DomainError, FieldErrors, Forbidden
from core.i18n import _
from core.regions import region_name
from core.text import check_fields, text_problem
from core.vocab import Grade
from training.fields import parse_date, parse_number, parse_title
from training.schemas import COURSE_STATUSES, MAX_ID, MODES, FormValues, Row, stored_row
from training.tables import Course, CourseSession
from training.waitlist import places_held, promote

GRADES = {g.value for g in Grade}


@dataclass(frozen=True, slots=True)
class CourseValues:
    """A course's values from a form or the API, checked (the columns it is saved with)."""

    title: str
    grade: str
    region_code: str
    organisers: list[dict[str, str]]  # the lead organiser first, then joint organisers (联合培训)
    description: str
    class_hours: float
    mode: str
    capacity: int
    prerequisite_grade: str | None
    prerequisite_course_id: int | None
    enrol_opens_on: date | None  # always given by a form; a row may lack them
    enrol_closes_on: date | None
    starts_on: date | None


@dataclass(frozen=True, slots=True)
class CourseSummary(CourseValues):
    """A course's own facts as stored."""

    id: int
    status: str

    @classmethod
    def of(cls, row: Row, **more: Any) -> Self:
        """The record from a course row; `more` fills the fields of a record built on this one."""
        return cls(
            id=row["id"], title=row["title"], grade=row["grade"], region_code=row["region_code"],
            organisers=organisers_of(row), description=row["description"], class_hours=row["class_hours"],
            mode=row["mode"], capacity=row["capacity"], prerequisite_grade=row["prerequisite_grade"],
            prerequisite_course_id=row["prerequisite_course_id"], enrol_opens_on=row["enrol_opens_on"],
            enrol_closes_on=row["enrol_closes_on"], starts_on=row["starts_on"], status=row["status"], **more)


def organisers_of(row: Row) -> list[dict[str, str]]:
    """The organisers JSON as a list (SQLite hands JSONB back as text)."""
    value = row.get("organisers")
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


async def course(course_id: int) -> CourseSummary:
    return CourseSummary.of(await stored_row(Course, course_id, _("No such course.")))


# --------------------------------------------------------------------------- authority
def _regions(region_code: str, organisers: list[dict[str, str]]) -> list[str]:
    regions = [region_code]
    for organiser in organisers:
        code = organiser.get("region_code") if isinstance(organiser, dict) else None
        if code and code not in regions:
            regions.append(code)
    return regions


def _may_manage(principal: Principal, region_code: str, organisers: list[dict[str, str]]) -> bool:
    """Administrators of the lead organiser's region, or of any joint organiser's region."""
    return any(principal.can_act_in(code, Role.ADMIN) for code in _regions(region_code, organisers))


def can_manage_course(principal: Principal, course: CourseSummary) -> bool:
    return _may_manage(principal, course.region_code, course.organisers)


def _require_authority(principal: Principal, region_code: str, organisers: list[dict[str, str]]) -> None:
    if not _may_manage(principal, region_code, organisers):
        raise Forbidden(_("This course is organised outside your authority."))


def require_course_admin(principal: Principal, course: CourseSummary) -> None:
    _require_authority(principal, course.region_code, course.organisers)


# --------------------------------------------------------------------------- values
def parse_organisers(text: str) -> list[dict[str, str]]:
    """Joint organisers from a textarea: one per line, "<region code> <name>"."""
    organisers = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        code, _sep, name = line.partition(" ")
        organisers.append({"region_code": code.strip(), "name": name.strip()})
    return organisers


def _organisers(data: FormValues, region_code: str, errors: dict[str, str]) -> list[dict[str, str]]:
    """The lead organiser (from its region and name) first, then the joint organisers."""
    lead_name = str(data.get("organiser_name") or "").strip()
    given = data.get("organisers")
    if isinstance(given, str) or given is None:
        given = parse_organisers(given or str(data.get("joint_organisers") or ""))
    organisers = [dict(o) for o in given]
    if not any(o.get("region_code") == region_code for o in organisers) and region_code:
        organisers.insert(0, {"region_code": region_code, "name": lead_name or region_name(region_code)})
    for organiser in organisers:
        code = organiser.get("region_code", "")
        if not code or region_name(code) == code:
            errors["joint_organisers"] = _("Each organiser line needs a valid region code and a name.")
        if not organiser.get("name"):
            organiser["name"] = region_name(code)
        elif problem := text_problem(str(organiser["name"])):
            errors["joint_organisers"] = problem
    return organisers


def validate_course(data: FormValues) -> CourseValues:
    """A course from form or API values: every field error at once (FieldErrors)."""
    errors: dict[str, str] = {}
    title = parse_title(data, errors, _("Enter the course title."))
    grade = str(data.get("grade") or "")
    if grade not in GRADES:
        errors["grade"] = _("Choose a grade.")
    region_code = str(data.get("region_code") or "").strip()
    if not region_code or not region_name(region_code) or region_name(region_code) == region_code:
        errors["region_code"] = _("Choose the organiser's region.")
    organisers = _organisers(data, region_code, errors)
    hours = parse_number(data.get("class_hours"), "class_hours", errors)
    if hours is not None and hours <= 0:
        errors["class_hours"] = _("Class hours must be more than zero.")
    mode = str(data.get("mode") or "onsite")
    if mode not in MODES:
        errors["mode"] = _("Choose on-site or online.")
    capacity = parse_number(data.get("capacity"), "capacity", errors, integer=True, minimum=1)
    check_fields({"title": title}, errors, ("title",))
    prerequisite_grade = str(data.get("prerequisite_grade") or "") or None
    if prerequisite_grade is not None:
        if prerequisite_grade not in GRADES:
            errors["prerequisite_grade"] = _("Choose a grade.")
        elif grade in GRADES and Grade(prerequisite_grade).rank >= Grade(grade).rank:
            errors["prerequisite_grade"] = _("The prerequisite certificate must be of a lower grade than the course.")
    prerequisite_course = data.get("prerequisite_course_id")
    prerequisite_course_id = (
        parse_number(prerequisite_course, "prerequisite_course_id", errors, integer=True, minimum=1, maximum=MAX_ID)
        if prerequisite_course not in (None, "") else None
    )
    opens = parse_date(data.get("enrol_opens_on"), "enrol_opens_on", errors, required=True)
    closes = parse_date(data.get("enrol_closes_on"), "enrol_closes_on", errors, required=True)
    starts = parse_date(data.get("starts_on"), "starts_on", errors, required=True)
    if opens and closes and closes < opens:
        errors["enrol_closes_on"] = _("Enrolment must close on or after the day it opens.")
    if closes and starts and starts < closes:
        errors["starts_on"] = _("The course must start on or after the day enrolment closes.")
    if errors or opens is None or closes is None or starts is None:
        raise FieldErrors(errors)
    return CourseValues(
        title=title, grade=grade, region_code=region_code, organisers=organisers,
        description=str(data.get("description") or "").strip(), class_hours=hours, mode=mode, capacity=capacity,
        prerequisite_grade=prerequisite_grade, prerequisite_course_id=prerequisite_course_id,
        enrol_opens_on=opens, enrol_closes_on=closes, starts_on=starts)


async def _require_prerequisite_course(course_id: int) -> None:
    if not await Course.exists().where(Course.id == course_id):
        raise FieldErrors({"prerequisite_course_id": _("No such course.")})


# --------------------------------------------------------------------------- changes
async def create_course(principal: Principal, data: FormValues) -> int:
    values = validate_course(data)
    _require_authority(principal, values.region_code, values.organisers)
    if values.prerequisite_course_id:
        await _require_prerequisite_course(values.prerequisite_course_id)
    after = asdict(values)
    async with write_transaction():
        row = await Course.insert(
            Course(**after, status="draft", created_by=principal.user_id, created_at=clock.now(), updated_at=clock.now())
        ).returning(Course.id)
        course_id: int = row[0]["id"]
        await audit.record(principal, "create", "course", course_id, region_code=values.region_code, after=after)
    return course_id


async def update_course(principal: Principal, course_id: int, data: FormValues) -> None:
    before = await course(course_id)
    require_course_admin(principal, before)
    values = validate_course(data)
    _require_authority(principal, values.region_code, values.organisers)
    if values.prerequisite_course_id == course_id:
        raise FieldErrors({"prerequisite_course_id": _("A course cannot be its own prerequisite.")})
    if values.prerequisite_course_id:
        await _require_prerequisite_course(values.prerequisite_course_id)
    after = asdict(values)
    async with write_transaction():
        held = await places_held(course_id)
        if values.capacity < held:
            raise FieldErrors({"capacity": _("%(count)s mediators already hold a place; the capacity cannot be lower.",
                                             count=held)})
        await Course.update(**after, updated_at=clock.now()).where(Course.id == course_id)
        await audit.record(principal, "update", "course", course_id, region_code=values.region_code,
                           before={k: getattr(before, k) for k in after}, after=after)
        await promote(course_id, principal)


async def set_course_status(principal: Principal, course_id: int, status: str) -> None:
    if status not in COURSE_STATUSES:
        raise DomainError(_("Unknown course status."), "status")
    current = await course(course_id)
    require_course_admin(principal, current)
    if status == "published":
        sessions = await CourseSession.count().where(CourseSession.course == course_id)
        if not sessions:
            raise DomainError(_("Add at least one session before publishing the course."), "status")
    async with write_transaction():
        await Course.update({Course.status: status, Course.updated_at: clock.now()}).where(Course.id == course_id)
        await audit.record(principal, "set_status", "course", course_id, region_code=current.region_code,
                           before={"status": current.status}, after={"status": status})
