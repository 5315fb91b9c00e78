"""Set-up shared by training's unit tests: administrators, mediators in the roster, and
courses with sessions (published unless asked otherwise)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from training import courses
from training.sessions import add_session

ADMIN = Principal(user_id=None, username="tester", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=None, username="xm", grants=(Grant(Role.ADMIN, "350200"),))


def today() -> date:
    return clock.today()


async def make_mediators(count: int, region: str = "350504", start: int = 0) -> list[int]:
    from roster import services as roster_services

    return [await roster_services.create_mediator_record(name=f"调解员{start + i}", region_code=region)
            for i in range(count)]


async def make_course(*, capacity: int = 2, grade: str = "junior", sessions: list[tuple[datetime, float]] | None = None,
                      opens: date | None = None, closes: date | None = None, starts: date | None = None,
                      class_hours: float = 8, publish: bool = True, region: str = "350500", **extra) -> int:
    day = today()
    data = {
        "title": f"{grade} course", "grade": grade, "region_code": region, "class_hours": class_hours, "mode": "onsite",
        "capacity": capacity, "enrol_opens_on": opens or day - timedelta(days=5),
        "enrol_closes_on": closes or day + timedelta(days=5), "starts_on": starts or day + timedelta(days=10),
        **extra,
    }
    course_id = await courses.create_course(ADMIN, data)
    if sessions is None:
        first = datetime.combine(data["starts_on"], datetime.min.time()).replace(hour=9, tzinfo=clock.zone())
        sessions = [(first + timedelta(days=i), 2.0) for i in range(4)]
    for starts_at, hours in sessions:
        await add_session(ADMIN, course_id, {"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=hours),
                                                      "place": "泉州市人社局培训室", "hours": hours})
    if publish:
        await courses.set_course_status(ADMIN, course_id, "published")
    return course_id


def one_session_now_course(hours: float = 2.0):
    start = clock.now() - timedelta(minutes=30)
    return make_course(sessions=[(start, hours)], starts=today(), opens=today() - timedelta(days=3),
                       closes=today(), class_hours=hours)


async def force_enrol(course_id: int, mediator_id: int) -> None:
    """Enrol into a course whose window has closed (test set-up for past courses)."""
    from training.tables import Enrolment

    await Enrolment.insert(Enrolment(course=course_id, mediator_id=mediator_id, pair_key=f"{course_id}:{mediator_id}",
                                     status="enrolled", queued_at=clock.now(), enrolled_at=clock.now()))
