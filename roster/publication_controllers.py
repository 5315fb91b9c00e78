"""Staff page to publish the roster (名册公布): administrators of the region only, with a
preview of what publishing would add, change and remove since the last publication."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from core.accounts import region_options
from core.auth.guards import requires
from core.auth.roles import Principal, Role
from core.errors import DomainError, Forbidden
from core.i18n import _
from core.nav import flash
from core.web import back_to, form_data, render, who
from roster import publication as publishing

admins = requires(Role.ADMIN)


class PublishController(Controller):
    path = "/admin/roster/publish"
    include_in_schema = False
    guards = [admins]

    async def _page(self, me: Principal, region: str, form=None, errors=None, status_code: int = 200) -> Template:
        if not me.can_act_in(region, Role.ADMIN):
            raise Forbidden(_("This record belongs to a region outside your authority."))
        recent, _total = await publishing.publications(region, 1, 10)
        return render("roster/publish.html", status_code=status_code, region=region,
                      region_options=region_options(me), preview=await publishing.preview_publication(region),
                      recent=recent, form=form or {}, errors=errors or {})

    @get("/")
    async def page(self, request: Request, region: FromQuery[str] = "") -> Template:
        me = who(request)
        return await self._page(me, region or me.regions_for(Role.ADMIN)[0])

    @post("/")
    async def publish(self, request: Request) -> Template | Redirect:
        me = who(request)
        data = await form_data(request)
        region = data.get("region") or me.regions_for(Role.ADMIN)[0]
        try:
            publication_id = await publishing.publish(me, region, data.get("note", ""))
        except Forbidden:
            raise
        except DomainError as invalid:
            return await self._page(me, region if invalid.field != "region" else me.regions_for(Role.ADMIN)[0],
                                    data, {invalid.field or "note": invalid.message}, 400)
        flash(request, _("The roster is published. The public roster now shows this publication."), "ok")
        return back_to(f"/roster/publications/{publication_id}")
