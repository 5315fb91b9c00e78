"""Expert pool pages: the administrators' pool and invited list, the public invited list, and
the expert's own invitations (courts' selections: selection_controllers.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.accounts import region_options
from core.auth.guards import PUBLIC, requires, signed_in
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.nav import flash
from core.regions import region_choices
from core.web import Page, back_to, form_data, form_list, paging, render, submitted, who
from expert_pool import experts, invited_list, selection_steps
from expert_pool.labels import page_labels

admins = requires(Role.ADMIN)
pool_readers = requires(Role.ADMIN, Role.AUDITOR)


async def flashed(request: Request, then: str, action: Callable[[], Awaitable[object]]) -> Redirect:
    """A step taken from a record's page (not a form's fields): a refusal is said on that page."""
    try:
        await action()
    except DomainError as refused:
        flash(request, refused.message, "error")
    return back_to(then)


class PoolAdminController(Controller):
    path = "/admin/experts"
    include_in_schema = False
    guards = [pool_readers]

    async def _list(self, request: Request, status: str = "", q: str = "", page: int = 1, form=None, errors=None,
                    status_code: int = 200) -> Template:
        me = who(request)
        page, size = paging(page, 30)
        rows, total = await experts.pool(me, status, q, page, size)
        return render("expert_pool/pool.html", status_code=status_code, page=Page(rows, total, page, size),
                      status=status, q=q, form=form or {}, errors=errors or {},
                      region_options=region_options(me) if me.has_role(Role.ADMIN) else [], **page_labels())

    @get("/")
    async def list_pool(self, request: Request, status: FromQuery[str] = "", q: FromQuery[str] = "",
                        page: FromQuery[int] = 1) -> Template:
        return await self._list(request, status, q, page)

    @post("/", guards=[admins])
    async def nominate(self, request: Request) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        data["specialties"] = form_list(form, "specialties")
        return await submitted(request, experts.nominate(who(request), data),
                               again=lambda errors: self._list(request, form=data, errors=errors),
                               then=lambda expert_id: f"/admin/experts/{expert_id}")

    @get("/{expert_id:int}")
    async def detail(self, request: Request, expert_id: FromPath[int]) -> Template:
        me = who(request)
        expert = await experts.expert_detail(me, expert_id)
        return render("expert_pool/expert.html", e=expert, errors={}, courts=await invited_list.courts(),
                      is_admin=me.can_act_in(expert.region_code, Role.ADMIN), **page_labels())

    @post("/{expert_id:int}/status", guards=[admins])
    async def status(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        me = who(request)
        action = data.get("action", "")
        try:
            if action == "admit":
                await experts.admit(me, expert_id)
            elif action == "reject":
                await experts.reject(me, expert_id, data.get("grounds", ""))
            elif action == "suspend":
                await experts.suspend(me, expert_id, data.get("grounds", ""))
            elif action == "reinstate":
                await experts.reinstate(me, expert_id)
            elif action == "remove":
                await experts.remove(me, expert_id, data.get("grounds", ""))
            elif action in ("share", "unshare"):
                await experts.set_shared(me, expert_id, action == "share")
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/conflicts", guards=[admins])
    async def conflict(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        try:
            await experts.add_conflict(who(request), expert_id, await form_data(request))
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/absences", guards=[admins])
    async def absence(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await experts.add_absence(who(request), expert_id, date.fromisoformat(data.get("starts_on", "")),
                                       date.fromisoformat(data.get("ends_on", "")), data.get("reason", ""))
        except (DomainError, ValueError) as refused:
            flash(request, getattr(refused, "message", _("Enter a date as YYYY-MM-DD.")), "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/invited", guards=[admins])
    async def invited(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        form = await request.form()
        court_ids = [int(v) for v in form_list(form, "courts") if v.isdecimal()]
        return await flashed(request, f"/admin/experts/{expert_id}",
                             lambda: invited_list.list_invited(who(request), expert_id, court_ids))


class InvitedAdminController(Controller):
    """Administrators manage the invited-mediation list: every listing in their region,
    organisations added with the courts they serve, listings withdrawn with a reason."""

    path = "/admin/invited"
    include_in_schema = False
    guards = [pool_readers]

    async def _page(self, request: Request, form=None, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        return render("expert_pool/invited_admin.html", status_code=status_code,
                      listings=await invited_list.listings_for(me), courts=await invited_list.courts(), form=form or {},
                      errors=errors or {}, is_admin=me.has_role(Role.ADMIN), **page_labels())

    @get("/")
    async def listings(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", guards=[admins])
    async def add_organisation(self, request: Request) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        court_ids = [int(v) for v in form.getall("courts", []) if str(v).isdecimal()]
        specialties = [v for v in form.getall("specialties", []) if isinstance(v, str)]
        try:
            organisation_id = int(data.get("organisation_id") or "")
        except ValueError:
            return await self._page(request, data, {"organisation_id": _("Enter the organisation's id.")}, 400)
        try:
            await invited_list.list_invited_organisation(who(request), organisation_id, court_ids, specialties)
        except DomainError as refused:
            return await self._page(request, data, {refused.field or "organisation_id": refused.message}, 400)
        return back_to("/admin/invited")

    @post("/{listing_id:int}/withdraw", guards=[admins])
    async def withdraw(self, request: Request, listing_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        return await flashed(request, "/admin/invited",
                             lambda: invited_list.withdraw_listing(who(request), listing_id, data.get("reason", "")))


class InvitedListController(Controller):
    path = "/invited"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def public_list(self, region: FromQuery[str] = "", specialty: FromQuery[str] = "", q: FromQuery[str] = "",
                          page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 30)
        rows, total = await invited_list.public_invited(region, specialty, q, page, size)
        return render("expert_pool/invited.html", page=Page(rows, total, page, size),
                      filters={"region": region, "specialty": specialty, "q": q},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=2)],
                      **page_labels())


class MyExpertController(Controller):
    path = "/my/expert"
    include_in_schema = False
    guards = [signed_in]

    @get("/")
    async def mine(self, request: Request) -> Template:
        me = who(request)
        expert = await experts.expert_for_user(me.user_id)
        detail = await experts.expert_detail(me, expert.id) if expert else None
        invitations = await selection_steps.invitations_for_expert(expert.id) if expert else []
        can_apply = False
        if expert is None or expert.status in ("rejected", "removed"):
            from roster import services as roster_services

            mediator = await roster_services.mediator_for_user(me.user_id)
            can_apply = bool(mediator) and await experts.self_nomination_allowed(mediator.id)
        return render("expert_pool/mine.html", e=detail, invitations=invitations, can_apply=can_apply, **page_labels())

    @post("/apply")
    async def apply(self, request: Request) -> Redirect:
        """An appointed mediator graded excellent or holding a senior certificate applies."""
        from roster import services as roster_services

        me = who(request)
        mediator = await roster_services.mediator_for_user(me.user_id)
        if mediator is None:
            raise DomainError(_("Your account is not an expert in the pool."))
        form = await request.form()
        try:
            await experts.nominate(me, {
                "name": mediator.name, "background": "mediator", "region_code": mediator.region_code,
                "organisation_name": mediator.organisation_name or "", "mediator_id": mediator.id,
                "specialties": [v for v in form.getall("specialties", []) if isinstance(v, str)]})
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        else:
            flash(request, _("Your application was sent for review."), "ok")
        return back_to("/my/expert")

    @post("/conflicts")
    async def add_conflict(self, request: Request) -> Redirect:
        me = who(request)
        expert = await experts.expert_for_user(me.user_id)
        if expert is None:
            raise DomainError(_("Your account is not an expert in the pool."))
        try:
            await experts.add_conflict(me, expert.id, await form_data(request))
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        return back_to("/my/expert")

    @post("/invitations/{selection_id:int}")
    async def answer(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        return await flashed(request, "/my/expert", lambda: selection_steps.answer(
            who(request), selection_id, data.get("decision") == "accept", data.get("reason", ""), as_expert=True))
