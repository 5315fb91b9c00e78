"""What the other domains read of the examinations (the cross-domain contract): `ExamPass`,
`exam_pass`, `passed_candidates`, `sitting_summary`, `released_sittings`. Names, signatures
and result shapes stay as they are; the rest of the examinations lives in the sibling
modules (bank, papers, sittings, taking, marking, results)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core import clock
from core.regions import region_like
from training.exams.sittings import ExamSitting, sitting_record
from training.exams.tables import Admission, Sitting


@dataclass(frozen=True)
class ExamPass:
    mediator_id: int
    sitting_id: int
    grade: str
    score: float
    passed: bool
    released_on: date | None


@dataclass(frozen=True)
class SittingSummary:
    id: int
    title: str
    grade: str
    region_code: str
    opens_at: datetime
    closes_at: datetime
    released_on: date | None
    candidates: int
    passed: int


def _released_on(value: datetime | None) -> date | None:
    return clock.date_of(value) if value else None


async def _passes(where: list[Any]) -> list[ExamPass]:
    query = Admission.select(Admission.mediator_id, Admission.sitting, Admission.grade, Admission.total,
                             Admission.passed, Admission.sitting.results_released_at).where(
        Admission.sitting.status == "released").where(Admission.passed == True)  # noqa: E712
    for condition in where:
        query = query.where(condition)
    rows = await query.order_by(Admission.sitting.results_released_at)
    return [ExamPass(r["mediator_id"], r["sitting"], r["grade"], float(r["total"] or 0), bool(r["passed"]),
                     _released_on(r["sitting.results_released_at"])) for r in rows]


async def exam_pass(mediator_id: int, grade: str) -> ExamPass | None:
    """The latest released passing result of the grade."""
    passes = await _passes([Admission.mediator_id == mediator_id, Admission.grade == str(grade)])
    return passes[-1] if passes else None


async def passed_candidates(sitting_id: int) -> list[ExamPass]:
    return await _passes([Admission.sitting == sitting_id])


async def sitting_summary(sitting_id: int) -> SittingSummary | None:
    row = await Sitting.select().where(Sitting.id == sitting_id).first()
    if row is None:
        return None
    return (await _summaries([sitting_record(row)]))[0]


async def _summaries(sittings: list[ExamSitting]) -> list[SittingSummary]:
    ids = [s.id for s in sittings]
    admissions = await Admission.select(Admission.sitting, Admission.passed).where(
        Admission.sitting.is_in(ids or [0]))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for a in admissions:
        counts[a["sitting"]][0] += 1
        counts[a["sitting"]][1] += 1 if a["passed"] else 0
    return [SittingSummary(s.id, s.title, s.grade, s.region_code, s.opens_at, s.closes_at,
                           _released_on(s.results_released_at) if s.status == "released" else None,
                           counts[s.id][0], counts[s.id][1]) for s in sittings]


async def released_sittings(region_code: str) -> list[SittingSummary]:
    """Released sittings in the region and below, newest first (for batch issue)."""
    rows = await Sitting.select().where(Sitting.status == "released").where(
        Sitting.region_code.like(region_like(region_code))).order_by(Sitting.results_released_at, ascending=False)
    return await _summaries([sitting_record(row) for row in rows])
