"""The course catalogue: courses as their readers see them, with places left, and one
course with its sessions and materials. Drafts are seen only by those who manage them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.auth.roles import Principal, Role
from core.db import contains
from core.errors import NotFound
from core.i18n import _
from core.regions import within_regions
from training.courses import CourseSummary, can_manage_course, course
from training.schemas import Row, stored_row
from training.sessions import CourseMaterial, TrainingSession, materials_of, sessions_of
from training.tables import Course, Material
from training.waitlist import PlaceCount, place_counts


@dataclass(frozen=True, slots=True)
class CourseListing(CourseSummary):
    """A course with its places: `enrolled` counts everyone holding a place (completed too)."""

    enrolled: int
    waitlisted: int
    places_left: int


@dataclass(frozen=True, slots=True)
class CourseDetail(CourseListing):
    sessions: list[TrainingSession]
    materials: list[CourseMaterial]
    total_session_hours: float
    prerequisite_course_title: str  # "" without a prerequisite course


def _listing(row: Row, count: PlaceCount | None) -> CourseListing:
    count = count or PlaceCount(0, 0)
    return CourseListing.of(row, enrolled=count.enrolled, waitlisted=count.waitlisted,
                            places_left=count.left_of(row["capacity"]))


async def list_courses(principal: Principal | None = None, *, grade: str = "", status: str = "", q: str = "",
                       manage: bool = False, page: int = 1, page_size: int = 20) -> tuple[list[CourseListing], int]:
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
    counts = await place_counts([r["id"] for r in rows])
    return [_listing(row, counts.get(row["id"])) for row in rows], await count


async def course_detail(course_id: int, principal: Principal | None = None) -> CourseDetail:
    """A course with its sessions, materials and place counts. Drafts only for its managers."""
    summary = await course(course_id)
    if summary.status == "draft" and not (principal and can_manage_course(principal, summary)):
        raise NotFound(_("No such course."))
    sessions = await sessions_of(course_id)
    count = (await place_counts([course_id])).get(course_id) or PlaceCount(0, 0)
    prerequisite_title = ""
    if summary.prerequisite_course_id:
        prerequisite = await Course.select(Course.title).where(Course.id == summary.prerequisite_course_id).first()
        prerequisite_title = prerequisite["title"] if prerequisite else ""
    return CourseDetail(**asdict(summary), enrolled=count.enrolled, waitlisted=count.waitlisted,
                        places_left=count.left_of(summary.capacity), sessions=sessions,
                        materials=await materials_of(course_id), total_session_hours=sum(float(s.hours) for s in sessions),
                        prerequisite_course_title=prerequisite_title)


async def material(material_id: int, principal: Principal | None = None) -> CourseMaterial:
    """A material of a course the principal may see (published, or managed by them)."""
    row = await stored_row(Material, material_id, _("No such material."))
    await course_detail(row["course"], principal)
    return CourseMaterial.of(row)
