"""Public notice (公示) of the candidates who passed the qualification review, 5 working days
during which anyone may lodge an objection (异议); an administrator upholds or dismisses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_like
from core.text import text_problem
from roster.applications import call_title, stored_application, tell_applicant
from roster.tables import Application, Objection


@dataclass(frozen=True, slots=True)
class NoticeCandidate:
    """A candidate on public notice (公示): no personal data."""

    id: int
    name: str
    gender: str
    source_category: str
    region_code: str
    profession: str
    notice_starts_on: date
    notice_ends_on: date
    call_title: str


@dataclass(frozen=True, slots=True)
class ObjectionRecord:
    """An objection (异议) lodged against a candidate on notice, and its finding once decided."""

    id: int
    application: int
    lodged_by: str
    text: str
    status: str  # lodged|upheld|dismissed
    finding: str
    decided_by: int | None
    created_at: datetime


async def on_notice(region: str = "") -> list[NoticeCandidate]:
    """Candidates on public notice: name, category, region, no personal data."""
    where = (Application.status == "on_notice") & (Application.notice_ends_on >= clock.today())
    if region:
        where = where & Application.region_code.like(region_like(region))
    rows = await Application.select(
        Application.id, Application.name, Application.gender, Application.source_category, Application.region_code,
        Application.profession, Application.notice_starts_on, Application.notice_ends_on,
        Application.call.title.as_alias("call_title"),
    ).where(where).order_by(Application.id)
    return [NoticeCandidate(**row) for row in rows]


async def lodge_objection(application_id: int, lodged_by: str, text: str) -> int:
    """Anyone may object while the notice runs."""
    application = await stored_application(application_id)
    errors = {}
    if not lodged_by.strip():
        errors["lodged_by"] = _("Give your name or organisation.")
    elif problem := text_problem(lodged_by.strip()):
        errors["lodged_by"] = problem
    if len(text.strip()) < 10:
        errors["text"] = _("Describe the objection (at least 10 characters).")
    if errors:
        raise FieldErrors(errors)
    starts, ends = application.notice_starts_on, application.notice_ends_on
    if application.status != "on_notice" or starts is None or ends is None or not starts <= clock.today() <= ends:
        raise Conflict(_("Objections can only be lodged while the candidate is on public notice."))
    async with write_transaction():
        row = await Objection.insert(Objection(application=application_id, lodged_by=lodged_by.strip()[:100],
                                               text=text.strip(), created_at=clock.now())).returning(Objection.id)
        await audit.record(None, "lodge_objection", "application", application_id,
                           region_code=application.region_code, after={"objection": row[0]["id"]})
    return row[0]["id"]


async def objections(application_id: int) -> list[ObjectionRecord]:
    rows = await Objection.select().where(Objection.application == application_id).order_by(Objection.id)
    return [ObjectionRecord(**row) for row in rows]


async def decide_objection(principal: Principal, objection_id: int, uphold: bool, finding: str) -> None:
    objection = await Objection.select().where(Objection.id == objection_id).first()
    if objection is None:
        raise NotFound(_("No such objection."))
    application = await stored_application(objection["application"])
    if not principal.can_act_in(application.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if objection["status"] != "lodged":
        raise Conflict(_("This objection has already been decided."))
    if not finding.strip():
        raise DomainError(_("Record the finding."), "finding")
    decision = "upheld" if uphold else "dismissed"
    async with write_transaction():
        decided = await Objection.update({"status": decision, "finding": finding.strip(),
                                          "decided_by": principal.user_id}).where(
            (Objection.id == objection_id) & (Objection.status == "lodged")).returning(Objection.id)
        if not decided:  # decided meanwhile: the same decision sent twice is made once
            now = await Objection.select(Objection.status).where(Objection.id == objection_id).first()
            if now is None or now["status"] != decision:
                raise Conflict(_("This objection has already been decided."))
            return
        if uphold:
            await Application.update({"status": "rejected", "reasons": finding.strip()}).where(
                Application.id == application.id)
            await tell_applicant(application, "objection_upheld", _("Objection upheld"), _(
                "An objection to your application to %(call)s was upheld, so you will not be appointed from "
                "this call. Finding: %(finding)s", call=await call_title(application), finding=finding.strip()))
        await audit.record(principal, "uphold_objection" if uphold else "dismiss_objection", "application",
                           application.id, region_code=application.region_code, reason=finding)
