"""Examination pages: the administrator's bank, papers, sittings, tickets, marking
progress, release and item statistics; the candidate's exams, ticket, paper (autosave by
fetch() with the CSRF header, or an ordinary form post without JavaScript), submission and
result with re-check; the examiner's blind queue and marking pages; a small JSON API."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.idempotency import REPEAT_SAFE
from core.nav import flash
from core.regions import region_choices
from core.vocab import Grade, choices
from core.web import PlatformResponse, back_to, form_data, paging, render, who
from training.exams import services

admins = requires(Role.ADMIN)
mediators = requires(Role.MEDIATOR)
examiners = requires(Role.EXAMINER)


def labels() -> dict[str, Any]:
    return {
        "grade_options": choices(Grade), "grade_labels": dict(choices(Grade)),
        "kind_options": [(k, services.kind_label(k)) for k in services.KINDS],
        "kind_labels": {k: services.kind_label(k) for k in services.KINDS},
        "phase_labels": {"scheduled": _("Scheduled"), "open": _("Open"), "closed": _("Closed"),
                         "released": _("Results released")},
        "status_labels": {"admitted": _("Admitted"), "started": _("In progress"), "submitted": _("Submitted"),
                          "marked": _("Marked"), "absent": _("Absent")},
        "outcome_labels": {"upheld": _("Upheld"), "changed": _("Changed")},
        "letters": "ABCDEFGH",
    }


def _ints(text: str) -> list[int]:
    out = []
    for token in (text or "").replace("，", ",").replace("\n", ",").replace(" ", ",").split(","):
        token = token.strip()
        if token.isdecimal():
            out.append(int(token))
    return out


def _refused(request: Request, refused: DomainError) -> None:
    if refused.status_code in (403, 404):
        raise refused
    flash(request, refused.message, "error")


def _flash_assignment(request: Request, assignment: services.Assignment, *, created: bool = True) -> None:
    if created:
        flash(request, _("%(n)s markings assigned.", n=assignment.created), "ok")
    if assignment.panel_warning:
        flash(request, assignment.panel_warning, "error")
    if assignment.waiting_third:
        flash(request, _("%(n)s scripts wait for a third examiner (%(scripts)s): add an examiner to the panel.",
                         n=len(assignment.waiting_third),
                         scripts=", ".join(sorted({w.script_no for w in assignment.waiting_third}))), "error")


# ------------------------------------------------------------------ administrators

class BankController(Controller):
    path = "/admin/exams/questions"
    include_in_schema = False
    guards = [admins]

    async def _page(self, request: Request, *, kind: str = "", topic: str = "", grade: str = "", page: int = 1,
                    form: dict | None = None, errors: dict | None = None, report=None, status_code: int = 200):
        page, size = paging(page, 50, 50)
        rows, total = await services.list_questions(kind=kind, topic=topic, grade=grade, page=page, page_size=size,
                                                    principal=who(request))
        from core.web import Page

        query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("topic", topic), ("grade", grade)) if v)
        return render("exams/admin_bank.html", status_code=status_code, page=Page(rows, total, page, size),
                      filters={"kind": kind, "topic": topic, "grade": grade}, topics=await services.topics(),
                      query_base="/admin/exams/questions" + (f"?{query}" if query else ""), form=form or {},
                      errors=errors or {}, report=report, columns=services.CSV_COLUMNS, **labels())

    @get("/")
    async def bank(self, request: Request, kind: FromQuery[str] = "", topic: FromQuery[str] = "",
                   grade: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return await self._page(request, kind=kind, topic=topic, grade=grade, page=page)

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.create_question(who(request), data)
        except FieldErrors as invalid:
            return await self._page(request, form=data, errors=invalid.errors, status_code=400)
        flash(request, _("Question added."), "ok")
        return back_to("/admin/exams/questions")

    @get("/{question_id:int}")
    async def edit_page(self, request: Request, question_id: FromPath[int]) -> Template:
        q = await services.readable_question(who(request), question_id)
        form = {**q, "options": "\n".join(q["options"]), "answer": ""}
        if q["kind"] in ("single", "multiple"):
            form["answer"] = services.letters(q["answer"])
        elif q["kind"] == "true_false":
            form["answer"] = "true" if q["answer"] and q["answer"][0] else "false"
        return render("exams/admin_question.html", q=q, form=form, errors={}, **labels())

    @post("/{question_id:int}")
    async def update(self, request: Request, question_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.update_question(who(request), question_id, data)
        except FieldErrors as invalid:
            q = await services.readable_question(who(request), question_id)
            return render("exams/admin_question.html", status_code=400, q=q, form=data, errors=invalid.errors,
                          **labels())
        flash(request, _("Question saved."), "ok")
        return back_to("/admin/exams/questions")

    @post("/{question_id:int}/active")
    async def set_active(self, request: Request, question_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        await services.set_question_active(who(request), question_id, data.get("active") == "1")
        return back_to(f"/admin/exams/questions/{question_id}")

    @post("/import")
    async def import_file(self, request: Request) -> Template | Redirect:
        from litestar.datastructures import UploadFile

        form = await request.form()
        upload = form.get("file")
        good_rows = form.get("import_good_rows") == "1"
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError(_("Choose a CSV or XLSX file."), "file")
            content = await upload.read()
            if len(content) > services.rules().max_upload_bytes:
                raise DomainError(_("The file is too large."), "file")
            report = await services.import_questions(who(request), upload.filename, content,
                                                     import_good_rows=good_rows)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._page(request, errors={"file": refused.message}, status_code=400)
        if report.errors:
            return await self._page(request, report=report, status_code=200 if report.imported else 400)
        flash(request, _("%(n)s questions imported.", n=report.imported), "ok")
        return back_to("/admin/exams/questions")

    @get("/export")
    async def export(self, request: Request, format: FromQuery[str] = "csv", kind: FromQuery[str] = "",  # noqa: A002
                     topic: FromQuery[str] = "", grade: FromQuery[str] = "") -> Response:
        from core import exports

        table = await services.question_table(kind=kind, topic=topic, grade=grade, principal=who(request))
        return exports.download(table, "xlsx" if format == "xlsx" else "csv", stem=_("Question bank"),
                                ascii_stem="questions", qualifiers=[clock.today()])


class PapersController(Controller):
    path = "/admin/exams/papers"
    include_in_schema = False
    guards = [admins]

    @get("/")
    async def papers(self, request: Request) -> Template:
        return render("exams/admin_papers.html", papers=await services.papers(who(request)), form={"duration_minutes": 90},
                      errors={}, **labels())

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            paper_id = await services.create_paper(who(request), data)
        except FieldErrors as invalid:
            return render("exams/admin_papers.html", status_code=400, papers=await services.papers(who(request)),
                          form=data,
                          errors=invalid.errors, **labels())
        return back_to(f"/admin/exams/papers/{paper_id}")

    async def _detail(self, request: Request, paper_id: int, errors: dict | None = None, status_code: int = 200,
                      ids_text: str | None = None) -> Template:
        paper = await services.readable_paper(who(request), paper_id)
        ids = await services.paper_question_ids(paper_id)
        found = await services.questions_by_id(ids)
        return render("exams/admin_paper.html", status_code=status_code, paper=paper,
                      questions=[found[q] for q in ids if q in found], problems=await services.paper_problems(paper),
                      blueprint_text=services.blueprint_text(paper["blueprint"]), errors=errors or {},
                      ids_text=ids_text if ids_text is not None else ", ".join(map(str, ids)), **labels())

    @get("/{paper_id:int}")
    async def detail(self, request: Request, paper_id: FromPath[int]) -> Template:
        return await self._detail(request, paper_id)

    @post("/{paper_id:int}/questions")
    async def set_questions(self, request: Request, paper_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.set_paper_questions(who(request), paper_id, _ints(data.get("question_ids", "")))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._detail(request, paper_id, {"question_ids": refused.message}, 400,
                                      data.get("question_ids", ""))
        flash(request, _("Paper saved."), "ok")
        return back_to(f"/admin/exams/papers/{paper_id}")

    @get("/{paper_id:int}/statistics")
    async def statistics(self, request: Request, paper_id: FromPath[int]) -> Template:
        items = await services.item_statistics(who(request), paper_id)
        for item in items:
            item["flag"] = services.item_flags(item)
        return render("exams/admin_statistics.html", paper=await services.readable_paper(who(request), paper_id),
                      items=items, **labels())


class SittingsController(Controller):
    path = "/admin/exams/sittings"
    include_in_schema = False
    guards = [admins]

    async def _list(self, request: Request, form: dict | None = None, errors: dict | None = None,
                    status_code: int = 200) -> Template:
        me = who(request)
        root = services.admin_region(me)
        return render("exams/admin_sittings.html", status_code=status_code,
                      sittings=await services.sittings_for_admin(me), papers=await services.papers(me),
                      regions=[(c, n) for c, n, _level in region_choices(root)] if root else [],
                      form=form or {"region_code": root}, errors=errors or {}, **labels())

    @get("/")
    async def sittings(self, request: Request) -> Template:
        return await self._list(request)

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            sitting_id = await services.create_sitting(who(request), data)
        except FieldErrors as invalid:
            return await self._list(request, data, invalid.errors, 400)
        flash(request, _("Sitting created."), "ok")
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    async def _detail(self, request: Request, sitting_id: int, refused: dict | None = None,
                      status_code: int = 200, edit_form: dict | None = None,
                      edit_errors: dict | None = None) -> Template:
        me = who(request)
        sitting = await services.sitting_for_admin(me, sitting_id)
        progress = await services.marking_progress(me, sitting_id)
        edit_form = edit_form or {"title": sitting["title"], "duration_minutes": sitting["duration_minutes"],
                                  "opens_at": clock.iso(sitting["opens_at"])[:16],
                                  "closes_at": clock.iso(sitting["closes_at"])[:16]}
        return render("exams/admin_sitting.html", status_code=status_code, sitting=sitting,
                      phase=services.sitting_phase(sitting), paper=await services.paper(sitting["paper"]),
                      candidates=await services.candidates(me, sitting_id), progress=progress,
                      examiner_choices=await services.examiner_choices(sitting["region_code"]),
                      rechecks=await services.rechecks_for_admin(me, sitting_id), refused=refused or {},
                      edit_form=edit_form, edit_errors=edit_errors or {}, **labels())

    @get("/{sitting_id:int}")
    async def detail(self, request: Request, sitting_id: FromPath[int]) -> Template:
        return await self._detail(request, sitting_id)

    @post("/{sitting_id:int}/candidates")
    async def admit(self, request: Request, sitting_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            if data.get("all_eligible") == "1":
                admitted, refused = await services.admit_eligible_in_region(who(request), sitting_id)
            else:
                ids = _ints(data.get("mediator_ids", ""))
                if not ids:
                    raise DomainError(_("Enter mediator numbers."), "mediator_ids")
                admitted, refused = await services.admit_candidates(who(request), sitting_id, ids)
        except DomainError as refused_error:
            _refused(request, refused_error)
            return back_to(f"/admin/exams/sittings/{sitting_id}")
        flash(request, _("%(n)s candidates admitted.", n=len(admitted)), "ok")
        if refused:
            return await self._detail(request, sitting_id, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/panel")
    async def panel(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        form = await request.form()
        ids = [int(v) for v in form.getall("examiner_ids", []) if str(v).isdecimal()] if hasattr(form, "getall") else []
        try:
            assignment = await services.set_panel(who(request), sitting_id, ids)
            flash(request, _("Marking panel saved."), "ok")
            _flash_assignment(request, assignment, created=False)
        except DomainError as refused:
            _refused(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/edit")
    async def edit(self, request: Request, sitting_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.update_sitting(who(request), sitting_id, data)
            flash(request, _("Sitting saved."), "ok")
        except FieldErrors as invalid:
            return await self._detail(request, sitting_id, edit_form=data, edit_errors=invalid.errors,
                                      status_code=400)
        except DomainError as refused:
            _refused(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @get("/{sitting_id:int}/tickets")
    async def tickets(self, request: Request, sitting_id: FromPath[int]) -> Template:
        return render("exams/tickets.html", tickets=await services.tickets(who(request), sitting_id), **labels())

    @post("/{sitting_id:int}/reassign")
    async def reassign(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            moved, kept = await services.reassign(who(request), sitting_id, int(data.get("from_examiner") or 0),
                                                  int(data.get("to_examiner") or 0))
            flash(request, _("%(moved)s scripts moved; %(kept)s stayed because that examiner already has them.",
                             moved=moved, kept=kept), "ok")
        except (DomainError, ValueError) as refused:
            if isinstance(refused, DomainError):
                _refused(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/assign")
    async def assign(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        await services.sitting_for_admin(who(request), sitting_id)
        _flash_assignment(request, await services.assign_pending(sitting_id))
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/release")
    async def release(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        try:
            count = await services.release_results(who(request), sitting_id)
            flash(request, _("Results released to %(n)s candidates.", n=count), "ok")
        except DomainError as refused:
            _refused(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/rechecks/{recheck_id:int}/assign")
    async def assign_recheck(self, request: Request, recheck_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        sitting_id = int(data.get("sitting_id") or 0)
        try:
            await services.assign_recheck(who(request), recheck_id, int(data.get("examiner_id") or 0))
            flash(request, _("Re-check assigned."), "ok")
        except DomainError as refused:
            _refused(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}" if sitting_id else "/admin/exams/sittings")


# ------------------------------------------------------------------------ candidates

class AutosaveRequest(msgspec.Struct):
    question_id: int
    response: str | int | bool | list[str | int | bool] | None = None


class CandidateController(Controller):
    path = "/exams"
    include_in_schema = False
    guards = [mediators]

    @get("/")
    async def my_exams(self, request: Request) -> Template:
        return render("exams/my.html", admissions=await services.my_admissions(who(request)), **labels())

    @get("/admissions/{admission_id:int}/ticket")
    async def ticket(self, request: Request, admission_id: FromPath[int]) -> Template:
        return render("exams/tickets.html", tickets=[await services.ticket(who(request), admission_id)], **labels())

    @post("/admissions/{admission_id:int}/start")
    async def start(self, request: Request, admission_id: FromPath[int]) -> Redirect:
        try:
            await services.start_exam(who(request), admission_id)
        except DomainError as refused:
            _refused(request, refused)
            return back_to("/exams")
        return back_to(f"/exams/admissions/{admission_id}/paper")

    @get("/admissions/{admission_id:int}/paper")
    async def paper(self, request: Request, admission_id: FromPath[int]) -> Template | Redirect:
        view = await services.exam_paper_view(who(request), admission_id)
        row = view["admission"]
        if row["status"] == "admitted":
            return back_to("/exams")
        remaining = max(0, int((row["deadline"] - clock.now()).total_seconds())) if row["deadline"] else 0
        return render("exams/paper.html", view=view, remaining=remaining,
                      editable=row["status"] == "started" and remaining > 0, **labels())

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
        row = await services.own_admission(me, admission_id)
        form = await request.form()
        try:
            await services.save_answers(me, admission_id, self._responses(form, row["question_ids"]))
            if form.get("action") == "submit":
                if form.get("confirm") != "1":
                    flash(request, _("Answers saved. Tick the confirmation box to submit; submission is final."),
                          "error")
                    return back_to(f"/exams/admissions/{admission_id}/paper")
                await services.submit(me, admission_id)
                flash(request, _("Your paper is submitted."), "ok")
                return back_to("/exams")
        except DomainError as refused:
            _refused(request, refused)
            return back_to(f"/exams/admissions/{admission_id}/paper")
        flash(request, _("Answers saved."), "ok")
        return back_to(f"/exams/admissions/{admission_id}/paper")

    @post("/admissions/{admission_id:int}/autosave", status_code=200)
    async def autosave(self, request: Request, admission_id: FromPath[int],
                       data: JSONBody[AutosaveRequest]) -> Response[dict[str, Any]]:
        """One answer, saved as the candidate types (fetch() with the x-csrftoken header)."""
        try:
            saved = await services.save_answers(who(request), admission_id, {data.question_id: data.response})
        except DomainError as refused:
            return PlatformResponse({"status_code": refused.status_code, "detail": refused.message,
                                     "field": refused.field}, status_code=refused.status_code)
        return PlatformResponse({"saved_at": clock.iso(saved["saved_at"]), "question_id": data.question_id,
                                 "remaining_seconds": saved["remaining_seconds"]})

    @post("/admissions/{admission_id:int}/submit", opt={REPEAT_SAFE: True})
    async def submit(self, request: Request, admission_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        if data.get("confirm") != "1":
            flash(request, _("Tick the confirmation box to submit; submission is final."), "error")
            return back_to(f"/exams/admissions/{admission_id}/paper")
        try:
            await services.submit(who(request), admission_id)
        except DomainError as refused:
            _refused(request, refused)
            # a paper already submitted (from another tab, or at the deadline) has no page to go back to
            row = await services.own_admission(who(request), admission_id)
            return back_to("/exams" if row["status"] in ("submitted", "marked")
                           else f"/exams/admissions/{admission_id}/paper")
        flash(request, _("Your paper is submitted."), "ok")
        return back_to("/exams")

    @get("/admissions/{admission_id:int}/result")
    async def result(self, request: Request, admission_id: FromPath[int]) -> Template:
        return render("exams/result.html", r=await services.result(who(request), admission_id), errors={},
                      **labels())

    @post("/admissions/{admission_id:int}/recheck")
    async def recheck(self, request: Request, admission_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.request_recheck(who(request), admission_id, data.get("reason", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return render("exams/result.html", status_code=400, r=await services.result(who(request), admission_id),
                          errors={refused.field or "reason": refused.message}, **labels())
        flash(request, _("Your re-check request is recorded."), "ok")
        return back_to(f"/exams/admissions/{admission_id}/result")


# ------------------------------------------------------------------------- examiners

class MarkingController(Controller):
    path = "/exams/marking"
    include_in_schema = False
    guards = [examiners]

    @get("/")
    async def queue(self, request: Request) -> Template:
        return render("exams/queue.html", q=await services.examiner_queue(who(request)), **labels())

    @get("/{marking_id:int}")
    async def script(self, request: Request, marking_id: FromPath[int]) -> Template:
        return render("exams/mark.html", m=await services.marking_view(who(request), marking_id), errors={},
                      form={}, **labels())

    @post("/{marking_id:int}")
    async def mark(self, request: Request, marking_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.record_mark(who(request), marking_id, data.get("mark", ""), data.get("comment", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return render("exams/mark.html", status_code=refused.status_code,
                          m=await services.marking_view(who(request), marking_id),
                          errors={"mark": refused.message}, form=data, **labels())
        flash(request, _("Mark recorded."), "ok")
        return back_to("/exams/marking")

    @get("/rechecks/{recheck_id:int}")
    async def recheck(self, request: Request, recheck_id: FromPath[int]) -> Template:
        return render("exams/recheck.html", v=await services.recheck_view(who(request), recheck_id), errors={},
                      **labels())

    @post("/rechecks/{recheck_id:int}")
    async def handle_recheck(self, request: Request, recheck_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        marks = {int(k[5:]): v for k, v in data.items() if k.startswith("mark_") and k[5:].isdecimal()}
        try:
            outcome = await services.handle_recheck(who(request), recheck_id, marks, data.get("note", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return render("exams/recheck.html", status_code=refused.status_code,
                          v=await services.recheck_view(who(request), recheck_id),
                          errors={refused.field or "note": refused.message}, **labels())
        flash(request, labels()["outcome_labels"][outcome], "ok")
        return back_to("/exams/marking")


# ------------------------------------------------------------------------------ API

class ExamsApiController(Controller):
    path = "/api/v1/exams"
    tags = ["exams"]

    @get("/sittings", guards=[admins], summary="Sittings in the administrator's region")
    async def sittings(self, request: Request) -> list[dict[str, Any]]:
        rows = await services.sittings_for_admin(who(request))
        return [{"id": r["id"], "title": r["title"], "grade": r["grade"], "region": r["region_code"],
                 "opens_at": clock.iso(r["opens_at"]), "closes_at": clock.iso(r["closes_at"]),
                 "phase": r["phase"], "candidates": r["candidates"]} for r in rows]

    @get("/sittings/{sitting_id:int}/progress", guards=[admins], summary="Marking progress of a sitting")
    async def progress(self, request: Request, sitting_id: FromPath[int]) -> dict[str, Any]:
        p = await services.marking_progress(who(request), sitting_id)
        return {"sitting_id": sitting_id, "answers_total": p["answers_total"], "answers_settled": p["answers_settled"],
                "markings_total": p["markings_total"], "markings_done": p["markings_done"], "statuses": p["statuses"],
                "examiners": [{k: e[k] for k in ("id", "assigned", "marked", "third")} for e in p["examiners"]],
                "panel_warning": p["panel_warning"],
                "waiting_third": [{"script_no": w.script_no, "question_id": w.question_id, "marks": list(w.marks),
                                   "reason": w.reason} for w in p["waiting_third"]]}

    @get("/sittings/{sitting_id:int}/results", guards=[admins], summary="Released results (passed candidates)")
    async def results(self, request: Request, sitting_id: FromPath[int]) -> list[dict[str, Any]]:
        await services.sitting_for_admin(who(request), sitting_id)
        return [{"mediator_id": p.mediator_id, "grade": p.grade, "score": p.score, "passed": p.passed,
                 "released_on": p.released_on.isoformat() if p.released_on else None}
                for p in await services.passed_candidates(sitting_id)]

    @get("/admissions/{admission_id:int}/replay", guards=[admins], summary="Redraw a paper from its stored seed")
    async def replay(self, request: Request, admission_id: FromPath[int]) -> dict[str, Any]:
        row = await services._admission(admission_id)
        await services.sitting_for_admin(who(request), row["sitting"])
        return await services.replay_draw(admission_id)
