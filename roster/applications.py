"""Applications to a recruitment call (选聘): the application with its documents, the
qualification review (资格审查), what the applicant sees of it, and appointment into the roster
with a roster number after the public notice (roster.public_notice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.custom_types import Combinable

from core import audit, clock
from core.auth.roles import Grant, Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within
from core.settings import get_settings
from core.workdays import add_working_days
from roster import application_documents as documents
from roster.application_documents import AttachedDocument
from roster.counters import lock_counters
from roster.mediators import validate_mediator
from roster.recruitment import (
    EDUCATION_LEVELS,
    RecruitmentCallRecord,
    accepts_applications,
    call,
    hold_call,
    plain,
)
from roster.services import insert_mediator, join_organisation, mediator_row, transition
from roster.tables import Application, Mediator, Objection, RecruitmentCall, by_name


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application as kept, personal data still protected (encrypted, hashed, masked)."""

    id: int
    call: int
    user_id: int | None
    name: str
    gender: str
    id_number_enc: str
    id_number_hash: str
    id_number_masked: str
    phone_enc: str
    phone_masked: str
    education: str
    profession: str
    years_experience: int
    source_category: str
    employment: str
    region_code: str
    organisation_id: int | None
    documents: list[Any]  # the JSON column of the first version; the files are ApplicationDocument rows
    status: str
    reasons: str
    notice_starts_on: date | None
    notice_ends_on: date | None
    mediator_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationForReview:
    """An application as the reviewers of its call see it listed: masked ID number, documents."""

    id: int
    name: str
    source_category: str
    education: str
    years_experience: int
    region_code: str
    status: str
    reasons: str
    notice_starts_on: date | None
    notice_ends_on: date | None
    id_number_masked: str
    mediator_id: int | None
    user_id: int | None
    documents: list[AttachedDocument]


@dataclass(frozen=True, slots=True)
class ApplicationOutcome:
    """我的报名: one of the applicant's own applications and where it stands."""

    id: int
    call: int
    call_title: str
    name: str
    status: str
    reasons: str
    notice_starts_on: date | None
    notice_ends_on: date | None
    mediator_id: int | None
    region_code: str
    created_at: datetime
    stage: str
    objections_pending: int
    objections_dismissed: int
    roster_no: str | None
    documents: list[AttachedDocument]
    submitted_on: date



async def apply_to_call(principal: Principal, call_id: int, data: dict[str, Any],
                        files: list[tuple[str, bytes]] | None = None) -> int:
    """An application with its documents (file name, bytes). Every field and every file is
    checked before anything is kept: one bad file refuses the whole application."""
    the_call = await call(call_id)
    if the_call.status == "closed":
        raise Conflict(_("This call was closed on %(day)s: %(reason)s", day=plain(the_call.closed_on) or "",
                         reason=the_call.closed_reason))
    if not accepts_applications(the_call, clock.today()):
        raise Conflict(_("This call is not open for applications."))
    errors: dict[str, str] = {}
    try:
        checked = await documents.check_documents(files or [])
    except DomainError as refused:
        errors[refused.field or documents.FIELD] = refused.message
        checked = []
    try:
        clean = validate_mediator({**data, "region_code": data.get("region_code") or the_call.region_code})
    except FieldErrors as invalid:
        raise FieldErrors({**invalid.errors, **errors}) from invalid
    if not is_within(clean["region_code"], the_call.region_code):
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
            await hold_call(call_id, exclusive=False)
            if (await call(call_id)).status == "closed":
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


async def stored_application(application_id: int) -> ApplicationRecord:
    row = await Application.select().where(Application.id == application_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such application."))
    return ApplicationRecord(**row)


async def applications(call_id: int, status: str = "") -> list[ApplicationForReview]:
    where: Combinable = Application.call == call_id
    if status:
        where = where & (Application.status == status)
    rows = await Application.select(
        Application.id, Application.name, Application.source_category, Application.education,
        Application.years_experience, Application.region_code, Application.status, Application.reasons,
        Application.notice_starts_on, Application.notice_ends_on, Application.id_number_masked,
        Application.mediator_id, Application.user_id,
    ).where(where).order_by(Application.id)
    attached = await documents.documents_of([r["id"] for r in rows])
    return [ApplicationForReview(**row, documents=attached.get(row["id"], [])) for row in rows]


# What the applicant is told, by stage (the template words each one).
STAGES = ("under_review", "rejected", "objection_upheld", "on_notice", "notice_ended", "appointed", "withdrawn")


def outcome_stage(status: str, notice_ends_on: date | None, objection_statuses: list[str], today: date) -> str:
    """Where an application stands, as its applicant sees it: a rejection after an upheld
    objection is told apart from a rejection at the qualification review, and a notice that
    has run its course from one that still runs."""
    if status == "rejected":
        return "objection_upheld" if "upheld" in objection_statuses else "rejected"
    if status == "on_notice":
        return "on_notice" if notice_ends_on is not None and today <= notice_ends_on else "notice_ended"
    if status == "submitted":
        return "under_review"
    return status if status in STAGES else "under_review"


async def my_applications(user_id: int | None) -> list[ApplicationOutcome]:
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
    statuses: dict[int, list[str]] = {}
    for o in await Objection.select(Objection.application, Objection.status).where(Objection.application.is_in(ids)):
        statuses.setdefault(o["application"], []).append(o["status"])
    numbers = {m["id"]: m["roster_no"] for m in await Mediator.select(Mediator.id, Mediator.roster_no).where(
        Mediator.id.is_in([r["mediator_id"] for r in rows if r["mediator_id"]] or [0]))}
    attached = await documents.documents_of(ids)
    today = clock.today()
    outcomes = []
    for row in rows:
        mine = statuses.get(row["id"], [])
        outcomes.append(ApplicationOutcome(
            **row, stage=outcome_stage(row["status"], row["notice_ends_on"], mine, today),
            objections_pending=mine.count("lodged"), objections_dismissed=mine.count("dismissed"),
            roster_no=numbers.get(row["mediator_id"]), documents=attached.get(row["id"], []),
            submitted_on=clock.date_of(row["created_at"])))
    return outcomes


async def tell_applicant(application: ApplicationRecord, event: str, subject: str, body: str) -> None:
    """The applicant with an account is told in the site (and through the outbox); call it
    inside the transaction of the decision."""
    if not application.user_id:
        return
    from core.notifications import Message, notify

    await notify([Message(user_id=application.user_id, kind="recruitment", subject=subject,
                          body=body + " " + _("See “My applications”."),
                          dedupe_key=f"application:{application.id}:{event}",
                          region_code=application.region_code)])  # an applicant has no region of their own


async def call_title(application: ApplicationRecord) -> str:
    row = await RecruitmentCall.select(RecruitmentCall.title).where(RecruitmentCall.id == application.call).first()
    return row["title"] if row else ""


async def review_application(principal: Principal, application_id: int, accept: bool, reasons: str = "") -> None:
    """资格审查: accept (the candidate goes on public notice for 5 working days) or reject
    with reasons."""
    application = await stored_application(application_id)
    if not principal.can_act_in(application.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if application.status != "submitted":
        raise Conflict(_("Only a submitted application can be reviewed."))
    if not accept and not reasons.strip():
        raise DomainError(_("Give the reasons for rejecting the application."), "reasons")
    update: dict[str, Any] = {"status": "rejected", "reasons": reasons.strip()}
    if accept:
        starts = clock.today()
        update = {"status": "on_notice", "reasons": reasons.strip(), "notice_starts_on": starts,
                  "notice_ends_on": await add_working_days(starts, get_settings().rules.public_notice_working_days)}
    title = await call_title(application)
    async with write_transaction():
        # decided only while still submitted: the same decision sent twice at once is made once
        decided = await Application.update(by_name(update)).where(
            (Application.id == application_id) & (Application.status == "submitted")).returning(Application.id)
        if not decided:
            await _refuse_unless_decided(application_id, update["status"])
            return
        await audit.record(principal, "accept_application" if accept else "reject_application", "application",
                           application_id, region_code=application.region_code, after=update, reason=reasons)
        if accept:
            await tell_applicant(application, "accepted", _("Qualification review passed"), _(
                "Your application to %(call)s passed the qualification review and is on public notice until "
                "%(day)s.", call=title, day=update["notice_ends_on"].isoformat()))
        else:
            await tell_applicant(application, "rejected", _("Application not accepted"), _(
                "Your application to %(call)s was not accepted. Reasons: %(reasons)s", call=title,
                reasons=reasons.strip()))


async def _refuse_unless_decided(application_id: int, status: str) -> None:
    """A decision that found the application already decided: the same decision (sent twice)
    answers as the first did; another one is refused."""
    now = await Application.select(Application.status).where(Application.id == application_id).first()
    if now is None or now["status"] != status:
        raise Conflict(_("Only a submitted application can be reviewed."))


async def _quota_left(the_call: RecruitmentCallRecord, application: ApplicationRecord) -> int | None:
    quotas = the_call.quotas or {}
    keys = [k for k in quotas if (k.startswith("org:") and application.organisation_id
                                  and k == f"org:{application.organisation_id}")
            or (not k.startswith("org:") and is_within(application.region_code, k))]
    if not keys:
        return None
    key = max(keys, key=len)  # the most specific quota applies
    appointed = await Application.select(Application.region_code, Application.organisation_id).where(
        (Application.call == the_call.id) & (Application.status == "appointed"))
    used = sum(1 for a in appointed if (key.startswith("org:") and f"org:{a['organisation_id']}" == key)
               or (not key.startswith("org:") and is_within(a["region_code"], key)))
    return int(quotas[key]) - used


async def appoint_candidate(principal: Principal, application_id: int, on: date | None = None) -> int:
    """After the notice with no upheld or undecided objection, the candidate enters the
    roster: a mediator record, appointed with a roster number and a 3-year term. Appointing a
    candidate already appointed from this application (a double submission) changes nothing
    and answers the same mediator."""
    application = await stored_application(application_id)
    if not principal.can_act_in(application.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if application.status == "appointed" and application.mediator_id is not None:
        return application.mediator_id
    on = on or clock.today()
    ends = application.notice_ends_on
    if application.status != "on_notice" or ends is None:  # a candidate on notice has its notice dates
        raise Conflict(_("Only a candidate who has been on public notice can be appointed."))
    if on <= ends:
        raise Conflict(_("The public notice runs until %(day)s; appoint after it ends.", day=ends.isoformat()))
    if await Objection.exists().where((Objection.application == application_id) & (Objection.status == "lodged")):
        raise Conflict(_("Decide every objection before appointing."))
    if await Mediator.exists().where((Mediator.id_number_hash == application.id_number_hash)
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
        left = await _quota_left(await call(application.call), application)
        if left is not None and left <= 0:
            raise Conflict(_("The call's quota for this region or organisation is full."))
        existing = await Mediator.select(Mediator.id, Mediator.region_code).where(
            Mediator.id_number_hash == application.id_number_hash).first()
        if existing and not principal.can_act_in(existing["region_code"], Role.ADMIN):
            # an application names its own region: it gives no authority over a record kept elsewhere
            raise Forbidden(_("This person's roster record belongs to a region outside your authority."))
        if existing:  # a former mediator (exited) re-enters under the same record
            mediator_id = existing["id"]
        else:
            mediator_id = await insert_mediator({k: getattr(application, k) for k in fields}, application.user_id)
        if application.organisation_id:
            await join_organisation(mediator_id, application.organisation_id, primary=True)
        mediator = await mediator_row(mediator_id)
        await transition(mediator, "appointed", _("Appointed after recruitment call %(call)s",
                                                             call=application.call), principal, on)
        await Application.update({"status": "appointed", "mediator_id": mediator_id}).where(
            Application.id == application_id)
        await audit.record(principal, "appoint", "application", application_id, region_code=application.region_code,
                           after={"mediator": mediator_id})
        roster_no = (await mediator_row(mediator_id)).roster_no
        await tell_applicant(application, "appointed", _("Appointed to the roster"), _(
            "You have been appointed from %(call)s. Your roster number is %(roster_no)s.",
            call=await call_title(application), roster_no=roster_no))
    if application.user_id:
        await _grant_mediator_role(application.user_id, application.region_code, mediator_id)
    return mediator_id


async def _grant_mediator_role(user_id: int, region_code: str, mediator_id: int) -> None:
    from core.auth.services import add_grant, link_grant
    from core.tables import UserRole

    if not await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == Role.MEDIATOR.value)):
        await add_grant(user_id, Grant(Role.MEDIATOR, region_code))
    await link_grant(user_id, Role.MEDIATOR, mediator_id=mediator_id)
