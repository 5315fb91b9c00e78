"""Builders for exam tests: a bank, a fixed paper of 100 marks, a sitting, candidates,
examiners, and a completion check that needs no training data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.auth.roles import Grant, Role
from core.auth.services import load_principal
from tests.helpers import PASSWORD

_HASH: list[str] = []


async def make_user(username: str, role: Role | None, region: str = "350000", **grant: int) -> int:
    """tests.helpers.make_user with the same password, hashed once per session (hashing
    costs ~0.6 s, and exam tests need many accounts)."""
    from core.auth.passwords import hash_password
    from core.auth.services import add_grant
    from core.tables import User

    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    rows = await User.insert(User(username=username, display_name=username.title(), password_hash=_HASH[0])).returning(
        User.id)
    if role:
        await add_grant(rows[0]["id"], Grant(role, region, **grant))
    return rows[0]["id"]


def utcnow() -> datetime:
    """The platform's clock (frozen in tests that freeze it)."""
    return clock.now()


async def everyone_completed(ids, grade):
    return {i: object() for i in ids}


async def nobody_completed(ids, grade):
    return {}


def single(topic="wages", grade="junior", marks=5, difficulty=3, answer="A"):
    return {"kind": "single", "topic": topic, "grade": grade, "difficulty": difficulty, "marks": marks,
            "stem": f"Single {topic} {marks}", "options": "yes | no | maybe", "answer": answer}


def written(topic="cases", grade="junior", marks=10, kind="short_answer"):
    return {"kind": kind, "topic": topic, "grade": grade, "difficulty": 3, "marks": marks,
            "stem": f"Explain {topic}", "rubric": "Mentions the statute; 10 marks"}


@dataclass
class World:
    admin: Any
    sitting_id: int
    paper_id: int
    objective_ids: list[int]
    written_ids: list[int]
    mediators: list[int]
    mediator_users: list[Any]
    examiners: list[Any] = field(default_factory=list)


async def build_world(*, candidates: int = 2, examiners: int = 3, written_count: int = 2,
                      opens_at: datetime | None = None, closes_at: datetime | None = None) -> World:
    """A fixed paper: 60 marks of objective single choice (12 × 5) + written questions of
    (40 / written_count) marks each; an open sitting with a panel; admitted candidates."""
    from roster import services as roster_services
    from training.exams import bank, marking, papers, sittings

    admin = await load_principal(await make_user("exadmin", Role.ADMIN, "350000"))
    objective = [await bank.create_question(admin, single(marks=5)) for _ in range(12)]
    per = 40 // written_count
    written_ids = [await bank.create_question(admin, written(marks=per)) for _ in range(written_count)]
    paper_id = await papers.create_paper(admin, {"title": "Junior paper", "grade": "junior", "kind": "fixed",
                                                   "duration_minutes": "60"})
    await papers.set_paper_questions(admin, paper_id, objective + written_ids)
    opens = opens_at or utcnow() - timedelta(hours=1)
    closes = closes_at or utcnow() + timedelta(hours=3)
    sitting_id = await sittings.create_sitting(admin, {
        "title": "Spring sitting", "paper_id": str(paper_id), "region_code": "350000",
        "opens_at": clock.iso(opens), "closes_at": clock.iso(closes)})
    examiner_principals = []
    for n in range(examiners):
        examiner_principals.append(await load_principal(await make_user(f"marker{n}", Role.EXAMINER, "350000")))
    if examiners >= 2:
        await marking.set_panel(admin, sitting_id, [e.user_id for e in examiner_principals])
    mediators, users = [], []
    for n in range(candidates):
        uid = await make_user(f"cand{n}", Role.MEDIATOR, "350504")
        mediators.append(await roster_services.create_mediator_record(name=f"候选人{n}", region_code="350504",
                                                                      user_id=uid))
        users.append(await load_principal(uid))
    await sittings.admit_candidates(admin, sitting_id, mediators, completions=everyone_completed)
    return World(admin, sitting_id, paper_id, objective, written_ids, mediators, users, examiner_principals)


async def admission_of(world: World, index: int = 0) -> int:
    from training.exams.tables import Admission

    row = await Admission.select(Admission.id).where(Admission.sitting == world.sitting_id).where(
        Admission.mediator_id == world.mediators[index]).first()
    return row["id"]


async def sit(world: World, index: int, *, objective_right: int, written_text: str = "my answer") -> int:
    """Start, answer `objective_right` objective questions right (the rest wrong), write the
    written answers, submit. Returns the admission id."""
    from training.exams import taking

    admission_id = await admission_of(world, index)
    who = world.mediator_users[index]
    await taking.start_exam(who, admission_id)
    responses = {qid: (["0"] if n < objective_right else ["1"]) for n, qid in enumerate(world.objective_ids)}
    responses.update({qid: written_text for qid in world.written_ids})
    await taking.save_answers(who, admission_id, responses)
    await taking.submit(who, admission_id)
    return admission_id


async def pooled(coroutine):
    """Run a test scenario with the app's connection pool open (PostgreSQL otherwise opens
    a connection per query)."""
    from core import db

    await db.start_pool()
    try:
        return await coroutine
    finally:
        await db.close_pool()
