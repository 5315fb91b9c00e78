"""Blind double marking of written answers: the marking panel, assignment to examiners, the
examiner's queue and marks, a third examiner for disagreements, and progress.

Decision the rules leave open (documented here and on the pages): two examiners per written
answer; when their marks differ by MORE than `double_marking_tolerance_ratio` × the question's
maximum, a third examiner marks it and the final mark is the mean of the two closest of the
three marks. If two pairs are equally close, the pair with the higher mean counts (the benefit
of the doubt goes to the candidate).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, NotFound
from core.i18n import _
from core.regions import is_within
from training.exams.bank import from_json, question, questions_by_id, require_admin, rules
from training.exams.sittings import ExamSitting, examiner_choices, load_sitting, sitting_for_admin
from training.exams.tables import Admission, Answer, Marking, Recheck, Sitting

# ----------------------------------------------------------------------- marking

async def open_load(sitting_id: int) -> dict[int, int]:
    """Unmarked assignments per examiner of a sitting (one grouped query)."""
    from piccolo.query.functions.aggregate import Count

    rows = await Marking.select(Marking.examiner_id, Count(Marking.id, alias="n")).where(
        Marking.sitting_id == sitting_id).where(Marking.marked_at.is_null()).group_by(Marking.examiner_id)
    load: dict[int, int] = defaultdict(int)
    for row in rows:
        load[row["examiner_id"]] = row["n"]
    return load


def pick_examiner(panel: list[int], load: dict[int, int], exclude: set[int], salt: int) -> int | None:
    free = [e for e in panel if e not in exclude]
    if not free:
        return None
    free.sort(key=lambda e: (load.get(e, 0), (e * 7919 + salt) % 101, e))
    return free[0]


async def assign_answers(sitting_row: ExamSitting, admission_id: int | None = None) -> int:
    """Give each written answer still short of its two markers examiners from the panel,
    the least loaded first, never the same examiner twice on one answer."""
    panel = sitting_row.examiner_ids
    if len(panel) < 2:
        return 0
    query = Answer.select(Answer.id).where(Answer.written == True).where(Answer.score.is_null())  # noqa: E712
    if admission_id is not None:
        query = query.where(Answer.admission == admission_id)
    else:
        query = query.where(Answer.admission.sitting == sitting_row.id)
    answer_ids = [r["id"] for r in await query]
    if not answer_ids:
        return 0
    existing = defaultdict(list)
    for m in await Marking.select(Marking.answer, Marking.examiner_id, Marking.round).where(
            Marking.answer.is_in(answer_ids)):
        existing[m["answer"]].append(m)
    load = await open_load(sitting_row.id)
    created = 0
    new_rows = []
    for aid in answer_ids:
        rounds = {m["round"] for m in existing[aid]}
        used = {m["examiner_id"] for m in existing[aid]}
        for rnd in (1, 2):
            if rnd in rounds:
                continue
            examiner = pick_examiner(panel, load, used, aid + rnd)
            if examiner is None:
                break
            new_rows.append(Marking(answer=aid, sitting_id=sitting_row.id, examiner_id=examiner, round=rnd,
                                    slot_key=f"{aid}:r{rnd}", examiner_key=f"{aid}:e{examiner}"))
            used.add(examiner)
            load[examiner] += 1
            created += 1
    for start in range(0, len(new_rows), 500):
        await Marking.insert(*new_rows[start:start + 500])
    return created


@dataclass(frozen=True)
class WaitingScript:
    """A written answer whose two marks disagree and for which the panel has no third examiner."""

    script_no: str
    answer_id: int
    question_id: int
    marks: tuple[float, float]
    reason: str


@dataclass(frozen=True)
class Assignment:
    """What an assignment run did: markings created, scripts still waiting for a third marker
    (with why), and a warning about the panel when it has fewer than three examiners."""

    created: int
    waiting_third: list[WaitingScript]
    panel_warning: str = ""


async def waiting_for_third(sitting_row: ExamSitting) -> list[WaitingScript]:
    """Answers of the sitting with two disagreeing marks and no third marking: every examiner
    on the panel has already marked them (or the panel is too small)."""
    rows = await Marking.select(Marking.answer, Marking.examiner_id, Marking.round, Marking.mark,
                                Marking.marked_at).where(Marking.sitting_id == sitting_row.id).where(
        Marking.round <= 3)
    by_answer: dict[int, list[tuple[int, float | None, datetime | None]]] = defaultdict(list)  # round, mark, when
    for r in rows:
        by_answer[r["answer"]].append((r["round"], r["mark"], r["marked_at"]))
    candidates = [aid for aid, ms in by_answer.items()
                  if len(ms) == 2 and all(marked_at is not None for _round, _mark, marked_at in ms)]
    if not candidates:
        return []
    answers = await Answer.select(Answer.id, Answer.max_marks, Answer.question_id, Answer.admission.script_no).where(
        Answer.id.is_in(candidates)).where(Answer.score.is_null())
    panel = sitting_row.examiner_ids
    out = []
    for a in sorted(answers, key=lambda a: (a["admission.script_no"], a["id"])):
        marks = [mark for _round, mark, _at in sorted(by_answer[a["id"]], key=lambda m: m[0]) if mark is not None]
        _final, needs_third = settle(marks, a["max_marks"])
        if not needs_third:
            continue
        tolerance = rules().double_marking_tolerance_ratio * a["max_marks"]
        reason = _("Marks %(a)s and %(b)s differ by more than %(tolerance)s, so a third examiner must mark it, but "
                   "every examiner on the panel (%(n)s) has already marked this answer: add an examiner to the panel.",
                   a=marks[0], b=marks[1], tolerance=round(tolerance, 2), n=len(panel))
        out.append(WaitingScript(script_no=a["admission.script_no"], answer_id=a["id"], question_id=a["question_id"],
                                 marks=(marks[0], marks[1]), reason=reason))
    return out


async def _administrators_of(region_code: str) -> list[int]:
    """Active administrators whose grant covers the region."""
    from core.tables import UserRole

    rows = await UserRole.select(UserRole.user, UserRole.region_code).where(
        (UserRole.role == Role.ADMIN.value) & (UserRole.user.is_active == True))  # noqa: E712
    return sorted({r["user"] for r in rows if is_within(region_code, r["region_code"])})


async def _tell_waiting_third(sitting_row: ExamSitting, waiting: list[WaitingScript]) -> int:
    """Tell the region's administrators that scripts wait for a third examiner: once per sitting
    and panel (a changed panel that still falls short tells them again)."""
    from core.notifications import Message, notify

    if not waiting:
        return 0
    panel_key = "-".join(str(e) for e in sorted(sitting_row.examiner_ids)) or "none"
    subject = _("%(n)s scripts wait for a third examiner: %(title)s", n=len(waiting), title=sitting_row.title)
    body = _("Two examiners' marks differ by more than the tolerance on %(n)s written answers of the sitting "
             "“%(title)s” (scripts %(scripts)s), and every examiner on its panel has already marked them. Add an "
             "examiner to the marking panel on the sitting's page; the scripts are assigned as soon as you save it.",
             n=len(waiting), title=sitting_row.title,
             scripts=", ".join(sorted({w.script_no for w in waiting})))
    return await notify([
        Message(user_id=uid, kind="exam_third_examiner", subject=subject, body=body,
                region_code=sitting_row.region_code,
                dedupe_key=f"exam-third-wait:{sitting_row.id}:{panel_key}:{uid}")
        for uid in await _administrators_of(sitting_row.region_code)])


async def assign_pending(sitting_id: int) -> Assignment:
    """Assign what waits for examiners (after the panel changed): first and second markers,
    and third examiners for disagreements. Scripts no panel examiner can take as third marker
    are named in the answer, and the region's administrators are told."""
    sitting_row = await load_sitting(sitting_id)
    async with write_transaction():
        created = await assign_answers(sitting_row)
        # disagreements still without a third examiner
        answers = await Answer.select(Answer.id).where(Answer.written == True).where(  # noqa: E712
            Answer.score.is_null()).where(Answer.admission.sitting == sitting_id)
        for a in answers:
            created += await _resolve(a["id"], sitting_row)
        waiting = await waiting_for_third(sitting_row)
    await _tell_waiting_third(sitting_row, waiting)
    return Assignment(created=created, waiting_third=waiting, panel_warning=panel_warning(sitting_row.examiner_ids))


def settle(marks: list[float], max_marks: float) -> tuple[float | None, bool]:
    """(final mark or None, needs a third examiner) from the marks given so far.
    Two marks within tolerance: their mean. More than `double_marking_tolerance_ratio` ×
    max apart: a third examiner; with three marks: the mean of the two closest (equally
    close pairs: the higher mean)."""
    if len(marks) < 2:
        return None, False
    tolerance = rules().double_marking_tolerance_ratio * max_marks
    first, second = marks[0], marks[1]
    if len(marks) == 2:
        if abs(first - second) > tolerance + 1e-9:
            return None, True
        return round((first + second) / 2, 2), False
    pairs = [(abs(a - b), -(a + b) / 2) for a, b in ((marks[0], marks[1]), (marks[0], marks[2]), (marks[1], marks[2]))]
    best = min(pairs)
    return round(-best[1], 2), False


async def _resolve(answer_id: int, sitting_row: ExamSitting, waiting: list[int] | None = None) -> int:
    """After a mark: settle the answer, or call a third examiner. Returns markings created;
    an answer no panel examiner can take as third marker is added to `waiting`."""
    answer = await Answer.select().where(Answer.id == answer_id).first()
    if answer is None:  # removed with its admission meanwhile: nothing to settle
        return 0
    markings = await Marking.select().where(Marking.answer == answer_id).where(Marking.round <= 3).order_by(
        Marking.round)
    done = [m for m in markings if m["marked_at"] is not None]
    marks = [m["mark"] for m in done]
    final, needs_third = settle(marks, answer["max_marks"])
    if final is not None and len(done) >= (3 if len(markings) >= 3 else 2):
        await Answer.update({Answer.score: final}).where(Answer.id == answer_id)
        await _complete_if_marked(answer["admission"])
        return 0
    if needs_third and not any(m["round"] == 3 for m in markings):
        used = {m["examiner_id"] for m in markings}
        load = await open_load(sitting_row.id)
        examiner = pick_examiner(sitting_row.examiner_ids, load, used, answer_id + 3)
        if examiner is None:
            if waiting is not None:
                waiting.append(answer_id)
            return 0  # waits for the administrator to add an examiner to the panel (who is told)
        await Marking.insert(Marking(answer=answer_id, sitting_id=sitting_row.id, examiner_id=examiner, round=3,
                                     slot_key=f"{answer_id}:r3", examiner_key=f"{answer_id}:e{examiner}"))
        return 1
    return 0


async def _complete_if_marked(admission_id: int) -> None:
    answers = await Answer.select(Answer.score, Answer.written).where(Answer.admission == admission_id)
    if any(a["score"] is None for a in answers):
        return
    row = await Admission.select(Admission.objective_score, Admission.status, Admission.sitting).where(
        Admission.id == admission_id).first()
    if row is None or row["status"] not in ("submitted", "marked"):
        return
    written = round(sum(a["score"] for a in answers if a["written"]), 2)
    total = round((row["objective_score"] or 0) + written, 2)
    pass_mark = await pass_mark_of(row["sitting"])
    await Admission.update({Admission.written_score: written, Admission.total: total,
                            Admission.passed: total >= pass_mark, Admission.status: "marked"}).where(
        Admission.id == admission_id)


async def pass_mark_of(sitting_id: int) -> int:
    row = await Sitting.select(Sitting.paper.pass_mark).where(Sitting.id == sitting_id).first()
    return int(row["paper.pass_mark"]) if row else rules().exam_pass_mark


@dataclass(frozen=True, slots=True)
class QueuedScript:
    """One marking in an examiner's queue, by script number only."""

    id: int
    round: int
    mark: float | None
    marked_at: datetime | None
    script_no: str
    max_marks: int
    topic: str
    kind: str


@dataclass(frozen=True, slots=True)
class QueuedRecheck:
    id: int
    status: str
    script_no: str


@dataclass(frozen=True, slots=True)
class ExaminerQueue:
    waiting: list[QueuedScript]
    done: list[QueuedScript]
    total: int
    marked: int
    rechecks: list[QueuedRecheck]


@dataclass(frozen=True, slots=True)
class ScriptForMarking:
    """What an examiner sees of one answer: no name, ticket, admission or other marks."""

    marking_id: int
    script_no: str
    round: int
    stem: str
    rubric: str
    kind: str
    topic: str
    response: Any
    max_marks: int
    mark: float | None
    comment: str
    marked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExaminerLoad:
    """One examiner's markings of a sitting."""

    id: int
    name: str
    assigned: int
    marked: int
    third: int
    on_panel: bool


@dataclass(frozen=True, slots=True)
class MarkingProgress:
    sitting: ExamSitting
    examiners: list[ExaminerLoad]
    answers_total: int
    answers_settled: int
    statuses: dict[str, int]
    markings_total: int
    markings_done: int
    waiting_third: list[WaitingScript]
    panel_warning: str


async def examiner_queue(principal: Principal) -> ExaminerQueue:
    """An examiner's own assignments: waiting and done, by script number only."""
    uid = principal.user_id
    rows = await Marking.select(
        Marking.id, Marking.round, Marking.mark, Marking.marked_at, Marking.assigned_at,
        # piccolo types a join of two foreign keys as a plain Column
        Marking.answer.admission.script_no,  # type: ignore[union-attr]
        Marking.answer.question_id, Marking.answer.max_marks,
        Marking.sitting_id,
    ).where(Marking.examiner_id == uid).where(Marking.round <= 3).order_by(Marking.id)
    qids = {r["answer.question_id"] for r in rows}
    found = await questions_by_id(qids)
    items = []
    for r in rows:
        q = found.get(r["answer.question_id"])
        items.append(QueuedScript(id=r["id"], round=r["round"], mark=r["mark"], marked_at=r["marked_at"],
                                  script_no=r["answer.admission.script_no"], max_marks=r["answer.max_marks"],
                                  topic=q.topic if q else "", kind=q.kind if q else ""))
    rechecks = await Recheck.select(Recheck.id, Recheck.status, Recheck.admission.script_no).where(
        Recheck.examiner_id == uid).order_by(Recheck.id)
    waiting = [i for i in items if i.marked_at is None]
    return ExaminerQueue(waiting=waiting, done=[i for i in items if i.marked_at is not None], total=len(items),
                         marked=len(items) - len(waiting),
                         rechecks=[QueuedRecheck(r["id"], r["status"], r["admission.script_no"]) for r in rechecks])


async def marking_view(principal: Principal, marking_id: int) -> ScriptForMarking:
    """What an examiner sees: script number, question, rubric and the answer. Nothing else
    (no name, ticket, admission id or the other examiners' marks)."""
    row = await Marking.select().where(Marking.id == marking_id).first()
    if row is None or row["examiner_id"] != principal.user_id:
        raise NotFound(_("No such script in your queue."))
    answer = await Answer.select(Answer.response, Answer.question_id, Answer.max_marks,
                                 Answer.admission.script_no).where(Answer.id == row["answer"]).first()
    if answer is None:
        raise NotFound(_("No such script in your queue."))
    q = await question(answer["question_id"])
    return ScriptForMarking(marking_id=marking_id, script_no=answer["admission.script_no"], round=row["round"],
                            stem=q.stem, rubric=q.rubric, kind=q.kind, topic=q.topic,
                            response=from_json(answer["response"]) or "", max_marks=answer["max_marks"],
                            mark=row["mark"], comment=row["comment"], marked_at=row["marked_at"])


def parse_mark(raw: Any, max_marks: float, field_name: str = "mark") -> float:
    try:
        mark = float(str(raw).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a mark."), field_name) from None
    if mark < 0 or mark > max_marks or (mark * 2) != int(mark * 2):
        raise DomainError(_("A mark is between 0 and %(max)s, in steps of 0.5.", max=max_marks), field_name)
    return mark


async def record_mark(principal: Principal, marking_id: int, raw_mark: Any, comment: str = "",
                      at: datetime | None = None) -> None:
    """An examiner marks a script assigned to them, once."""
    at = at or clock.now()
    row = await Marking.select().where(Marking.id == marking_id).first()
    if row is None or row["examiner_id"] != principal.user_id or row["round"] > 3:
        raise NotFound(_("No such script in your queue."))
    if row["marked_at"] is not None:
        raise Conflict(_("You have already marked this script; a mark cannot be changed."))
    answer = await Answer.select(Answer.max_marks).where(Answer.id == row["answer"]).first()
    if answer is None:
        raise NotFound(_("No such script in your queue."))
    mark = parse_mark(raw_mark, answer["max_marks"])
    sitting_row = await load_sitting(row["sitting_id"])
    async with write_transaction():
        updated = await Marking.update({Marking.mark: mark, Marking.marked_at: at,
                                        Marking.comment: (comment or "")[:2000]}).where(
            Marking.id == marking_id).where(Marking.marked_at.is_null()).returning(Marking.id)
        if not updated:
            raise Conflict(_("You have already marked this script; a mark cannot be changed."))
        await audit.record(principal, "mark", "exam_marking", marking_id, region_code=sitting_row.region_code,
                           after={"mark": mark, "round": row["round"]})
        waiting: list[int] = []
        await _resolve(row["answer"], sitting_row, waiting)
    if waiting:
        await _tell_waiting_third(sitting_row, await waiting_for_third(sitting_row))


async def marking_progress(principal: Principal, sitting_id: int) -> MarkingProgress:
    """The administrator's view: per examiner assigned / marked, and what waits."""
    from core.tables import User

    sitting_row = await sitting_for_admin(principal, sitting_id)
    rows = await Marking.select(Marking.examiner_id, Marking.marked_at, Marking.round).where(
        Marking.sitting_id == sitting_id).where(Marking.round <= 3)
    per: dict[int, dict[str, int]] = defaultdict(lambda: {"assigned": 0, "marked": 0, "third": 0})
    for r in rows:
        per[r["examiner_id"]]["assigned"] += 1
        per[r["examiner_id"]]["marked"] += 1 if r["marked_at"] else 0
        per[r["examiner_id"]]["third"] += 1 if r["round"] == 3 else 0
    ids = sorted(set(per) | set(sitting_row.examiner_ids))
    names = {u["id"]: f"{u['display_name']} ({u['username']})" for u in await User.select(
        User.id, User.display_name, User.username).where(User.id.is_in(ids or [0]))}
    written = await Answer.select(Answer.score).where(Answer.written == True).where(  # noqa: E712
        Answer.admission.sitting == sitting_id)
    admissions = await Admission.select(Admission.status).where(Admission.sitting == sitting_id)
    statuses: dict[str, int] = defaultdict(int)
    for a in admissions:
        statuses[a["status"]] += 1
    return MarkingProgress(
        sitting=sitting_row,
        examiners=[ExaminerLoad(id=e, name=names.get(e, f"#{e}"), **per[e], on_panel=e in sitting_row.examiner_ids)
                   for e in ids],
        answers_total=len(written),
        answers_settled=sum(1 for a in written if a["score"] is not None),
        statuses=dict(statuses),
        markings_total=len(rows),
        markings_done=sum(1 for r in rows if r["marked_at"]),
        waiting_third=await waiting_for_third(sitting_row),
        panel_warning=panel_warning(sitting_row.examiner_ids),
    )


async def reassign(principal: Principal, sitting_id: int, from_examiner: int, to_examiner: int) -> tuple[int, int]:
    """Move an examiner's unmarked scripts to another panel examiner; scripts the new
    examiner already marks (or marked) stay. Returns (moved, kept)."""
    sitting_row = await load_sitting(sitting_id)
    require_admin(principal, sitting_row.region_code)
    if to_examiner not in sitting_row.examiner_ids:
        raise DomainError(_("Choose an examiner of this sitting's panel."), "to_examiner")
    if to_examiner == from_examiner:
        raise DomainError(_("Choose a different examiner."), "to_examiner")
    moved = kept = 0
    async with write_transaction():
        rows = await Marking.select(Marking.id, Marking.answer).where(Marking.sitting_id == sitting_id).where(
            Marking.examiner_id == from_examiner).where(Marking.marked_at.is_null())
        taken = {m["answer"] for m in await Marking.select(Marking.answer).where(
            Marking.examiner_id == to_examiner).where(Marking.answer.is_in([r["answer"] for r in rows] or [0]))}
        for r in rows:
            if r["answer"] in taken:
                kept += 1
                continue
            await Marking.update({Marking.examiner_id: to_examiner, Marking.examiner_key: f"{r['answer']}:e{to_examiner}",
                                  Marking.assigned_at: clock.now()}).where(Marking.id == r["id"])
            moved += 1
        await audit.record(principal, "reassign", "exam_sitting", sitting_id, region_code=sitting_row.region_code,
                           after={"from": from_examiner, "to": to_examiner, "moved": moved, "kept": kept})
    return moved, kept


def panel_warning(panel: list[int]) -> str:
    """Two examiners can double-mark but cannot settle a disagreement: a warning, not a refusal."""
    if len(panel) >= 3:
        return ""
    return _("The marking panel has %(n)s examiners: answers whose two marks disagree will wait until a third "
             "examiner is added.", n=len(panel))


async def set_panel(principal: Principal, sitting_id: int, examiner_ids: list[int]) -> Assignment:
    """Save the marking panel and assign what waits; the answer carries the warnings (a panel
    under three examiners, scripts still waiting for a third marker)."""
    row = await load_sitting(sitting_id)
    require_admin(principal, row.region_code)
    allowed = {uid for uid, _label in await examiner_choices(row.region_code)}
    chosen = sorted(set(examiner_ids))
    if not set(chosen) <= allowed:
        raise DomainError(_("Choose examiners of this region."), "examiner_ids")
    if len(chosen) < 2:
        raise DomainError(_("Double marking needs at least two examiners (three to settle disagreements)."),
                          "examiner_ids")
    async with write_transaction():
        await Sitting.update({Sitting.examiner_ids: chosen}).where(Sitting.id == sitting_id)
        await audit.record(principal, "set_panel", "exam_sitting", sitting_id, region_code=row.region_code,
                           before={"examiner_ids": row.examiner_ids}, after={"examiner_ids": chosen})
    return await assign_pending(sitting_id)
