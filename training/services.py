"""Graded training rules (分级培训): courses, enrolment with a waitlist, attendance (staff
marking and QR sign-in), completion at the attendance ratio, the yearly hours ledger and
the typical-case library. Other domains import only this module (see the contract at the
end of docs/architecture.md: CourseCompletion, completed_course_of_grade,
completions_of_grade, training_hours)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import contains, is_sqlite, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within, region_name, within_regions
from core.settings import get_settings
from core.text import check_fields, text_problem
from core.vocab import DisputeType, Grade
from training.tables import Attendance, Course, CourseSession, Enrolment, HoursCredit, Material, TypicalCase

# QR sign-in codes: a new code every slot; a code is accepted for its own slot and the
# previous ones up to rules().qr_sign_in_valid_slots (so a code read just before the screen refreshed still
# works), and only from rules().qr_sign_in_grace_minutes before a session starts until that long after it ends.

MODES = ("onsite", "online")
COURSE_STATUSES = ("draft", "published", "closed")
ENROLLED, WAITLISTED, WITHDRAWN, COMPLETED, WAITLIST_CLOSED = (
    "enrolled", "waitlisted", "withdrawn", "completed", "waitlist_closed")
HOLDS_PLACE = (ENROLLED, COMPLETED)
ACTIVE = (ENROLLED, WAITLISTED, COMPLETED)


def now() -> datetime:
    """Kept for tests/integration/certification/test_issue_doubles.py; use core.clock."""
    return clock.now()


def today() -> date:
    """Kept for tests/integration/core/test_hostile_uploads.py; use core.clock."""
    return clock.today()


def rules():
    return get_settings().rules


MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist (and would overflow PostgreSQL)


def _exists_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _course_key(course_id: int, mediator_id: int) -> str:
    return f"{course_id}:{mediator_id}"


# --------------------------------------------------------------------------- contract
@dataclass(frozen=True)
class CourseCompletion:
    course_id: int
    title: str
    grade: str
    completed_on: date | None
    hours: float


async def _completions(mediator_ids: list[int], grade: str) -> dict[int, CourseCompletion]:
    if not mediator_ids:
        return {}
    rows = await Enrolment.select(
        Enrolment.mediator_id, Enrolment.completed_on, Enrolment.course.id, Enrolment.course.title,
        Enrolment.course.grade, Enrolment.course.class_hours,
    ).where(
        Enrolment.mediator_id.is_in(mediator_ids) & (Enrolment.status == COMPLETED) & (Enrolment.course.grade == grade)
    ).order_by(Enrolment.completed_on).order_by(Enrolment.id)
    found: dict[int, CourseCompletion] = {}
    for row in rows:  # ascending: the latest completion wins
        found[row["mediator_id"]] = CourseCompletion(
            course_id=row["course.id"], title=row["course.title"], grade=row["course.grade"],
            completed_on=row["completed_on"], hours=float(row["course.class_hours"] or 0),
        )
    return found


async def completed_course_of_grade(mediator_id: int, grade: str) -> CourseCompletion | None:
    """The mediator's latest completed course of `grade` (exam eligibility)."""
    return (await _completions([mediator_id], str(grade))).get(mediator_id)


async def completions_of_grade(mediator_ids, grade: str) -> dict[int, CourseCompletion]:
    return await _completions(list(set(mediator_ids)), str(grade))


async def training_hours(mediator_ids, year: int) -> dict[int, float]:
    """Credited class hours per mediator in calendar `year` (None: every mediator with any)."""
    def query():
        return HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(HoursCredit.year == year)

    wanted = None if mediator_ids is None else set(mediator_ids)
    if wanted is not None and not wanted:
        return {}
    rows = []
    if wanted is None or len(wanted) > 4000:  # a whole region: one scan of the year, filtered here
        rows = await query()
    else:
        ids = sorted(wanted)
        for start in range(0, len(ids), 900):  # SQLite caps bound parameters
            rows += await query().where(HoursCredit.mediator_id.is_in(ids[start:start + 900]))
    totals: dict[int, float] = {} if wanted is None else {i: 0.0 for i in wanted}
    for row in rows:
        if wanted is None or row["mediator_id"] in wanted:
            totals[row["mediator_id"]] = totals.get(row["mediator_id"], 0.0) + float(row["hours"])
    return totals


# --------------------------------------------------------------------------- authority
def course_regions(course: dict[str, Any]) -> list[str]:
    regions = [course["region_code"]]
    for organiser in course.get("organisers") or []:
        code = organiser.get("region_code") if isinstance(organiser, dict) else None
        if code and code not in regions:
            regions.append(code)
    return regions


def can_manage_course(principal: Principal, course: dict[str, Any]) -> bool:
    """Administrators of the lead organiser's region, or of any joint organiser's region."""
    return any(principal.can_act_in(code, Role.ADMIN) for code in course_regions(course))


def require_course_admin(principal: Principal, course: dict[str, Any]) -> None:
    if not can_manage_course(principal, course):
        raise Forbidden(_("This course is organised outside your authority."))


async def _course(course_id: int) -> dict[str, Any]:
    if not _exists_id(course_id):
        raise NotFound(_("No such course."))
    row = await Course.select().where(Course.id == course_id).first()
    if row is None:
        raise NotFound(_("No such course."))
    row["organisers"] = organisers_of(row)
    return row


def organisers_of(row: dict[str, Any]) -> list[dict[str, str]]:
    """The organisers JSON as a list (SQLite hands JSONB back as text)."""
    value = row.get("organisers")
    if isinstance(value, str):
        import json

        value = json.loads(value or "[]")
    return list(value or [])


async def mediator_id_of(principal: Principal) -> int | None:
    """The mediator record behind a signed-in mediator account."""
    if principal.mediator_id:
        return principal.mediator_id
    from roster import services as roster_services

    summary = await roster_services.mediator_for_user(principal.user_id)
    return summary.id if summary else None


# --------------------------------------------------------------------------- parsing
def _parse_date(value: Any, field_name: str, errors: dict[str, str], required: bool = False) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if value in (None, ""):
        if required:
            errors[field_name] = _("Enter a date.")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field_name] = _("Enter a date as YYYY-MM-DD.")
        return None


def _parse_datetime(value: Any, field_name: str, errors: dict[str, str]) -> datetime | None:
    """A moment from a form (`YYYY-MM-DDTHH:MM`, read on the platform's wall clock) or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.zone())
    if value in (None, ""):
        errors[field_name] = _("Enter a date and time.")
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    except ValueError:
        errors[field_name] = _("Enter a date and time as YYYY-MM-DD HH:MM.")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.zone())


def _parse_number(value: Any, field_name: str, errors: dict[str, str], *, integer: bool = False,
                  minimum: float = 0, maximum: float = 100_000, required: bool = True) -> Any:
    if value in (None, ""):
        if required:
            errors[field_name] = _("Enter a number.")
        return None
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        errors[field_name] = _("Enter a whole number.") if integer else _("Enter a number.")
        return None
    if not math.isfinite(number) or number < minimum:
        errors[field_name] = _("Enter a number of at least %(minimum)s.", minimum=minimum)
        return None
    if number > maximum:
        errors[field_name] = _("Enter a number of at most %(maximum)s.", maximum=maximum)
        return None
    return number


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


def validate_course(data: dict[str, Any]) -> dict[str, Any]:
    """A course from form or API values: every field error at once (FieldErrors)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = _("Enter the course title.")
    elif len(title) > 200:
        errors["title"] = _("The title may have at most 200 characters.")
    clean["title"] = title
    grade = str(data.get("grade") or "")
    if grade not in {g.value for g in Grade}:
        errors["grade"] = _("Choose a grade.")
    clean["grade"] = grade
    region_code = str(data.get("region_code") or "").strip()
    if not region_code or not region_name(region_code) or region_name(region_code) == region_code:
        errors["region_code"] = _("Choose the organiser's region.")
    clean["region_code"] = region_code
    lead_name = str(data.get("organiser_name") or "").strip()
    organisers = data.get("organisers")
    if isinstance(organisers, str) or organisers is None:
        organisers = parse_organisers(organisers or str(data.get("joint_organisers") or ""))
    organisers = [dict(o) for o in organisers]
    if not any(o.get("region_code") == region_code for o in organisers) and region_code:
        organisers.insert(0, {"region_code": region_code, "name": lead_name or region_name(region_code)})
    for organiser in organisers:
        code = organiser.get("region_code", "")
        if not code or region_name(code) == code:
            errors["joint_organisers"] = _("Each organiser line needs a valid region code and a name.")
        if not organiser.get("name"):
            organiser["name"] = region_name(code)
        elif text_problem(str(organiser["name"])):
            errors["joint_organisers"] = text_problem(str(organiser["name"]))
    clean["organisers"] = organisers
    clean["description"] = str(data.get("description") or "").strip()
    hours = _parse_number(data.get("class_hours"), "class_hours", errors)
    if hours is not None and hours <= 0:
        errors["class_hours"] = _("Class hours must be more than zero.")
    clean["class_hours"] = hours
    mode = str(data.get("mode") or "onsite")
    if mode not in MODES:
        errors["mode"] = _("Choose on-site or online.")
    clean["mode"] = mode
    capacity = _parse_number(data.get("capacity"), "capacity", errors, integer=True, minimum=1)
    clean["capacity"] = capacity
    check_fields(clean, errors, ("title",))
    prerequisite_grade = str(data.get("prerequisite_grade") or "") or None
    if prerequisite_grade is not None:
        if prerequisite_grade not in {g.value for g in Grade}:
            errors["prerequisite_grade"] = _("Choose a grade.")
        elif grade in {g.value for g in Grade} and Grade(prerequisite_grade).rank >= Grade(grade).rank:
            errors["prerequisite_grade"] = _("The prerequisite certificate must be of a lower grade than the course.")
    clean["prerequisite_grade"] = prerequisite_grade
    prerequisite_course = data.get("prerequisite_course_id")
    clean["prerequisite_course_id"] = (
        _parse_number(prerequisite_course, "prerequisite_course_id", errors, integer=True, minimum=1, maximum=MAX_ID)
        if prerequisite_course not in (None, "") else None
    )
    opens = _parse_date(data.get("enrol_opens_on"), "enrol_opens_on", errors, required=True)
    closes = _parse_date(data.get("enrol_closes_on"), "enrol_closes_on", errors, required=True)
    starts = _parse_date(data.get("starts_on"), "starts_on", errors, required=True)
    if opens and closes and closes < opens:
        errors["enrol_closes_on"] = _("Enrolment must close on or after the day it opens.")
    if closes and starts and starts < closes:
        errors["starts_on"] = _("The course must start on or after the day enrolment closes.")
    clean.update(enrol_opens_on=opens, enrol_closes_on=closes, starts_on=starts)
    if errors:
        raise FieldErrors(errors)
    return clean


async def _require_prerequisite_course(course_id: int) -> None:
    if not await Course.exists().where(Course.id == course_id):
        raise FieldErrors({"prerequisite_course_id": _("No such course.")})


async def create_course(principal: Principal, data: dict[str, Any]) -> int:
    clean = validate_course(data)
    require_course_admin(principal, clean)
    if clean["prerequisite_course_id"]:
        await _require_prerequisite_course(clean["prerequisite_course_id"])
    async with write_transaction():
        row = await Course.insert(
            Course(**clean, status="draft", created_by=principal.user_id, created_at=clock.now(), updated_at=clock.now())
        ).returning(Course.id)
        course_id = row[0]["id"]
        await audit.record(principal, "create", "course", course_id, region_code=clean["region_code"], after=clean)
    return course_id


async def update_course(principal: Principal, course_id: int, data: dict[str, Any]) -> None:
    course = await _course(course_id)
    require_course_admin(principal, course)
    clean = validate_course(data)
    require_course_admin(principal, clean)
    if clean["prerequisite_course_id"] == course_id:
        raise FieldErrors({"prerequisite_course_id": _("A course cannot be its own prerequisite.")})
    if clean["prerequisite_course_id"]:
        await _require_prerequisite_course(clean["prerequisite_course_id"])
    async with write_transaction():
        held = await Enrolment.count().where((Enrolment.course == course_id) & Enrolment.status.is_in(list(HOLDS_PLACE)))
        if clean["capacity"] < held:
            raise FieldErrors({"capacity": _("%(count)s mediators already hold a place; the capacity cannot be lower.",
                                             count=held)})
        await Course.update({**clean, Course.updated_at: clock.now()}).where(Course.id == course_id)
        before = {k: course.get(k) for k in clean}
        await audit.record(principal, "update", "course", course_id, region_code=clean["region_code"],
                           before=before, after=clean)
        await _promote(course_id, principal)


async def set_course_status(principal: Principal, course_id: int, status: str) -> None:
    if status not in COURSE_STATUSES:
        raise DomainError(_("Unknown course status."), "status")
    course = await _course(course_id)
    require_course_admin(principal, course)
    if status == "published":
        sessions = await CourseSession.count().where(CourseSession.course == course_id)
        if not sessions:
            raise DomainError(_("Add at least one session before publishing the course."), "status")
    async with write_transaction():
        await Course.update({Course.status: status, Course.updated_at: clock.now()}).where(Course.id == course_id)
        await audit.record(principal, "set_status", "course", course_id, region_code=course["region_code"],
                           before={"status": course["status"]}, after={"status": status})


def validate_session(data: dict[str, Any], mode: str = "onsite") -> dict[str, Any]:
    errors: dict[str, str] = {}
    starts = _parse_datetime(data.get("starts_at"), "starts_at", errors)
    ends = _parse_datetime(data.get("ends_at"), "ends_at", errors)
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The session must end after it starts.")
    hours = data.get("hours")
    if hours in (None, "") and starts and ends and ends > starts:
        hours = round((ends - starts).total_seconds() / 3600, 1)
    hours = _parse_number(hours, "hours", errors)
    if hours is not None and hours <= 0:
        errors["hours"] = _("Class hours must be more than zero.")
    place = str(data.get("place") or "").strip()
    link = str(data.get("online_link") or "").strip()
    if link and not link.startswith(("https://", "http://")):
        errors["online_link"] = _("Enter a web address starting with https://.")
    if mode == "onsite" and not place:
        errors["place"] = _("Enter the place of an on-site session.")
    if mode == "online" and not link:
        errors["online_link"] = _("Enter the link of an online session.")
    check_fields({"title": str(data.get("title") or "").strip(), "place": place, "online_link": link}, errors,
                 ("title", "place", "online_link"))
    if errors:
        raise FieldErrors(errors)
    return {"title": str(data.get("title") or "").strip()[:200], "starts_at": starts.astimezone(UTC),
            "ends_at": ends.astimezone(UTC), "place": place[:200], "online_link": link[:500], "hours": hours}


async def add_session(principal: Principal, course_id: int, data: dict[str, Any]) -> int:
    course = await _course(course_id)
    require_course_admin(principal, course)
    clean = validate_session(data, course["mode"])
    async with write_transaction():
        row = await CourseSession.insert(CourseSession(course=course_id, **clean)).returning(CourseSession.id)
        session_id = row[0]["id"]
        await audit.record(principal, "add_session", "course", course_id, region_code=course["region_code"],
                           after={"session_id": session_id, **clean})
    return session_id


async def remove_session(principal: Principal, session_id: int) -> None:
    session = await _session(session_id)
    course = await _course(session["course"])
    require_course_admin(principal, course)
    async with write_transaction():
        if await Attendance.exists().where(Attendance.session == session_id):
            raise Conflict(_("Attendance has been recorded for this session; it cannot be removed."))
        await CourseSession.delete().where(CourseSession.id == session_id)
        await audit.record(principal, "remove_session", "course", course["id"], region_code=course["region_code"],
                           before={"session_id": session_id, "starts_at": session["starts_at"]})


async def add_material(principal: Principal, course_id: int, data: dict[str, Any], *,
                       file_path: str | None = None) -> int:
    course = await _course(course_id)
    require_course_admin(principal, course)
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    url = str(data.get("url") or "").strip()
    case_id = data.get("case_id")
    case_id = int(case_id) if str(case_id or "").isdecimal() else None
    if case_id is not None:
        case = await TypicalCase.select(TypicalCase.title).where(TypicalCase.id == case_id).first()
        if case is None:
            errors["case_id"] = _("No such typical case.")
        elif not title:
            title = case["title"]
    if url and not url.startswith(("https://", "http://")):
        errors["url"] = _("Enter a web address starting with https://.")
    if not (url or file_path or case_id):
        errors["url"] = _("Give a link, a file or a typical case.")
    if not title:
        errors["title"] = _("Enter the material's title.")
    check_fields({"title": title, "url": url}, errors, ("title", "url"))
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        row = await Material.insert(Material(course=course_id, title=title[:200], url=url[:500], file_path=file_path,
                                             case_id=case_id, created_at=clock.now())).returning(Material.id)
        await audit.record(principal, "add_material", "course", course_id, region_code=course["region_code"],
                           after={"material_id": row[0]["id"], "title": title, "case_id": case_id})
    return row[0]["id"]


async def material(material_id: int, principal: Principal | None = None) -> dict[str, Any]:
    """A material of a course the principal may see (published, or managed by them)."""
    row = await Material.select().where(Material.id == material_id).first() if _exists_id(material_id) else None
    if row is None:
        raise NotFound(_("No such material."))
    await course_detail(row["course"], principal)
    return row


# --------------------------------------------------------------------------- reading courses
async def _session(session_id: int) -> dict[str, Any]:
    if not _exists_id(session_id):
        raise NotFound(_("No such session."))
    row = await CourseSession.select().where(CourseSession.id == session_id).first()
    if row is None:
        raise NotFound(_("No such session."))
    return row


async def sessions_of(course_id: int) -> list[dict[str, Any]]:
    return await CourseSession.select().where(CourseSession.course == course_id).order_by(CourseSession.starts_at)


async def course_detail(course_id: int, principal: Principal | None = None) -> dict[str, Any]:
    """A course with its sessions, materials and place counts. Drafts only for its managers."""
    course = await _course(course_id)
    if course["status"] == "draft" and not (principal and can_manage_course(principal, course)):
        raise NotFound(_("No such course."))
    course["sessions"] = await sessions_of(course_id)
    course["materials"] = await Material.select().where(Material.course == course_id).order_by(Material.id)
    course["total_session_hours"] = sum(float(s["hours"]) for s in course["sessions"])
    counts = await _counts([course_id])
    course.update(counts.get(course_id, {"enrolled": 0, "waitlisted": 0}))
    course["places_left"] = max(0, course["capacity"] - course["enrolled"])
    if course["prerequisite_course_id"]:
        prerequisite = await Course.select(Course.title).where(Course.id == course["prerequisite_course_id"]).first()
        course["prerequisite_course_title"] = prerequisite["title"] if prerequisite else ""
    return course


async def _counts(course_ids: list[int]) -> dict[int, dict[str, int]]:
    if not course_ids:
        return {}
    rows = await Enrolment.select(Enrolment.course, Enrolment.status).where(
        Enrolment.course.is_in(course_ids) & Enrolment.status.is_in([ENROLLED, WAITLISTED, COMPLETED]))
    counts = {cid: {"enrolled": 0, "waitlisted": 0} for cid in course_ids}
    for row in rows:
        key = "waitlisted" if row["status"] == WAITLISTED else "enrolled"
        counts[row["course"]][key] += 1
    return counts


async def list_courses(principal: Principal | None = None, *, grade: str = "", status: str = "", q: str = "",
                       manage: bool = False, page: int = 1, page_size: int = 20) -> tuple[list[dict[str, Any]], int]:
    """Published courses for everyone; with `manage`, every course organised in the
    administrator's regions (lead organiser's region)."""
    query = Course.select()
    count = Course.count()
    conditions = []
    if manage and principal is not None:
        scope = within_regions(Course.region_code, principal.regions_for(Role.ADMIN))
        conditions.append(scope if scope is not None else Course.id < 0)
        if status:
            conditions.append(Course.status == status)
    else:
        conditions.append(Course.status.is_in(["published", "closed"]) if status == "all" else Course.status == "published")
    if grade:
        conditions.append(Course.grade == grade)
    if q:
        conditions.append(contains(Course.title, q))
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Course.starts_on, ascending=False).order_by(Course.id, ascending=False).limit(
        page_size).offset((page - 1) * page_size)
    counts = await _counts([r["id"] for r in rows])
    for row in rows:
        row["organisers"] = organisers_of(row)
        row.update(counts.get(row["id"], {}))
        row["places_left"] = max(0, row["capacity"] - row.get("enrolled", 0))
    return rows, await count


# --------------------------------------------------------------------------- enrolment
@dataclass(frozen=True)
class EnrolResult:
    enrolment_id: int
    status: str  # enrolled|waitlisted
    position: int | None  # place on the waitlist (1 = next), None when enrolled


async def _certificate_grade_held(mediator_id: int) -> str | None:
    """The grade of the mediator's current valid certificate, if any (asked of certification)."""
    from roster.events import certificate_standing

    standing = (await certificate_standing([mediator_id])).get(mediator_id)
    if standing is None or getattr(standing, "status", None) != "valid":
        return None
    return str(standing.grade)


async def eligibility_refusals(course: dict[str, Any], mediator_id: int, on: date | None = None) -> list[tuple[str, str]]:
    """Every reason the mediator may not enrol now, as (code, message): window, already
    enrolled, prerequisite certificate, prerequisite course, status. Empty: eligible."""
    on = on or clock.today()
    refusals: list[tuple[str, str]] = []
    if course["status"] != "published":
        refusals.append(("not_open", _("This course is not open for enrolment.")))
    opens, closes = course["enrol_opens_on"], course["enrol_closes_on"]
    if opens and on < opens:
        refusals.append(("window", _("Enrolment opens on %(day)s.", day=opens.isoformat())))
    elif closes and on > closes:
        refusals.append(("window", _("Enrolment closed on %(day)s.", day=closes.isoformat())))
    existing = await Enrolment.select(Enrolment.status).where(
        Enrolment.pair_key == _course_key(course["id"], mediator_id)).first()
    if existing and existing["status"] in ACTIVE:
        refusals.append(("twice", {
            ENROLLED: _("You are already enrolled in this course."),
            WAITLISTED: _("You are already on the waitlist of this course."),
            COMPLETED: _("You have already completed this course."),
        }[existing["status"]]))
    from roster import services as roster_services

    mediator = await roster_services.mediator_summary(mediator_id)
    if mediator is None:
        refusals.append(("mediator", _("No mediator record is linked to this account.")))
    elif mediator.status not in ("appointed", "applicant"):
        refusals.append(("mediator", _("Only mediators in the roster may enrol (status: %(status)s).",
                                       status=mediator.status)))
    if course["prerequisite_grade"]:
        held = await _certificate_grade_held(mediator_id)
        needed = Grade(course["prerequisite_grade"])
        if held is None or held not in {g.value for g in Grade} or Grade(held).rank < needed.rank:
            refusals.append(("prerequisite", _("This course requires a valid certificate of grade %(grade)s or higher.",
                                               grade=needed.label)))
    if course["prerequisite_course_id"]:
        done = await Enrolment.exists().where(
            (Enrolment.pair_key == _course_key(course["prerequisite_course_id"], mediator_id))
            & (Enrolment.status == COMPLETED))
        if not done:
            prerequisite = await Course.select(Course.title).where(Course.id == course["prerequisite_course_id"]).first()
            refusals.append(("prerequisite", _("This course requires completing the course “%(title)s” first.",
                                               title=prerequisite["title"] if prerequisite else "?")))
    return refusals


async def _lock_course(course_id: int) -> None:
    """Serialise enrolments of one course: PostgreSQL locks the course row; SQLite's
    IMMEDIATE transaction already holds the database's single write lock."""
    if not is_sqlite():
        await Course.raw("SELECT id FROM course WHERE id = {} FOR UPDATE", course_id)


async def waitlist_position(course_id: int, enrolment_id: int) -> int | None:
    queue = await Enrolment.select(Enrolment.id).where(
        (Enrolment.course == course_id) & (Enrolment.status == WAITLISTED)
    ).order_by(Enrolment.queued_at).order_by(Enrolment.id)
    ids = [r["id"] for r in queue]
    return ids.index(enrolment_id) + 1 if enrolment_id in ids else None


async def enrol(actor: Principal | None, course_id: int, mediator_id: int, *, on: date | None = None) -> EnrolResult:
    """Enrol when eligible; when every place is taken, join the waitlist. Refusals raise
    DomainError(reason, field) with field = the refusal code (window, prerequisite, twice...)."""
    course = await _course(course_id)
    refusals = await eligibility_refusals(course, mediator_id, on)
    if refusals:
        code, message = refusals[0]
        raise Conflict(message, code) if code == "twice" else DomainError(message, code)
    key = _course_key(course_id, mediator_id)
    async with write_transaction():
        await _lock_course(course_id)
        existing = await Enrolment.select(Enrolment.id, Enrolment.status).where(Enrolment.pair_key == key).first()
        if existing and existing["status"] in ACTIVE:  # a parallel request won
            raise Conflict(_("You are already enrolled in this course."), "twice")
        held = await Enrolment.count().where((Enrolment.course == course_id) & Enrolment.status.is_in(list(HOLDS_PLACE)))
        waiting = await Enrolment.count().where((Enrolment.course == course_id) & (Enrolment.status == WAITLISTED))
        status = ENROLLED if held < course["capacity"] and not waiting else WAITLISTED
        values = {"status": status, "queued_at": clock.now(), "enrolled_at": clock.now() if status == ENROLLED else None,
                  "withdrawn_at": None, "completed_on": None, "promoted": False}
        if existing:
            await Enrolment.update(values).where(Enrolment.id == existing["id"])
            enrolment_id = existing["id"]
        else:
            row = await Enrolment.insert(Enrolment(course=course_id, mediator_id=mediator_id, pair_key=key, **values)
                                         ).returning(Enrolment.id)
            enrolment_id = row[0]["id"]
        position = await waitlist_position(course_id, enrolment_id) if status == WAITLISTED else None
        await audit.record(actor, "enrol", "enrolment", enrolment_id, region_code=course["region_code"],
                           after={"course_id": course_id, "mediator_id": mediator_id, "status": status,
                                  "waitlist_position": position})
    return EnrolResult(enrolment_id, status, position)


async def _promote(course_id: int, actor: Principal | None) -> list[int]:
    """Fill free places from the waitlist in queue order (call inside the transaction)."""
    course = await Course.select(Course.capacity, Course.region_code).where(Course.id == course_id).first()
    held = await Enrolment.count().where((Enrolment.course == course_id) & Enrolment.status.is_in(list(HOLDS_PLACE)))
    free = course["capacity"] - held
    if free <= 0:
        return []
    queue = await Enrolment.select(Enrolment.id, Enrolment.mediator_id).where(
        (Enrolment.course == course_id) & (Enrolment.status == WAITLISTED)
    ).order_by(Enrolment.queued_at).order_by(Enrolment.id).limit(free)
    promoted = []
    for row in queue:
        await Enrolment.update({Enrolment.status: ENROLLED, Enrolment.enrolled_at: clock.now(), Enrolment.promoted: True}
                               ).where(Enrolment.id == row["id"])
        await audit.record(actor, "promote", "enrolment", row["id"], region_code=course["region_code"],
                           before={"status": WAITLISTED}, after={"status": ENROLLED},
                           reason="a place became free")
        promoted.append(row["mediator_id"])
    return promoted


async def course_has_started(course: dict[str, Any], at: datetime | None = None) -> bool:
    at = at or clock.now()
    first = await CourseSession.select(CourseSession.starts_at).where(CourseSession.course == course["id"]).order_by(
        CourseSession.starts_at).first()
    if first is not None and first["starts_at"] <= at:
        return True
    return bool(course["starts_on"] and course["starts_on"] <= clock.date_of(at))


async def withdraw(actor: Principal | None, course_id: int, mediator_id: int, *, at: datetime | None = None) -> list[int]:
    """Withdraw before the course starts; a freed place goes to the first on the waitlist.
    Returns the mediator ids promoted."""
    course = await _course(course_id)
    if await course_has_started(course, at):
        raise DomainError(_("The course has started; withdrawal is no longer possible."), "course")
    async with write_transaction():
        await _lock_course(course_id)
        row = await Enrolment.select(Enrolment.id, Enrolment.status).where(
            Enrolment.pair_key == _course_key(course_id, mediator_id)).first()
        if row is None or row["status"] not in (ENROLLED, WAITLISTED):
            raise DomainError(_("You are not enrolled in this course."), "course")
        await Enrolment.update({Enrolment.status: WITHDRAWN, Enrolment.withdrawn_at: clock.now()}).where(Enrolment.id == row["id"])
        await audit.record(actor, "withdraw", "enrolment", row["id"], region_code=course["region_code"],
                           before={"status": row["status"]}, after={"status": WITHDRAWN})
        promoted = await _promote(course_id, actor) if row["status"] == ENROLLED else []
    return promoted


async def enrolments_of_course(course_id: int) -> list[dict[str, Any]]:
    """Everyone who enrolled, with names (no personal data), attended hours and queue place."""
    from roster import services as roster_services

    rows = await Enrolment.select().where(Enrolment.course == course_id).order_by(Enrolment.status).order_by(
        Enrolment.queued_at).order_by(Enrolment.id)
    summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    attended = await attended_hours(course_id, [r["mediator_id"] for r in rows])
    position = 0
    for row in sorted(rows, key=lambda r: (r["queued_at"], r["id"])):
        if row["status"] == WAITLISTED:
            position += 1
            row["position"] = position
    for row in rows:
        summary = summaries.get(row["mediator_id"])
        row["name"] = summary.name if summary else f"#{row['mediator_id']}"
        row["region_code"] = summary.region_code if summary else ""
        row["organisation_name"] = summary.organisation_name if summary else ""
        row["attended_hours"] = attended.get(row["mediator_id"], 0.0)
        row.setdefault("position", None)
    return rows


async def my_enrolments(mediator_id: int) -> list[dict[str, Any]]:
    rows = await Enrolment.select(
        Enrolment.all_columns(), Enrolment.course.title, Enrolment.course.grade, Enrolment.course.starts_on,
        Enrolment.course.class_hours,
    ).where(Enrolment.mediator_id == mediator_id).order_by(Enrolment.queued_at, ascending=False)
    for row in rows:
        row["position"] = await waitlist_position(row["course"], row["id"]) if row["status"] == WAITLISTED else None
        row["attended_hours"] = (await attended_hours(row["course"], [mediator_id])).get(mediator_id, 0.0)
    return rows


async def enrolment_of(course_id: int, mediator_id: int) -> dict[str, Any] | None:
    row = await Enrolment.select().where(Enrolment.pair_key == _course_key(course_id, mediator_id)).first()
    if row and row["status"] == WAITLISTED:
        row["position"] = await waitlist_position(course_id, row["id"])
    return row


# --------------------------------------------------------------------------- attendance and completion
async def attended_hours(course_id: int, mediator_ids: list[int]) -> dict[int, float]:
    if not mediator_ids:
        return {}
    rows = await Attendance.select(Attendance.mediator_id, Attendance.session.hours).where(
        (Attendance.session.course == course_id) & Attendance.mediator_id.is_in(list(set(mediator_ids))))
    totals: dict[int, float] = {}
    for row in rows:
        totals[row["mediator_id"]] = totals.get(row["mediator_id"], 0.0) + float(row["session.hours"])
    return totals


def completes(attended: float, total: float) -> bool:
    """The completion rule: attendance of at least the ratio (80%) of the course's hours."""
    return total > 0 and attended + 1e-9 >= rules().attendance_completion_ratio * total


async def _settle_completion(course_id: int, mediator_ids: list[int], actor: Principal | None) -> int:
    """Complete (and credit) or un-complete each mediator by the attendance rule. Inside
    the transaction. Returns how many enrolments changed."""
    course = await Course.select().where(Course.id == course_id).first()
    sessions = await sessions_of(course_id)
    total = sum(float(s["hours"]) for s in sessions)
    year = clock.date_of(sessions[-1]["starts_at"]).year if sessions else clock.today().year
    attended = await attended_hours(course_id, mediator_ids)
    last_attended = {}
    if mediator_ids:
        for row in await Attendance.select(Attendance.mediator_id, Attendance.session.starts_at).where(
                (Attendance.session.course == course_id) & Attendance.mediator_id.is_in(mediator_ids)):
            moment = row["session.starts_at"]
            if row["mediator_id"] not in last_attended or moment > last_attended[row["mediator_id"]]:
                last_attended[row["mediator_id"]] = moment
    enrolments = await Enrolment.select(Enrolment.id, Enrolment.mediator_id, Enrolment.status).where(
        (Enrolment.course == course_id) & Enrolment.mediator_id.is_in(mediator_ids or [-1]))
    changed = 0
    for enrolment in enrolments:
        mediator_id = enrolment["mediator_id"]
        hours = attended.get(mediator_id, 0.0)
        if enrolment["status"] == ENROLLED and completes(hours, total):
            completed_on = clock.date_of(last_attended[mediator_id]) if mediator_id in last_attended else clock.today()
            await Enrolment.update({Enrolment.status: COMPLETED, Enrolment.completed_on: completed_on}).where(
                Enrolment.id == enrolment["id"])
            key = f"{mediator_id}:{course_id}"
            if not await HoursCredit.exists().where(HoursCredit.pair_key == key):
                await HoursCredit.insert(HoursCredit(mediator_id=mediator_id, year=year, course_id=course_id, pair_key=key,
                                                     hours=float(course["class_hours"]), credited_on=clock.today()))
            await audit.record(actor, "complete", "enrolment", enrolment["id"], region_code=course["region_code"],
                               before={"status": ENROLLED}, after={"status": COMPLETED, "attended_hours": hours,
                                                                   "credited_hours": course["class_hours"], "year": year},
                               reason=f"attendance {hours:g}/{total:g} h >= {rules().attendance_completion_ratio:.0%}")
            changed += 1
        elif enrolment["status"] == COMPLETED and not completes(hours, total):
            await Enrolment.update({Enrolment.status: ENROLLED, Enrolment.completed_on: None}).where(
                Enrolment.id == enrolment["id"])
            await HoursCredit.delete().where(HoursCredit.pair_key == f"{mediator_id}:{course_id}")
            await audit.record(actor, "uncomplete", "enrolment", enrolment["id"], region_code=course["region_code"],
                               before={"status": COMPLETED}, after={"status": ENROLLED, "attended_hours": hours},
                               reason="attendance corrected below the completion ratio")
            changed += 1
    return changed


async def mark_attendance(principal: Principal, session_id: int, present: list[int]) -> dict[str, int]:
    """Staff set who attended a session (the list replaces the staff marks; QR sign-ins stay
    unless the mediator is now marked absent). Only mediators holding a place count."""
    session = await _session(session_id)
    course = await _course(session["course"])
    require_course_admin(principal, course)
    present_ids = {int(m) for m in present}
    async with write_transaction():
        holders = {r["mediator_id"] for r in await Enrolment.select(Enrolment.mediator_id).where(
            (Enrolment.course == course["id"]) & Enrolment.status.is_in(list(HOLDS_PLACE)))}
        unknown = present_ids - holders
        if unknown:
            raise DomainError(_("Only mediators enrolled in the course can be marked present."), "present")
        existing = {r["mediator_id"] for r in await Attendance.select(Attendance.mediator_id).where(
            Attendance.session == session_id)}
        added = present_ids - existing
        removed = (existing & holders) - present_ids
        for mediator_id in sorted(added):
            await Attendance.insert(Attendance(session=session_id, mediator_id=mediator_id, pair_key=f"{session_id}:{mediator_id}",
                                               marked_by=principal.user_id, via="staff", at=clock.now()))
        if removed:
            await Attendance.delete().where((Attendance.session == session_id) & Attendance.mediator_id.is_in(sorted(removed)))
        if added or removed:
            await audit.record(principal, "mark_attendance", "course_session", session_id, region_code=course["region_code"],
                               before={"present": sorted(existing)}, after={"present": sorted(present_ids)})
        completed = await _settle_completion(course["id"], sorted(added | removed), principal)
    return {"added": len(added), "removed": len(removed), "completion_changes": completed}


async def attendance_of_session(session_id: int) -> dict[int, dict[str, Any]]:
    return {r["mediator_id"]: r for r in await Attendance.select().where(Attendance.session == session_id)}


def _signature(session_id: int, slot: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"training-sign-in:{session_id}:{slot}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def sign_in_code(session_id: int, at: datetime | None = None) -> str:
    """The short-lived code the trainer's screen shows as a QR: `<session>-<slot>-<hmac>`."""
    slot = int((at or clock.now()).timestamp() // rules().qr_sign_in_slot_seconds)
    return f"{session_id}-{slot}-{_signature(session_id, slot, get_settings().secret_key)}"


def sign_in_url(code: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/training/sign-in/{code}"


@dataclass(frozen=True)
class SignInResult:
    session_id: int
    course_id: int
    course_title: str
    already: bool
    completed: bool


def _decode_code(code: str, at: datetime) -> tuple[int, int]:
    parts = (code or "").split("-", 2)
    if len(parts) != 3 or not parts[0].isdecimal() or not parts[1].isdecimal():
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    session_id, slot = int(parts[0]), int(parts[1])
    if not _exists_id(session_id):
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    settings = get_settings()
    secrets = (settings.secret_key, *settings.retired_secret_keys)
    if not any(hmac.compare_digest(_signature(session_id, slot, key), parts[2]) for key in secrets):
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    current = int(at.timestamp() // rules().qr_sign_in_slot_seconds)
    if slot > current + 1:
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    if current - slot >= rules().qr_sign_in_valid_slots:
        raise DomainError(_("This sign-in code has expired (codes change every %(seconds)s seconds). "
                            "Scan the code on the trainer's screen again.", seconds=rules().qr_sign_in_slot_seconds), "code")
    return session_id, slot


async def sign_in(principal: Principal | None, code: str, mediator_id: int, *, session_id: int | None = None,
                  at: datetime | None = None) -> SignInResult:
    """The mediator signs in to a session with the scanned code. Refused, each with its
    reason: an altered code, an expired code, a code for another session than the one
    expected, outside the session's window (with grace), or a mediator not enrolled."""
    at = at or clock.now()
    code_session, _slot = _decode_code(code, at)
    if session_id is not None and session_id != code_session:
        raise DomainError(_("This sign-in code is for another session."), "code")
    session = await _session(code_session)
    grace = timedelta(minutes=rules().qr_sign_in_grace_minutes)
    if not (session["starts_at"] - grace <= at <= session["ends_at"] + grace):
        raise DomainError(_("Sign-in for this session is open only from %(start)s to %(end)s.",
                            start=clock.local(session["starts_at"] - grace).strftime("%Y-%m-%d %H:%M"),
                            end=clock.local(session["ends_at"] + grace).strftime("%Y-%m-%d %H:%M")), "code")
    course = await _course(session["course"])
    async with write_transaction():
        enrolment = await Enrolment.select(Enrolment.id, Enrolment.status).where(
            Enrolment.pair_key == _course_key(course["id"], mediator_id)).first()
        if enrolment is None or enrolment["status"] not in HOLDS_PLACE:
            message = (_("You are on the waitlist of this course, not enrolled; you cannot sign in.")
                       if enrolment and enrolment["status"] == WAITLISTED
                       else _("You are not enrolled in this course, so you cannot sign in to its session."))
            raise DomainError(message, "mediator")
        key = f"{code_session}:{mediator_id}"
        already = await Attendance.exists().where(Attendance.pair_key == key)
        completed = False
        if not already:
            await Attendance.insert(Attendance(session=code_session, mediator_id=mediator_id, pair_key=key,
                                               marked_by=None, via="qr", at=at))
            await audit.record(principal, "sign_in", "course_session", code_session, region_code=course["region_code"],
                               after={"mediator_id": mediator_id, "via": "qr"})
            completed = bool(await _settle_completion(course["id"], [mediator_id], principal))
    return SignInResult(code_session, course["id"], course["title"], already, completed)


# --------------------------------------------------------------------------- hours ledger
@dataclass
class Ledger:
    mediator_id: int
    year: int
    required: int
    earned: float
    credits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def short(self) -> float:
        return max(0.0, self.required - self.earned)

    @property
    def met(self) -> bool:
        return self.earned + 1e-9 >= self.required


async def hours_ledger(mediator_id: int, year: int | None = None) -> Ledger:
    """Hours earned in a calendar year against the yearly requirement, with the courses."""
    year = year or clock.today().year
    credits = await HoursCredit.select().where((HoursCredit.mediator_id == mediator_id) & (HoursCredit.year == year)
                                               ).order_by(HoursCredit.credited_on)
    titles = {}
    if credits:
        titles = {r["id"]: r for r in await Course.select(Course.id, Course.title, Course.grade).where(
            Course.id.is_in([c["course_id"] for c in credits]))}
    for credit in credits:
        course = titles.get(credit["course_id"], {})
        credit["title"], credit["grade"] = course.get("title", ""), course.get("grade", "")
    earned = sum(float(c["hours"]) for c in credits)
    return Ledger(mediator_id, year, rules().yearly_training_hours, earned, credits)


async def short_of_hours(region_code: str, year: int | None = None) -> list[dict[str, Any]]:
    """Appointed mediators of a region (and below) with fewer credited hours than required."""
    from roster import services as roster_services

    year = year or clock.today().year
    required = rules().yearly_training_hours
    mediators = await roster_services.mediators_in_region(region_code)
    earned = await training_hours([m.id for m in mediators], year)
    short = []
    for mediator in mediators:
        hours = earned.get(mediator.id, 0.0)
        if hours + 1e-9 < required:
            short.append({"id": mediator.id, "name": mediator.name, "region_code": mediator.region_code,
                          "organisation_name": mediator.organisation_name, "earned": hours,
                          "required": required, "short": required - hours})
    return sorted(short, key=lambda r: (-r["short"], r["region_code"], r["name"]))


# --------------------------------------------------------------------------- typical cases
def validate_case(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = _("Enter the case title.")
    elif len(title) > 200:
        errors["title"] = _("The title may have at most 200 characters.")
    dispute_type = str(data.get("dispute_type") or "")
    if dispute_type not in {d.value for d in DisputeType}:
        errors["dispute_type"] = _("Choose a dispute type.")
    summary = str(data.get("summary") or "").strip()
    if not summary:
        errors["summary"] = _("Enter a summary.")
    region_code = str(data.get("region_code") or "").strip()
    if not region_code or region_name(region_code) == region_code:
        errors["region_code"] = _("Choose a region.")
    check_fields({"title": title}, errors, ("title",))
    if errors:
        raise FieldErrors(errors)
    return {"title": title, "dispute_type": dispute_type, "summary": summary, "region_code": region_code,
            "full_text": str(data.get("full_text") or "").strip(), "lessons": str(data.get("lessons") or "").strip()}


async def _case(case_id: int) -> dict[str, Any]:
    if not _exists_id(case_id):
        raise NotFound(_("No such typical case."))
    row = await TypicalCase.select().where(TypicalCase.id == case_id).first()
    if row is None:
        raise NotFound(_("No such typical case."))
    return row


async def create_case(principal: Principal, data: dict[str, Any]) -> int:
    clean = validate_case(data)
    if not principal.can_act_in(clean["region_code"], Role.ADMIN):
        raise FieldErrors({"region_code": _("This region is outside your authority.")})
    async with write_transaction():
        row = await TypicalCase.insert(TypicalCase(**clean, published=False, created_by=principal.user_id,
                                                   created_at=clock.now(), updated_at=clock.now())).returning(TypicalCase.id)
        await audit.record(principal, "create", "typical_case", row[0]["id"], region_code=clean["region_code"], after=clean)
    return row[0]["id"]


async def update_case(principal: Principal, case_id: int, data: dict[str, Any]) -> None:
    case = await _case(case_id)
    if not principal.can_act_in(case["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    clean = validate_case(data)
    if not principal.can_act_in(clean["region_code"], Role.ADMIN):
        raise FieldErrors({"region_code": _("This region is outside your authority.")})
    async with write_transaction():
        await TypicalCase.update({**clean, TypicalCase.updated_at: clock.now()}).where(TypicalCase.id == case_id)
        await audit.record(principal, "update", "typical_case", case_id, region_code=clean["region_code"],
                           before={k: case[k] for k in clean}, after=clean)


async def publish_case(principal: Principal, case_id: int, published: bool = True) -> None:
    case = await _case(case_id)
    if not principal.can_act_in(case["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    async with write_transaction():
        await TypicalCase.update({TypicalCase.published: published,
                                  TypicalCase.published_on: (case["published_on"] or clock.today()) if published else None,
                                  TypicalCase.updated_at: clock.now()}).where(TypicalCase.id == case_id)
        await audit.record(principal, "publish" if published else "unpublish", "typical_case", case_id,
                           region_code=case["region_code"], before={"published": case["published"]},
                           after={"published": published})


async def typical_case(case_id: int, principal: Principal | None = None) -> dict[str, Any]:
    case = await _case(case_id)
    if not case["published"] and not (principal and principal.can_act_in(case["region_code"], Role.ADMIN)):
        raise NotFound(_("No such typical case."))
    return case


async def search_cases(q: str = "", dispute_type: str = "", *, principal: Principal | None = None, manage: bool = False,
                       page: int = 1, page_size: int = 20) -> tuple[list[dict[str, Any]], int]:
    """Published cases by words in the title or summary and by dispute type; with `manage`,
    the administrator's regions' cases, drafts included."""
    query = TypicalCase.select(TypicalCase.id, TypicalCase.title, TypicalCase.dispute_type, TypicalCase.summary,
                               TypicalCase.region_code, TypicalCase.published, TypicalCase.published_on)
    count = TypicalCase.count()
    conditions = []
    if manage and principal is not None:
        scope = within_regions(TypicalCase.region_code, principal.regions_for(Role.ADMIN))
        conditions.append(scope if scope is not None else TypicalCase.id < 0)
    else:
        conditions.append(TypicalCase.published == True)  # noqa: E712
    if q:
        conditions.append(contains(TypicalCase.title, q) | contains(TypicalCase.summary, q))
    if dispute_type:
        conditions.append(TypicalCase.dispute_type == dispute_type)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(TypicalCase.published_on, ascending=False).order_by(TypicalCase.id, ascending=False
                                                                                   ).limit(page_size).offset((page - 1) * page_size)
    return rows, await count


async def cases_by_ids(ids) -> dict[int, dict[str, Any]]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return {r["id"]: r for r in await TypicalCase.select(TypicalCase.id, TypicalCase.title, TypicalCase.published).where(
        TypicalCase.id.is_in(ids))}


# --------------------------------------------------------------------------- sweep
async def close_started_waitlists(on: date | None = None) -> int:
    """Daily sweep: once a course has started, whoever is still waitlisted will not get a
    place; their waitlist entries are closed. Idempotent: returns the entries changed."""
    on = on or clock.today()
    started = [r["id"] for r in await Course.select(Course.id).where(
        Course.starts_on.is_not_null() & (Course.starts_on <= on))]
    if not started:
        return 0
    async with write_transaction():
        rows = await Enrolment.select(Enrolment.id, Enrolment.course.region_code).where(
            Enrolment.course.is_in(started) & (Enrolment.status == WAITLISTED))
        if not rows:
            return 0
        await Enrolment.update({Enrolment.status: WAITLIST_CLOSED}).where(Enrolment.id.is_in([r["id"] for r in rows]))
        rows_audit = [audit.audit_row(None, "close_waitlist", "enrolment", r["id"], region_code=r["course.region_code"],
                                      before={"status": WAITLISTED}, after={"status": WAITLIST_CLOSED},
                                      reason="the course has started") for r in rows]
        await audit.record_many(rows_audit)
    return len(rows)


def within(code: str, ancestor: str) -> bool:
    return is_within(code, ancestor)
