"""The person's notifications page, and the outbox API a mail/SMS gateway polls."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from core import notifications
from core.auth.guards import requires, signed_in
from core.auth.roles import Role
from core.errors import FieldErrors
from core.i18n import _
from core.web import back_to, form_list, paging, render, who


class NotificationsController(Controller):
    path = "/notifications"
    guards = [signed_in]

    @get("/")
    async def inbox(self, request: Request, page: FromQuery[int] = 1) -> Template:
        me = who(request)
        page, size = paging(page, 20)
        return render("core/notifications.html", page=await notifications.inbox(me.user_id, page, size),
                      unread=await notifications.unread_count(me.user_id))

    @post("/read")
    async def mark_read(self, request: Request) -> Redirect:
        """Marks the ticked notifications read, or all of them when none is ticked."""
        form = await request.form()
        ids = [int(v) for v in form_list(form, "id") if v.isdecimal()]
        await notifications.mark_read(who(request).user_id, ids or None)
        return back_to("/notifications/")


class OutboxAck(msgspec.Struct):
    sent: list[int] = []
    failed: dict[str, str] = {}


class OutboxApiController(Controller):
    """For a mail/SMS gateway, through its own account's system token: fetch, then acknowledge,
    the messages of the gateway's region only. Administrators have no access: the outbox holds
    every region's outcomes, and acknowledging a message suppresses it."""

    path = "/api/v1/outbox"
    tags = ["operations"]
    guards = [requires(Role.GATEWAY)]

    @get("/", summary="Messages of the gateway's region waiting for delivery, oldest first")
    async def pending(self, request: Request, channel: FromQuery[str] = "", limit: FromQuery[int] = 100
                      ) -> dict[str, list[notifications.QueuedMessage]]:
        regions = who(request).regions_for(Role.GATEWAY)
        return {"items": await notifications.pending_outbox(regions, limit, channel)}

    @post("/ack", status_code=HTTP_200_OK, summary="Report delivered and failed messages (404 outside your region)")
    async def acknowledge(self, request: Request, data: JSONBody[OutboxAck]) -> dict[str, int]:
        failed: dict[int, str] = {}
        for key, error in data.failed.items():
            if not key.isdecimal():
                raise FieldErrors({"failed": _("Message ids must be numbers.")})
            failed[int(key)] = error
        return await notifications.acknowledge(who(request).regions_for(Role.GATEWAY), data.sent, failed)
