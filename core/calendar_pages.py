"""The holiday calendar page (/admin/calendar/): a province administrator enters the year's
State Council holiday notice (public holidays and make-up working days) that working-day
deadlines follow; the calendar library's days are shown beside the entries, greyed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import holiday_calendar as calendar
from core.auth.guards import admin_only
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.nav import flash
from core.web import back_to, form_data, render, who


def _year(value: Any) -> int:
    try:
        return calendar.check_year(int(value))
    except (TypeError, ValueError, DomainError):
        return calendar.default_year()


class CalendarPageController(Controller):
    path = "/admin/calendar"
    guards = [admin_only]  # and the province's root region, checked by the service
    include_in_schema = False

    async def _page(self, request: Request, year: int, failed: str = "", form: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        """`failed` names the form (days | notice) that `form` and `errors` belong to."""
        calendar.check_may_enter_notice(who(request))
        return render("core/calendar.html", status_code=status_code, calendar=await calendar.year_calendar(year),
                      kinds=[(kind, _(label)) for kind, label in calendar.KINDS.items()],
                      failed=failed, form=form or {"kind": calendar.HOLIDAY}, errors=errors or {})

    @get("/")
    async def year_page(self, request: Request, year: FromQuery[str] = "") -> Template:
        return await self._page(request, _year(year))

    @post("/days")
    async def enter_days(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        year = _year(data.get("year"))
        try:
            changed = await calendar.enter_days(who(request), data)
        except FieldErrors as invalid:
            return await self._page(request, year, "days", data, invalid.errors, status_code=400)
        flash(request, _("%(n)s days entered.", n=changed), "ok")
        return back_to(f"/admin/calendar/?year={year}")

    @post("/notice")
    async def enter_notice(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        year = _year(data.get("year"))
        try:
            changed = await calendar.enter_notice(who(request), year, data.get("text", ""), data.get("notice", ""))
        except FieldErrors as invalid:
            return await self._page(request, year, "notice", data, invalid.errors, status_code=400)
        flash(request, _("%(n)s days entered.", n=changed), "ok")
        return back_to(f"/admin/calendar/?year={year}")

    @post("/{entry_id:int}/remove")
    async def remove(self, request: Request, entry_id: FromPath[int]) -> Redirect:
        removed = await calendar.remove_entry(who(request), entry_id)
        if removed is not None:
            flash(request, _("%(day)s removed: the day follows the calendar library or the weekend again.",
                             day=removed.isoformat()), "ok")
            return back_to(f"/admin/calendar/?year={removed.year}")
        return back_to("/admin/calendar/")
