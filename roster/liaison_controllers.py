"""Liaison arbitrators' pages (administrators): the list of their area, adding one, and
marking one as no longer serving."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.accounts import region_options
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import FieldErrors
from core.i18n import _
from core.nav import flash
from core.web import back_to, form_data, render, who
from roster import liaison


class LiaisonArbitratorController(Controller):
    path = "/admin/liaison-arbitrators"
    include_in_schema = False
    guards = [requires(Role.ADMIN)]

    async def _list(self, request: Request, form=None, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        return render("roster/liaison_arbitrators.html", status_code=status_code,
                      arbitrators=await liaison.arbitrators_in_scope(me), region_options=region_options(me),
                      form=form or {}, errors=errors or {})

    @get("/")
    async def list_arbitrators(self, request: Request) -> Template:
        return await self._list(request)

    @post("/")
    async def add(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            await liaison.add_arbitrator(who(request), data)
        except FieldErrors as invalid:
            return await self._list(request, {k: v for k, v in data.items() if k != "phone"}, invalid.errors, 400)
        flash(request, _("Arbitrator added."), "ok")
        return back_to("/admin/liaison-arbitrators")

    @post("/{arbitrator_id:int}/active")
    async def set_active(self, request: Request, arbitrator_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        await liaison.set_active(who(request), arbitrator_id, data.get("active") == "1")
        return back_to("/admin/liaison-arbitrators")
