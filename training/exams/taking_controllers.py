"""The candidate's exam pages: my exams, the ticket, the paper (autosave by fetch() with the
CSRF header, or an ordinary form post without JavaScript), submission, and the result with
its re-check."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import DomainError
from core.i18n import _
from core.idempotency import REPEAT_SAFE
from core.nav import flash
from core.web import PlatformResponse, back_to, form_data, render, submitted, who
from training.exams import results, sittings, taking
from training.exams.controllers import flash_refusal, labels

mediators = requires(Role.MEDIATOR)


class AutosaveRequest(msgspec.Struct):
    question_id: int
    response: str | int | bool | list[str | int | bool] | None = None


class CandidateController(Controller):
    path = "/exams"
    include_in_schema = False
    guards = [mediators]

    @get("/")
    async def my_exams(self, request: Request) -> Template:
        return render("exams/my.html", admissions=await taking.my_admissions(who(request)), **labels())

    @get("/admissions/{admission_id:int}/ticket")
    async def ticket(self, request: Request, admission_id: FromPath[int]) -> Template:
        return render("exams/tickets.html", tickets=[await sittings.ticket(who(request), admission_id)], **labels())

    @post("/admissions/{admission_id:int}/start")
    async def start(self, request: Request, admission_id: FromPath[int]) -> Redirect:
        try:
            await taking.start_exam(who(request), admission_id)
        except DomainError as refused:
            flash_refusal(request, refused)
            return back_to("/exams")
        return back_to(f"/exams/admissions/{admission_id}/paper")

    @get("/admissions/{admission_id:int}/paper")
    async def paper(self, request: Request, admission_id: FromPath[int]) -> Template | Redirect:
        view = await taking.exam_paper_view(who(request), admission_id)
        row = view.admission
        if row.status == "admitted":
            return back_to("/exams")
        remaining = max(0, int((row.deadline - clock.now()).total_seconds())) if row.deadline else 0
        return render("exams/paper.html", view=view, remaining=remaining,
                      editable=row.status == "started" and remaining > 0, **labels())

    @staticmethod
    def _responses(form, question_ids: list[int]) -> dict[int, Any]:
        responses: dict[int, Any] = {}
        for qid in question_ids:
            key = f"q{qid}"
            values = form.getall(key, []) if hasattr(form, "getall") else []
            values = [v for v in values if isinstance(v, str)]
            if values:
                responses[qid] = values if len(values) > 1 or key + "_multi" in form else values[0]
            elif key + "_multi" in form:
                responses[qid] = []
        return responses

    # submitting is idempotent in the database (a paper is claimed once); no form key at the deadline rush
    @post("/admissions/{admission_id:int}/save", opt={REPEAT_SAFE: True})
    async def save(self, request: Request, admission_id: FromPath[int]) -> Redirect:
        """Without JavaScript: the whole paper posted as a form (also the submit button)."""
        me = who(request)
        row = await sittings.own_admission(me, admission_id)
        form = await request.form()
        try:
            await taking.save_answers(me, admission_id, self._responses(form, row.question_ids))
            if form.get("action") == "submit":
                if form.get("confirm") != "1":
                    flash(request, _("Answers saved. Tick the confirmation box to submit; submission is final."),
                          "error")
                    return back_to(f"/exams/admissions/{admission_id}/paper")
                await taking.submit(me, admission_id)
                flash(request, _("Your paper is submitted."), "ok")
                return back_to("/exams")
        except DomainError as refused:
            flash_refusal(request, refused)
            return back_to(f"/exams/admissions/{admission_id}/paper")
        flash(request, _("Answers saved."), "ok")
        return back_to(f"/exams/admissions/{admission_id}/paper")

    @post("/admissions/{admission_id:int}/autosave", status_code=200)
    async def autosave(self, request: Request, admission_id: FromPath[int],
                       data: JSONBody[AutosaveRequest]) -> Response[dict[str, Any]]:
        """One answer, saved as the candidate types (fetch() with the x-csrftoken header)."""
        try:
            saved = await taking.save_answers(who(request), admission_id, {data.question_id: data.response})
        except DomainError as refused:
            return PlatformResponse({"status_code": refused.status_code, "detail": refused.message,
                                     "field": refused.field}, status_code=refused.status_code)
        return PlatformResponse({"saved_at": clock.iso(saved.saved_at), "question_id": data.question_id,
                                 "remaining_seconds": saved.remaining_seconds})

    @post("/admissions/{admission_id:int}/submit", opt={REPEAT_SAFE: True})
    async def submit(self, request: Request, admission_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        if data.get("confirm") != "1":
            flash(request, _("Tick the confirmation box to submit; submission is final."), "error")
            return back_to(f"/exams/admissions/{admission_id}/paper")
        try:
            await taking.submit(who(request), admission_id)
        except DomainError as refused:
            flash_refusal(request, refused)
            # a paper already submitted (from another tab, or at the deadline) has no page to go back to
            row = await sittings.own_admission(who(request), admission_id)
            return back_to("/exams" if row.status in ("submitted", "marked")
                           else f"/exams/admissions/{admission_id}/paper")
        flash(request, _("Your paper is submitted."), "ok")
        return back_to("/exams")

    @get("/admissions/{admission_id:int}/result")
    async def result(self, request: Request, admission_id: FromPath[int]) -> Template:
        return render("exams/result.html", r=await results.result(who(request), admission_id), errors={},
                      **labels())

    @post("/admissions/{admission_id:int}/recheck")
    async def recheck(self, request: Request, admission_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            return render("exams/result.html", r=await results.result(who(request), admission_id), errors=errors,
                          **labels())

        return await submitted(request, results.request_recheck(who(request), admission_id, data.get("reason", "")),
                               again=again, then=f"/exams/admissions/{admission_id}/result",
                               said=_("Your re-check request is recorded."), field="reason")
