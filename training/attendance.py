"""Attendance and completion: staff marking, the QR sign-in (a short-lived signed code on
the trainer's screen), and completing a course at the attendance ratio, which credits its
class hours to the year of the course's last session."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import audit, clock
from core.auth.roles import Principal
from core.db import write_transaction
from core.errors import DomainError
from core.i18n import _
from core.settings import get_settings
from training.courses import course, require_course_admin
from training.schemas import COMPLETED, ENROLLED, HOLDS_PLACE, WAITLISTED, course_key, exists_id, rules
from training.sessions import session, sessions_of
from training.tables import Attendance, Course, Enrolment, HoursCredit

# QR sign-in codes: a new code every slot; a code is accepted for its own slot and the
# previous ones up to rules().qr_sign_in_valid_slots (so a code read just before the screen refreshed still
# works), and only from rules().qr_sign_in_grace_minutes before a session starts until that long after it ends.


@dataclass(frozen=True, slots=True)
class AttendanceMark:
    mediator_id: int
    via: str  # staff|qr
    at: datetime


@dataclass(frozen=True, slots=True)
class AttendanceChange:
    added: int
    removed: int
    completion_changes: int


@dataclass(frozen=True, slots=True)
class SignInResult:
    session_id: int
    course_id: int
    course_title: str
    already: bool
    completed: bool


async def attended_hours(course_id: int, mediator_ids: list[int]) -> dict[int, float]:
    if not mediator_ids:
        return {}
    rows = await Attendance.select(Attendance.mediator_id, Attendance.session.hours).where(
        (Attendance.session.course == course_id) & Attendance.mediator_id.is_in(list(set(mediator_ids))))
    totals: dict[int, float] = {}
    for row in rows:
        totals[row["mediator_id"]] = totals.get(row["mediator_id"], 0.0) + float(row["session.hours"])
    return totals


def completes(attended: float, total: float) -> bool:
    """The completion rule: attendance of at least the ratio (80%) of the course's hours."""
    return total > 0 and attended + 1e-9 >= rules().attendance_completion_ratio * total


async def _last_attended(course_id: int, mediator_ids: list[int]) -> dict[int, datetime]:
    """The start of each mediator's last attended session of the course."""
    last: dict[int, datetime] = {}
    if mediator_ids:
        for row in await Attendance.select(Attendance.mediator_id, Attendance.session.starts_at).where(
                (Attendance.session.course == course_id) & Attendance.mediator_id.is_in(mediator_ids)):
            moment = row["session.starts_at"]
            if row["mediator_id"] not in last or moment > last[row["mediator_id"]]:
                last[row["mediator_id"]] = moment
    return last


async def _settle_completion(course_id: int, mediator_ids: list[int], actor: Principal | None) -> int:
    """Complete (and credit) or un-complete each mediator by the attendance rule. Inside
    the transaction. Returns how many enrolments changed."""
    settled = await Course.select(Course.class_hours, Course.region_code).where(Course.id == course_id).first()
    if settled is None:
        return 0
    sessions = await sessions_of(course_id)
    total = sum(float(s.hours) for s in sessions)
    year = clock.date_of(sessions[-1].starts_at).year if sessions else clock.today().year
    attended = await attended_hours(course_id, mediator_ids)
    last_attended = await _last_attended(course_id, mediator_ids)
    enrolments = await Enrolment.select(Enrolment.id, Enrolment.mediator_id, Enrolment.status).where(
        (Enrolment.course == course_id) & Enrolment.mediator_id.is_in(mediator_ids or [-1]))
    changed = 0
    for enrolment in enrolments:
        mediator_id = enrolment["mediator_id"]
        hours = attended.get(mediator_id, 0.0)
        if enrolment["status"] == ENROLLED and completes(hours, total):
            completed_on = clock.date_of(last_attended[mediator_id]) if mediator_id in last_attended else clock.today()
            await Enrolment.update({Enrolment.status: COMPLETED, Enrolment.completed_on: completed_on}).where(
                Enrolment.id == enrolment["id"])
            key = f"{mediator_id}:{course_id}"
            if not await HoursCredit.exists().where(HoursCredit.pair_key == key):
                await HoursCredit.insert(HoursCredit(mediator_id=mediator_id, year=year, course_id=course_id, pair_key=key,
                                                     hours=float(settled["class_hours"]), credited_on=clock.today()))
            await audit.record(actor, "complete", "enrolment", enrolment["id"], region_code=settled["region_code"],
                               before={"status": ENROLLED}, after={"status": COMPLETED, "attended_hours": hours,
                                                                   "credited_hours": settled["class_hours"], "year": year},
                               reason=f"attendance {hours:g}/{total:g} h >= {rules().attendance_completion_ratio:.0%}")
            changed += 1
        elif enrolment["status"] == COMPLETED and not completes(hours, total):
            await Enrolment.update({Enrolment.status: ENROLLED, Enrolment.completed_on: None}).where(
                Enrolment.id == enrolment["id"])
            await HoursCredit.delete().where(HoursCredit.pair_key == f"{mediator_id}:{course_id}")
            await audit.record(actor, "uncomplete", "enrolment", enrolment["id"], region_code=settled["region_code"],
                               before={"status": COMPLETED}, after={"status": ENROLLED, "attended_hours": hours},
                               reason="attendance corrected below the completion ratio")
            changed += 1
    return changed


async def mark_attendance(principal: Principal, session_id: int, present: list[int]) -> AttendanceChange:
    """Staff set who attended a session (the list replaces the staff marks; QR sign-ins stay
    unless the mediator is now marked absent). Only mediators holding a place count."""
    marked = await session(session_id)
    owner = await course(marked.course_id)
    require_course_admin(principal, owner)
    present_ids = {int(m) for m in present}
    async with write_transaction():
        holders = {r["mediator_id"] for r in await Enrolment.select(Enrolment.mediator_id).where(
            (Enrolment.course == owner.id) & Enrolment.status.is_in(list(HOLDS_PLACE)))}
        unknown = present_ids - holders
        if unknown:
            raise DomainError(_("Only mediators enrolled in the course can be marked present."), "present")
        existing = {r["mediator_id"] for r in await Attendance.select(Attendance.mediator_id).where(
            Attendance.session == session_id)}
        added = present_ids - existing
        removed = (existing & holders) - present_ids
        for mediator_id in sorted(added):
            await Attendance.insert(Attendance(session=session_id, mediator_id=mediator_id, pair_key=f"{session_id}:{mediator_id}",
                                               marked_by=principal.user_id, via="staff", at=clock.now()))
        if removed:
            await Attendance.delete().where((Attendance.session == session_id) & Attendance.mediator_id.is_in(sorted(removed)))
        if added or removed:
            await audit.record(principal, "mark_attendance", "course_session", session_id, region_code=owner.region_code,
                               before={"present": sorted(existing)}, after={"present": sorted(present_ids)})
        completed = await _settle_completion(owner.id, sorted(added | removed), principal)
    return AttendanceChange(added=len(added), removed=len(removed), completion_changes=completed)


async def attendance_of_session(session_id: int) -> dict[int, AttendanceMark]:
    rows = await Attendance.select(Attendance.mediator_id, Attendance.via, Attendance.at).where(
        Attendance.session == session_id)
    return {r["mediator_id"]: AttendanceMark(r["mediator_id"], r["via"], r["at"]) for r in rows}


# --------------------------------------------------------------------------- QR sign-in
def _signature(session_id: int, slot: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"training-sign-in:{session_id}:{slot}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def sign_in_code(session_id: int, at: datetime | None = None) -> str:
    """The short-lived code the trainer's screen shows as a QR: `<session>-<slot>-<hmac>`."""
    slot = int((at or clock.now()).timestamp() // rules().qr_sign_in_slot_seconds)
    return f"{session_id}-{slot}-{_signature(session_id, slot, get_settings().secret_key)}"


def sign_in_url(code: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/training/sign-in/{code}"


def _decode_code(code: str, at: datetime) -> tuple[int, int]:
    parts = (code or "").split("-", 2)
    if len(parts) != 3 or not parts[0].isdecimal() or not parts[1].isdecimal():
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    session_id, slot = int(parts[0]), int(parts[1])
    if not exists_id(session_id):
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    settings = get_settings()
    secrets = (settings.secret_key, *settings.retired_secret_keys)
    if not any(hmac.compare_digest(_signature(session_id, slot, key), parts[2]) for key in secrets):
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    current = int(at.timestamp() // rules().qr_sign_in_slot_seconds)
    if slot > current + 1:
        raise DomainError(_("This sign-in code is not valid. Scan the code on the trainer's screen again."), "code")
    if current - slot >= rules().qr_sign_in_valid_slots:
        raise DomainError(_("This sign-in code has expired (codes change every %(seconds)s seconds). "
                            "Scan the code on the trainer's screen again.", seconds=rules().qr_sign_in_slot_seconds), "code")
    return session_id, slot


async def sign_in(principal: Principal | None, code: str, mediator_id: int, *, session_id: int | None = None,
                  at: datetime | None = None) -> SignInResult:
    """The mediator signs in to a session with the scanned code. Refused, each with its
    reason: an altered code, an expired code, a code for another session than the one
    expected, outside the session's window (with grace), or a mediator not enrolled."""
    at = at or clock.now()
    code_session, _slot = _decode_code(code, at)
    if session_id is not None and session_id != code_session:
        raise DomainError(_("This sign-in code is for another session."), "code")
    scanned = await session(code_session)
    grace = timedelta(minutes=rules().qr_sign_in_grace_minutes)
    if not (scanned.starts_at - grace <= at <= scanned.ends_at + grace):
        raise DomainError(_("Sign-in for this session is open only from %(start)s to %(end)s.",
                            start=clock.local(scanned.starts_at - grace).strftime("%Y-%m-%d %H:%M"),
                            end=clock.local(scanned.ends_at + grace).strftime("%Y-%m-%d %H:%M")), "code")
    owner = await course(scanned.course_id)
    async with write_transaction():
        enrolment = await Enrolment.select(Enrolment.id, Enrolment.status).where(
            Enrolment.pair_key == course_key(owner.id, mediator_id)).first()
        if enrolment is None or enrolment["status"] not in HOLDS_PLACE:
            message = (_("You are on the waitlist of this course, not enrolled; you cannot sign in.")
                       if enrolment and enrolment["status"] == WAITLISTED
                       else _("You are not enrolled in this course, so you cannot sign in to its session."))
            raise DomainError(message, "mediator")
        key = f"{code_session}:{mediator_id}"
        already = await Attendance.exists().where(Attendance.pair_key == key)
        completed = False
        if not already:
            await Attendance.insert(Attendance(session=code_session, mediator_id=mediator_id, pair_key=key,
                                               marked_by=None, via="qr", at=at))
            await audit.record(principal, "sign_in", "course_session", code_session, region_code=owner.region_code,
                               after={"mediator_id": mediator_id, "via": "qr"})
            completed = bool(await _settle_completion(owner.id, [mediator_id], principal))
    return SignInResult(code_session, owner.id, owner.title, already, completed)
