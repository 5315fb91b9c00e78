"""Examination tables: the question bank, papers (fixed or blueprint), sittings (场次),
admissions (准考证, one per candidate and sitting, holding the drawn paper and its seed),
answers, blind markings and re-checks (复核).

Composite uniqueness ((admission, question), (answer, examiner), (answer, round)) is held
by single unique `*_key` columns ("<a>:<b>"), which behave the same on SQLite and
PostgreSQL. Other domains' ids (mediator, user) are plain Integer columns."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Question(Table, tablename="exam_question"):
    """A bank question. kind: single|multiple|true_false|short_answer|case_analysis."""

    id: Serial
    kind = Varchar(length=20, index=True)
    topic = Varchar(length=60, index=True)
    grade = Varchar(length=20, index=True)  # core.vocab.Grade
    difficulty = Integer(default=3)  # 1 (easy) .. 5 (hard)
    marks = Integer(default=1)
    stem = Text()
    options = JSONB(default=[])  # ["option A text", ...] for single/multiple
    answer = JSONB(default=[])  # single/multiple: [option indexes]; true_false: [true|false]; written: []
    rubric = Text(default="")  # reference answer / marking rubric for written questions
    region_code = Varchar(length=12, default="350000", index=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Paper(Table, tablename="exam_paper"):
    """kind fixed (PaperQuestion rows) or blueprint ([{topic, kind, difficulty, marks, count}])."""

    id: Serial
    title = Varchar(length=200)
    grade = Varchar(length=20, index=True)
    kind = Varchar(length=12, default="fixed")
    blueprint = JSONB(default=[])
    total_marks = Integer(default=100)
    pass_mark = Integer(default=60)
    duration_minutes = Integer(default=90)
    region_code = Varchar(length=12, default="350000", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PaperQuestion(Table, tablename="exam_paper_question"):
    id: Serial
    paper = ForeignKey(references=Paper, on_delete=OnDelete.cascade, index=True)
    question = ForeignKey(references=Question, on_delete=OnDelete.restrict, index=True)
    position = Integer(default=0)
    pair_key = Varchar(length=40, unique=True)  # "<paper>:<question>"


class Sitting(Table, tablename="exam_sitting"):
    """场次. status: scheduled|released (open/closed follow from the window)."""

    id: Serial
    title = Varchar(length=200)
    paper = ForeignKey(references=Paper, on_delete=OnDelete.restrict, index=True)
    grade = Varchar(length=20, index=True)
    region_code = Varchar(length=12, index=True)
    opens_at = Timestamptz()
    closes_at = Timestamptz()
    duration_minutes = Integer(default=90)
    examiner_ids = JSONB(default=[])  # the marking panel (user ids)
    status = Varchar(length=12, default="scheduled", index=True)
    results_released_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Admission(Table, tablename="exam_admission"):
    """A candidate in a sitting: ticket (准考证) and the anonymous script number."""

    id: Serial
    sitting = ForeignKey(references=Sitting, on_delete=OnDelete.cascade, index=True)
    mediator_id = Integer(index=True)
    region_code = Varchar(length=12, default="", index=True)
    grade = Varchar(length=20, index=True)
    year = Integer(index=True)
    ticket_no = Varchar(length=24, unique=True)
    script_no = Varchar(length=16, unique=True)
    pair_key = Varchar(length=40, unique=True)  # "<sitting>:<mediator>"
    seed = Varchar(length=40)
    question_ids = JSONB(default=[])  # the drawn paper, in order
    status = Varchar(length=12, default="admitted", index=True)  # admitted|started|submitted|marked
    started_at = Timestamptz(null=True, default=None)
    deadline = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    objective_score = Real(null=True, default=None)
    written_score = Real(null=True, default=None)
    total = Real(null=True, default=None)
    passed = Boolean(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Answer(Table, tablename="exam_answer"):
    id: Serial
    admission = ForeignKey(references=Admission, on_delete=OnDelete.cascade, index=True)
    question_id = Integer(index=True)
    answer_key = Varchar(length=40, unique=True)  # "<admission>:<question>"
    response = JSONB(default=None, null=True)  # [indexes] | [bool] | "text"
    saved_at = Timestamptz(default=TimestamptzNow())
    score = Real(null=True, default=None)  # objective: at submission; written: the final mark
    max_marks = Integer(default=0)
    written = Boolean(default=False)


class Marking(Table, tablename="exam_marking"):
    """One examiner's blind mark of one written answer. round 1, 2 (double marking),
    3 (third examiner), 4 (re-check)."""

    id: Serial
    answer = ForeignKey(references=Answer, on_delete=OnDelete.cascade, index=True)
    sitting_id = Integer(index=True)
    examiner_id = Integer(index=True)
    round = Integer(default=1)
    slot_key = Varchar(length=40, unique=True)  # "<answer>:r<round>"
    examiner_key = Varchar(length=40, unique=True)  # "<answer>:e<examiner>": never twice
    mark = Real(null=True, default=None)
    comment = Text(default="")
    assigned_at = Timestamptz(default=TimestamptzNow())
    marked_at = Timestamptz(null=True, default=None)


class Recheck(Table, tablename="exam_recheck"):
    """复核: asked by the candidate within the window, handled by a different examiner."""

    id: Serial
    admission = ForeignKey(references=Admission, on_delete=OnDelete.cascade, index=True)
    reason = Text(default="")
    requested_at = Timestamptz(default=TimestamptzNow())
    examiner_id = Integer(null=True, default=None, index=True)
    status = Varchar(length=12, default="pending")  # pending|assigned|done
    outcome = Varchar(length=12, null=True, default=None)  # upheld|changed
    note = Text(default="")
    old_total = Real(null=True, default=None)
    new_total = Real(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
