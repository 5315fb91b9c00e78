"""What other domains ask of graded training (分级培训), and nothing else: a mediator's
completed courses of a grade (exam eligibility, certificates) and the class hours credited
in a year (appraisal, exits). See the contract at the end of docs/architecture.md:
CourseCompletion, completed_course_of_grade, completions_of_grade, training_hours.

Training's own rules live in its sibling modules: courses, sessions, catalogue, waitlist,
enrolments, attendance, hours and cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from training.schemas import COMPLETED, Row
from training.tables import Enrolment, HoursCredit


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


async def completions_of_grade(mediator_ids: Iterable[int], grade: str) -> dict[int, CourseCompletion]:
    return await _completions(list(set(mediator_ids)), str(grade))


async def training_hours(mediator_ids: Iterable[int] | None, year: int) -> dict[int, float]:
    """Credited class hours per mediator in calendar `year` (None: every mediator with any)."""
    def query():
        return HoursCredit.select(HoursCredit.mediator_id, HoursCredit.hours).where(HoursCredit.year == year)

    wanted = None if mediator_ids is None else set(mediator_ids)
    if wanted is not None and not wanted:
        return {}
    rows: list[Row] = []
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
