"""Enrolment (报名): who may enrol (the window, the prerequisite certificate or course, the
roster status), enrolling or joining the waitlist when full, withdrawing before the course
starts, and the lists of enrolments for the course's managers and for the mediator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self

from core import audit, clock
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, DomainError
from core.i18n import _
from core.vocab import Grade
from training.attendance import attended_hours
from training.courses import CourseSummary, course
from training.schemas import ACTIVE, COMPLETED, ENROLLED, WAITLISTED, WITHDRAWN, Row, course_key
from training.tables import Course, CourseSession, Enrolment
from training.waitlist import lock_course, places_held, promote, waitlist_position


@dataclass(frozen=True, slots=True)
class EnrolResult:
    enrolment_id: int
    status: str  # enrolled|waitlisted
    position: int | None  # place on the waitlist (1 = next), None when enrolled


@dataclass(frozen=True, slots=True)
class EnrolmentStanding:
    """One mediator's enrolment in one course; `position` on the waitlist (None when not waiting)."""

    id: int
    course_id: int
    mediator_id: int
    status: str
    queued_at: datetime
    enrolled_at: datetime | None
    withdrawn_at: datetime | None
    completed_on: date | None
    promoted: bool
    position: int | None

    @classmethod
    def of(cls, row: Row, position: int | None, **more: Any) -> Self:
        """The record from an enrolment row; `more` fills the fields of a record built on this one."""
        return cls(id=row["id"], course_id=row["course"], mediator_id=row["mediator_id"], status=row["status"],
                   queued_at=row["queued_at"], enrolled_at=row["enrolled_at"], withdrawn_at=row["withdrawn_at"],
                   completed_on=row["completed_on"], promoted=row["promoted"], position=position, **more)


@dataclass(frozen=True, slots=True)
class CourseEnrolment(EnrolmentStanding):
    """An enrolment as the course's managers see it: the mediator's name (no personal data)."""

    name: str
    region_code: str
    organisation_name: str
    attended_hours: float


@dataclass(frozen=True, slots=True)
class MyEnrolment(EnrolmentStanding):
    course_title: str
    course_grade: str
    course_starts_on: date | None
    attended_hours: float


async def mediator_id_of(principal: Principal) -> int | None:
    """The mediator record behind a signed-in mediator account."""
    if principal.mediator_id:
        return principal.mediator_id
    from roster import services as roster_services

    summary = await roster_services.mediator_for_user(principal.user_id)
    return summary.id if summary else None


async def _certificate_grade_held(mediator_id: int) -> str | None:
    """The grade of the mediator's current valid certificate, if any (asked of certification)."""
    from roster.events import certificate_standing

    standing = (await certificate_standing([mediator_id])).get(mediator_id)
    if standing is None or getattr(standing, "status", None) != "valid":
        return None
    return str(standing.grade)


async def eligibility_refusals(course: CourseSummary, mediator_id: int, on: date | None = None) -> list[tuple[str, str]]:
    """Every reason the mediator may not enrol now, as (code, message): window, already
    enrolled, prerequisite certificate, prerequisite course, status. Empty: eligible."""
    on = on or clock.today()
    refusals: list[tuple[str, str]] = []
    if course.status != "published":
        refusals.append(("not_open", _("This course is not open for enrolment.")))
    opens, closes = course.enrol_opens_on, course.enrol_closes_on
    if opens and on < opens:
        refusals.append(("window", _("Enrolment opens on %(day)s.", day=opens.isoformat())))
    elif closes and on > closes:
        refusals.append(("window", _("Enrolment closed on %(day)s.", day=closes.isoformat())))
    existing = await Enrolment.select(Enrolment.status).where(
        Enrolment.pair_key == course_key(course.id, mediator_id)).first()
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
    if course.prerequisite_grade:
        held = await _certificate_grade_held(mediator_id)
        needed = Grade(course.prerequisite_grade)
        if held is None or held not in {g.value for g in Grade} or Grade(held).rank < needed.rank:
            refusals.append(("prerequisite", _("This course requires a valid certificate of grade %(grade)s or higher.",
                                               grade=needed.label)))
    if course.prerequisite_course_id:
        done = await Enrolment.exists().where(
            (Enrolment.pair_key == course_key(course.prerequisite_course_id, mediator_id))
            & (Enrolment.status == COMPLETED))
        if not done:
            prerequisite = await Course.select(Course.title).where(Course.id == course.prerequisite_course_id).first()
            refusals.append(("prerequisite", _("This course requires completing the course “%(title)s” first.",
                                               title=prerequisite["title"] if prerequisite else "?")))
    return refusals


async def enrol(actor: Principal | None, course_id: int, mediator_id: int, *, on: date | None = None) -> EnrolResult:
    """Enrol when eligible; when every place is taken, join the waitlist. Refusals raise
    DomainError(reason, field) with field = the refusal code (window, prerequisite, twice...)."""
    wanted = await course(course_id)
    refusals = await eligibility_refusals(wanted, mediator_id, on)
    if refusals:
        code, message = refusals[0]
        raise Conflict(message, code) if code == "twice" else DomainError(message, code)
    key = course_key(course_id, mediator_id)
    async with write_transaction():
        await lock_course(course_id)
        existing = await Enrolment.select(Enrolment.id, Enrolment.status).where(Enrolment.pair_key == key).first()
        if existing and existing["status"] in ACTIVE:  # a parallel request won
            raise Conflict(_("You are already enrolled in this course."), "twice")
        held = await places_held(course_id)
        waiting = await Enrolment.count().where((Enrolment.course == course_id) & (Enrolment.status == WAITLISTED))
        status = ENROLLED if held < wanted.capacity and not waiting else WAITLISTED
        now = clock.now()
        enrolled_at = now if status == ENROLLED else None
        if existing:
            await Enrolment.update({
                Enrolment.status: status, Enrolment.queued_at: now, Enrolment.enrolled_at: enrolled_at,
                Enrolment.withdrawn_at: None, Enrolment.completed_on: None, Enrolment.promoted: False,
            }).where(Enrolment.id == existing["id"])
            enrolment_id: int = existing["id"]
        else:
            row = await Enrolment.insert(Enrolment(
                course=course_id, mediator_id=mediator_id, pair_key=key, status=status, queued_at=now,
                enrolled_at=enrolled_at, withdrawn_at=None, completed_on=None, promoted=False,
            )).returning(Enrolment.id)
            enrolment_id = row[0]["id"]
        position = await waitlist_position(course_id, enrolment_id) if status == WAITLISTED else None
        await audit.record(actor, "enrol", "enrolment", enrolment_id, region_code=wanted.region_code,
                           after={"course_id": course_id, "mediator_id": mediator_id, "status": status,
                                  "waitlist_position": position})
    return EnrolResult(enrolment_id, status, position)


async def course_has_started(course: CourseSummary, at: datetime | None = None) -> bool:
    at = at or clock.now()
    first = await CourseSession.select(CourseSession.starts_at).where(CourseSession.course == course.id).order_by(
        CourseSession.starts_at).first()
    if first is not None and first["starts_at"] <= at:
        return True
    return bool(course.starts_on and course.starts_on <= clock.date_of(at))


async def withdraw(actor: Principal | None, course_id: int, mediator_id: int, *, at: datetime | None = None) -> list[int]:
    """Withdraw before the course starts; a freed place goes to the first on the waitlist.
    Returns the mediator ids promoted."""
    leaving = await course(course_id)
    if await course_has_started(leaving, at):
        raise DomainError(_("The course has started; withdrawal is no longer possible."), "course")
    async with write_transaction():
        await lock_course(course_id)
        row = await Enrolment.select(Enrolment.id, Enrolment.status).where(
            Enrolment.pair_key == course_key(course_id, mediator_id)).first()
        if row is None or row["status"] not in (ENROLLED, WAITLISTED):
            raise DomainError(_("You are not enrolled in this course."), "course")
        await Enrolment.update({Enrolment.status: WITHDRAWN, Enrolment.withdrawn_at: clock.now()}).where(Enrolment.id == row["id"])
        await audit.record(actor, "withdraw", "enrolment", row["id"], region_code=leaving.region_code,
                           before={"status": row["status"]}, after={"status": WITHDRAWN})
        promoted = await promote(course_id, actor) if row["status"] == ENROLLED else []
    return promoted


async def enrolments_of_course(course_id: int) -> list[CourseEnrolment]:
    """Everyone who enrolled, with names (no personal data), attended hours and queue place."""
    from roster import services as roster_services

    rows = await Enrolment.select().where(Enrolment.course == course_id).order_by(Enrolment.status).order_by(
        Enrolment.queued_at).order_by(Enrolment.id)
    summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    attended = await attended_hours(course_id, [r["mediator_id"] for r in rows])
    positions: dict[int, int] = {}
    for row in sorted(rows, key=lambda r: (r["queued_at"], r["id"])):
        if row["status"] == WAITLISTED:
            positions[row["id"]] = len(positions) + 1
    out = []
    for row in rows:
        summary = summaries.get(row["mediator_id"])
        out.append(CourseEnrolment.of(
            row, positions.get(row["id"]), name=summary.name if summary else f"#{row['mediator_id']}",
            region_code=summary.region_code if summary else "",
            organisation_name=summary.organisation_name if summary else "",
            attended_hours=attended.get(row["mediator_id"], 0.0)))
    return out


async def my_enrolments(mediator_id: int) -> list[MyEnrolment]:
    rows = await Enrolment.select(
        *Enrolment.all_columns(), Enrolment.course.title, Enrolment.course.grade, Enrolment.course.starts_on,
    ).where(Enrolment.mediator_id == mediator_id).order_by(Enrolment.queued_at, ascending=False)
    out = []
    for row in rows:
        position = await waitlist_position(row["course"], row["id"]) if row["status"] == WAITLISTED else None
        out.append(MyEnrolment.of(
            row, position, course_title=row["course.title"],
            course_grade=row["course.grade"], course_starts_on=row["course.starts_on"],
            attended_hours=(await attended_hours(row["course"], [mediator_id])).get(mediator_id, 0.0)))
    return out


async def enrolment_of(course_id: int, mediator_id: int) -> EnrolmentStanding | None:
    row = await Enrolment.select().where(Enrolment.pair_key == course_key(course_id, mediator_id)).first()
    if row is None:
        return None
    position = await waitlist_position(course_id, row["id"]) if row["status"] == WAITLISTED else None
    return EnrolmentStanding.of(row, position)
