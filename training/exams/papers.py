"""Papers: fixed (a list of questions) or a blueprint (lines "topic, kind, difficulty, marks,
count" drawn per candidate from the bank with a stored seed, so a draw can be replayed)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from core import audit
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, DomainError, FieldErrors, NotFound
from core.i18n import _
from core.text import check_fields
from core.vocab import Grade
from training.exams.bank import (
    KINDS,
    Submitted,
    admin_region,
    bank_scope,
    from_json,
    questions_by_id,
    reads_bank,
    require_admin,
    require_bank,
    rules,
)
from training.exams.tables import Paper, PaperQuestion, Question, Sitting


@dataclass(frozen=True, slots=True)
class BlueprintLine:
    """One line of a blueprint: `count` questions of `marks` marks on `topic`, of one kind and
    difficulty, or of any (None)."""

    topic: str
    kind: str | None
    difficulty: int | None
    marks: int
    count: int

    @classmethod
    def stored(cls, value: Mapping[str, Any]) -> BlueprintLine:
        return cls(topic=value["topic"], kind=value.get("kind"), difficulty=value.get("difficulty"),
                   marks=value["marks"], count=value["count"])


@dataclass(frozen=True, slots=True)
class ExamPaper:
    id: int
    title: str
    grade: str
    kind: str  # fixed | blueprint
    blueprint: list[BlueprintLine]
    total_marks: int
    pass_mark: int
    duration_minutes: int
    region_code: str
    created_at: datetime | None = None


def _paper(row: Mapping[str, Any]) -> ExamPaper:
    return ExamPaper(id=row["id"], title=row["title"], grade=row["grade"], kind=row["kind"],
                     blueprint=[BlueprintLine.stored(line) for line in from_json(row["blueprint"]) or []],
                     total_marks=row["total_marks"], pass_mark=row["pass_mark"],
                     duration_minutes=row["duration_minutes"], region_code=row["region_code"],
                     created_at=row.get("created_at"))


def bounded_int(value: Any, name: str, errors: dict[str, str], low: int, high: int, message: str) -> int:
    try:
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError
        return number
    except (TypeError, ValueError):
        errors[name] = message
        return 0


def parse_blueprint(text: str) -> list[BlueprintLine]:
    """Blueprint lines "topic, kind, difficulty, marks, count" (kind and difficulty may be *)."""
    rows: list[BlueprintLine] = []
    errors: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 5:
            errors["blueprint"] = _("Line %(n)s: write topic, type, difficulty, marks, count.", n=number)
            break
        topic, kind, difficulty, marks, count = parts
        row_errors: dict[str, str] = {}
        if kind not in ("*", *KINDS):
            row_errors["kind"] = "x"
        diff = None if difficulty == "*" else bounded_int(difficulty, "difficulty", row_errors, 1, 5, "x")
        mk = bounded_int(marks, "marks", row_errors, 1, 100, "x")
        ct = bounded_int(count, "count", row_errors, 1, 200, "x")
        if row_errors or not topic:
            errors["blueprint"] = _("Line %(n)s is not valid (type, difficulty 1-5, marks and count).", n=number)
            break
        rows.append(BlueprintLine(topic=topic, kind=None if kind == "*" else kind, difficulty=diff, marks=mk,
                                  count=ct))
    if errors:
        raise FieldErrors(errors)
    return rows


def blueprint_text(rows: list[BlueprintLine]) -> str:
    return "\n".join(f"{r.topic}, {r.kind or '*'}, {r.difficulty or '*'}, {r.marks}, {r.count}" for r in rows)


def _bank_filter(grade: str, row: BlueprintLine) -> list[Any]:
    conditions = [Question.active == True, Question.grade == grade, Question.topic == row.topic,  # noqa: E712
                  Question.marks == row.marks]
    if row.kind:
        conditions.append(Question.kind == row.kind)
    if row.difficulty:
        conditions.append(Question.difficulty == row.difficulty)
    return conditions


async def _bank_ids(grade: str, row: BlueprintLine) -> list[int]:
    query = Question.select(Question.id)
    for condition in _bank_filter(grade, row):
        query = query.where(condition)
    return [r["id"] for r in await query.order_by(Question.id)]


async def check_blueprint(grade: str, rows: list[BlueprintLine], total: int) -> list[str]:
    problems = []
    if not rows:
        problems.append(_("A blueprint needs at least one line."))
    sum_marks = sum(r.marks * r.count for r in rows)
    if rows and sum_marks != total:
        problems.append(_("The blueprint adds up to %(sum)s marks; the paper must total %(total)s.",
                          sum=sum_marks, total=total))
    for number, row in enumerate(rows, start=1):
        available = len(await _bank_ids(grade, row))
        if available < row.count:
            problems.append(_("Line %(n)s asks for %(count)s questions but the bank has %(available)s.",
                              n=number, count=row.count, available=available))
    return problems


async def create_paper(principal: Principal, data: Submitted) -> int:
    region = admin_region(principal)
    require_admin(principal, region)
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    grade = str(data.get("grade") or "")
    if grade not in [g.value for g in Grade]:
        errors["grade"] = _("Choose a grade.")
    kind = str(data.get("kind") or "fixed")
    if kind not in ("fixed", "blueprint"):
        errors["kind"] = _("Choose fixed or blueprint.")
    duration = bounded_int(data.get("duration_minutes", 90), "duration_minutes", errors, 10, 600,
                           _("Duration is 10 to 600 minutes."))
    blueprint: list[BlueprintLine] = []
    if kind == "blueprint" and not errors:
        try:
            blueprint = parse_blueprint(str(data.get("blueprint") or ""))
        except FieldErrors as invalid:
            errors.update(invalid.errors)
        else:
            problems = await check_blueprint(grade, blueprint, rules().exam_total_marks)
            if problems:
                errors["blueprint"] = " ".join(problems)
    if errors:
        raise FieldErrors(errors)
    values: dict[str, Any] = {"title": title, "grade": grade, "kind": kind, "blueprint": [asdict(line) for line in blueprint],
              "total_marks": rules().exam_total_marks, "pass_mark": rules().exam_pass_mark,
              "duration_minutes": duration, "region_code": region}
    async with write_transaction():
        rows = await Paper.insert(Paper(**values)).returning(Paper.id)
        paper_id: int = rows[0]["id"]
        await audit.record(principal, "create", "exam_paper", paper_id, region_code=region, after=values)
    return paper_id


async def paper(paper_id: int) -> ExamPaper:
    row = await Paper.select().where(Paper.id == paper_id).first()
    if row is None:
        raise NotFound(_("No such paper."))
    return _paper(row)


async def papers(principal: Principal | None = None) -> list[ExamPaper]:
    query = Paper.select() if principal is None else Paper.select().where(bank_scope(Paper.region_code, principal))
    return [_paper(row) for row in await query.order_by(Paper.id, ascending=False)]


async def paper_question_ids(paper_id: int) -> list[int]:
    rows = await PaperQuestion.select(PaperQuestion.question).where(PaperQuestion.paper == paper_id).order_by(
        PaperQuestion.position).order_by(PaperQuestion.id)
    return [r["question"] for r in rows]


async def set_paper_questions(principal: Principal, paper_id: int, question_ids: list[int]) -> None:
    """Replace a fixed paper's questions (in the order given)."""
    current = await paper(paper_id)
    require_admin(principal, current.region_code)
    if current.kind != "fixed":
        raise DomainError(_("Only a fixed paper has a list of questions."), "question_ids")
    if await Sitting.exists().where(Sitting.paper == paper_id):
        raise Conflict(_("This paper is used by a sitting and can no longer change."))
    found = {q: row for q, row in (await questions_by_id(question_ids)).items()
             if reads_bank(principal, row.region_code)}  # another city's questions are unknown here
    unknown = [q for q in question_ids if q not in found]
    if unknown:
        raise DomainError(_("Unknown questions: %(ids)s.", ids=", ".join(map(str, unknown))), "question_ids")
    wrong_grade = [q for q in question_ids if found[q].grade != current.grade]
    if wrong_grade:
        raise DomainError(_("Questions of another grade: %(ids)s.", ids=", ".join(map(str, wrong_grade))),
                          "question_ids")
    ordered = list(dict.fromkeys(question_ids))
    async with write_transaction():
        await PaperQuestion.delete().where(PaperQuestion.paper == paper_id)
        if ordered:
            await PaperQuestion.insert(*[PaperQuestion(paper=paper_id, question=q, position=i,
                                                       pair_key=f"{paper_id}:{q}") for i, q in enumerate(ordered)])
        await audit.record(principal, "set_questions", "exam_paper", paper_id, region_code=current.region_code,
                           after={"question_ids": ordered})


async def paper_problems(paper_row: ExamPaper) -> list[str]:
    """Why a paper cannot be used for a sitting yet (empty when it can)."""
    if paper_row.kind == "blueprint":
        return await check_blueprint(paper_row.grade, paper_row.blueprint, paper_row.total_marks)
    ids = await paper_question_ids(paper_row.id)
    found = await questions_by_id(ids)
    total = sum(found[q].marks for q in ids if q in found)
    if total != paper_row.total_marks:
        return [_("The questions add up to %(sum)s marks; the paper must total %(total)s.", sum=total,
                  total=paper_row.total_marks)]
    return []


async def draw_questions(paper_row: ExamPaper, seed: str) -> list[int]:
    """The candidate's questions: a fixed paper's list, or a blueprint drawn with a random
    generator seeded by `seed` (stored on the admission), so the draw can be replayed."""
    if paper_row.kind == "fixed":
        return await paper_question_ids(paper_row.id)
    chosen: list[int] = []
    for index, row in enumerate(paper_row.blueprint):
        pool = [q for q in await _bank_ids(paper_row.grade, row) if q not in chosen]
        generator = random.Random(f"{seed}:{index}")  # noqa: S311 - a reproducible draw, not a secret
        if len(pool) < row.count:
            raise Conflict(_("The question bank no longer has enough questions for this paper."))
        chosen += sorted(generator.sample(pool, row.count))
    return chosen


async def readable_paper(principal: Principal, paper_id: int) -> ExamPaper:
    found = await paper(paper_id)
    require_bank(principal, found.region_code)
    return found
