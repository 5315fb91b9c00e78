"""Training pages and API: the course catalogue, enrolment and withdrawal, QR sign-in,
my training and hours, course administration (sessions, materials, enrolments,
attendance, the trainer's QR screen), who is short of hours, and the typical-case library."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import clock
from core.accounts import region_options
from core.auth.guards import PUBLIC, requires, signed_in
from core.auth.roles import Principal, Role
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.nav import flash
from core.vocab import DisputeType, Grade, choices
from core.web import Page, back_to, form_data, paging, render, who
from training import services

admins = requires(Role.ADMIN)
overseers = requires(Role.ADMIN, Role.AUDITOR)
mediators = requires(Role.MEDIATOR)


def labels() -> dict[str, Any]:
    return {
        "grade_options": choices(Grade), "grade_labels": dict(choices(Grade)),
        "dispute_options": choices(DisputeType), "dispute_labels": dict(choices(DisputeType)),
        "mode_options": [("onsite", _("On-site")), ("online", _("Online"))],
        "mode_labels": {"onsite": _("On-site"), "online": _("Online")},
        "status_labels": {"draft": _("Draft"), "published": _("Published"), "closed": _("Closed")},
        "enrolment_labels": {
            "enrolled": _("Enrolled"), "waitlisted": _("Waitlisted"), "withdrawn": _("Withdrawn"),
            "completed": _("Completed"), "waitlist_closed": _("Waitlist closed"),
        },
        "ratio": services.rules().attendance_completion_ratio,
        "required_hours": services.rules().yearly_training_hours,
    }


async def _my_mediator_id(request: Request) -> int:
    mediator_id = await services.mediator_id_of(who(request))
    if mediator_id is None:
        raise Forbidden(_("No mediator record is linked to this account."))
    return mediator_id


def _year(value: int | None) -> int:
    year = value or clock.today().year
    return year if 2000 <= year <= 2100 else clock.today().year


# --------------------------------------------------------------------------- public catalogue and mediators
class CoursesController(Controller):
    path = "/training"
    include_in_schema = False

    @get("/courses", opt=PUBLIC)
    async def courses(self, request: Request, grade: FromQuery[str] = "", q: FromQuery[str] = "",
                      page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 20)
        rows, total = await services.list_courses(grade=grade if grade in {g.value for g in Grade} else "", q=q[:100],
                                                  page=page, page_size=size)
        query = "&".join(f"{k}={v}" for k, v in (("grade", grade), ("q", q)) if v)
        return render("training/courses.html", page=Page(rows, total, page, size), grade=grade, q=q,
                      query_base="/training/courses" + (f"?{query}" if query else ""), **labels())

    @get("/courses/{course_id:int}", opt=PUBLIC)
    async def course(self, request: Request, course_id: FromPath[int]) -> Template:
        me = who(request)
        course = await services.course_detail(course_id, me)
        enrolment, refusals, mediator_id = None, [], None
        if me.is_authenticated and me.has_role(Role.MEDIATOR):
            mediator_id = await services.mediator_id_of(me)
            if mediator_id:
                enrolment = await services.enrolment_of(course_id, mediator_id)
                refusals = [message for _code, message in await services.eligibility_refusals(course, mediator_id)]
        cases = await services.cases_by_ids([m["case_id"] for m in course["materials"]])
        return render("training/course.html", course=course, enrolment=enrolment, refusals=refusals,
                      is_mediator=mediator_id is not None, can_manage=services.can_manage_course(me, course),
                      cases=cases, started=await services.course_has_started(course), **labels())

    @post("/courses/{course_id:int}/enrol", guards=[mediators])
    async def enrol(self, request: Request, course_id: FromPath[int]) -> Redirect:
        mediator_id = await _my_mediator_id(request)
        try:
            result = await services.enrol(who(request), course_id, mediator_id)
        except DomainError as refused:
            if refused.status_code == 404:
                raise
            flash(request, refused.message, "error")
        else:
            if result.status == services.ENROLLED:
                flash(request, _("You are enrolled."), "ok")
            else:
                flash(request, _("The course is full: you are number %(position)s on the waitlist.",
                                 position=result.position), "ok")
        return back_to(f"/training/courses/{course_id}")

    @post("/courses/{course_id:int}/withdraw", guards=[mediators])
    async def withdraw(self, request: Request, course_id: FromPath[int]) -> Redirect:
        mediator_id = await _my_mediator_id(request)
        try:
            await services.withdraw(who(request), course_id, mediator_id)
        except DomainError as refused:
            if refused.status_code == 404:
                raise
            flash(request, refused.message, "error")
        else:
            flash(request, _("You have withdrawn from the course."), "ok")
        return back_to(f"/training/courses/{course_id}")

    @get("/materials/{material_id:int}/file", guards=[signed_in])
    async def material_file(self, request: Request, material_id: FromPath[int]) -> Response[bytes]:
        from core import uploads

        material = await services.material(material_id, who(request))
        if not material["file_path"]:
            raise NotFound(_("No such material."))
        path = uploads.open_stored(material["file_path"])
        if not path.exists():
            raise NotFound(_("No such material."))
        media = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}.get(path.suffix.lstrip("."),
                                                                                        "application/octet-stream")
        return Response(path.read_bytes(), media_type=media,
                        headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})

    @get("/sign-in/{code:str}", guards=[mediators])
    async def sign_in(self, request: Request, code: FromPath[str], session: FromQuery[int | None] = None) -> Template:
        mediator_id = await _my_mediator_id(request)
        try:
            result = await services.sign_in(who(request), code[:100], mediator_id, session_id=session)
        except DomainError as refused:
            if refused.status_code == 404:
                return render("training/sign_in.html", status_code=400, result=None,
                              reason=_("This sign-in code is not valid. Scan the code on the trainer's screen again."))
            return render("training/sign_in.html", status_code=400, result=None, reason=refused.message)
        return render("training/sign_in.html", result=result, reason="")

    @get("/my", guards=[mediators])
    async def my_training(self, request: Request, year: FromQuery[int | None] = None) -> Template:
        mediator_id = await _my_mediator_id(request)
        year = _year(year)
        ledger = await services.hours_ledger(mediator_id, year)
        enrolments = await services.my_enrolments(mediator_id)
        return render("training/my.html", ledger=ledger, enrolments=enrolments, year=year, **labels())


class CasesController(Controller):
    path = "/training/cases"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def cases(self, q: FromQuery[str] = "", dispute_type: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 20)
        dispute_type = dispute_type if dispute_type in {d.value for d in DisputeType} else ""
        rows, total = await services.search_cases(q[:100], dispute_type, page=page, page_size=size)
        query = "&".join(f"{k}={v}" for k, v in (("q", q), ("dispute_type", dispute_type)) if v)
        return render("training/cases.html", page=Page(rows, total, page, size), q=q, dispute_type=dispute_type,
                      query_base="/training/cases" + (f"?{query}" if query else ""), **labels())

    @get("/{case_id:int}", opt=PUBLIC)
    async def case(self, request: Request, case_id: FromPath[int]) -> Template:
        case = await services.typical_case(case_id, who(request))
        return render("training/case.html", case=case, **labels())


# --------------------------------------------------------------------------- administration
def _course_form(course: dict[str, Any]) -> dict[str, Any]:
    form = {k: course.get(k) for k in ("title", "grade", "region_code", "description", "class_hours", "mode", "capacity",
                                       "prerequisite_grade", "prerequisite_course_id", "enrol_opens_on",
                                       "enrol_closes_on", "starts_on")}
    organisers = course.get("organisers") or []
    lead = next((o for o in organisers if o.get("region_code") == course.get("region_code")), None)
    form["organiser_name"] = lead["name"] if lead else ""
    form["joint_organisers"] = "\n".join(f"{o['region_code']} {o['name']}" for o in organisers if o is not lead)
    for key in ("enrol_opens_on", "enrol_closes_on", "starts_on"):
        if isinstance(form[key], date):
            form[key] = form[key].isoformat()
    return form


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
            course = await services.course_detail(course_id, me)
            services.require_course_admin(me, course)
        others, _total = await services.list_courses(me, manage=True, page=1, page_size=100)
        cases, _count = await services.search_cases(principal=me, manage=True, page=1, page_size=100)
        return render(
            "training/admin_course.html", status_code=status_code, course=course,
            form=form if form is not None else (_course_form(course) if course else {"mode": "onsite", "capacity": 30}),
            errors=errors or {}, session_form=session_form or {}, session_errors=session_errors or {},
            material_form=material_form or {}, material_errors=material_errors or {},
            region_options=region_options(me),
            course_options=[(c["id"], c["title"]) for c in others if c["id"] != course_id],
            case_options=[(c["id"], c["title"]) for c in cases],
            cases=await services.cases_by_ids([m["case_id"] for m in (course or {}).get("materials", [])]),
            **labels(),
        )

    @get("/courses")
    async def courses(self, request: Request, status: FromQuery[str] = "", grade: FromQuery[str] = "",
                      q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 30)
        rows, total = await services.list_courses(who(request), manage=True, status=status, grade=grade, q=q[:100],
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
        try:
            course_id = await services.create_course(who(request), data)
        except FieldErrors as invalid:
            return await self._editor(request, None, form=data, errors=invalid.errors, status_code=400)
        except Forbidden as refused:
            return await self._editor(request, None, form=data, errors={"region_code": refused.message}, status_code=400)
        flash(request, _("Course created. Add its sessions, then publish it."), "ok")
        return back_to(f"/admin/training/courses/{course_id}")

    @get("/courses/{course_id:int}")
    async def course(self, request: Request, course_id: FromPath[int]) -> Template:
        return await self._editor(request, course_id)

    @post("/courses/{course_id:int}")
    async def update_course(self, request: Request, course_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.update_course(who(request), course_id, data)
        except FieldErrors as invalid:
            return await self._editor(request, course_id, form=data, errors=invalid.errors, status_code=400)
        flash(request, _("Course saved."), "ok")
        return back_to(f"/admin/training/courses/{course_id}")

    @post("/courses/{course_id:int}/status")
    async def set_status(self, request: Request, course_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.set_course_status(who(request), course_id, data.get("status", ""))
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
        try:
            await services.add_session(who(request), course_id, data)
        except FieldErrors as invalid:
            return await self._editor(request, course_id, session_form=data, session_errors=invalid.errors,
                                      status_code=400)
        flash(request, _("Session added."), "ok")
        return back_to(f"/admin/training/courses/{course_id}")

    @post("/sessions/{session_id:int}/remove")
    async def remove_session(self, request: Request, session_id: FromPath[int]) -> Redirect:
        session = await services._session(session_id)
        try:
            await services.remove_session(who(request), session_id)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            flash(request, refused.message, "error")
        return back_to(f"/admin/training/courses/{session['course']}")

    @post("/courses/{course_id:int}/materials")
    async def add_material(self, request: Request, course_id: FromPath[int]) -> Template | Redirect:
        from litestar.datastructures import UploadFile

        from core import uploads

        form = await request.form()
        data = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        try:
            file_path = None
            if isinstance(upload, UploadFile) and upload.filename:
                content, kind = await uploads.accept_upload(await upload.read(), "file")
                file_path = uploads.store("training", content, kind).path
                data.setdefault("title", "")
                if not data["title"]:
                    data["title"] = upload.filename[:200]
            await services.add_material(who(request), course_id, data, file_path=file_path)
        except FieldErrors as invalid:
            return await self._editor(request, course_id, material_form=data, material_errors=invalid.errors,
                                      status_code=400)
        except DomainError as invalid:
            if invalid.status_code in (403, 404):
                raise
            return await self._editor(request, course_id, material_form=data,
                                      material_errors={invalid.field or "file": invalid.message}, status_code=400)
        flash(request, _("Material added."), "ok")
        return back_to(f"/admin/training/courses/{course_id}")

    @get("/courses/{course_id:int}/enrolments")
    async def enrolments(self, request: Request, course_id: FromPath[int]) -> Template:
        course = await services.course_detail(course_id, who(request))
        services.require_course_admin(who(request), course)
        rows = await services.enrolments_of_course(course_id)
        return render("training/admin_enrolments.html", course=course, rows=rows, **labels())

    async def _attendance(self, request: Request, session_id: int, error: str = "", status_code: int = 200) -> Template:
        session = await services._session(session_id)
        course = await services.course_detail(session["course"], who(request))
        services.require_course_admin(who(request), course)
        rows = [r for r in await services.enrolments_of_course(course["id"]) if r["status"] in services.HOLDS_PLACE]
        present = await services.attendance_of_session(session_id)
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
            outcome = await services.mark_attendance(who(request), session_id, present)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._attendance(request, session_id, refused.message, 400)
        flash(request, _("Attendance saved (%(added)s added, %(removed)s removed, %(changes)s completions changed).",
                         added=outcome["added"], removed=outcome["removed"], changes=outcome["completion_changes"]), "ok")
        return back_to(f"/admin/training/sessions/{session_id}/attendance")

    @get("/sessions/{session_id:int}/qr")
    async def qr_screen(self, request: Request, session_id: FromPath[int]) -> Template:
        session = await services._session(session_id)
        course = await services.course_detail(session["course"], who(request))
        services.require_course_admin(who(request), course)
        code = services.sign_in_code(session_id)
        return Template(
            template_name="training/admin_qr.html",
            context={"session": session, "course": course, "code": code, "url": services.sign_in_url(code),
                     "seconds": services.rules().qr_sign_in_slot_seconds},
            headers={"Refresh": str(services.rules().qr_sign_in_slot_seconds // 2), "Cache-Control": "no-store"},
        )

    @get("/sessions/{session_id:int}/qr.png")
    async def qr_png(self, request: Request, session_id: FromPath[int], code: FromQuery[str] = "") -> Response[bytes]:
        import qrcode

        session = await services._session(session_id)
        course = await services.course_detail(session["course"], who(request))
        services.require_course_admin(who(request), course)
        if not code.startswith(f"{session_id}-"):
            code = services.sign_in_code(session_id)
        image = qrcode.make(services.sign_in_url(code[:100]), box_size=8, border=2)
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
        year = _year(year)
        rows = await services.short_of_hours(region, year)
        options = region_options(Principal(user_id=me.user_id, grants=tuple(
            g.__class__(Role.ADMIN, g.region_code) for g in me.grants if g.role in (Role.ADMIN, Role.AUDITOR))))
        return render("training/admin_hours.html", rows=rows, region=region, year=year, region_options=options,
                      **labels())


class CasesAdminController(Controller):
    path = "/admin/training/cases"
    include_in_schema = False
    guards = [admins]

    async def _editor(self, request: Request, case_id: int | None, form=None, errors=None, status_code=200) -> Template:
        case = await services.typical_case(case_id, who(request)) if case_id else None
        if case and not who(request).can_act_in(case["region_code"], Role.ADMIN):
            raise Forbidden(_("This record belongs to a region outside your authority."))
        return render("training/admin_case.html", status_code=status_code, case=case,
                      form=form if form is not None else (case or {}), errors=errors or {},
                      region_options=region_options(who(request)), **labels())

    @get("/")
    async def cases(self, request: Request, q: FromQuery[str] = "", dispute_type: FromQuery[str] = "",
                    page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 30)
        rows, total = await services.search_cases(q[:100], dispute_type, principal=who(request), manage=True, page=page,
                                                  page_size=size)
        return render("training/admin_cases.html", page=Page(rows, total, page, size), q=q, dispute_type=dispute_type,
                      query_base="/admin/training/cases" + (f"?q={q}" if q else ""), **labels())

    @get("/new")
    async def new_case(self, request: Request) -> Template:
        return await self._editor(request, None)

    @post("/")
    async def create_case(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            case_id = await services.create_case(who(request), data)
        except FieldErrors as invalid:
            return await self._editor(request, None, form=data, errors=invalid.errors, status_code=400)
        flash(request, _("Typical case saved as a draft."), "ok")
        return back_to(f"/admin/training/cases/{case_id}")

    @get("/{case_id:int}")
    async def case(self, request: Request, case_id: FromPath[int]) -> Template:
        return await self._editor(request, case_id)

    @post("/{case_id:int}")
    async def update_case(self, request: Request, case_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await services.update_case(who(request), case_id, data)
        except FieldErrors as invalid:
            return await self._editor(request, case_id, form=data, errors=invalid.errors, status_code=400)
        flash(request, _("Typical case saved."), "ok")
        return back_to(f"/admin/training/cases/{case_id}")

    @post("/{case_id:int}/publish")
    async def publish(self, request: Request, case_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        await services.publish_case(who(request), case_id, data.get("published", "1") == "1")
        flash(request, _("Publication changed."), "ok")
        return back_to(f"/admin/training/cases/{case_id}")


# --------------------------------------------------------------------------- JSON API
class CourseOut(msgspec.Struct):
    id: int
    title: str
    grade: str
    region_code: str
    organisers: list[dict[str, str]]
    class_hours: float
    mode: str
    capacity: int
    places_left: int
    waitlisted: int
    enrol_opens_on: date | None
    enrol_closes_on: date | None
    starts_on: date | None
    status: str
    prerequisite_grade: str | None
    prerequisite_course_id: int | None


def _course_out(row: dict[str, Any]) -> CourseOut:
    organisers = row.get("organisers") or []
    if isinstance(organisers, str):
        import json

        organisers = json.loads(organisers or "[]")
    return CourseOut(
        id=row["id"], title=row["title"], grade=row["grade"], region_code=row["region_code"], organisers=organisers,
        class_hours=float(row["class_hours"]), mode=row["mode"], capacity=row["capacity"],
        places_left=row.get("places_left", 0), waitlisted=row.get("waitlisted", 0),
        enrol_opens_on=row["enrol_opens_on"], enrol_closes_on=row["enrol_closes_on"], starts_on=row["starts_on"],
        status=row["status"], prerequisite_grade=row["prerequisite_grade"],
        prerequisite_course_id=row["prerequisite_course_id"],
    )


class EnrolmentOut(msgspec.Struct):
    course_id: int
    status: str
    waitlist_position: int | None


class TrainingApiController(Controller):
    path = "/api/v1/training"
    tags = ["training"]

    @get("/courses", opt=PUBLIC, summary="Published courses")
    async def courses(self, grade: FromQuery[str] = "", q: FromQuery[str] = "", page: FromQuery[int] = 1,
                      page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(min(page, 10_000), page_size)
        rows, total = await services.list_courses(grade=grade, q=q[:100], page=page, page_size=size)
        return Page(rows, total, page, size).as_json([_course_out(r) for r in rows])

    @get("/courses/{course_id:int}", opt=PUBLIC, summary="One published course with its sessions")
    async def course(self, course_id: FromPath[int]) -> dict[str, Any]:
        course = await services.course_detail(course_id)
        out = msgspec.to_builtins(_course_out(course))
        out["sessions"] = [{"id": s["id"], "starts_at": clock.iso(s["starts_at"]), "ends_at": clock.iso(s["ends_at"]),
                            "place": s["place"], "online_link": s["online_link"], "hours": float(s["hours"])}
                           for s in course["sessions"]]
        return out

    @post("/courses/{course_id:int}/enrol", guards=[mediators], status_code=201,
          summary="Enrol the signed-in mediator (or join the waitlist when full)")
    async def enrol(self, request: Request, course_id: FromPath[int]) -> EnrolmentOut:
        result = await services.enrol(who(request), course_id, await _my_mediator_id(request))
        return EnrolmentOut(course_id=course_id, status=result.status, waitlist_position=result.position)

    @post("/courses/{course_id:int}/withdraw", guards=[mediators], status_code=200,
          summary="Withdraw the signed-in mediator before the course starts")
    async def withdraw(self, request: Request, course_id: FromPath[int]) -> EnrolmentOut:
        await services.withdraw(who(request), course_id, await _my_mediator_id(request))
        return EnrolmentOut(course_id=course_id, status=services.WITHDRAWN, waitlist_position=None)

    @get("/hours", guards=[mediators], summary="The signed-in mediator's hours ledger for a year")
    async def hours(self, request: Request, year: FromQuery[int | None] = None) -> dict[str, Any]:
        ledger = await services.hours_ledger(await _my_mediator_id(request), _year(year))
        return {"year": ledger.year, "required": ledger.required, "earned": ledger.earned, "short": ledger.short,
                "courses": [{"course_id": c["course_id"], "title": c["title"], "grade": c["grade"],
                             "hours": float(c["hours"]), "credited_on": c["credited_on"].isoformat()}
                            for c in ledger.credits]}
