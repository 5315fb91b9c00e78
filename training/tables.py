"""Training tables: courses (graded, possibly joint), their sessions and materials,
enrolments with a waitlist, attendance, the yearly hours ledger and the typical-case
library. Nothing is deleted: withdrawing and closing are states.

Composite uniqueness ((course, mediator), (session, mediator)) is held by a single unique
`pair_key` column ("<a>:<b>"), which works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Course(Table):
    """培训课程."""

    id: Serial
    title = Varchar(length=200, index=True)
    grade = Varchar(length=20, index=True)  # core.vocab.Grade
    region_code = Varchar(length=12, index=True)  # the lead organiser's region
    organisers = JSONB(default=[])  # [{"region_code", "name"}], several for joint training (联合培训)
    description = Text(default="")
    class_hours = Real(default=0.0)
    mode = Varchar(length=10, default="onsite")  # onsite|online
    capacity = Integer(default=30)
    prerequisite_grade = Varchar(length=20, null=True, default=None)  # a certificate of this grade
    prerequisite_course_id = Integer(null=True, default=None)
    enrol_opens_on = Date(null=True, default=None)
    enrol_closes_on = Date(null=True, default=None)
    starts_on = Date(null=True, default=None)
    status = Varchar(length=12, default="draft", index=True)  # draft|published|closed
    waitlist_closed = Boolean(default=False)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CourseSession(Table):
    id: Serial
    course = ForeignKey(Course, index=True, on_delete=OnDelete.cascade)
    title = Varchar(length=200, default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    place = Varchar(length=200, default="")
    online_link = Varchar(length=500, default="")
    hours = Real(default=0.0)


class Enrolment(Table):
    id: Serial
    course = ForeignKey(Course, index=True, on_delete=OnDelete.cascade)
    mediator_id = Integer(index=True)
    pair_key = Varchar(length=40, unique=True)  # "<course id>:<mediator id>"
    status = Varchar(length=20, index=True)  # enrolled|waitlisted|withdrawn|completed|waitlist_closed
    queued_at = Timestamptz()  # order of the waitlist (with id as tie-breaker)
    enrolled_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    completed_on = Date(null=True, default=None)
    promoted = Boolean(default=False)


class Attendance(Table):
    id: Serial
    session = ForeignKey(CourseSession, index=True, on_delete=OnDelete.cascade)
    mediator_id = Integer(index=True)
    pair_key = Varchar(length=40, unique=True)  # "<session id>:<mediator id>"
    marked_by = Integer(null=True, default=None)  # user id of the staff member (None: the mediator)
    via = Varchar(length=8, default="staff")  # staff|qr
    at = Timestamptz()


class HoursCredit(Table):
    """The yearly hours ledger: one credit per mediator and completed course."""

    id: Serial
    mediator_id = Integer(index=True)
    year = Integer(index=True)
    course_id = Integer(index=True)
    pair_key = Varchar(length=40, unique=True)  # "<mediator id>:<course id>"
    hours = Real()
    credited_on = Date()


class TypicalCase(Table):
    """典型案例."""

    id: Serial
    title = Varchar(length=200, index=True)
    dispute_type = Varchar(length=30, index=True)  # core.vocab.DisputeType
    summary = Text(default="")
    full_text = Text(default="")
    lessons = Text(default="")
    region_code = Varchar(length=12, index=True)
    published = Boolean(default=False, index=True)
    published_on = Date(null=True, default=None)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Material(Table):
    id: Serial
    course = ForeignKey(Course, index=True, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    file_path = Varchar(length=300, null=True, default=None)  # relative upload path
    url = Varchar(length=500, default="")
    case_id = Integer(null=True, default=None)  # a TypicalCase (same app, kept loose)
    created_at = Timestamptz()
