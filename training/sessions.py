"""What a course is made of: its sessions (times, place or link, class hours) and its
materials (a link, an uploaded file or a typical case)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from core import audit, clock
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, FieldErrors
from core.i18n import _
from core.text import check_fields
from training.courses import course, require_course_admin
from training.fields import parse_datetime, parse_number
from training.schemas import FormValues, Row, stored_row
from training.tables import Attendance, CourseSession, Material, TypicalCase


@dataclass(frozen=True, slots=True)
class SessionValues:
    """A session's values from a form or the API, checked (stored as UTC instants)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_link: str
    hours: float


@dataclass(frozen=True, slots=True)
class TrainingSession(SessionValues):
    id: int
    course_id: int

    @classmethod
    def of(cls, row: Row) -> TrainingSession:
        return cls(id=row["id"], course_id=row["course"], title=row["title"], starts_at=row["starts_at"],
                   ends_at=row["ends_at"], place=row["place"], online_link=row["online_link"], hours=row["hours"])


@dataclass(frozen=True, slots=True)
class CourseMaterial:
    id: int
    course_id: int
    title: str
    url: str
    file_path: str | None
    case_id: int | None

    @classmethod
    def of(cls, row: Row) -> CourseMaterial:
        return cls(id=row["id"], course_id=row["course"], title=row["title"], url=row["url"],
                   file_path=row["file_path"], case_id=row["case_id"])


async def session(session_id: int) -> TrainingSession:
    return TrainingSession.of(await stored_row(CourseSession, session_id, _("No such session.")))


async def sessions_of(course_id: int) -> list[TrainingSession]:
    rows = await CourseSession.select().where(CourseSession.course == course_id).order_by(CourseSession.starts_at)
    return [TrainingSession.of(row) for row in rows]


async def materials_of(course_id: int) -> list[CourseMaterial]:
    rows = await Material.select().where(Material.course == course_id).order_by(Material.id)
    return [CourseMaterial.of(row) for row in rows]


def validate_session(data: FormValues, mode: str = "onsite") -> SessionValues:
    errors: dict[str, str] = {}
    starts = parse_datetime(data.get("starts_at"), "starts_at", errors)
    ends = parse_datetime(data.get("ends_at"), "ends_at", errors)
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The session must end after it starts.")
    hours = data.get("hours")
    if hours in (None, "") and starts and ends and ends > starts:
        hours = round((ends - starts).total_seconds() / 3600, 1)
    hours = parse_number(hours, "hours", errors)
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
    if errors or starts is None or ends is None:
        raise FieldErrors(errors)
    return SessionValues(title=str(data.get("title") or "").strip()[:200], starts_at=starts.astimezone(UTC),
                         ends_at=ends.astimezone(UTC), place=place[:200], online_link=link[:500], hours=hours)


async def add_session(principal: Principal, course_id: int, data: FormValues) -> int:
    owner = await course(course_id)
    require_course_admin(principal, owner)
    values = asdict(validate_session(data, owner.mode))
    async with write_transaction():
        row = await CourseSession.insert(CourseSession(course=course_id, **values)).returning(CourseSession.id)
        session_id: int = row[0]["id"]
        await audit.record(principal, "add_session", "course", course_id, region_code=owner.region_code,
                           after={"session_id": session_id, **values})
    return session_id


async def remove_session(principal: Principal, session_id: int) -> None:
    removed = await session(session_id)
    owner = await course(removed.course_id)
    require_course_admin(principal, owner)
    async with write_transaction():
        if await Attendance.exists().where(Attendance.session == session_id):
            raise Conflict(_("Attendance has been recorded for this session; it cannot be removed."))
        await CourseSession.delete().where(CourseSession.id == session_id)
        await audit.record(principal, "remove_session", "course", owner.id, region_code=owner.region_code,
                           before={"session_id": session_id, "starts_at": removed.starts_at})


async def add_material(principal: Principal, course_id: int, data: FormValues, *,
                       file_path: str | None = None) -> int:
    owner = await course(course_id)
    require_course_admin(principal, owner)
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    url = str(data.get("url") or "").strip()
    given = str(data.get("case_id") or "")
    case_id = int(given) if given.isdecimal() else None
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
        material_id: int = row[0]["id"]
        await audit.record(principal, "add_material", "course", course_id, region_code=owner.region_code,
                           after={"material_id": material_id, "title": title, "case_id": case_id})
    return material_id
