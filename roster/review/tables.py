"""Dynamic review tables: performance records (cases, complaints, disciplinary findings),
appraisal runs and grades, exit notices and appeals. Mediator ids are plain integers
(the roster is another Piccolo app)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from piccolo.columns import (
    JSONB,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Real,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")


def record_of(cls: type[Record], row: Mapping[str, Any]) -> Record:
    """The services' typed record of a selected row: its fields taken from the row's columns."""
    return cls(**{f.name: row[f.name] for f in fields(cls)})


class MediationCase(Table):
    """A mediation case handled by a mediator (调解案件)."""

    id: Serial
    mediator_id = Integer(index=True)
    organisation_id = Integer(null=True, default=None)
    region_code = Varchar(length=12, index=True)
    case_ref = Varchar(length=60, default="")
    dispute_type = Varchar(length=40)
    received_on = Date(index=True)
    closed_on = Date(null=True, default=None)
    outcome = Varchar(length=20, null=True, default=None)  # agreement|no_agreement|withdrawn
    satisfaction = SmallInt(null=True, default=None)  # 1-5 from the follow-up visit (回访)
    source = Varchar(length=10, default="form")  # form|import|api
    entered_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Complaint(Table):
    id: Serial
    mediator_id = Integer(index=True)
    region_code = Varchar(length=12, index=True)
    received_on = Date(index=True)
    substantiated = Boolean(default=False)
    finding = Text(default="")
    entered_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DisciplinaryFinding(Table):
    """A disciplinary finding; `removal_ground` marks the grounds of 特邀调解规定 Art. 28 /
    人民调解法 Art. 15 that remove a mediator; warnings and public notices are recorded too."""

    id: Serial
    mediator_id = Integer(index=True)
    region_code = Varchar(length=12, index=True)
    found_on = Date(index=True)
    ground = Varchar(length=40)
    removal_ground = Boolean(default=False)
    sanction = Varchar(length=20, default="none")  # none|warning|public_notice|removal
    description = Text(default="")
    entered_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AppraisalRun(Table):
    """One appraisal of a region for a year: a draft until an administrator confirms it."""

    id: Serial
    year = Integer()
    region_code = Varchar(length=12)
    status = Varchar(length=20, default="draft")  # draft|confirmed
    rules = JSONB(default={})
    counts = JSONB(default={})
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    confirmed_by = Integer(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    # Confirming over mediators already graded for the year by another confirmed run needs the
    # administrator's explicit supersession and its reason (kept here and in the audit).
    supersede_reason = Text(default="")


class Appraisal(Table):
    id: Serial
    appraisal_run = ForeignKey(AppraisalRun, index=True)
    year = Integer(index=True)
    mediator_id = Integer(index=True)
    region_code = Varchar(length=12)
    cap_group = Varchar(length=12)
    figures = JSONB(default={})
    grade = Varchar(length=20)
    rule = Varchar(length=60)  # the rule that decided the grade (shown beside it)
    score = Real(default=0.0)
    capped = Boolean(default=False)  # met 优秀 but fell outside the 20% cap
    # The current grade of a mediator for a year: at most one row per (mediator_id, year) is
    # confirmed (unique partial index `appraisal_one_confirmed_grade`). A grade replaced by a
    # later run is kept, with confirmed False, superseded True and the run that replaced it.
    confirmed = Boolean(default=False, index=True)
    superseded = Boolean(default=False)
    superseded_by_run = Integer(null=True, default=None)


class ExitNotice(Table):
    """A proposed exit (退出) with its ground and figures, open to appeal for 15 days."""

    id: Serial
    mediator_id = Integer(index=True)
    region_code = Varchar(length=12, index=True)
    ground = Varchar(length=40)
    dedupe_key = Varchar(length=120, unique=True)
    figures = JSONB(default={})
    issued_on = Date()
    appeal_deadline = Date()
    status = Varchar(length=20, default="open", index=True)  # open|appealed|lapsed|upheld|withdrawn
    decided_by = Integer(null=True, default=None)
    decided_on = Date(null=True, default=None)
    decision_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Appeal(Table):
    id: Serial
    notice = ForeignKey(ExitNotice, index=True)
    reasons = Text()
    documents = JSONB(default=[])
    lodged_on = Date()
    lodged_by = Integer(null=True, default=None)
