"""Certification's pure rules: the lifecycle statuses and their labels, reason categories,
certificate numbers, expiry, the issuing body, and who may hold a certificate of a grade."""

from __future__ import annotations

from datetime import date
from typing import Any

from core import clock
from core.i18n import N_, _
from core.regions import region_name
from core.vocab import Grade, MediatorStatus

VALID, EXPIRED, SUSPENDED, REVOKED, RENEWED = "valid", "expired", "suspended", "revoked", "renewed"
STATUSES = (VALID, EXPIRED, SUSPENDED, REVOKED, RENEWED)
# Public verification answers one of these four (the public contract); a renewed certificate
# answers "expired" with a link to its successor (see verification.public_view).
PUBLIC_STATUSES = (VALID, EXPIRED, SUSPENDED, REVOKED)

# Reason categories: the public sees the category, never the administrator's free text.
SUSPEND_REASONS = {
    "investigation": N_("Under investigation"),
    "roster_suspended": N_("Holder suspended from the roster"),
    "exit_proposed": N_("Exit from the roster proposed"),
    "other": N_("Other reason"),
}
REVOKE_REASONS = {
    "disciplinary": N_("Disciplinary finding"),
    "exited": N_("Holder left the roster"),
    "fraud": N_("Obtained improperly"),
    "error": N_("Issued in error"),
    "other": N_("Other reason"),
}
STATUS_LABELS = {
    VALID: N_("Valid"),
    EXPIRED: N_("Expired"),
    SUSPENDED: N_("Suspended"),
    REVOKED: N_("Revoked"),
    RENEWED: N_("Renewed"),
}
ISSUING_STATUSES = (MediatorStatus.APPOINTED.value, MediatorStatus.APPLICANT.value)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def effective_status(status: str, expires_on: date, on: date | None = None) -> str:
    """The status against today: a valid certificate past its expiry date is expired even
    before the daily sweep has run."""
    if status == VALID and expires_on < (on or clock.today()):
        return EXPIRED
    return status


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def reason_label(status: str, reason: str) -> str:
    table = SUSPEND_REASONS if status == SUSPENDED else REVOKE_REASONS if status == REVOKED else {}
    return _(table[reason]) if reason in table else ""


def grade_label(grade: str) -> str:
    try:
        return Grade(grade).label
    except ValueError:
        return grade


def issuer_for(region_code: str) -> str:
    """The issuing body: the HRSS department of the region (厅 at province level)."""
    name = region_name(region_code)
    return f"{name}人力资源和社会保障{'厅' if region_code.endswith('0000') else '局'}"


def format_number(region_code: str, year: int, grade: str, serial: int) -> str:
    return f"{region_code}{year}{Grade(grade).letter}{serial:06d}"


def eligibility(mediator_status: str | None, exam_pass: Any, course_completion: Any) -> tuple[bool, list[str]]:
    """Pure rule: a certificate of a grade needs the exam of the grade passed, its course
    completed, and the person appointed or in recruitment. Returns (eligible, reasons).
    The exam pass and course completion are the other domains' records (None when missing)."""
    reasons = []
    if mediator_status not in ISSUING_STATUSES:
        reasons.append(_("The person is not an appointed mediator or a recruitment candidate."))
    if exam_pass is None or not getattr(exam_pass, "passed", True):
        reasons.append(_("No passed exam of this grade."))
    if course_completion is None:
        reasons.append(_("The course of this grade is not completed."))
    return (not reasons, reasons)
