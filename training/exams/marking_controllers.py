"""The examiner's blind pages: the queue, marking a script, and re-checks."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import DomainError
from core.i18n import _
from core.nav import flash
from core.web import back_to, form_data, render, submitted, who
from training.exams import marking, results
from training.exams.controllers import labels

examiners = requires(Role.EXAMINER)


class MarkingController(Controller):
    path = "/exams/marking"
    include_in_schema = False
    guards = [examiners]

    @get("/")
    async def queue(self, request: Request) -> Template:
        return render("exams/queue.html", q=await marking.examiner_queue(who(request)), **labels())

    @get("/{marking_id:int}")
    async def script(self, request: Request, marking_id: FromPath[int]) -> Template:
        return render("exams/mark.html", m=await marking.marking_view(who(request), marking_id), errors={},
                      form={}, **labels())

    @post("/{marking_id:int}")
    async def mark(self, request: Request, marking_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            return render("exams/mark.html", m=await marking.marking_view(who(request), marking_id), errors=errors,
                          form=data, **labels())

        return await submitted(request, marking.record_mark(who(request), marking_id, data.get("mark", ""),
                                                            data.get("comment", "")),
                               again=again, then="/exams/marking", said=_("Mark recorded."), field="mark",
                               status_code=None)

    @get("/rechecks/{recheck_id:int}")
    async def recheck(self, request: Request, recheck_id: FromPath[int]) -> Template:
        return render("exams/recheck.html", v=await results.recheck_view(who(request), recheck_id), errors={},
                      **labels())

    @post("/rechecks/{recheck_id:int}")
    async def handle_recheck(self, request: Request, recheck_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        marks = {int(k[5:]): v for k, v in data.items() if k.startswith("mark_") and k[5:].isdecimal()}
        try:
            outcome = await results.handle_recheck(who(request), recheck_id, marks, data.get("note", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return render("exams/recheck.html", status_code=refused.status_code,
                          v=await results.recheck_view(who(request), recheck_id),
                          errors={refused.field or "note": refused.message}, **labels())
        flash(request, labels()["outcome_labels"][outcome], "ok")
        return back_to("/exams/marking")
