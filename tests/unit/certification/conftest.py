"""Certification test fixtures: mediators from the roster contract, and the training and
exam records stubbed (those packages are built in parallel) so eligibility is controllable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest


@dataclass(frozen=True)
class StubPass:
    mediator_id: int
    sitting_id: int
    grade: str
    score: float = 82
    passed: bool = True
    released_on: date = date(2026, 1, 1)


@dataclass(frozen=True)
class StubCompletion:
    course_id: int = 1
    title: str = "course"
    grade: str = "junior"
    completed_on: date = date(2026, 1, 1)
    hours: float = 24


class Records:
    """Who passed and completed which grade: tests fill these sets."""

    def __init__(self) -> None:
        self.passed: set[tuple[int, str]] = set()
        self.completed: set[tuple[int, str]] = set()
        self.sittings: dict[int, tuple[str, list[int]]] = {}

    def qualify(self, mediator_id: int, grade: str = "junior") -> None:
        self.passed.add((mediator_id, grade))
        self.completed.add((mediator_id, grade))


@pytest.fixture(autouse=True)
def fresh_certification_state():
    """Each test starts on a truncated database: forget cached certificates and log rows."""
    from certification import verification

    verification.reset_for_tests()
    yield
    verification.reset_for_tests()


@pytest.fixture
def records(monkeypatch):
    from certification import issuing

    found = Records()

    async def exam_pass(mediator_id, grade):
        return (StubPass(mediator_id, 1, grade) if (mediator_id, grade) in found.passed else None), None

    async def completion(mediator_id, grade):
        return (StubCompletion(grade=grade) if (mediator_id, grade) in found.completed else None), None

    async def sitting_candidates(sitting_id):
        return found.sittings[sitting_id]

    monkeypatch.setattr(issuing, "_exam_pass", exam_pass)
    monkeypatch.setattr(issuing, "_completion", completion)
    monkeypatch.setattr(issuing, "_sitting_candidates", sitting_candidates)
    return found


async def new_mediator(name: str = "林晓梅", region: str = "350504", status: str = "appointed", user_id=None) -> int:
    from roster import services as roster_services

    return await roster_services.create_mediator_record(name=name, region_code=region, status=status, user_id=user_id)
