"""Sittings (a paper, a region, a window and a duration) and admissions: eligibility, admission
tickets with anonymous script numbers, and the candidate's paper drawn at admission.

Decisions the rules leave open (documented here and on the pages):
- Re-sits: in one calendar year a mediator may sit a grade once plus
  `resits_per_grade_per_year` re-sits (admissions to sittings of that grade that year).
- Dates are the platform's (core.clock): the year a sitting counts for (re-sits, ticket
  numbers) is the year of its opening on the platform's calendar.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within
from core.text import check_fields
from training.exams.bank import Submitted, admin_region, aware, from_json, require_admin, rules
from training.exams.papers import bounded_int, draw_questions, paper, paper_problems
from training.exams.tables import Admission, Sitting


@dataclass(frozen=True, slots=True)
class ExamSitting:
    """A sitting: a paper taken in a region within a window; `examiner_ids` is its marking
    panel; `status` turns `released` with the results."""

    id: int
    title: str
    paper: int
    grade: str
    region_code: str
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    examiner_ids: list[int]
    status: str
    results_released_at: datetime | None


@dataclass(frozen=True, slots=True)
class SittingLine:
    """A sitting in the administrator's list: where it stands and how many are admitted."""

    sitting: ExamSitting
    phase: str
    candidates: int


@dataclass(frozen=True, slots=True)
class ExamAdmission:
    """A mediator admitted to a sitting: ticket and anonymous script number, the drawn
    paper (`question_ids`, from `seed`), and how far the paper has gone."""

    id: int
    sitting: int
    mediator_id: int
    region_code: str
    grade: str
    year: int
    ticket_no: str
    script_no: str
    seed: str
    question_ids: list[int]
    status: str  # admitted | started | submitted | marked | absent
    started_at: datetime | None
    deadline: datetime | None
    submitted_at: datetime | None
    objective_score: float | None
    written_score: float | None
    total: float | None
    passed: bool | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An admission with the candidate's name (the administrator's list)."""

    admission: ExamAdmission
    name: str
    organisation_name: str


@dataclass(frozen=True, slots=True)
class AdmissionTicket:
    admission: ExamAdmission
    sitting: ExamSitting
    name: str
    organisation_name: str


@dataclass(frozen=True, slots=True)
class DrawReplay:
    matches: bool
    question_ids: list[int]


def _required(value: datetime | None) -> datetime:
    """A timestamp the table does not allow to be empty, as an aware datetime."""
    moment = aware(value)
    if moment is None:
        raise ValueError("a required timestamp is empty")
    return moment


def sitting_record(row: Mapping[str, Any]) -> ExamSitting:
    return ExamSitting(id=row["id"], title=row["title"], paper=row["paper"], grade=row["grade"],
                       region_code=row["region_code"], opens_at=_required(row["opens_at"]),
                       closes_at=_required(row["closes_at"]), duration_minutes=row["duration_minutes"],
                       examiner_ids=[int(x) for x in (from_json(row["examiner_ids"]) or [])], status=row["status"],
                       results_released_at=aware(row["results_released_at"]))


def admission_record(row: Mapping[str, Any]) -> ExamAdmission:
    return ExamAdmission(id=row["id"], sitting=row["sitting"], mediator_id=row["mediator_id"],
                         region_code=row["region_code"], grade=row["grade"], year=row["year"],
                         ticket_no=row["ticket_no"], script_no=row["script_no"], seed=row["seed"],
                         question_ids=[int(q) for q in (from_json(row["question_ids"]) or [])],
                         status=row["status"], started_at=aware(row["started_at"]), deadline=aware(row["deadline"]),
                         submitted_at=aware(row["submitted_at"]), objective_score=row["objective_score"],
                         written_score=row["written_score"], total=row["total"], passed=row["passed"])


def parse_local_datetime(value: str, field_name: str, errors: dict[str, str]) -> datetime | None:
    text = (value or "").strip().replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[field_name] = _("Enter a date and time, e.g. 2026-05-20 09:00.")
        return None
    return parsed.replace(tzinfo=clock.zone()) if parsed.tzinfo is None else parsed


async def load_sitting(sitting_id: int) -> ExamSitting:
    row = await Sitting.select().where(Sitting.id == sitting_id).first()
    if row is None:
        raise NotFound(_("No such sitting."))
    return sitting_record(row)


async def sitting_for_admin(principal: Principal, sitting_id: int) -> ExamSitting:
    row = await load_sitting(sitting_id)
    if not principal.can_act_in(row.region_code, Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return row


def sitting_phase(row: ExamSitting, at: datetime | None = None) -> str:
    at = at or clock.now()
    if row.status == "released":
        return "released"
    if at < row.opens_at:
        return "scheduled"
    if at < row.closes_at:
        return "open"
    return "closed"


def _window(data: Submitted, errors: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    """A sitting's window: it closes after it opens, and not already in the past by the
    platform's clock (a sitting nobody can sit is a mistake, at creation as at edit)."""
    opens_at = parse_local_datetime(str(data.get("opens_at") or ""), "opens_at", errors)
    closes_at = parse_local_datetime(str(data.get("closes_at") or ""), "closes_at", errors)
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The window must close after it opens.")
    elif closes_at and closes_at <= clock.now():
        errors["closes_at"] = _("The window closes at %(at)s, which has already passed: choose a closing time "
                                "in the future.", at=(clock.iso(closes_at) or "")[:16].replace("T", " "))
    return opens_at, closes_at


async def update_sitting(principal: Principal, sitting_id: int, data: Submitted) -> None:
    """Edit a sitting's title, window and duration until its results are released; the window
    follows the same rules as at creation."""
    row = await load_sitting(sitting_id)
    require_admin(principal, row.region_code)
    if row.status == "released":
        raise DomainError(_("The results of this sitting are released: it can no longer be edited."), "closes_at")
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    opens_at, closes_at = _window(data, errors)
    duration = bounded_int(data.get("duration_minutes") or row.duration_minutes, "duration_minutes", errors,
                           10, 600, _("Duration is 10 to 600 minutes."))
    if errors:
        raise FieldErrors(errors)
    before = {"title": row.title, "opens_at": clock.iso(row.opens_at), "closes_at": clock.iso(row.closes_at),
              "duration_minutes": row.duration_minutes}
    after = {"title": title, "opens_at": clock.iso(opens_at), "closes_at": clock.iso(closes_at),
             "duration_minutes": duration}
    async with write_transaction():
        await Sitting.update({Sitting.title: title, Sitting.opens_at: opens_at, Sitting.closes_at: closes_at,
                              Sitting.duration_minutes: duration}).where(Sitting.id == sitting_id)
        await audit.record(principal, "update", "exam_sitting", sitting_id, region_code=row.region_code,
                           before=before, after=after)


async def create_sitting(principal: Principal, data: Submitted) -> int:
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    region = str(data.get("region_code") or admin_region(principal)).strip()
    if not principal.can_act_in(region, Role.ADMIN):
        errors["region_code"] = _("Choose a region within your authority.")
    paper_row = None
    try:
        paper_row = await paper(int(str(data.get("paper_id") or "0")))
    except (ValueError, NotFound):
        errors["paper_id"] = _("Choose a paper.")
    opens_at, closes_at = _window(data, errors)
    duration = None
    if paper_row:
        duration = bounded_int(data.get("duration_minutes") or paper_row.duration_minutes, "duration_minutes",
                               errors, 10, 600, _("Duration is 10 to 600 minutes."))
        problems = await paper_problems(paper_row)
        if problems:
            errors["paper_id"] = " ".join(problems)
    if errors or paper_row is None:
        raise FieldErrors(errors)
    values: dict[str, Any] = {"title": title, "paper": paper_row.id, "grade": paper_row.grade, "region_code": region,
              "opens_at": opens_at, "closes_at": closes_at, "duration_minutes": duration, "examiner_ids": []}
    async with write_transaction():
        rows = await Sitting.insert(Sitting(**values)).returning(Sitting.id)
        sitting_id: int = rows[0]["id"]
        await audit.record(principal, "create", "exam_sitting", sitting_id, region_code=region, after=values)
    return sitting_id


async def sittings_for_admin(principal: Principal) -> list[SittingLine]:
    rows = await Sitting.select().order_by(Sitting.opens_at, ascending=False)
    mine = [sitting_record(row) for row in rows if principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR)]
    counts = await _admission_counts([s.id for s in mine])
    return [SittingLine(s, sitting_phase(s), counts.get(s.id, 0)) for s in mine]


async def _admission_counts(sitting_ids: list[int]) -> dict[int, int]:
    if not sitting_ids:
        return {}
    rows = await Admission.select(Admission.sitting).where(Admission.sitting.is_in(sitting_ids))
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["sitting"]] += 1
    return counts


async def examiner_choices(region_code: str) -> list[tuple[int, str]]:
    """Examiner accounts whose grant covers the sitting's region (or lies within it)."""
    from core.tables import User, UserRole

    grants = await UserRole.select(UserRole.user, UserRole.region_code).where(UserRole.role == Role.EXAMINER.value)
    ids = sorted({g["user"] for g in grants if is_within(region_code, g["region_code"])
                  or is_within(g["region_code"], region_code)})
    if not ids:
        return []
    users = await User.select(User.id, User.display_name, User.username).where(User.id.is_in(ids)).where(
        User.is_active == True)  # noqa: E712
    return [(u["id"], f"{u['display_name']} ({u['username']})") for u in users]


# ----------------------------------------------------------------- admissions

EligibilityCheck = Callable[[list[int], str], Awaitable[dict[int, Any]]]


async def _completions(mediator_ids: list[int], grade: str) -> dict[int, Any]:
    from training import services as training_services

    return await training_services.completions_of_grade(mediator_ids, grade)


async def sittings_taken(mediator_ids: list[int], grade: str, year: int) -> dict[int, int]:
    if not mediator_ids:
        return {}
    rows = await Admission.select(Admission.mediator_id).where(Admission.mediator_id.is_in(mediator_ids)).where(
        Admission.grade == grade).where(Admission.year == year)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["mediator_id"]] += 1
    return counts


async def eligibility(mediator_ids: list[int], sitting_row: ExamSitting, *,
                      completions: EligibilityCheck | None = None) -> dict[int, list[str]]:
    """Reasons each mediator may not sit (empty list: eligible): the course of the grade
    completed, at most 1 + `resits_per_grade_per_year` sittings of a grade in a year, in the
    sitting's region, not already admitted."""
    from roster import services as roster_services

    ids = list(dict.fromkeys(mediator_ids))
    grade, year = sitting_row.grade, clock.date_of(sitting_row.opens_at).year
    summaries = await roster_services.mediator_summaries(ids)
    done = await (completions or _completions)(ids, grade)
    taken = await sittings_taken(ids, grade, year)
    already = {r["mediator_id"] for r in await Admission.select(Admission.mediator_id).where(
        Admission.sitting == sitting_row.id).where(Admission.mediator_id.is_in(ids or [0]))}
    limit = 1 + rules().resits_per_grade_per_year
    reasons: dict[int, list[str]] = {}
    for mid in ids:
        why = []
        summary = summaries.get(mid)
        if summary is None:
            why.append(_("No such mediator."))
        elif not is_within(summary.region_code, sitting_row.region_code):
            why.append(_("The mediator is outside the sitting's region."))
        if mid in already:
            why.append(_("Already admitted to this sitting."))
        if mid not in done:
            why.append(_("Has not completed the required course of this grade."))
        if taken.get(mid, 0) >= limit:
            why.append(_("Already sat this grade %(n)s times this year (at most %(resits)s re-sits per grade per year).",
                         n=taken.get(mid, 0), resits=rules().resits_per_grade_per_year))
        reasons[mid] = why
    return reasons


def _script_no() -> str:
    return "S" + "".join(secrets.choice("0123456789") for _i in range(9))


async def admit_candidates(principal: Principal, sitting_id: int, mediator_ids: list[int], *,
                           completions: EligibilityCheck | None = None) -> tuple[list[int], dict[int, list[str]]]:
    """Admit the eligible mediators (ticket number and anonymous script number each, and
    their paper drawn now from a stored seed); return (admitted ids, refused with reasons)."""
    sitting_row = await load_sitting(sitting_id)
    require_admin(principal, sitting_row.region_code)
    if sitting_phase(sitting_row) in ("closed", "released"):
        raise Conflict(_("The sitting has closed."))
    reasons = await eligibility(mediator_ids, sitting_row, completions=completions)
    eligible = [mid for mid, why in reasons.items() if not why]
    refused = {mid: why for mid, why in reasons.items() if why}
    if not eligible:
        return [], refused
    from roster import services as roster_services

    summaries = await roster_services.mediator_summaries(eligible)
    paper_row = await paper(sitting_row.paper)
    year = clock.date_of(sitting_row.opens_at).year
    draws = {}
    for mid in eligible:
        seed = secrets.token_hex(8)
        draws[mid] = (seed, await draw_questions(paper_row, seed))
    async with write_transaction():
        # the same admission sent twice at once: numbered one after the other, each person once
        await serialise_on(f"exam_sitting:{sitting_id}")
        admitted = {r["mediator_id"] for r in await Admission.select(Admission.mediator_id).where(
            Admission.sitting == sitting_id)}
        existing = len(admitted)
        rows = []
        for n, mid in enumerate([m for m in eligible if m not in admitted], start=existing + 1):
            seed, qids = draws[mid]
            rows.append(Admission(sitting=sitting_id, mediator_id=mid, region_code=summaries[mid].region_code,
                                  grade=sitting_row.grade, year=year,
                                  ticket_no=f"{year}{sitting_id:04d}{n:05d}", script_no=_script_no(),
                                  pair_key=f"{sitting_id}:{mid}", seed=seed, question_ids=qids))
        for start in range(0, len(rows), 500):
            await Admission.insert(*rows[start:start + 500])
        if rows:
            await audit.record(principal, "admit", "exam_sitting", sitting_id, region_code=sitting_row.region_code,
                               after={"admitted": [r.mediator_id for r in rows], "refused": sorted(refused)})
    return eligible, refused


async def admit_eligible_in_region(principal: Principal, sitting_id: int, *,
                                   completions: EligibilityCheck | None = None,
                                   ) -> tuple[list[int], dict[int, list[str]]]:
    """Admit every appointed mediator of the sitting's region who may sit."""
    from roster import services as roster_services

    sitting_row = await load_sitting(sitting_id)
    require_admin(principal, sitting_row.region_code)
    people = await roster_services.mediators_in_region(sitting_row.region_code)
    return await admit_candidates(principal, sitting_id, [p.id for p in people], completions=completions)


async def load_admission(admission_id: int) -> ExamAdmission:
    row = await Admission.select().where(Admission.id == admission_id).first()
    if row is None:
        raise NotFound(_("No such admission."))
    return admission_record(row)


async def candidates(principal: Principal, sitting_id: int) -> list[Candidate]:
    """The admin's list of a sitting's candidates (names from the roster)."""
    from roster import services as roster_services

    await sitting_for_admin(principal, sitting_id)
    rows = await Admission.select().where(Admission.sitting == sitting_id).order_by(Admission.ticket_no)
    names = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    out = []
    for row in rows:
        summary = names.get(row["mediator_id"])
        out.append(Candidate(admission_record(row), summary.name if summary else "?",
                             summary.organisation_name or "" if summary else ""))
    return out


async def mediator_id_of(principal: Principal) -> int | None:
    if principal.mediator_id:
        return principal.mediator_id
    if not principal.is_authenticated:
        return None
    from roster import services as roster_services

    summary = await roster_services.mediator_for_user(principal.user_id)
    return summary.id if summary else None


async def own_admission(principal: Principal, admission_id: int) -> ExamAdmission:
    """The candidate's own admission; any other id answers 404 (no probing of others)."""
    mid = await mediator_id_of(principal)
    row = await Admission.select().where(Admission.id == admission_id).first() if mid is not None else None
    if row is None or row["mediator_id"] != mid:
        raise NotFound(_("No such admission."))
    return admission_record(row)


async def ticket(principal: Principal, admission_id: int) -> AdmissionTicket:
    from roster import services as roster_services

    row = await own_admission(principal, admission_id)
    summary = await roster_services.mediator_summary(row.mediator_id)
    return AdmissionTicket(row, await load_sitting(row.sitting), summary.name if summary else "",
                           summary.organisation_name or "" if summary else "")


async def tickets(principal: Principal, sitting_id: int) -> list[AdmissionTicket]:
    """Every candidate's admission ticket of a sitting (printable)."""
    sitting_row = await sitting_for_admin(principal, sitting_id)
    return [AdmissionTicket(c.admission, sitting_row, c.name, c.organisation_name)
            for c in await candidates(principal, sitting_id)]


async def replay_draw(admission_id: int) -> DrawReplay:
    """Redraw from the stored seed and compare with the stored paper."""
    admission = await load_admission(admission_id)
    sitting_row = await load_sitting(admission.sitting)
    redrawn = await draw_questions(await paper(sitting_row.paper), admission.seed)
    return DrawReplay(matches=redrawn == admission.question_ids, question_ids=redrawn)
