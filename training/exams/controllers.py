"""Examination pages of the administrators: the bank, papers, sittings, tickets, marking
progress, release and item statistics; and a small JSON API. The candidate's pages are in
taking_controllers, the examiner's in marking_controllers; the labels they share are here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.nav import flash
from core.regions import region_choices
from core.vocab import Grade, choices
from core.web import back_to, form_data, paging, render, submitted, who
from training.exams import bank, marking, papers, results, services, sittings

admins = requires(Role.ADMIN)


def labels() -> dict[str, Any]:
    return {
        "grade_options": choices(Grade), "grade_labels": dict(choices(Grade)),
        "kind_options": [(k, bank.kind_label(k)) for k in bank.KINDS],
        "kind_labels": {k: bank.kind_label(k) for k in bank.KINDS},
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


def flash_refusal(request: Request, refused: DomainError) -> None:
    if refused.status_code in (403, 404):
        raise refused
    flash(request, refused.message, "error")


def _flash_assignment(request: Request, assignment: marking.Assignment, *, created: bool = True) -> None:
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
        rows, total = await bank.list_questions(kind=kind, topic=topic, grade=grade, page=page, page_size=size,
                                                    principal=who(request))
        from core.web import Page

        query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("topic", topic), ("grade", grade)) if v)
        return render("exams/admin_bank.html", status_code=status_code, page=Page(rows, total, page, size),
                      filters={"kind": kind, "topic": topic, "grade": grade}, topics=await bank.topics(),
                      query_base="/admin/exams/questions" + (f"?{query}" if query else ""), form=form or {},
                      errors=errors or {}, report=report, columns=bank.CSV_COLUMNS, **labels())

    @get("/")
    async def bank(self, request: Request, kind: FromQuery[str] = "", topic: FromQuery[str] = "",
                   grade: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return await self._page(request, kind=kind, topic=topic, grade=grade, page=page)

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, bank.create_question(who(request), data),
                               again=lambda errors: self._page(request, form=data, errors=errors),
                               then="/admin/exams/questions", said=_("Question added."))

    @get("/{question_id:int}")
    async def edit_page(self, request: Request, question_id: FromPath[int]) -> Template:
        q = await bank.readable_question(who(request), question_id)
        form = {**asdict(q), "options": "\n".join(q.options), "answer": bank.answer_text(q)}
        return render("exams/admin_question.html", q=q, form=form, errors={}, **labels())

    @post("/{question_id:int}")
    async def update(self, request: Request, question_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            q = await bank.readable_question(who(request), question_id)
            return render("exams/admin_question.html", q=q, form=data, errors=errors, **labels())

        return await submitted(request, bank.update_question(who(request), question_id, data), again=again,
                               then="/admin/exams/questions", said=_("Question saved."))

    @post("/{question_id:int}/active")
    async def set_active(self, request: Request, question_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        await bank.set_question_active(who(request), question_id, data.get("active") == "1")
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
            if len(content) > bank.rules().max_upload_bytes:
                raise DomainError(_("The file is too large."), "file")
            report = await bank.import_questions(who(request), upload.filename, content,
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

        table = await bank.question_table(kind=kind, topic=topic, grade=grade, principal=who(request))
        return exports.download(table, "xlsx" if format == "xlsx" else "csv", stem=_("Question bank"),
                                ascii_stem="questions", qualifiers=[clock.today()])


class PapersController(Controller):
    path = "/admin/exams/papers"
    include_in_schema = False
    guards = [admins]

    @get("/")
    async def papers(self, request: Request) -> Template:
        return render("exams/admin_papers.html", papers=await papers.papers(who(request)), form={"duration_minutes": 90},
                      errors={}, **labels())

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            return render("exams/admin_papers.html", papers=await papers.papers(who(request)), form=data,
                          errors=errors, **labels())

        return await submitted(request, papers.create_paper(who(request), data), again=again,
                               then=lambda paper_id: f"/admin/exams/papers/{paper_id}")

    async def _detail(self, request: Request, paper_id: int, errors: dict | None = None, status_code: int = 200,
                      ids_text: str | None = None) -> Template:
        paper = await papers.readable_paper(who(request), paper_id)
        ids = await papers.paper_question_ids(paper_id)
        found = await bank.questions_by_id(ids)
        return render("exams/admin_paper.html", status_code=status_code, paper=paper,
                      questions=[found[q] for q in ids if q in found], problems=await papers.paper_problems(paper),
                      blueprint_text=papers.blueprint_text(paper.blueprint), errors=errors or {},
                      ids_text=ids_text if ids_text is not None else ", ".join(map(str, ids)), **labels())

    @get("/{paper_id:int}")
    async def detail(self, request: Request, paper_id: FromPath[int]) -> Template:
        return await self._detail(request, paper_id)

    @post("/{paper_id:int}/questions")
    async def set_questions(self, request: Request, paper_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, papers.set_paper_questions(who(request), paper_id,
                                                                   _ints(data.get("question_ids", ""))),
                               again=lambda errors: self._detail(request, paper_id, errors,
                                                                 ids_text=data.get("question_ids", "")),
                               then=f"/admin/exams/papers/{paper_id}", said=_("Paper saved."), field="question_ids")

    @get("/{paper_id:int}/statistics")
    async def statistics(self, request: Request, paper_id: FromPath[int]) -> Template:
        items = await results.item_statistics(who(request), paper_id)
        return render("exams/admin_statistics.html", paper=await papers.readable_paper(who(request), paper_id),
                      items=items, **labels())


class SittingsController(Controller):
    path = "/admin/exams/sittings"
    include_in_schema = False
    guards = [admins]

    async def _list(self, request: Request, form: dict | None = None, errors: dict | None = None,
                    status_code: int = 200) -> Template:
        me = who(request)
        root = bank.admin_region(me)
        return render("exams/admin_sittings.html", status_code=status_code,
                      sittings=await sittings.sittings_for_admin(me), papers=await papers.papers(me),
                      regions=[(c, n) for c, n, _level in region_choices(root)] if root else [],
                      form=form or {"region_code": root}, errors=errors or {}, **labels())

    @get("/")
    async def sittings(self, request: Request) -> Template:
        return await self._list(request)

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, sittings.create_sitting(who(request), data),
                               again=lambda errors: self._list(request, data, errors),
                               then=lambda sitting_id: f"/admin/exams/sittings/{sitting_id}",
                               said=_("Sitting created."))

    async def _detail(self, request: Request, sitting_id: int, refused: dict | None = None,
                      status_code: int = 200, edit_form: dict | None = None,
                      edit_errors: dict | None = None) -> Template:
        me = who(request)
        sitting = await sittings.sitting_for_admin(me, sitting_id)
        progress = await marking.marking_progress(me, sitting_id)
        edit_form = edit_form or {"title": sitting.title, "duration_minutes": sitting.duration_minutes,
                                  "opens_at": clock.iso(sitting.opens_at)[:16],
                                  "closes_at": clock.iso(sitting.closes_at)[:16]}
        return render("exams/admin_sitting.html", status_code=status_code, sitting=sitting,
                      phase=sittings.sitting_phase(sitting), paper=await papers.paper(sitting.paper),
                      candidates=await sittings.candidates(me, sitting_id), progress=progress,
                      examiner_choices=await sittings.examiner_choices(sitting.region_code),
                      rechecks=await results.rechecks_for_admin(me, sitting_id), refused=refused or {},
                      edit_form=edit_form, edit_errors=edit_errors or {}, **labels())

    @get("/{sitting_id:int}")
    async def detail(self, request: Request, sitting_id: FromPath[int]) -> Template:
        return await self._detail(request, sitting_id)

    @post("/{sitting_id:int}/candidates")
    async def admit(self, request: Request, sitting_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            if data.get("all_eligible") == "1":
                admitted, refused = await sittings.admit_eligible_in_region(who(request), sitting_id)
            else:
                ids = _ints(data.get("mediator_ids", ""))
                if not ids:
                    raise DomainError(_("Enter mediator numbers."), "mediator_ids")
                admitted, refused = await sittings.admit_candidates(who(request), sitting_id, ids)
        except DomainError as refused_error:
            flash_refusal(request, refused_error)
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
            assignment = await marking.set_panel(who(request), sitting_id, ids)
            flash(request, _("Marking panel saved."), "ok")
            _flash_assignment(request, assignment, created=False)
        except DomainError as refused:
            flash_refusal(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/edit")
    async def edit(self, request: Request, sitting_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await sittings.update_sitting(who(request), sitting_id, data)
            flash(request, _("Sitting saved."), "ok")
        except FieldErrors as invalid:
            return await self._detail(request, sitting_id, edit_form=data, edit_errors=invalid.errors,
                                      status_code=400)
        except DomainError as refused:
            flash_refusal(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @get("/{sitting_id:int}/tickets")
    async def tickets(self, request: Request, sitting_id: FromPath[int]) -> Template:
        return render("exams/tickets.html", tickets=await sittings.tickets(who(request), sitting_id), **labels())

    @post("/{sitting_id:int}/reassign")
    async def reassign(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            moved, kept = await marking.reassign(who(request), sitting_id, int(data.get("from_examiner") or 0),
                                                  int(data.get("to_examiner") or 0))
            flash(request, _("%(moved)s scripts moved; %(kept)s stayed because that examiner already has them.",
                             moved=moved, kept=kept), "ok")
        except (DomainError, ValueError) as refused:
            if isinstance(refused, DomainError):
                flash_refusal(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/assign")
    async def assign(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        await sittings.sitting_for_admin(who(request), sitting_id)
        _flash_assignment(request, await marking.assign_pending(sitting_id))
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/{sitting_id:int}/release")
    async def release(self, request: Request, sitting_id: FromPath[int]) -> Redirect:
        try:
            count = await results.release_results(who(request), sitting_id)
            flash(request, _("Results released to %(n)s candidates.", n=count), "ok")
        except DomainError as refused:
            flash_refusal(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}")

    @post("/rechecks/{recheck_id:int}/assign")
    async def assign_recheck(self, request: Request, recheck_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        sitting_id = int(data.get("sitting_id") or 0)
        try:
            await results.assign_recheck(who(request), recheck_id, int(data.get("examiner_id") or 0))
            flash(request, _("Re-check assigned."), "ok")
        except DomainError as refused:
            flash_refusal(request, refused)
        return back_to(f"/admin/exams/sittings/{sitting_id}" if sitting_id else "/admin/exams/sittings")


# ------------------------------------------------------------------------------ API

class ExamsApiController(Controller):
    path = "/api/v1/exams"
    tags = ["exams"]

    @get("/sittings", guards=[admins], summary="Sittings in the administrator's region")
    async def sittings(self, request: Request) -> list[dict[str, Any]]:
        rows = await sittings.sittings_for_admin(who(request))
        return [{"id": r.sitting.id, "title": r.sitting.title, "grade": r.sitting.grade, "region": r.sitting.region_code,
                 "opens_at": clock.iso(r.sitting.opens_at), "closes_at": clock.iso(r.sitting.closes_at),
                 "phase": r.phase, "candidates": r.candidates} for r in rows]

    @get("/sittings/{sitting_id:int}/progress", guards=[admins], summary="Marking progress of a sitting")
    async def progress(self, request: Request, sitting_id: FromPath[int]) -> dict[str, Any]:
        p = await marking.marking_progress(who(request), sitting_id)
        return {"sitting_id": sitting_id, "answers_total": p.answers_total, "answers_settled": p.answers_settled,
                "markings_total": p.markings_total, "markings_done": p.markings_done, "statuses": p.statuses,
                "examiners": [{"id": e.id, "assigned": e.assigned, "marked": e.marked, "third": e.third}
                              for e in p.examiners],
                "panel_warning": p.panel_warning,
                "waiting_third": [{"script_no": w.script_no, "question_id": w.question_id, "marks": list(w.marks),
                                   "reason": w.reason} for w in p.waiting_third]}

    @get("/sittings/{sitting_id:int}/results", guards=[admins], summary="Released results (passed candidates)")
    async def results(self, request: Request, sitting_id: FromPath[int]) -> list[dict[str, Any]]:
        await sittings.sitting_for_admin(who(request), sitting_id)
        return [{"mediator_id": p.mediator_id, "grade": p.grade, "score": p.score, "passed": p.passed,
                 "released_on": p.released_on.isoformat() if p.released_on else None}
                for p in await services.passed_candidates(sitting_id)]

    @get("/admissions/{admission_id:int}/replay", guards=[admins], summary="Redraw a paper from its stored seed")
    async def replay(self, request: Request, admission_id: FromPath[int]) -> dict[str, Any]:
        row = await sittings.load_admission(admission_id)
        await sittings.sitting_for_admin(who(request), row.sitting)
        replay = await sittings.replay_draw(admission_id)
        return {"matches": replay.matches, "question_ids": replay.question_ids}
