"""Places and the waitlist: how many hold a place, the queue order, filling freed places
from the waitlist, and the daily sweep that closes the waitlists of started courses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core import audit, clock
from core.auth.roles import Principal
from core.db import is_sqlite, write_transaction
from training.schemas import COMPLETED, ENROLLED, HOLDS_PLACE, WAITLIST_CLOSED, WAITLISTED
from training.tables import Course, Enrolment


@dataclass(frozen=True, slots=True)
class PlaceCount:
    enrolled: int  # holding a place: enrolled or completed
    waitlisted: int

    def left_of(self, capacity: int) -> int:
        return max(0, capacity - self.enrolled)


async def place_counts(course_ids: list[int]) -> dict[int, PlaceCount]:
    if not course_ids:
        return {}
    rows = await Enrolment.select(Enrolment.course, Enrolment.status).where(
        Enrolment.course.is_in(course_ids) & Enrolment.status.is_in([ENROLLED, WAITLISTED, COMPLETED]))
    counts = {cid: {"enrolled": 0, "waitlisted": 0} for cid in course_ids}
    for row in rows:
        key = "waitlisted" if row["status"] == WAITLISTED else "enrolled"
        counts[row["course"]][key] += 1
    return {cid: PlaceCount(**count) for cid, count in counts.items()}


async def places_held(course_id: int) -> int:
    return await Enrolment.count().where((Enrolment.course == course_id) & Enrolment.status.is_in(list(HOLDS_PLACE)))


async def lock_course(course_id: int) -> None:
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


async def promote(course_id: int, actor: Principal | None) -> list[int]:
    """Fill free places from the waitlist in queue order (call inside the transaction)."""
    course = await Course.select(Course.capacity, Course.region_code).where(Course.id == course_id).first()
    if course is None:
        return []
    free = course["capacity"] - await places_held(course_id)
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
