"""The review's figures for the reports (roster/review/statistics.py): confirmed grades and
upheld exits counted by region, from rows written by hand."""

from __future__ import annotations

from datetime import date

from roster.review import statistics
from roster.review.tables import Appraisal, AppraisalRun, ExitNotice


def _grades(run, year: int, rows: list[tuple[str, str, bool]]) -> None:
    """(region, grade, confirmed) for each mediator graded in a run of `year`."""
    run_id = run(AppraisalRun.insert(AppraisalRun(year=year, region_code="350000")).returning(AppraisalRun.id))[0]["id"]
    run(Appraisal.insert(*[Appraisal(appraisal_run=run_id, year=year, mediator_id=100 + i, region_code=region,
                                     cap_group=region[:4] + "00", grade=grade, rule="r", confirmed=confirmed)
                           for i, (region, grade, confirmed) in enumerate(rows)]))


def _notice(run, mediator_id: int, region: str, ground: str, status: str, decided_on: date | None) -> None:
    run(ExitNotice.insert(ExitNotice(mediator_id=mediator_id, region_code=region, ground=ground,
                                     dedupe_key=f"{mediator_id}:{ground}", issued_on=date(2025, 1, 1),
                                     appeal_deadline=date(2025, 1, 16), status=status, decided_on=decided_on)))


def test_confirmed_grades_count_the_region_and_below_in_the_years_only(run):
    _grades(run, 2024, [("350504", "excellent", True), ("350504", "competent", True), ("350102", "excellent", True),
                        ("350505", "competent", False)])
    _grades(run, 2022, [("350504", "basic", True)])
    assert run(statistics.confirmed_grades("350500", 2023, 2024)) == {"excellent": 1, "competent": 1}
    assert run(statistics.confirmed_grades("350000", 2022, 2024)) == {"excellent": 2, "competent": 1, "basic": 1}


def test_excellent_and_exits_per_city_key_on_the_city_digits(run):
    _grades(run, 2024, [("350504", "excellent", True), ("350505", "excellent", True), ("350102", "excellent", False),
                        ("350102", "competent", True)])
    _notice(run, 1, "350504", "inactive", "upheld", date(2025, 2, 1))
    _notice(run, 2, "350203", "inactive", "withdrawn", date(2025, 2, 1))
    assert run(statistics.excellent_per_city(2024)) == {"3505": 2}
    assert run(statistics.exits_per_city()) == {"3505": 1}


def test_upheld_exits_are_those_decided_in_the_period(run):
    _notice(run, 1, "350504", "inactive", "upheld", date(2025, 2, 1))
    _notice(run, 2, "350504", "term_ended", "upheld", date(2025, 4, 1))
    _notice(run, 3, "350505", "incompetent", "open", None)
    _notice(run, 4, "350102", "incompetent", "upheld", date(2025, 2, 1))
    assert run(statistics.upheld_exits("350500", date(2025, 1, 1), date(2025, 3, 31))) == [("350504", "inactive")]
