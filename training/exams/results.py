"""Results: release, the candidate's result by section, re-checks and item statistics.

Decisions the rules leave open (documented here and on the pages):
- A re-check is handled by an examiner who marked none of the candidate's answers; the
  re-check examiner's marks replace the written marks, and the outcome is `changed` when the
  total moved, `upheld` otherwise.
- The re-check window is counted in the platform's calendar days: asked for on or before the
  day `recheck_window_days` after the day of the release (`recheck_last_day`).
- Release, marks and re-checks are audited.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core import audit, clock
from core.auth.roles import Principal
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, NotFound
from core.i18n import _
from training.exams.bank import (
    KINDS,
    OBJECTIVE,
    from_json,
    kind_label,
    questions_by_id,
    require_admin,
    rules,
)
from training.exams.marking import open_load, parse_mark, pass_mark_of, pick_examiner
from training.exams.papers import ExamPaper, paper, readable_paper
from training.exams.sittings import (
    ExamAdmission,
    ExamSitting,
    examiner_choices,
    load_admission,
    load_sitting,
    own_admission,
    sitting_for_admin,
)
from training.exams.tables import Admission, Answer, Marking, Recheck, Sitting
from training.exams.taking import finalise_expired, mark_objective


@dataclass(frozen=True, slots=True)
class ResultSection:
    """A candidate's marks on the questions of one kind."""

    kind: str
    label: str
    questions: int
    max_marks: int
    score: float


@dataclass(frozen=True, slots=True)
class ExamRecheck:
    """A re-check of one result (复核), with the admission's ticket and script numbers."""

    id: int
    admission: int
    reason: str
    requested_at: datetime
    examiner_id: int | None
    status: str  # pending | assigned | done
    outcome: str | None  # upheld | changed
    note: str
    old_total: float | None
    new_total: float | None
    decided_at: datetime | None
    ticket_no: str
    script_no: str


@dataclass(frozen=True, slots=True)
class ExamResult:
    """The candidate's released result."""

    admission: ExamAdmission
    sitting: ExamSitting
    paper: ExamPaper
    sections: list[ResultSection]
    rechecks: list[ExamRecheck]
    recheck_last_day: date
    can_recheck: bool


@dataclass(frozen=True, slots=True)
class WrittenAnswer:
    answer_id: int
    stem: str
    rubric: str
    response: Any
    score: float | None
    max_marks: int


@dataclass(frozen=True, slots=True)
class RecheckScript:
    """The re-check examiner's blind view: no name or ticket."""

    recheck: ExamRecheck
    script_no: str
    objective_score: float | None
    written: list[WrittenAnswer]
    total: float | None


@dataclass(frozen=True, slots=True)
class ItemStatistic:
    question_id: int
    stem: str
    kind: str
    topic: str
    n: int
    difficulty: float
    discrimination: float

    @property
    def flag(self) -> str:
        if self.discrimination < 0.2:
            return _("Low discrimination: review the question.")
        if self.difficulty < 0.2 or self.difficulty > 0.95:
            return _("Very hard or very easy.")
        return ""


async def _rechecks(*where: Any) -> list[ExamRecheck]:
    query = Recheck.select(*Recheck.all_columns(), Recheck.admission.ticket_no, Recheck.admission.script_no)
    for condition in where:
        query = query.where(condition)
    return [ExamRecheck(id=r["id"], admission=r["admission"], reason=r["reason"], requested_at=r["requested_at"],
                        examiner_id=r["examiner_id"], status=r["status"], outcome=r["outcome"], note=r["note"],
                        old_total=r["old_total"], new_total=r["new_total"], decided_at=r["decided_at"],
                        ticket_no=r["admission.ticket_no"], script_no=r["admission.script_no"])
            for r in await query.order_by(Recheck.id)]


async def release_results(principal: Principal, sitting_id: int, at: datetime | None = None) -> int:
    at = at or clock.now()
    sitting_row = await load_sitting(sitting_id)
    require_admin(principal, sitting_row.region_code)
    if sitting_row.status == "released":
        raise Conflict(_("The results are already released."))
    if at < sitting_row.closes_at:
        raise Conflict(_("The sitting is still open; results are released after it closes."))
    await finalise_expired(sitting_id, at)
    waiting = await Admission.count().where(Admission.sitting == sitting_id).where(
        Admission.status.is_in(["started", "submitted"]))
    if waiting:
        raise Conflict(_("%(n)s scripts are not fully marked yet.", n=waiting))
    async with write_transaction():
        await Admission.update({Admission.status: "absent", Admission.passed: False}).where(
            Admission.sitting == sitting_id).where(Admission.status == "admitted")
        await Sitting.update({Sitting.status: "released", Sitting.results_released_at: at}).where(
            Sitting.id == sitting_id)
        count = await Admission.count().where(Admission.sitting == sitting_id)
        await audit.record(principal, "release", "exam_sitting", sitting_id, region_code=sitting_row.region_code,
                           after={"released_at": at, "candidates": count})
    return count


def recheck_last_day(released_at: datetime) -> date:
    """The last day a re-check may be asked for: `recheck_window_days` after the platform's
    date of the release, the release day not counted and the last day counted whole (as an
    exit notice's appeal window). A release at 00:30 Beijing time on 5 December is the 5th,
    so the last day is the 12th, whatever the server's clock says."""
    return clock.date_of(released_at) + timedelta(days=rules().recheck_window_days)


async def sections(admission_id: int, question_ids: list[int]) -> list[ResultSection]:
    found = await questions_by_id(question_ids)
    scores = {a["question_id"]: a["score"] for a in await Answer.select(Answer.question_id, Answer.score).where(
        Answer.admission == admission_id)}
    out = []
    for kind in KINDS:
        ids = [q for q in question_ids if found[q].kind == kind]
        if ids:
            out.append(ResultSection(kind=kind, label=kind_label(kind), questions=len(ids),
                                     max_marks=sum(found[q].marks for q in ids),
                                     score=round(sum(scores.get(q) or 0 for q in ids), 2)))
    return out


async def result(principal: Principal, admission_id: int, at: datetime | None = None) -> ExamResult:
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    sitting_row = await load_sitting(row.sitting)
    if sitting_row.status != "released" or sitting_row.results_released_at is None:
        raise NotFound(_("The results of this sitting are not released yet."))
    rechecks = await _rechecks(Recheck.admission == admission_id)
    last_day = recheck_last_day(sitting_row.results_released_at)
    return ExamResult(admission=row, sitting=sitting_row, paper=await paper(sitting_row.paper),
                      sections=await sections(admission_id, row.question_ids), rechecks=rechecks,
                      recheck_last_day=last_day,
                      can_recheck=row.status == "marked" and clock.date_of(at) <= last_day and not rechecks)


# ----------------------------------------------------------------------- re-checks

async def _script_examiners(admission_id: int) -> set[int]:
    rows = await Marking.select(Marking.examiner_id).where(Marking.answer.admission == admission_id)
    return {r["examiner_id"] for r in rows}


async def request_recheck(principal: Principal, admission_id: int, reason: str, at: datetime | None = None) -> int:
    """复核: within `recheck_window_days` of the release, once per result; handed to a panel
    examiner who marked none of this script (or left for the administrator to assign)."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    sitting_row = await load_sitting(row.sitting)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what should be checked."), "reason")
    if sitting_row.status != "released" or row.status != "marked" or sitting_row.results_released_at is None:
        raise DomainError(_("There is no released result to re-check."), "admission")
    if clock.date_of(at) > recheck_last_day(sitting_row.results_released_at):
        raise DomainError(_("A re-check must be asked for within %(days)s days of the results.",
                            days=rules().recheck_window_days), "reason")
    asked = await _asked_before(admission_id, reason)
    if asked:
        return asked
    used = await _script_examiners(admission_id)
    load = await open_load(sitting_row.id)
    examiner = pick_examiner(sitting_row.examiner_ids, load, used, admission_id)
    async with write_transaction():
        await serialise_on(f"exam_recheck:{admission_id}")  # asked twice at once: once
        asked = await _asked_before(admission_id, reason)
        if asked:
            return asked
        rows = await Recheck.insert(Recheck(admission=admission_id, reason=reason[:2000], requested_at=at,
                                            examiner_id=examiner, status="assigned" if examiner else "pending",
                                            old_total=row.total)).returning(Recheck.id)
        await audit.record(principal, "request_recheck", "exam_admission", admission_id,
                           region_code=sitting_row.region_code, after={"recheck_id": rows[0]["id"]})
    return rows[0]["id"]


async def _asked_before(admission_id: int, reason: str) -> int | None:
    """The re-check already asked for this result: the same request again (sent twice) answers
    it; another request is refused, as a result is re-checked once."""
    earlier = await Recheck.select(Recheck.id, Recheck.reason).where(Recheck.admission == admission_id).first()
    if earlier is None:
        return None
    if earlier["reason"] != reason[:2000]:
        raise Conflict(_("A re-check of this result has already been asked for."))
    return earlier["id"]


async def assign_recheck(principal: Principal, recheck_id: int, examiner_id: int) -> None:
    item = await Recheck.select().where(Recheck.id == recheck_id).first()
    if item is None:
        raise NotFound(_("No such re-check."))
    row = await load_admission(item["admission"])
    sitting_row = await load_sitting(row.sitting)
    require_admin(principal, sitting_row.region_code)
    if item["status"] == "done":
        raise Conflict(_("This re-check is finished."))
    allowed = {uid for uid, _label in await examiner_choices(sitting_row.region_code)}
    if examiner_id not in allowed:
        raise DomainError(_("Choose an examiner of this region."), "examiner_id")
    if examiner_id in await _script_examiners(row.id):
        raise DomainError(_("A re-check is handled by an examiner who did not mark this script."), "examiner_id")
    async with write_transaction():
        await Recheck.update({Recheck.examiner_id: examiner_id, Recheck.status: "assigned"}).where(
            Recheck.id == recheck_id)
        await audit.record(principal, "assign_recheck", "exam_recheck", recheck_id,
                           region_code=sitting_row.region_code, after={"examiner_id": examiner_id})


async def rechecks_for_admin(principal: Principal, sitting_id: int) -> list[ExamRecheck]:
    await sitting_for_admin(principal, sitting_id)
    return await _rechecks(Recheck.admission.sitting == sitting_id)


async def recheck_view(principal: Principal, recheck_id: int) -> RecheckScript:
    """The re-check examiner's blind view: script number, written answers with the marks
    they received, the candidate's reason. No name or ticket."""
    found_rechecks = await _rechecks(Recheck.id == recheck_id)
    if not found_rechecks or found_rechecks[0].examiner_id != principal.user_id:
        raise NotFound(_("No such re-check in your queue."))
    item = found_rechecks[0]
    row = await load_admission(item.admission)
    found = await questions_by_id(row.question_ids)
    answers = await Answer.select().where(Answer.admission == row.id)
    written = []
    for a in sorted(answers, key=lambda a: row.question_ids.index(a["question_id"])
                    if a["question_id"] in row.question_ids else 0):
        if a["written"]:
            q = found[a["question_id"]]
            written.append(WrittenAnswer(answer_id=a["id"], stem=q.stem, rubric=q.rubric,
                                         response=from_json(a["response"]) or "", score=a["score"],
                                         max_marks=a["max_marks"]))
    return RecheckScript(recheck=item, script_no=row.script_no, objective_score=row.objective_score,
                         written=written, total=row.total)


async def handle_recheck(principal: Principal, recheck_id: int, marks: dict[int, Any], note: str = "",
                         at: datetime | None = None) -> str:
    """The re-check examiner's marks replace the written marks; objective answers are marked
    again by the machine. Outcome `changed` if the total moved, else `upheld`."""
    at = at or clock.now()
    view = await recheck_view(principal, recheck_id)
    if view.recheck.status == "done":
        raise Conflict(_("This re-check is finished."))
    row = await load_admission(view.recheck.admission)
    sitting_row = await load_sitting(row.sitting)
    new_marks = {}
    for w in view.written:
        raw = marks.get(w.answer_id, w.score)
        new_marks[w.answer_id] = parse_mark(raw, w.max_marks, f"mark_{w.answer_id}")
    found = await questions_by_id(row.question_ids)
    answers = await Answer.select().where(Answer.admission == row.id)
    objective = sum(mark_objective(found[a["question_id"]], a["response"]) for a in answers
                    if found[a["question_id"]].kind in OBJECTIVE)
    written = sum(new_marks.values())
    new_total = round(objective + written, 2)
    outcome = "changed" if abs(new_total - (row.total or 0)) > 1e-9 else "upheld"
    pass_mark = await pass_mark_of(row.sitting)
    async with write_transaction():
        claimed = await Recheck.update({Recheck.status: "done", Recheck.outcome: outcome, Recheck.new_total: new_total,
                                        Recheck.note: (note or "")[:2000], Recheck.decided_at: at}).where(
            Recheck.id == recheck_id).where(Recheck.status != "done").returning(Recheck.id)
        if not claimed:
            raise Conflict(_("This re-check is finished."))
        for answer_id, mark in new_marks.items():
            await Marking.insert(Marking(answer=answer_id, sitting_id=row.sitting, examiner_id=principal.user_id,
                                         round=4, slot_key=f"{answer_id}:r4",
                                         examiner_key=f"{answer_id}:e{principal.user_id}", mark=mark, marked_at=at))
            await Answer.update({Answer.score: mark}).where(Answer.id == answer_id)
        await Admission.update({Admission.objective_score: round(objective, 2), Admission.written_score: round(written, 2),
                                Admission.total: new_total, Admission.passed: new_total >= pass_mark}).where(
            Admission.id == row.id)
        await audit.record(principal, "handle_recheck", "exam_recheck", recheck_id,
                           region_code=sitting_row.region_code,
                           before={"total": row.total}, after={"total": new_total, "outcome": outcome})
    return outcome


# -------------------------------------------------------------- item statistics

async def item_statistics(principal: Principal, paper_id: int) -> list[ItemStatistic]:
    """Per question of a paper, over every marked candidate who had it: difficulty (mean
    score / max: higher is easier) and discrimination (mean score ratio of the top 27% of
    candidates by total minus that of the bottom 27%)."""
    await readable_paper(principal, paper_id)  # 404 for an unknown paper, 403 for another region's
    admissions = await Admission.select(Admission.id, Admission.total).where(
        Admission.sitting.paper == paper_id).where(Admission.status == "marked")
    if not admissions:
        return []
    totals = {a["id"]: a["total"] or 0 for a in admissions}
    answers = await Answer.select(Answer.admission, Answer.question_id, Answer.score, Answer.max_marks).where(
        Answer.admission.is_in(list(totals)))
    by_question: dict[int, list[tuple[float, float]]] = defaultdict(list)  # (candidate total, score ratio)
    for a in answers:
        if a["max_marks"]:
            by_question[a["question_id"]].append((totals[a["admission"]], (a["score"] or 0) / a["max_marks"]))
    found = await questions_by_id(by_question)
    out = []
    for qid, pairs in by_question.items():
        pairs.sort(key=lambda p: p[0])
        n = len(pairs)
        group = max(1, round(n * 0.27))
        lower = [r for _t, r in pairs[:group]]
        upper = [r for _t, r in pairs[-group:]]
        q = found.get(qid)
        out.append(ItemStatistic(question_id=qid, stem=q.stem if q else "", kind=q.kind if q else "",
                                 topic=q.topic if q else "", n=n,
                                 difficulty=round(statistics.fmean(r for _t, r in pairs), 3),
                                 discrimination=round(statistics.fmean(upper) - statistics.fmean(lower), 3)))
    out.sort(key=lambda r: r.question_id)
    return out
