"""Recruitment (选聘): a call with quotas and requirements, applications with documents,
qualification review (资格审查), public notice (公示, 5 working days) with objections, and
appointment into the roster with a roster number."""

from __future__ import annotations

from datetime import date
from typing import Any

from piccolo.custom_types import Combinable

from core import audit, clock
from core.auth.roles import Grant, Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within, region_like, region_name
from core.settings import get_settings
from core.text import text_problem
from core.vocab import SourceCategory
from core.workdays import add_working_days
from roster import personal
from roster.counters import lock_counters
from roster.mediators import validate_mediator
from roster.services import insert_mediator, join_organisation, mediator_row, transition
from roster.tables import Application, Mediator, Objection, RecruitmentCall, by_name

EDUCATION_LEVELS = ("secondary", "associate", "bachelor", "master", "doctorate")


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


def _require_call_admin(principal: Principal, the_call: dict[str, Any]) -> None:
    if not principal.can_act_in(the_call["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))


async def edit_call(principal: Principal, call_id: int, data: dict[str, Any]) -> None:
    """Correct a call until its first application arrives; after that its terms are what the
    applicants applied to, so an edit is refused (close the call and open a new one instead)."""
    the_call = await call(call_id)
    _require_call_admin(principal, the_call)
    if the_call["status"] == "closed":
        raise Conflict(_("This call is closed: it can no longer be edited."), "title")
    values = _validate_call(principal, data)
    if values["region_code"] != the_call["region_code"] and not principal.can_act_in(the_call["region_code"],
                                                                                      Role.ADMIN):
        raise FieldErrors({"region_code": _("You can only open calls in your own region.")})
    async with write_transaction():
        await _hold_call(call_id, exclusive=True)
        if await Application.exists().where(Application.call == call_id):
            raise Conflict(_("Applications have already arrived for this call: its terms can no longer be edited. "
                             "Close it and open a new call instead."), "title")
        await RecruitmentCall.update(by_name(values)).where(RecruitmentCall.id == call_id)
        await audit.record(principal, "edit_call", "recruitment_call", call_id, region_code=the_call["region_code"],
                           before={k: _plain(the_call[k]) for k in values},
                           after={k: _plain(v) for k, v in values.items()})


async def _hold_call(call_id: int, *, exclusive: bool) -> None:
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


def _plain(value: Any) -> Any:
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
    if the_call["status"] == "closed":
        raise Conflict(_("This call is already closed."), "closed_reason")
    if today > the_call["closes_on"]:
        raise Conflict(_("This call already closed on %(day)s.", day=the_call["closes_on"].isoformat()),
                       "closed_reason")
    async with write_transaction():
        await _hold_call(call_id, exclusive=True)
        closed = await RecruitmentCall.update({RecruitmentCall.status: "closed", RecruitmentCall.closed_on: today,
                                               RecruitmentCall.closed_reason: reason,
                                               RecruitmentCall.closed_by: principal.user_id}).where(
            (RecruitmentCall.id == call_id) & (RecruitmentCall.status != "closed")).returning(RecruitmentCall.id)
        if not closed:
            raise Conflict(_("This call is already closed."), "closed_reason")
        await audit.record(principal, "close_call", "recruitment_call", call_id, region_code=the_call["region_code"],
                           before={"status": the_call["status"], "closes_on": the_call["closes_on"].isoformat()},
                           after={"status": "closed", "closed_on": today.isoformat(), "reason": reason})


def accepts_applications(the_call: dict[str, Any], today: date) -> bool:
    """Open: within its dates and not closed early."""
    return the_call["status"] != "closed" and the_call["opens_on"] <= today <= the_call["closes_on"]


async def calls(region: str = "", open_only: bool = False) -> list[dict[str, Any]]:
    where: Combinable = RecruitmentCall.id > 0
    if region:
        where = where & RecruitmentCall.region_code.like(region_like(region))
    if open_only:
        where = where & (RecruitmentCall.opens_on <= clock.today()) & (RecruitmentCall.closes_on >= clock.today()) & (
            RecruitmentCall.status != "closed")
    return await RecruitmentCall.select().where(where).order_by(RecruitmentCall.id, ascending=False).output(
        load_json=True)


async def call(call_id: int) -> dict[str, Any]:
    row = await RecruitmentCall.select().where(RecruitmentCall.id == call_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such recruitment call."))
    return row


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


async def apply_to_call(principal: Principal, call_id: int, data: dict[str, Any],
                        files: list[tuple[str, bytes]] | None = None) -> int:
    """An application with its documents (file name, bytes). Every field and every file is
    checked before anything is kept: one bad file refuses the whole application."""
    from roster import application_documents as documents

    the_call = await call(call_id)
    if the_call["status"] == "closed":
        raise Conflict(_("This call was closed on %(day)s: %(reason)s", day=_plain(the_call["closed_on"]) or "",
                         reason=the_call["closed_reason"]))
    if not accepts_applications(the_call, clock.today()):
        raise Conflict(_("This call is not open for applications."))
    errors: dict[str, str] = {}
    try:
        checked = await documents.check_documents(files or [])
    except DomainError as refused:
        errors[refused.field or documents.FIELD] = refused.message
        checked = []
    try:
        clean = validate_mediator({**data, "region_code": data.get("region_code") or the_call["region_code"]})
    except FieldErrors as invalid:
        raise FieldErrors({**invalid.errors, **errors}) from invalid
    if not is_within(clean["region_code"], the_call["region_code"]):
        errors["region_code"] = _("Choose a region covered by the call.")
    try:
        years = int(data.get("years_experience") or 0)
        if years < 0:
            raise ValueError
    except ValueError:
        errors["years_experience"] = _("Enter a whole number of years.")
        years = 0
    if clean["education"] and clean["education"] not in EDUCATION_LEVELS:
        errors["education"] = _("Choose an education level.")
    if errors:
        raise FieldErrors(errors)
    await _refuse_second_application(call_id, clean["id_number_hash"])
    if await Mediator.exists().where((Mediator.id_number_hash == clean["id_number_hash"])
                                     & Mediator.status.is_in(["appointed", "suspended"])):
        raise FieldErrors({"id_number": _("This person is already on the roster.")})
    created: list = []
    try:
        async with write_transaction():
            # a call being closed or edited at this moment: the application waits for it, then looks
            await _hold_call(call_id, exclusive=False)
            if (await call(call_id))["status"] == "closed":
                raise Conflict(_("This call is not open for applications."))
            # the same application sent twice at once: the second finds the first
            await serialise_on(f"application:{call_id}:{clean['id_number_hash']}")
            await _refuse_second_application(call_id, clean["id_number_hash"])
            at = clock.now()
            row = await Application.insert(Application(
                call=call_id, user_id=principal.user_id, years_experience=years,
                organisation_id=int(data["organisation_id"]) if str(data.get("organisation_id") or "").isdecimal() else None,
                status="submitted", created_at=at, **clean,
            )).returning(Application.id)
            await documents.attach(row[0]["id"], checked, created, at)
            await audit.record(principal, "apply", "application", row[0]["id"], region_code=clean["region_code"],
                               after={"call": call_id, "name": clean["name"],
                                      "documents": [d.name for d in checked]})
    except BaseException:
        documents.discard(created)  # the application was not kept: neither are its files
        raise
    return row[0]["id"]


async def _refuse_second_application(call_id: int, id_number_hash: str) -> None:
    if await Application.exists().where((Application.call == call_id) & (Application.id_number_hash == id_number_hash)
                                        & Application.status.not_in(["rejected", "withdrawn"])):
        raise FieldErrors({"id_number": _("An application with this ID number is already under way for this call.")})


async def _application(application_id: int) -> dict[str, Any]:
    row = await Application.select().where(Application.id == application_id).first()
    if row is None:
        raise NotFound(_("No such application."))
    return row


async def applications(call_id: int, status: str = "") -> list[dict[str, Any]]:
    where: Combinable = Application.call == call_id
    if status:
        where = where & (Application.status == status)
    rows = await Application.select(
        Application.id, Application.name, Application.source_category, Application.education,
        Application.years_experience, Application.region_code, Application.status, Application.reasons,
        Application.notice_starts_on, Application.notice_ends_on, Application.id_number_masked,
        Application.mediator_id, Application.user_id,
    ).where(where).order_by(Application.id)
    from roster.application_documents import documents_of

    attached = await documents_of([r["id"] for r in rows])
    for row in rows:
        row["documents"] = attached.get(row["id"], [])
    return rows


# What the applicant is told, by stage (the template words each one).
STAGES = ("under_review", "rejected", "objection_upheld", "on_notice", "notice_ended", "appointed", "withdrawn")


def outcome_stage(application: dict[str, Any], objection_statuses: list[str], today: date) -> str:
    """Where an application stands, as its applicant sees it: a rejection after an upheld
    objection is told apart from a rejection at the qualification review, and a notice that
    has run its course from one that still runs."""
    status = application["status"]
    if status == "rejected":
        return "objection_upheld" if "upheld" in objection_statuses else "rejected"
    if status == "on_notice":
        return "on_notice" if today <= application["notice_ends_on"] else "notice_ended"
    if status == "submitted":
        return "under_review"
    return status if status in STAGES else "under_review"


async def my_applications(user_id: int | None) -> list[dict[str, Any]]:
    """The signed-in applicant's own applications with their stage, the reviewer's reasons,
    the notice dates, objections (counts only, never who lodged them), the roster number once
    appointed, and the documents attached. A few queries whatever the number."""
    if user_id is None:
        return []
    rows = await Application.select(
        Application.id, Application.call, Application.call.title.as_alias("call_title"), Application.name,
        Application.status, Application.reasons, Application.notice_starts_on, Application.notice_ends_on,
        Application.mediator_id, Application.region_code, Application.created_at,
    ).where(Application.user_id == user_id).order_by(Application.id, ascending=False)
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    from roster.application_documents import documents_of

    statuses: dict[int, list[str]] = {}
    for o in await Objection.select(Objection.application, Objection.status).where(Objection.application.is_in(ids)):
        statuses.setdefault(o["application"], []).append(o["status"])
    numbers = {m["id"]: m["roster_no"] for m in await Mediator.select(Mediator.id, Mediator.roster_no).where(
        Mediator.id.is_in([r["mediator_id"] for r in rows if r["mediator_id"]] or [0]))}
    attached = await documents_of(ids)
    today = clock.today()
    for row in rows:
        mine = statuses.get(row["id"], [])
        row.update(stage=outcome_stage(row, mine, today), objections_pending=mine.count("lodged"),
                   objections_dismissed=mine.count("dismissed"), roster_no=numbers.get(row["mediator_id"]),
                   documents=attached.get(row["id"], []), submitted_on=clock.date_of(row["created_at"]))
    return rows


async def _tell_applicant(application: dict[str, Any], event: str, subject: str, body: str) -> None:
    """The applicant with an account is told in the site (and through the outbox); call it
    inside the transaction of the decision."""
    if not application.get("user_id"):
        return
    from core.notifications import Message, notify

    await notify([Message(user_id=application["user_id"], kind="recruitment", subject=subject,
                          body=body + " " + _("See “My applications”."),
                          dedupe_key=f"application:{application['id']}:{event}",
                          region_code=application["region_code"])])  # an applicant has no region of their own


async def _call_title(application: dict[str, Any]) -> str:
    row = await RecruitmentCall.select(RecruitmentCall.title).where(RecruitmentCall.id == application["call"]).first()
    return row["title"] if row else ""


async def review_application(principal: Principal, application_id: int, accept: bool, reasons: str = "") -> None:
    """资格审查: accept (the candidate goes on public notice for 5 working days) or reject
    with reasons."""
    application = await _application(application_id)
    if not principal.can_act_in(application["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if application["status"] != "submitted":
        raise Conflict(_("Only a submitted application can be reviewed."))
    if not accept and not reasons.strip():
        raise DomainError(_("Give the reasons for rejecting the application."), "reasons")
    update: dict[str, Any] = {"status": "rejected", "reasons": reasons.strip()}
    if accept:
        starts = clock.today()
        update = {"status": "on_notice", "reasons": reasons.strip(), "notice_starts_on": starts,
                  "notice_ends_on": await add_working_days(starts, get_settings().rules.public_notice_working_days)}
    title = await _call_title(application)
    async with write_transaction():
        # decided only while still submitted: the same decision sent twice at once is made once
        decided = await Application.update(by_name(update)).where(
            (Application.id == application_id) & (Application.status == "submitted")).returning(Application.id)
        if not decided:
            await _refuse_unless_decided(application_id, update["status"])
            return
        await audit.record(principal, "accept_application" if accept else "reject_application", "application",
                           application_id, region_code=application["region_code"], after=update, reason=reasons)
        if accept:
            await _tell_applicant(application, "accepted", _("Qualification review passed"), _(
                "Your application to %(call)s passed the qualification review and is on public notice until "
                "%(day)s.", call=title, day=update["notice_ends_on"].isoformat()))
        else:
            await _tell_applicant(application, "rejected", _("Application not accepted"), _(
                "Your application to %(call)s was not accepted. Reasons: %(reasons)s", call=title,
                reasons=reasons.strip()))


async def _refuse_unless_decided(application_id: int, status: str) -> None:
    """A decision that found the application already decided: the same decision (sent twice)
    answers as the first did; another one is refused."""
    now = await Application.select(Application.status).where(Application.id == application_id).first()
    if now is None or now["status"] != status:
        raise Conflict(_("Only a submitted application can be reviewed."))


async def on_notice(region: str = "") -> list[dict[str, Any]]:
    """Candidates on public notice: name, category, region, no personal data."""
    where = (Application.status == "on_notice") & (Application.notice_ends_on >= clock.today())
    if region:
        where = where & Application.region_code.like(region_like(region))
    return await Application.select(
        Application.id, Application.name, Application.gender, Application.source_category, Application.region_code,
        Application.profession, Application.notice_starts_on, Application.notice_ends_on, Application.call.title,
    ).where(where).order_by(Application.id)


async def lodge_objection(application_id: int, lodged_by: str, text: str) -> int:
    """Anyone may object while the notice runs."""
    application = await _application(application_id)
    errors = {}
    if not lodged_by.strip():
        errors["lodged_by"] = _("Give your name or organisation.")
    elif problem := text_problem(lodged_by.strip()):
        errors["lodged_by"] = problem
    if len(text.strip()) < 10:
        errors["text"] = _("Describe the objection (at least 10 characters).")
    if errors:
        raise FieldErrors(errors)
    if application["status"] != "on_notice" or not (
            application["notice_starts_on"] <= clock.today() <= application["notice_ends_on"]):
        raise Conflict(_("Objections can only be lodged while the candidate is on public notice."))
    async with write_transaction():
        row = await Objection.insert(Objection(application=application_id, lodged_by=lodged_by.strip()[:100],
                                               text=text.strip(), created_at=clock.now())).returning(Objection.id)
        await audit.record(None, "lodge_objection", "application", application_id,
                           region_code=application["region_code"], after={"objection": row[0]["id"]})
    return row[0]["id"]


async def objections(application_id: int) -> list[dict[str, Any]]:
    return await Objection.select().where(Objection.application == application_id).order_by(Objection.id)


async def decide_objection(principal: Principal, objection_id: int, uphold: bool, finding: str) -> None:
    objection = await Objection.select().where(Objection.id == objection_id).first()
    if objection is None:
        raise NotFound(_("No such objection."))
    application = await _application(objection["application"])
    if not principal.can_act_in(application["region_code"], Role.ADMIN):
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
                Application.id == application["id"])
            await _tell_applicant(application, "objection_upheld", _("Objection upheld"), _(
                "An objection to your application to %(call)s was upheld, so you will not be appointed from "
                "this call. Finding: %(finding)s", call=await _call_title(application), finding=finding.strip()))
        await audit.record(principal, "uphold_objection" if uphold else "dismiss_objection", "application",
                           application["id"], region_code=application["region_code"], reason=finding)


async def _quota_left(the_call: dict[str, Any], application: dict[str, Any]) -> int | None:
    quotas = the_call["quotas"] or {}
    keys = [k for k in quotas if (k.startswith("org:") and application["organisation_id"]
                                  and k == f"org:{application['organisation_id']}")
            or (not k.startswith("org:") and is_within(application["region_code"], k))]
    if not keys:
        return None
    key = max(keys, key=len)  # the most specific quota applies
    appointed = await Application.select(Application.region_code, Application.organisation_id).where(
        (Application.call == the_call["id"]) & (Application.status == "appointed"))
    used = sum(1 for a in appointed if (key.startswith("org:") and f"org:{a['organisation_id']}" == key)
               or (not key.startswith("org:") and is_within(a["region_code"], key)))
    return int(quotas[key]) - used


async def appoint_candidate(principal: Principal, application_id: int, on: date | None = None) -> int:
    """After the notice with no upheld or undecided objection, the candidate enters the
    roster: a mediator record, appointed with a roster number and a 3-year term. Appointing a
    candidate already appointed from this application (a double submission) changes nothing
    and answers the same mediator."""
    application = await _application(application_id)
    if not principal.can_act_in(application["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if application["status"] == "appointed":
        return application["mediator_id"]
    on = on or clock.today()
    if application["status"] != "on_notice":
        raise Conflict(_("Only a candidate who has been on public notice can be appointed."))
    if on <= application["notice_ends_on"]:
        raise Conflict(_("The public notice runs until %(day)s; appoint after it ends.",
                         day=application["notice_ends_on"].isoformat()))
    if await Objection.exists().where((Objection.application == application_id) & (Objection.status == "lodged")):
        raise Conflict(_("Decide every objection before appointing."))
    if await Mediator.exists().where((Mediator.id_number_hash == application["id_number_hash"])
                                     & Mediator.status.is_in(["appointed", "suspended"])):
        raise Conflict(_("This person is already on the roster."))
    fields = ("name", "gender", "id_number_enc", "id_number_hash", "id_number_masked", "phone_enc", "phone_masked",
              "education", "profession", "source_category", "employment", "region_code")
    async with write_transaction():
        # The quota is checked under the counters' lock, so two administrators appointing at
        # the same moment cannot both take the last place.
        await lock_counters()
        now = await Application.select(Application.status, Application.mediator_id).where(
            Application.id == application_id).first()
        if now is not None and now["status"] == "appointed":  # sent twice at once: the first appointed
            return now["mediator_id"]
        if now is None or now["status"] != "on_notice":
            raise Conflict(_("Only a candidate who has been on public notice can be appointed."))
        left = await _quota_left(await call(application["call"]), application)
        if left is not None and left <= 0:
            raise Conflict(_("The call's quota for this region or organisation is full."))
        existing = await Mediator.select(Mediator.id, Mediator.region_code).where(
            Mediator.id_number_hash == application["id_number_hash"]).first()
        if existing and not principal.can_act_in(existing["region_code"], Role.ADMIN):
            # an application names its own region: it gives no authority over a record kept elsewhere
            raise Forbidden(_("This person's roster record belongs to a region outside your authority."))
        if existing:  # a former mediator (exited) re-enters under the same record
            mediator_id = existing["id"]
        else:
            mediator_id = await insert_mediator({k: application[k] for k in fields}, application["user_id"])
        if application["organisation_id"]:
            await join_organisation(mediator_id, application["organisation_id"], primary=True)
        mediator = await mediator_row(mediator_id)
        await transition(mediator, "appointed", _("Appointed after recruitment call %(call)s",
                                                             call=application["call"]), principal, on)
        await Application.update({"status": "appointed", "mediator_id": mediator_id}).where(
            Application.id == application_id)
        await audit.record(principal, "appoint", "application", application_id, region_code=application["region_code"],
                           after={"mediator": mediator_id})
        roster_no = (await mediator_row(mediator_id)).roster_no
        await _tell_applicant(application, "appointed", _("Appointed to the roster"), _(
            "You have been appointed from %(call)s. Your roster number is %(roster_no)s.",
            call=await _call_title(application), roster_no=roster_no))
    if application["user_id"]:
        await _grant_mediator_role(application["user_id"], application["region_code"], mediator_id)
    return mediator_id


async def _grant_mediator_role(user_id: int, region_code: str, mediator_id: int) -> None:
    from core.auth.services import add_grant, link_grant
    from core.tables import UserRole

    if not await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == Role.MEDIATOR.value)):
        await add_grant(user_id, Grant(Role.MEDIATOR, region_code))
    await link_grant(user_id, Role.MEDIATOR, mediator_id=mediator_id)


def reveal_applicant(application: dict[str, Any]) -> str:
    return personal.reveal(application.get("id_number_enc", ""))
