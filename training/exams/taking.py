"""Taking the exam: the window and the duration enforced by the server, autosave, submission
with objective auto-marking, and papers submitted automatically at their deadline.

Decisions the rules leave open (documented here and on the pages):
- Multiple choice is all-or-nothing: full marks only for exactly the right set of options.
- A written answer left blank scores 0 at submission and goes to no examiner.
- A paper not submitted by its deadline is submitted automatically with the answers saved
  before the deadline (`finalise_expired`); answers sent after the deadline are refused.
- Autosaves are not written to the audit log one by one (a candidate saves hundreds of
  times); starting and submission are audited.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import audit, clock
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import Conflict, DomainError
from core.i18n import _
from training.exams.bank import (
    FALSE_WORDS,
    OBJECTIVE,
    TRUE_WORDS,
    WRITTEN,
    ExamQuestion,
    from_json,
    kind_label,
    questions_by_id,
)
from training.exams.marking import assign_answers, pass_mark_of
from training.exams.sittings import (
    ExamAdmission,
    ExamSitting,
    admission_record,
    load_admission,
    load_sitting,
    mediator_id_of,
    own_admission,
    sitting_phase,
    sitting_record,
)
from training.exams.tables import Admission, Answer, Sitting

MAX_RESPONSE_CHARS = 20_000  # TODO settings: longest written answer accepted


@dataclass(frozen=True, slots=True)
class MyExam:
    """One of the candidate's admissions, with its sitting and where the sitting stands."""

    admission: ExamAdmission
    sitting: ExamSitting
    phase: str


@dataclass(frozen=True, slots=True)
class SavedAnswers:
    saved_at: datetime
    deadline: datetime | None
    remaining_seconds: int


@dataclass(frozen=True, slots=True)
class QuestionOnPaper:
    """A question as the candidate sees it: never the correct answer or the rubric."""

    number: int
    id: int
    kind: str
    kind_label: str
    marks: int
    stem: str
    options: list[str]
    saved: Any


@dataclass(frozen=True, slots=True)
class ExamPaperView:
    admission: ExamAdmission
    sitting: ExamSitting
    questions: list[QuestionOnPaper]


async def _expire_if_due(row: ExamAdmission, at: datetime | None = None) -> ExamAdmission:
    """A started paper past its deadline is submitted with its saved answers."""
    at = at or clock.now()
    if row.status == "started" and row.deadline and row.deadline < at:
        await _finalise(row, row.deadline, actor=None)
        return await load_admission(row.id)
    return row


async def my_admissions(principal: Principal) -> list[MyExam]:
    mid = await mediator_id_of(principal)
    if mid is None:
        return []
    for started in await Admission.select().where(Admission.mediator_id == mid).where(Admission.status == "started"):
        await _expire_if_due(admission_record(started))
    rows = await Admission.select().where(Admission.mediator_id == mid).order_by(Admission.id, ascending=False)
    sittings = {s["id"]: sitting_record(s) for s in await Sitting.select().where(
        Sitting.id.is_in([r["sitting"] for r in rows] or [0]))}
    return [MyExam(admission_record(row), sittings[row["sitting"]], sitting_phase(sittings[row["sitting"]]))
            for row in rows]


# ---------------------------------------------------------------- taking the exam

async def start_exam(principal: Principal, admission_id: int, at: datetime | None = None) -> ExamAdmission:
    """Open the paper: inside the sitting's window; the deadline is the start plus the
    duration, and never later than the window's close. Starting again changes nothing."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    if row.status != "admitted":
        return row
    sitting_row = await load_sitting(row.sitting)
    phase = sitting_phase(sitting_row, at)
    if phase == "scheduled":
        raise DomainError(_("The exam has not opened yet."), "admission")
    if phase != "open":
        raise DomainError(_("The exam window has closed."), "admission")
    deadline = min(at + timedelta(minutes=sitting_row.duration_minutes), sitting_row.closes_at)
    async with write_transaction():
        updated = await Admission.update({Admission.status: "started", Admission.started_at: at,
                                          Admission.deadline: deadline}).where(
            Admission.id == admission_id).where(Admission.status == "admitted").returning(Admission.id)
        if updated:
            await audit.record(principal, "start", "exam_admission", admission_id,
                               region_code=sitting_row.region_code, after={"deadline": deadline})
    return await load_admission(admission_id)


def normalise_response(q: ExamQuestion, raw: Any) -> Any:
    """A response in its stored shape: [indexes] | [bool] | text; None when blank."""
    kind = q.kind
    if raw is None or raw == "" or raw == []:
        return None
    if kind in ("single", "multiple"):
        values = raw if isinstance(raw, list) else [raw]
        try:
            picked = sorted({int(v) for v in values if str(v).strip() != ""})
        except (TypeError, ValueError):
            raise DomainError(_("Not a valid choice."), f"q{q.id}") from None
        if any(p < 0 or p >= len(q.options) for p in picked):
            raise DomainError(_("Not a valid choice."), f"q{q.id}")
        if kind == "single" and len(picked) > 1:
            raise DomainError(_("Choose one option."), f"q{q.id}")
        return picked or None
    if kind == "true_false":
        value = raw[0] if isinstance(raw, list) and raw else raw
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return [True]
        if word in FALSE_WORDS:
            return [False]
        raise DomainError(_("Answer true or false."), f"q{q.id}")
    text = raw if isinstance(raw, str) else str(raw)
    if len(text) > MAX_RESPONSE_CHARS:
        raise DomainError(_("The answer is too long (at most %(n)s characters).", n=MAX_RESPONSE_CHARS),
                          f"q{q.id}")
    return text.strip() or None


def _check_time(row: ExamAdmission, at: datetime) -> None:
    if row.status == "admitted":
        raise DomainError(_("Start the exam first."), "admission")
    if row.status != "started":
        raise Conflict(_("This paper has been submitted; it can no longer change."))
    if row.deadline is not None and at > row.deadline:
        raise Conflict(_("Time is up: answers sent after the deadline are refused. "
                         "Your answers saved before the deadline are kept and submitted."))


_QUESTION_CACHE: dict[int, tuple[float, ExamQuestion]] = {}
QUESTION_CACHE_SECONDS = 30  # autosave reads a question's kind and options; edits show within this time


async def _questions_cached(ids: list[int]) -> dict[int, ExamQuestion]:
    import time

    moment = time.monotonic()
    found = {q: hit[1] for q in ids if (hit := _QUESTION_CACHE.get(q)) and moment - hit[0] < QUESTION_CACHE_SECONDS}
    missing = [q for q in ids if q not in found]
    if missing:
        fresh = await questions_by_id(missing)
        for qid, q in fresh.items():
            _QUESTION_CACHE[qid] = (moment, q)
        found.update(fresh)
    return found


def _upsert_sql() -> str:
    """One atomic statement: insert or update the answer only while the paper is still
    open (status started), so an answer can never land after the submission."""
    from core.db import is_sqlite

    cast = (lambda p, _t: p) if is_sqlite() else (lambda p, t: f"CAST({p} AS {t})")
    return (
        "INSERT INTO exam_answer (admission, question_id, answer_key, response, saved_at, max_marks, written, score) "
        f"SELECT {cast('{}', 'integer')}, {cast('{}', 'integer')}, {cast('{}', 'varchar')}, {cast('{}', 'jsonb')}, "
        f"{cast('{}', 'timestamptz')}, {cast('{}', 'integer')}, {cast('{}', 'boolean')}, NULL "
        "WHERE EXISTS (SELECT 1 FROM exam_admission WHERE id = {} AND status = 'started') "
        "ON CONFLICT (answer_key) DO UPDATE SET response = excluded.response, saved_at = excluded.saved_at "
        "RETURNING id"
    )


async def save_answers(principal: Principal, admission_id: int, responses: dict[int, Any],
                       at: datetime | None = None) -> SavedAnswers:
    """Autosave (one answer) or save (the whole form); refused after the deadline or once
    the paper is submitted. Each answer is one atomic statement (no explicit transaction:
    at 2,000 candidates autosaving, the write lock is the scarce resource)."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    _check_time(row, at)
    unknown = [qid for qid in responses if qid not in row.question_ids]
    if unknown:
        raise DomainError(_("That question is not on your paper."), "question_id")
    found = await _questions_cached(list(responses))
    clean = {qid: normalise_response(found[qid], raw) for qid, raw in responses.items()}
    sql = _upsert_sql()
    for qid, value in clean.items():
        q = found[qid]
        stored = await Answer.raw(sql, admission_id, qid, f"{admission_id}:{qid}",
                                  None if value is None else json.dumps(value, ensure_ascii=False), at, q.marks,
                                  q.kind in WRITTEN, admission_id)
        if not stored:
            raise Conflict(_("This paper has been submitted; it can no longer change."))
    remaining = max(0, int((row.deadline - at).total_seconds())) if row.deadline else 0
    return SavedAnswers(saved_at=at, deadline=row.deadline, remaining_seconds=remaining)


async def saved_responses(admission_id: int) -> dict[int, Any]:
    rows = await Answer.select(Answer.question_id, Answer.response).where(Answer.admission == admission_id)
    return {r["question_id"]: from_json(r["response"]) for r in rows}


async def exam_paper_view(principal: Principal, admission_id: int) -> ExamPaperView:
    """The candidate's own paper with saved answers (never the correct answers or rubric)."""
    row = await _expire_if_due(await own_admission(principal, admission_id))
    sitting_row = await load_sitting(row.sitting)
    found = await questions_by_id(row.question_ids)
    saved = await saved_responses(admission_id)
    items = []
    for number, qid in enumerate(row.question_ids, start=1):
        q = found[qid]
        items.append(QuestionOnPaper(number=number, id=qid, kind=q.kind, kind_label=kind_label(q.kind),
                                     marks=q.marks, stem=q.stem, options=q.options, saved=saved.get(qid)))
    return ExamPaperView(admission=row, sitting=sitting_row, questions=items)


def mark_objective(q: ExamQuestion, response: Any) -> float:
    """All-or-nothing: exactly the right option(s) / truth value, else 0."""
    response = from_json(response)
    if response is None:
        return 0.0
    if q.kind in ("single", "multiple"):
        return float(q.marks) if sorted(response) == sorted(q.answer) else 0.0
    if q.kind == "true_false":
        return float(q.marks) if list(response) == list(q.answer) else 0.0
    raise ValueError("not an objective question")


async def submit(principal: Principal, admission_id: int, at: datetime | None = None) -> ExamAdmission:
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    if row.status == "started" and row.deadline and at > row.deadline:
        await _finalise(row, row.deadline, actor=None)
    _check_time(row, at)
    await _finalise(row, at, actor=principal)
    return await load_admission(admission_id)


@dataclass(slots=True)
class _Batch:
    """Papers waiting to be finalised together, and the task draining them."""

    queue: list[tuple[ExamAdmission, datetime, Principal | None, dict[int, ExamQuestion], ExamSitting,
                      asyncio.Future[bool]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


_BATCHERS: dict[int, tuple[asyncio.AbstractEventLoop, _Batch]] = {}
SUBMIT_BATCH = 200  # papers finalised per write transaction when many arrive at once (SQLite)


async def _finalise(row: ExamAdmission, at: datetime, actor: Principal | None) -> bool:
    """Submission: objective answers mark themselves, blank written answers score 0, the
    rest go to two examiners each. Returns False if someone else finalised first.

    On SQLite (one writer) submissions arriving together are grouped: a drain task takes
    up to SUBMIT_BATCH queued papers into one write transaction (group commit), so 2,000
    papers at the deadline do not each wait for the write lock in turn."""
    from core.db import is_sqlite

    found = await questions_by_id(row.question_ids)  # fresh: scoring never uses a cached answer key
    sitting_row = await load_sitting(row.sitting)
    if not is_sqlite():
        async with write_transaction():
            return await _finalise_in_transaction(row, at, actor, found, sitting_row)
    loop = asyncio.get_running_loop()
    entry = _BATCHERS.get(id(loop))
    if entry is None or entry[0] is not loop:
        entry = _BATCHERS[id(loop)] = (loop, _Batch())
    state = entry[1]
    future: asyncio.Future[bool] = loop.create_future()
    state.queue.append((row, at, actor, found, sitting_row, future))
    if state.task is None or state.task.done():
        state.task = loop.create_task(_drain(state))
    return await future


async def _drain(state: _Batch) -> None:
    while state.queue:
        batch, state.queue = state.queue[:SUBMIT_BATCH], state.queue[SUBMIT_BATCH:]
        try:
            async with write_transaction():
                results = [await _finalise_in_transaction(*item[:5]) for item in batch]
        except Exception:  # noqa: BLE001 - one bad paper must not fail the others: retry one by one
            for item in batch:
                try:
                    async with write_transaction():
                        result = await _finalise_in_transaction(*item[:5])
                except Exception as failure:  # noqa: BLE001
                    if not item[5].done():
                        item[5].set_exception(failure)
                else:
                    if not item[5].done():
                        item[5].set_result(result)
            continue
        for item, result in zip(batch, results, strict=True):
            if not item[5].done():
                item[5].set_result(result)


async def _finalise_in_transaction(row: ExamAdmission, at: datetime, actor: Principal | None,
                                   found: dict[int, ExamQuestion], sitting_row: ExamSitting) -> bool:
    admission_id = row.id
    claimed = await Admission.update({Admission.status: "submitted", Admission.submitted_at: at}).where(
        Admission.id == admission_id).where(Admission.status == "started").returning(Admission.id)
    if not claimed:
        return False
    answers = {a["question_id"]: from_json(a["response"]) for a in await Answer.select(
        Answer.question_id, Answer.response).where(Answer.admission == admission_id)}
    objective, written_total, rows = 0.0, 0.0, []
    for qid in row.question_ids:
        q = found[qid]
        response = answers.get(qid)
        score = None
        if q.kind in OBJECTIVE:
            score = mark_objective(q, response)
            objective += score
        elif response is None:
            score = 0.0
        rows.append(Answer(admission=admission_id, question_id=qid, answer_key=f"{admission_id}:{qid}",
                           response=None, saved_at=at, max_marks=q.marks, written=q.kind in WRITTEN,
                           score=score))
    # one statement: scores on saved answers, empty rows for questions never answered
    await Answer.insert(*rows).on_conflict(target=Answer.answer_key, action="DO UPDATE",
                                           values=[Answer.score, Answer.max_marks, Answer.written])
    objective = round(objective, 2)
    values: dict[Any, Any] = {Admission.objective_score: objective}
    final = all(r.score is not None for r in rows)
    if final:  # nothing for examiners: the result is final now
        total = round(objective + written_total, 2)
        values.update({Admission.written_score: written_total, Admission.total: total,
                       Admission.passed: total >= await pass_mark_of(row.sitting), Admission.status: "marked"})
    await Admission.update(values).where(Admission.id == admission_id)
    await audit.record(actor, "submit" if actor else "auto_submit", "exam_admission", admission_id,
                       region_code=sitting_row.region_code, after={"objective_score": objective})
    if not final:
        await assign_answers(sitting_row, admission_id)
    return True


async def finalise_expired(sitting_id: int | None = None, at: datetime | None = None) -> int:
    """Submit every started paper whose deadline has passed, with its saved answers."""
    at = at or clock.now()
    query = Admission.select(Admission.id).where(Admission.status == "started").where(Admission.deadline < at)
    if sitting_id is not None:
        query = query.where(Admission.sitting == sitting_id)
    changed = 0
    for item in await query:
        row = await load_admission(item["id"])
        if row.deadline and await _finalise(row, row.deadline, actor=None):
            changed += 1
    return changed
