"""Training administration pages: courses (sessions, materials, enrolments, attendance,
the trainer's QR screen), who is short of hours, and the typical-case library's editing."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.accounts import region_options
from core.auth.guards import requires
from core.auth.roles import Principal, Role
from core.errors import DomainError, FieldErrors, Forbidden
from core.i18n import _
from core.nav import flash
from core.web import Page, back_to, form_data, paging, render, submitted, who
from training import attendance, cases, catalogue, courses, enrolments, hours, sessions
from training.catalogue import CourseDetail
from training.controllers import labels, year_or_this
from training.schemas import HOLDS_PLACE, FormValues, rules

admins = requires(Role.ADMIN)
overseers = requires(Role.ADMIN, Role.AUDITOR)


def _course_form(course: CourseDetail) -> dict[str, Any]:
    form = {k: getattr(course, k) for k in ("title", "grade", "region_code", "description", "class_hours", "mode",
                                            "capacity", "prerequisite_grade", "prerequisite_course_id",
                                            "enrol_opens_on", "enrol_closes_on", "starts_on")}
    lead = next((o for o in course.organisers if o.get("region_code") == course.region_code), None)
    form["organiser_name"] = lead["name"] if lead else ""
    form["joint_organisers"] = "\n".join(f"{o['region_code']} {o['name']}" for o in course.organisers if o is not lead)
    for key in ("enrol_opens_on", "enrol_closes_on", "starts_on"):
        if isinstance(form[key], date):
            form[key] = form[key].isoformat()
    return form


async def _create_course(me: Principal, data: FormValues) -> int:
    """A course outside the administrator's authority is a mistake in the region field."""
    try:
        return await courses.create_course(me, data)
    except Forbidden as refused:
        raise FieldErrors({"region_code": refused.message}) from refused


class CourseAdminController(Controller):
    path = "/admin/training"
    include_in_schema = False
    guards = [admins]

    async def _editor(self, request: Request, course_id: int | None, form: dict | None = None, errors: dict | None = None,
                      session_form: dict | None = None, session_errors: dict | None = None,
                      material_form: dict | None = None, material_errors: dict | None = None,
                      status_code: int = 200) -> Template:
        me = who(request)
        course = None
        if course_id is not None:
            course = await catalogue.course_detail(course_id, me)
            courses.require_course_admin(me, course)
        others, _total = await catalogue.list_courses(me, manage=True, page=1, page_size=100)
        library, _count = await cases.search_cases(principal=me, manage=True, page=1, page_size=100)
        return render(
            "training/admin_course.html", status_code=status_code, course=course,
            form=form if form is not None else (_course_form(course) if course else {"mode": "onsite", "capacity": 30}),
            errors=errors or {}, session_form=session_form or {}, session_errors=session_errors or {},
            material_form=material_form or {}, material_errors=material_errors or {},
            region_options=region_options(me),
            course_options=[(c.id, c.title) for c in others if c.id != course_id],
            case_options=[(c.id, c.title) for c in library],
            cases=await cases.cases_by_ids([m.case_id for m in course.materials] if course else []),
            **labels(),
        )

    @get("/courses")
    async def courses(self, request: Request, status: FromQuery[str] = "", grade: FromQuery[str] = "",
                      q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 30)
        rows, total = await catalogue.list_courses(who(request), manage=True, status=status, grade=grade, q=q[:100],
                                                   page=page, page_size=size)
        query = "&".join(f"{k}={v}" for k, v in (("status", status), ("grade", grade), ("q", q)) if v)
        return render("training/admin_courses.html", page=Page(rows, total, page, size), status=status, grade=grade,
                      q=q, query_base="/admin/training/courses" + (f"?{query}" if query else ""), **labels())

    @get("/courses/new")
    async def new_course(self, request: Request) -> Template:
        return await self._editor(request, None)

    @post("/courses")
    async def create_course(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, _create_course(who(request), data),
                               again=lambda errors: self._editor(request, None, form=data, errors=errors),
                               then=lambda course_id: f"/admin/training/courses/{course_id}",
                               said=_("Course created. Add its sessions, then publish it."))

    @get("/courses/{course_id:int}")
    async def course(self, request: Request, course_id: FromPath[int]) -> Template:
        return await self._editor(request, course_id)

    @post("/courses/{course_id:int}")
    async def update_course(self, request: Request, course_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, courses.update_course(who(request), course_id, data),
                               again=lambda errors: self._editor(request, course_id, form=data, errors=errors),
                               then=f"/admin/training/courses/{course_id}", said=_("Course saved."))

    @post("/courses/{course_id:int}/status")
    async def set_status(self, request: Request, course_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await courses.set_course_status(who(request), course_id, data.get("status", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            flash(request, refused.message, "error")
        else:
            flash(request, _("Course status changed."), "ok")
        return back_to(f"/admin/training/courses/{course_id}")

    @post("/courses/{course_id:int}/sessions")
    async def add_session(self, request: Request, course_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, sessions.add_session(who(request), course_id, data),
                               again=lambda errors: self._editor(request, course_id, session_form=data,
                                                                 session_errors=errors),
                               then=f"/admin/training/courses/{course_id}", said=_("Session added."))

    @post("/sessions/{session_id:int}/remove")
    async def remove_session(self, request: Request, session_id: FromPath[int]) -> Redirect:
        removed = await sessions.session(session_id)
        try:
            await sessions.remove_session(who(request), session_id)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            flash(request, refused.message, "error")
        return back_to(f"/admin/training/courses/{removed.course_id}")

    @post("/courses/{course_id:int}/materials")
    async def add_material(self, request: Request, course_id: FromPath[int]) -> Template | Redirect:
        from litestar.datastructures import UploadFile

        from core import uploads

        form = await request.form()
        data = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")

        async def add() -> int:
            file_path = None
            if isinstance(upload, UploadFile) and upload.filename:
                content, kind = await uploads.accept_upload(await upload.read(), "file")
                file_path = uploads.store("training", content, kind).path
                data.setdefault("title", "")
                if not data["title"]:
                    data["title"] = upload.filename[:200]
            return await sessions.add_material(who(request), course_id, data, file_path=file_path)

        return await submitted(request, add(), field="file",
                               again=lambda errors: self._editor(request, course_id, material_form=data,
                                                                 material_errors=errors),
                               then=f"/admin/training/courses/{course_id}", said=_("Material added."))

    @get("/courses/{course_id:int}/enrolments")
    async def enrolments(self, request: Request, course_id: FromPath[int]) -> Template:
        course = await catalogue.course_detail(course_id, who(request))
        courses.require_course_admin(who(request), course)
        rows = await enrolments.enrolments_of_course(course_id)
        return render("training/admin_enrolments.html", course=course, rows=rows, **labels())

    async def _session_course(self, request: Request, session_id: int) -> tuple[sessions.TrainingSession, CourseDetail]:
        """The session and its course, for the course's administrators only."""
        found = await sessions.session(session_id)
        course = await catalogue.course_detail(found.course_id, who(request))
        courses.require_course_admin(who(request), course)
        return found, course

    async def _attendance(self, request: Request, session_id: int, error: str = "", status_code: int = 200) -> Template:
        session, course = await self._session_course(request, session_id)
        rows = [r for r in await enrolments.enrolments_of_course(course.id) if r.status in HOLDS_PLACE]
        present = await attendance.attendance_of_session(session_id)
        return render("training/admin_attendance.html", status_code=status_code, session=session, course=course,
                      rows=rows, present=present, error=error, **labels())

    @get("/sessions/{session_id:int}/attendance")
    async def attendance(self, request: Request, session_id: FromPath[int]) -> Template:
        return await self._attendance(request, session_id)

    @post("/sessions/{session_id:int}/attendance")
    async def mark_attendance(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        form = await request.form()
        present = [int(v) for v in form.getall("present") if isinstance(v, str) and v.isdecimal()] if "present" in form else []
        try:
            outcome = await attendance.mark_attendance(who(request), session_id, present)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._attendance(request, session_id, refused.message, 400)
        flash(request, _("Attendance saved (%(added)s added, %(removed)s removed, %(changes)s completions changed).",
                         added=outcome.added, removed=outcome.removed, changes=outcome.completion_changes), "ok")
        return back_to(f"/admin/training/sessions/{session_id}/attendance")

    @get("/sessions/{session_id:int}/qr")
    async def qr_screen(self, request: Request, session_id: FromPath[int]) -> Template:
        session, course = await self._session_course(request, session_id)
        code = attendance.sign_in_code(session_id)
        return Template(
            template_name="training/admin_qr.html",
            context={"session": session, "course": course, "code": code, "url": attendance.sign_in_url(code),
                     "seconds": rules().qr_sign_in_slot_seconds},
            headers={"Refresh": str(rules().qr_sign_in_slot_seconds // 2), "Cache-Control": "no-store"},
        )

    @get("/sessions/{session_id:int}/qr.png")
    async def qr_png(self, request: Request, session_id: FromPath[int], code: FromQuery[str] = "") -> Response[bytes]:
        import qrcode

        await self._session_course(request, session_id)
        if not code.startswith(f"{session_id}-"):
            code = attendance.sign_in_code(session_id)
        image = qrcode.make(attendance.sign_in_url(code[:100]), box_size=8, border=2)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})


class HoursAdminController(Controller):
    path = "/admin/training/hours"
    include_in_schema = False
    guards = [overseers]

    @get("/")
    async def short_of_hours(self, request: Request, region: FromQuery[str] = "", year: FromQuery[int | None] = None) -> Template:
        me = who(request)
        regions = me.regions_for(Role.ADMIN, Role.AUDITOR)
        region = region if region and me.can_act_in(region, Role.ADMIN, Role.AUDITOR) else regions[0]
        year = year_or_this(year)
        rows = await hours.short_of_hours(region, year)
        options = region_options(Principal(user_id=me.user_id, grants=tuple(
            g.__class__(Role.ADMIN, g.region_code) for g in me.grants if g.role in (Role.ADMIN, Role.AUDITOR))))
        return render("training/admin_hours.html", rows=rows, region=region, year=year, region_options=options,
                      **labels())


class CasesAdminController(Controller):
    path = "/admin/training/cases"
    include_in_schema = False
    guards = [admins]

    async def _editor(self, request: Request, case_id: int | None, form=None, errors=None, status_code=200) -> Template:
        case = await cases.typical_case(case_id, who(request)) if case_id else None
        if case and not who(request).can_act_in(case.region_code, Role.ADMIN):
            raise Forbidden(_("This record belongs to a region outside your authority."))
        return render("training/admin_case.html", status_code=status_code, case=case,
                      form=form if form is not None else (asdict(case) if case else {}), errors=errors or {},
                      region_options=region_options(who(request)), **labels())

    @get("/")
    async def cases(self, request: Request, q: FromQuery[str] = "", dispute_type: FromQuery[str] = "",
                    page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 30)
        rows, total = await cases.search_cases(q[:100], dispute_type, principal=who(request), manage=True, page=page,
                                               page_size=size)
        return render("training/admin_cases.html", page=Page(rows, total, page, size), q=q, dispute_type=dispute_type,
                      query_base="/admin/training/cases" + (f"?q={q}" if q else ""), **labels())

    @get("/new")
    async def new_case(self, request: Request) -> Template:
        return await self._editor(request, None)

    @post("/")
    async def create_case(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, cases.create_case(who(request), data),
                               again=lambda errors: self._editor(request, None, form=data, errors=errors),
                               then=lambda case_id: f"/admin/training/cases/{case_id}",
                               said=_("Typical case saved as a draft."))

    @get("/{case_id:int}")
    async def case(self, request: Request, case_id: FromPath[int]) -> Template:
        return await self._editor(request, case_id)

    @post("/{case_id:int}")
    async def update_case(self, request: Request, case_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, cases.update_case(who(request), case_id, data),
                               again=lambda errors: self._editor(request, case_id, form=data, errors=errors),
                               then=f"/admin/training/cases/{case_id}", said=_("Typical case saved."))

    @post("/{case_id:int}/publish")
    async def publish(self, request: Request, case_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        await cases.publish_case(who(request), case_id, data.get("published", "1") == "1")
        flash(request, _("Publication changed."), "ok")
        return back_to(f"/admin/training/cases/{case_id}")
