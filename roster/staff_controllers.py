"""Staff pages: organisations (filing, changes, standing, members) for their managers and
administrators; mediators (records, status, memberships, photo, personal data on request)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from core import clock
from core.accounts import region_options
from core.auth.guards import requires, signed_in
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors, NotFound
from core.holiday_calendar import missing_notice
from core.i18n import _
from core.nav import flash
from core.settings import get_settings
from core.vocab import MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import Page, back_to, form_data, paging, render, submitted, who
from roster import filings, liaison, mediators, memberships, organisations, standing, work_list
from roster.organisations import OrganisationRecord
from roster.public import organisation_members
from roster.services import TRANSITIONS, mediator_for_user

staff = requires(Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR)
managers = requires(Role.ADMIN, Role.ORG_MANAGER)
admins = requires(Role.ADMIN)


def _labels() -> dict[str, Any]:
    return {
        "type_options": choices(OrganisationType), "type_labels": dict(choices(OrganisationType)),
        "source_options": choices(SourceCategory), "source_labels": dict(choices(SourceCategory)),
        "status_labels": dict(choices(MediatorStatus)), "status_options": choices(MediatorStatus),
        "employment_options": [("full_time", _("Full-time")), ("part_time", _("Part-time"))],
        "gender_options": [("female", _("Female")), ("male", _("Male"))],
        "education_options": [("secondary", _("Secondary school")), ("associate", _("Associate degree")),
                              ("bachelor", _("Bachelor's degree")), ("master", _("Master's degree")),
                              ("doctorate", _("Doctorate"))],
        "filing_labels": {"draft": _("Not yet filed"), "pending": _("Not yet filed"), "submitted": _("Submitted"),
                          "accepted": _("Accepted"), "returned": _("Returned")},
    }


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), "changed_on") from None


async def _arbitrator_options(org: OrganisationRecord) -> list[tuple[str, str]]:
    """The arbitrators serving the organisation's area; the current one stays listed even when
    no longer serving, so saving other particulars keeps the link."""
    options = [(str(a.id), a.label) for a in await liaison.choices_for(org.region_code)]
    current = await liaison.arbitrator(org.liaison)
    if current and str(current.id) not in dict(options):
        options.append((str(current.id), current.label))
    return options


class OrganisationController(Controller):
    path = "/admin/organisations"
    include_in_schema = False
    guards = [staff]

    async def _list(self, request: Request, q: str = "", overdue: bool = False, page: int = 1, form=None,
                    errors=None, status_code: int = 200) -> Template:
        me = who(request)
        page, size = paging(page, 30)
        rows, total = await organisations.organisations_in_scope(me, q, page, size, overdue_only=overdue)
        return render("roster/organisations.html", status_code=status_code, page=Page(rows, total, page, size), q=q,
                      overdue=overdue, form=form or {}, errors=errors or {},
                      arbitrator_options=[(str(a.id), a.label) for a in await liaison.choices_for_principal(me)],
                      region_options=region_options(me) if me.has_role(Role.ADMIN) else [], **_labels())

    @get("/")
    async def list_organisations(self, request: Request, q: FromQuery[str] = "", overdue: FromQuery[bool] = False,
                                 page: FromQuery[int] = 1) -> Template:
        return await self._list(request, q, overdue, page)

    @post("/", guards=[admins])
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, organisations.create_organisation(who(request), data),
                               again=lambda errors: self._list(request, form=data, errors=errors),
                               then=lambda organisation_id: f"/admin/organisations/{organisation_id}",
                               said=_("Organisation created. Submit its filing when the particulars are complete."))

    async def _detail(self, request: Request, organisation_id: int, errors=None, form=None,
                      status_code: int = 200) -> Template:
        me = who(request)
        org = await organisations.organisation(me, organisation_id)
        members = await organisation_members(organisation_id)
        return render("roster/organisation.html", status_code=status_code, org=org,
                      arbitrator=await liaison.arbitrator(org.liaison),
                      arbitrator_options=await _arbitrator_options(org),
                      withdrawals=await standing.withdrawals(organisation_id), mark_labels=standing.MARKS,
                      filings=await filings.filings(organisation_id), members=members,
                      proposals=await memberships.pending_of_organisation(organisation_id),
                      can_manage=organisations.can_manage_organisation(me, org),
                      is_admin=me.can_act_in(org.region_code, Role.ADMIN), errors=errors or {}, form=form or {},
                      today=clock.today(), deadline=get_settings().rules.filing_deadline_days, **_labels())

    @get("/{organisation_id:int}")
    async def detail(self, request: Request, organisation_id: FromPath[int]) -> Template:
        return await self._detail(request, organisation_id)

    @post("/{organisation_id:int}", guards=[managers])
    async def update(self, request: Request, organisation_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def update() -> None:
            changed_on = _date_or_none(data.pop("changed_on", ""))
            await organisations.update_particulars(who(request), organisation_id, data, changed_on)

        return await submitted(request, update(), again=lambda errors: self._detail(request, organisation_id, errors, data),
                               then=f"/admin/organisations/{organisation_id}", said=_("Saved."))

    @post("/{organisation_id:int}/file", guards=[managers])
    async def submit_filing(self, request: Request, organisation_id: FromPath[int]) -> Redirect:
        await filings.submit_initial_filing(who(request), organisation_id)
        flash(request, _("Filing submitted for review."), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")

    @post("/{organisation_id:int}/changes", guards=[managers])
    async def record_change(self, request: Request, organisation_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def record() -> None:
            changed_on = _date_or_none(data.get("changed_on", "")) or clock.today()
            await filings.record_change(who(request), organisation_id, data.get("description", ""), changed_on)

        return await submitted(request, record(), again=lambda errors: self._detail(request, organisation_id, errors, data),
                               then=f"/admin/organisations/{organisation_id}", field="description")

    @post("/{organisation_id:int}/filings/{filing_id:int}/submit", guards=[managers])
    async def submit_change(self, request: Request, organisation_id: FromPath[int], filing_id: FromPath[int]) -> Redirect:
        late = await filings.submit_change_filing(who(request), filing_id)
        if late:
            flash(request, _("Filed. This change was filed more than %(days)s days after it happened and is marked late.",
                             days=get_settings().rules.filing_deadline_days), "error")
        else:
            flash(request, _("Change filed."), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")

    @post("/{organisation_id:int}/filings/{filing_id:int}/decide", guards=[admins])
    async def decide(self, request: Request, organisation_id: FromPath[int], filing_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, filings.decide_filing(who(request), filing_id, data.get("decision") == "accept",
                                                              data.get("reasons", "")),
                               again=lambda errors: self._detail(request, organisation_id, errors, data),
                               then=f"/admin/organisations/{organisation_id}", field="reasons")

    @post("/{organisation_id:int}/memberships", guards=[managers])
    async def propose_member(self, request: Request, organisation_id: FromPath[int]) -> Template | Redirect:
        """Ask a mediator on the roster to join, by their roster number."""
        data = await form_data(request)
        try:
            proposal = await memberships.propose_by_roster_no(who(request), organisation_id, data.get("roster_no", ""),
                                                              primary=bool(data.get("primary")))
        except FieldErrors as invalid:
            return await self._detail(request, organisation_id, invalid.errors, data, 400)
        flash(request, _membership_flash(proposal), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")

    @post("/{organisation_id:int}/proposals/{proposal_id:int}/withdraw", guards=[managers])
    async def withdraw_proposal(self, request: Request, organisation_id: FromPath[int],
                                proposal_id: FromPath[int]) -> Redirect:
        await memberships.withdraw_membership(who(request), proposal_id, organisation_id)
        flash(request, _("Proposal withdrawn."), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")

    @post("/{organisation_id:int}/standing", guards=[admins])
    async def standing(self, request: Request, organisation_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await standing.set_standing(who(request), organisation_id, data)
        except FieldErrors as invalid:
            return await self._detail(request, organisation_id, invalid.errors, data, 400)
        flash(request, _("Standing recorded."), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")

    @post("/{organisation_id:int}/standing/withdraw", guards=[admins])
    async def withdraw_standing(self, request: Request, organisation_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await standing.withdraw_mark(who(request), organisation_id, data)
        except FieldErrors as invalid:
            return await self._detail(request, organisation_id, invalid.errors, data, 400)
        flash(request, _("Mark withdrawn: the public roster no longer shows it."), "ok")
        return back_to(f"/admin/organisations/{organisation_id}")


class MediatorController(Controller):
    path = "/admin/mediators"
    include_in_schema = False
    guards = [staff]

    async def _list(self, request: Request, q: str = "", status: str = "", page: int = 1, form=None, errors=None,
                    status_code: int = 200) -> Template:
        me = who(request)
        page, size = paging(page, 30)
        rows, total = await mediators.mediators_in_scope(me, q, status, page, size)
        choices_of_organisation, _count = await organisations.organisations_in_scope(me, page_size=200)
        return render("roster/mediators.html", status_code=status_code, page=Page(rows, total, page, size), q=q,
                      status=status, form=form or {}, errors=errors or {}, organisations=choices_of_organisation,
                      region_options=region_options(me) if me.has_role(Role.ADMIN) else [], **_labels())

    @get("/")
    async def list_mediators(self, request: Request, q: FromQuery[str] = "", status: FromQuery[str] = "",
                             page: FromQuery[int] = 1) -> Template:
        return await self._list(request, q, status, page)

    @post("/", guards=[managers])
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        organisation_id = int(data["organisation_id"]) if data.get("organisation_id", "").isdecimal() else None
        return await submitted(request, mediators.register_mediator(who(request), data, organisation_id=organisation_id),
                               again=lambda errors: self._list(request, form=data, errors=errors),
                               then=lambda mediator_id: f"/admin/mediators/{mediator_id}",
                               said=_("Mediator entered as an applicant."))

    async def _detail(self, request: Request, mediator_id: int, errors=None, revealed=None,
                      status_code: int = 200) -> Template:
        me = who(request)
        record = await mediators.mediator_record(me, mediator_id)
        choices_of_organisation, _count = await organisations.organisations_in_scope(me, page_size=200)
        return render("roster/mediator.html", status_code=status_code, m=record, errors=errors or {},
                      revealed=revealed, organisations=choices_of_organisation,
                      proposals=await memberships.pending_for_mediator(mediator_id),
                      can_accept=memberships.may_accept(me, record),
                      is_admin=me.can_act_in(record.region_code, Role.ADMIN),
                      transitions=[(s.value, s.label) for s in TRANSITIONS[MediatorStatus(record.status)]],
                      **_labels())

    @get("/{mediator_id:int}")
    async def detail(self, request: Request, mediator_id: FromPath[int]) -> Template:
        return await self._detail(request, mediator_id)

    @post("/{mediator_id:int}/reveal", guards=[admins])
    async def reveal(self, request: Request, mediator_id: FromPath[int]) -> Template:
        data = await form_data(request)
        try:
            revealed = await mediators.reveal_personal_data(who(request), mediator_id, data.get("reason", ""))
        except DomainError as invalid:
            return await self._detail(request, mediator_id, {"reason": invalid.message}, status_code=400)
        response = await self._detail(request, mediator_id, revealed=revealed)
        response.headers["Cache-Control"] = "no-store"
        return response

    @post("/{mediator_id:int}/status", guards=[admins])
    async def status(self, request: Request, mediator_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def change() -> None:
            await mediators.set_status(who(request), mediator_id, data.get("status", ""), data.get("ground", ""),
                                       _date_or_none(data.get("effective_on", "")))

        # a refusal keeps its own status (a transition that is not allowed is a 409)
        return await submitted(request, change(), again=lambda errors: self._detail(request, mediator_id, errors),
                               then=f"/admin/mediators/{mediator_id}", said=_("Status changed."), field="status",
                               status_code=None)

    @post("/{mediator_id:int}/reappoint", guards=[admins])
    async def reappoint(self, request: Request, mediator_id: FromPath[int]) -> Redirect:
        ends = await mediators.renew_appointment(who(request), mediator_id)
        flash(request, _("Reappointed until %(day)s.", day=ends.isoformat()), "ok")
        return back_to(f"/admin/mediators/{mediator_id}")

    @post("/{mediator_id:int}/memberships", guards=[managers])
    async def add_membership(self, request: Request, mediator_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        if not data.get("organisation_id", "").isdecimal():
            return await self._detail(request, mediator_id, {"organisation_id": _("Choose an organisation.")},
                                      status_code=400)
        organisation_id = int(data["organisation_id"])
        proposal = await memberships.propose_membership(who(request), mediator_id, organisation_id,
                                                        primary=bool(data.get("primary")))
        flash(request, _membership_flash(proposal), "ok")
        if proposal.state == memberships.PROPOSED:  # the proposer may not open the record yet
            return back_to(f"/admin/organisations/{organisation_id}")
        return back_to(f"/admin/mediators/{mediator_id}")

    @post("/{mediator_id:int}/proposals/{proposal_id:int}/accept", guards=[admins])
    async def accept_proposal(self, request: Request, mediator_id: FromPath[int],
                              proposal_id: FromPath[int]) -> Redirect:
        await memberships.accept_membership(who(request), proposal_id, mediator_id)
        flash(request, _("Membership accepted; it is recorded as a change of members to file."), "ok")
        return back_to(f"/admin/mediators/{mediator_id}")

    @post("/{mediator_id:int}/proposals/{proposal_id:int}/decline", guards=[admins])
    async def decline_proposal(self, request: Request, mediator_id: FromPath[int],
                               proposal_id: FromPath[int]) -> Redirect:
        await memberships.decline_membership(who(request), proposal_id, mediator_id)
        flash(request, _("Membership declined."), "ok")
        return back_to(f"/admin/mediators/{mediator_id}")

    @post("/{mediator_id:int}/memberships/{organisation_id:int}/end", guards=[managers])
    async def end_membership(self, request: Request, mediator_id: FromPath[int],
                             organisation_id: FromPath[int]) -> Redirect:
        await memberships.end_membership(who(request), mediator_id, organisation_id)
        return back_to(f"/admin/mediators/{mediator_id}")

    @post("/{mediator_id:int}/photo", guards=[managers])
    async def photo(self, request: Request, mediator_id: FromPath[int],
                    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
                    ) -> Template | Redirect:
        # dict[str, Any]: the form also carries its CSRF field, a string, beside the file
        upload = data.get("photo")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError(_("Choose a photo file."), "photo")
            await mediators.set_photo(who(request), mediator_id, await upload.read())
        except DomainError as invalid:
            return await self._detail(request, mediator_id, {"photo": invalid.message}, status_code=400)
        flash(request, _("Photo saved."), "ok")
        return back_to(f"/admin/mediators/{mediator_id}")


class WorkListController(Controller):
    """The administrator's work list for their region."""

    path = "/admin/worklist"
    include_in_schema = False
    guards = [admins]

    @get("/")
    async def work_list(self, request: Request) -> Template:
        me = who(request)
        return render("roster/worklist.html", work=await work_list.work_list(me), today=clock.today(),
                      proposals=await memberships.pending_to_accept(me), missing_notice=await missing_notice(me))


class MyRosterController(Controller):
    """A mediator's own roster record."""

    path = "/my/roster"
    include_in_schema = False
    guards = [signed_in]

    @get("/")
    async def mine(self, request: Request) -> Template | Redirect:
        me = who(request)
        summary = await mediator_for_user(me.user_id)
        if summary is None:
            return render("roster/my_roster.html", m=None, **_labels())
        return render("roster/my_roster.html", m=await mediators.mediator_record(me, summary.id),
                      proposals=await memberships.pending_for_mediator(summary.id), **_labels())

    @post("/proposals/{proposal_id:int}/accept")
    async def accept(self, request: Request, proposal_id: FromPath[int]) -> Redirect:
        """The mediator agrees to join: only now does the organisation see their record."""
        await memberships.accept_membership(who(request), proposal_id)
        flash(request, _("You have joined the organisation."), "ok")
        return back_to("/my/roster")

    @post("/proposals/{proposal_id:int}/decline")
    async def decline(self, request: Request, proposal_id: FromPath[int]) -> Redirect:
        await memberships.decline_membership(who(request), proposal_id)
        flash(request, _("You have declined to join the organisation."), "ok")
        return back_to("/my/roster")

    @post("/memberships/{organisation_id:int}/leave")
    async def leave(self, request: Request, organisation_id: FromPath[int]) -> Redirect:
        summary = await mediator_for_user(who(request).user_id)
        if summary is None:
            raise NotFound(_("Your account is not linked to a mediator on the roster."))
        await memberships.end_membership(who(request), summary.id, organisation_id)
        flash(request, _("You have left the organisation; the change is recorded for it to file."), "ok")
        return back_to("/my/roster")


def _membership_flash(proposal: memberships.Proposal) -> str:
    if proposal.state == memberships.PROPOSED:
        return _("Proposal sent. The membership takes effect when the mediator agrees or an administrator of the "
                 "mediator's region accepts it.")
    return _("Member added; the change is recorded for the organisation to file.")
