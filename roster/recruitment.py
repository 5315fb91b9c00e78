"""Recruitment (选聘): a call with its quotas and requirements, opened, corrected and closed by
an administrator, and the requirements an applicant is measured against. The applications to a
call, their review, notice and appointment are in roster.applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.custom_types import Combinable

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_like, region_name
from core.text import text_problem
from core.vocab import SourceCategory
from roster.tables import Application, RecruitmentCall, by_name

EDUCATION_LEVELS = ("secondary", "associate", "bachelor", "master", "doctorate")


@dataclass(frozen=True, slots=True)
class RecruitmentCallRecord:
    """A recruitment call (招募公告) as kept: its terms, and when and why it closed early."""

    id: int
    title: str
    region_code: str
    description: str
    requirements: dict[str, Any]  # the JSON column: source_categories, min_education, min_years
    quotas: dict[str, int]  # region code or "org:<id>" -> places
    opens_on: date
    closes_on: date
    status: str
    created_by: int | None
    created_at: datetime
    closed_on: date | None
    closed_reason: str
    closed_by: int | None


def _date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


async def open_call(principal: Principal, data: dict[str, Any]) -> int:
    values = _validate_call(principal, data)
    async with write_transaction():
        row = await RecruitmentCall.insert(RecruitmentCall(
            **values, created_by=principal.user_id, created_at=clock.now(),
        )).returning(RecruitmentCall.id)
        await audit.record(principal, "open_call", "recruitment_call", row[0]["id"], region_code=values["region_code"],
                           after={"title": values["title"], "quotas": values["quotas"]})
    return row[0]["id"]


def _validate_call(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """A call's particulars from a form, or FieldErrors naming each wrong field."""
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif problem := text_problem(title):
        errors["title"] = problem
    region_code = (data.get("region_code") or "").strip()
    if region_name(region_code) in ("", region_code):
        errors["region_code"] = _("Choose a region.")
    elif not principal.can_act_in(region_code, Role.ADMIN):
        errors["region_code"] = _("You can only open calls in your own region.")
    opens_on = _date(data.get("opens_on"), "opens_on", errors)
    closes_on = _date(data.get("closes_on"), "closes_on", errors)
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = _("The closing date must be after the opening date.")
    categories = data.get("source_categories") or []
    if isinstance(categories, str):
        categories = [c for c in categories.split(",") if c]
    if any(c not in {s.value for s in SourceCategory} for c in categories):
        errors["source_categories"] = _("Choose source categories from the list.")
    min_education = data.get("min_education") or ""
    if min_education and min_education not in EDUCATION_LEVELS:
        errors["min_education"] = _("Choose an education level.")
    try:
        min_years = int(data.get("min_years") or 0)
        quota = int(data.get("quota") or 0)
        if min_years < 0 or quota < 0:
            raise ValueError
    except ValueError:
        errors["quota"] = _("Enter whole numbers of 0 or more.")
        min_years, quota = 0, 0
    if errors:
        raise FieldErrors(errors)
    quotas = data.get("quotas") if isinstance(data.get("quotas"), dict) else ({region_code: quota} if quota else {})
    return {"title": title, "region_code": region_code, "description": (data.get("description") or "").strip(),
            "requirements": {"source_categories": categories, "min_education": min_education, "min_years": min_years},
            "quotas": quotas, "opens_on": opens_on, "closes_on": closes_on}


def _require_call_admin(principal: Principal, the_call: RecruitmentCallRecord) -> None:
    if not principal.can_act_in(the_call.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))


async def edit_call(principal: Principal, call_id: int, data: dict[str, Any]) -> None:
    """Correct a call until its first application arrives; after that its terms are what the
    applicants applied to, so an edit is refused (close the call and open a new one instead)."""
    the_call = await call(call_id)
    _require_call_admin(principal, the_call)
    if the_call.status == "closed":
        raise Conflict(_("This call is closed: it can no longer be edited."), "title")
    values = _validate_call(principal, data)
    if values["region_code"] != the_call.region_code and not principal.can_act_in(the_call.region_code,
                                                                                      Role.ADMIN):
        raise FieldErrors({"region_code": _("You can only open calls in your own region.")})
    async with write_transaction():
        await hold_call(call_id, exclusive=True)
        if await Application.exists().where(Application.call == call_id):
            raise Conflict(_("Applications have already arrived for this call: its terms can no longer be edited. "
                             "Close it and open a new call instead."), "title")
        await RecruitmentCall.update(by_name(values)).where(RecruitmentCall.id == call_id)
        await audit.record(principal, "edit_call", "recruitment_call", call_id, region_code=the_call.region_code,
                           before={k: plain(getattr(the_call, k)) for k in values},
                           after={k: plain(v) for k, v in values.items()})


async def hold_call(call_id: int, *, exclusive: bool) -> None:
    """Inside a write transaction: applications to a call share a lock on it (they do not wait
    for one another); closing or editing the call takes it alone, so an application that
    started first is seen, and one that comes after sees the closed call. SQLite's write
    transaction already holds the database's single write lock."""
    import hashlib

    from piccolo.querystring import QueryString

    from core.db import engine

    db = engine()
    if db.engine_type != "postgres":
        return
    key = int.from_bytes(hashlib.sha256(f"recruitment_call:{call_id}".encode()).digest()[:8], "big", signed=True)
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await db.run_querystring(QueryString(f"SELECT {function}({{}})", key))


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def close_call(principal: Principal, call_id: int, reason: str) -> None:
    """Close a call before its closing date, with a reason: the public call page says it was
    closed on that day and why, and applications are refused from then on."""
    the_call = await call(call_id)
    _require_call_admin(principal, the_call)
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"closed_reason": _("Give the reason for closing the call early.")})
    if problem := text_problem(reason):
        raise FieldErrors({"closed_reason": problem})
    if len(reason) > 1000:
        raise FieldErrors({"closed_reason": _("Keep the reason under 1,000 characters.")})
    today = clock.today()
    if the_call.status == "closed":
        raise Conflict(_("This call is already closed."), "closed_reason")
    if today > the_call.closes_on:
        raise Conflict(_("This call already closed on %(day)s.", day=the_call.closes_on.isoformat()),
                       "closed_reason")
    async with write_transaction():
        await hold_call(call_id, exclusive=True)
        closed = await RecruitmentCall.update({RecruitmentCall.status: "closed", RecruitmentCall.closed_on: today,
                                               RecruitmentCall.closed_reason: reason,
                                               RecruitmentCall.closed_by: principal.user_id}).where(
            (RecruitmentCall.id == call_id) & (RecruitmentCall.status != "closed")).returning(RecruitmentCall.id)
        if not closed:
            raise Conflict(_("This call is already closed."), "closed_reason")
        await audit.record(principal, "close_call", "recruitment_call", call_id, region_code=the_call.region_code,
                           before={"status": the_call.status, "closes_on": the_call.closes_on.isoformat()},
                           after={"status": "closed", "closed_on": today.isoformat(), "reason": reason})


def accepts_applications(the_call: RecruitmentCallRecord, today: date) -> bool:
    """Open: within its dates and not closed early."""
    return the_call.status != "closed" and the_call.opens_on <= today <= the_call.closes_on


async def calls(region: str = "", open_only: bool = False) -> list[RecruitmentCallRecord]:
    where: Combinable = RecruitmentCall.id > 0
    if region:
        where = where & RecruitmentCall.region_code.like(region_like(region))
    if open_only:
        where = where & (RecruitmentCall.opens_on <= clock.today()) & (RecruitmentCall.closes_on >= clock.today()) & (
            RecruitmentCall.status != "closed")
    rows = await RecruitmentCall.select().where(where).order_by(RecruitmentCall.id, ascending=False).output(
        load_json=True)
    return [RecruitmentCallRecord(**row) for row in rows]


async def call(call_id: int) -> RecruitmentCallRecord:
    row = await RecruitmentCall.select().where(RecruitmentCall.id == call_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such recruitment call."))
    return RecruitmentCallRecord(**row)


def unmet_requirements(requirements: dict[str, Any], applicant: dict[str, Any]) -> list[str]:
    """The call's requirements this applicant does not meet, each as a sentence."""
    unmet = []
    categories = requirements.get("source_categories") or []
    if categories and applicant.get("source_category") not in categories:
        unmet.append(_("The call is open to: %(categories)s.",
                       categories="、".join(SourceCategory(c).label for c in categories)))
    minimum = requirements.get("min_education") or ""
    if minimum:
        have = applicant.get("education") or ""
        if have not in EDUCATION_LEVELS or EDUCATION_LEVELS.index(have) < EDUCATION_LEVELS.index(minimum):
            unmet.append(_("The call requires at least this education: %(level)s.", level=minimum))
    if int(applicant.get("years_experience") or 0) < int(requirements.get("min_years") or 0):
        unmet.append(_("The call requires %(years)s years of experience.", years=requirements.get("min_years")))
    return unmet
