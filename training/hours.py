"""The yearly hours ledger (学时): class hours credited in a calendar year against the
yearly requirement, for the mediator and for whoever oversees a region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core import clock
from training.schemas import rules
from training.services import training_hours
from training.tables import Course, HoursCredit


@dataclass(frozen=True, slots=True)
class CreditedCourse:
    course_id: int
    title: str
    grade: str
    hours: float
    credited_on: date


@dataclass(frozen=True, slots=True)
class HoursStatement:
    mediator_id: int
    year: int
    required: int
    earned: float
    credits: list[CreditedCourse]

    @property
    def short(self) -> float:
        return max(0.0, self.required - self.earned)

    @property
    def met(self) -> bool:
        return self.earned + 1e-9 >= self.required


@dataclass(frozen=True, slots=True)
class ShortOfHours:
    """An appointed mediator with fewer credited hours than the year requires."""

    id: int
    name: str
    region_code: str
    organisation_name: str
    earned: float
    required: int
    short: float


async def hours_ledger(mediator_id: int, year: int | None = None) -> HoursStatement:
    """Hours earned in a calendar year against the yearly requirement, with the courses."""
    year = year or clock.today().year
    credits = await HoursCredit.select().where((HoursCredit.mediator_id == mediator_id) & (HoursCredit.year == year)
                                               ).order_by(HoursCredit.credited_on)
    titles = {}
    if credits:
        titles = {r["id"]: r for r in await Course.select(Course.id, Course.title, Course.grade).where(
            Course.id.is_in([c["course_id"] for c in credits]))}
    courses = []
    for credit in credits:
        course = titles.get(credit["course_id"], {})
        courses.append(CreditedCourse(course_id=credit["course_id"], title=course.get("title", ""),
                                      grade=course.get("grade", ""), hours=credit["hours"],
                                      credited_on=credit["credited_on"]))
    earned = sum(float(c["hours"]) for c in credits)
    return HoursStatement(mediator_id, year, rules().yearly_training_hours, earned, courses)


async def short_of_hours(region_code: str, year: int | None = None) -> list[ShortOfHours]:
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
            short.append(ShortOfHours(id=mediator.id, name=mediator.name, region_code=mediator.region_code,
                                      organisation_name=mediator.organisation_name, earned=hours,
                                      required=required, short=required - hours))
    return sorted(short, key=lambda r: (-r.short, r.region_code, r.name))
