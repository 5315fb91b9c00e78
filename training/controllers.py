"""Training pages and API for everyone and for mediators: the course catalogue, enrolment
and withdrawal, QR sign-in, my training and hours, and the typical-case library. The
administration pages are in admin_controllers.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import PUBLIC, requires, signed_in
from core.auth.roles import Role
from core.errors import DomainError, Forbidden, NotFound
from core.i18n import _
from core.nav import flash
from core.vocab import DisputeType, Grade, choices
from core.web import Page, back_to, paging, render, who
from training import attendance, cases, catalogue, courses, enrolments, hours
from training.catalogue import CourseListing
from training.schemas import ENROLLED, WITHDRAWN, rules

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
        "ratio": rules().attendance_completion_ratio,
        "required_hours": rules().yearly_training_hours,
    }


async def _my_mediator_id(request: Request) -> int:
    mediator_id = await enrolments.mediator_id_of(who(request))
    if mediator_id is None:
        raise Forbidden(_("No mediator record is linked to this account."))
    return mediator_id


def year_or_this(value: int | None) -> int:
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
        rows, total = await catalogue.list_courses(grade=grade if grade in {g.value for g in Grade} else "", q=q[:100],
                                                  page=page, page_size=size)
        query = "&".join(f"{k}={v}" for k, v in (("grade", grade), ("q", q)) if v)
        return render("training/courses.html", page=Page(rows, total, page, size), grade=grade, q=q,
                      query_base="/training/courses" + (f"?{query}" if query else ""), **labels())

    @get("/courses/{course_id:int}", opt=PUBLIC)
    async def course(self, request: Request, course_id: FromPath[int]) -> Template:
        me = who(request)
        course = await catalogue.course_detail(course_id, me)
        enrolment, refusals, mediator_id = None, [], None
        if me.is_authenticated and me.has_role(Role.MEDIATOR):
            mediator_id = await enrolments.mediator_id_of(me)
            if mediator_id:
                enrolment = await enrolments.enrolment_of(course_id, mediator_id)
                refusals = [message for _code, message in await enrolments.eligibility_refusals(course, mediator_id)]
        return render("training/course.html", course=course, enrolment=enrolment, refusals=refusals,
                      is_mediator=mediator_id is not None, can_manage=courses.can_manage_course(me, course),
                      cases=await cases.cases_by_ids([m.case_id for m in course.materials]),
                      started=await enrolments.course_has_started(course), **labels())

    @post("/courses/{course_id:int}/enrol", guards=[mediators])
    async def enrol(self, request: Request, course_id: FromPath[int]) -> Redirect:
        mediator_id = await _my_mediator_id(request)
        try:
            result = await enrolments.enrol(who(request), course_id, mediator_id)
        except DomainError as refused:
            if refused.status_code == 404:
                raise
            flash(request, refused.message, "error")
        else:
            if result.status == ENROLLED:
                flash(request, _("You are enrolled."), "ok")
            else:
                flash(request, _("The course is full: you are number %(position)s on the waitlist.",
                                 position=result.position), "ok")
        return back_to(f"/training/courses/{course_id}")

    @post("/courses/{course_id:int}/withdraw", guards=[mediators])
    async def withdraw(self, request: Request, course_id: FromPath[int]) -> Redirect:
        mediator_id = await _my_mediator_id(request)
        try:
            await enrolments.withdraw(who(request), course_id, mediator_id)
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

        material = await catalogue.material(material_id, who(request))
        if not material.file_path:
            raise NotFound(_("No such material."))
        path = uploads.open_stored(material.file_path)
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
            result = await attendance.sign_in(who(request), code[:100], mediator_id, session_id=session)
        except DomainError as refused:
            if refused.status_code == 404:
                return render("training/sign_in.html", status_code=400, result=None,
                              reason=_("This sign-in code is not valid. Scan the code on the trainer's screen again."))
            return render("training/sign_in.html", status_code=400, result=None, reason=refused.message)
        return render("training/sign_in.html", result=result, reason="")

    @get("/my", guards=[mediators])
    async def my_training(self, request: Request, year: FromQuery[int | None] = None) -> Template:
        mediator_id = await _my_mediator_id(request)
        year = year_or_this(year)
        ledger = await hours.hours_ledger(mediator_id, year)
        mine = await enrolments.my_enrolments(mediator_id)
        return render("training/my.html", ledger=ledger, enrolments=mine, year=year, **labels())


class CasesController(Controller):
    path = "/training/cases"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def cases(self, q: FromQuery[str] = "", dispute_type: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(min(page, 10_000), 20)
        dispute_type = dispute_type if dispute_type in {d.value for d in DisputeType} else ""
        rows, total = await cases.search_cases(q[:100], dispute_type, page=page, page_size=size)
        query = "&".join(f"{k}={v}" for k, v in (("q", q), ("dispute_type", dispute_type)) if v)
        return render("training/cases.html", page=Page(rows, total, page, size), q=q, dispute_type=dispute_type,
                      query_base="/training/cases" + (f"?{query}" if query else ""), **labels())

    @get("/{case_id:int}", opt=PUBLIC)
    async def case(self, request: Request, case_id: FromPath[int]) -> Template:
        return render("training/case.html", case=await cases.typical_case(case_id, who(request)), **labels())



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


def _course_out(course: CourseListing) -> CourseOut:
    return CourseOut(
        id=course.id, title=course.title, grade=course.grade, region_code=course.region_code,
        organisers=course.organisers, class_hours=float(course.class_hours), mode=course.mode,
        capacity=course.capacity, places_left=course.places_left, waitlisted=course.waitlisted,
        enrol_opens_on=course.enrol_opens_on, enrol_closes_on=course.enrol_closes_on, starts_on=course.starts_on,
        status=course.status, prerequisite_grade=course.prerequisite_grade,
        prerequisite_course_id=course.prerequisite_course_id,
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
        rows, total = await catalogue.list_courses(grade=grade, q=q[:100], page=page, page_size=size)
        return Page(rows, total, page, size).as_json([_course_out(r) for r in rows])

    @get("/courses/{course_id:int}", opt=PUBLIC, summary="One published course with its sessions")
    async def course(self, course_id: FromPath[int]) -> dict[str, Any]:
        course = await catalogue.course_detail(course_id)
        out = msgspec.to_builtins(_course_out(course))
        out["sessions"] = [{"id": s.id, "starts_at": clock.iso(s.starts_at), "ends_at": clock.iso(s.ends_at),
                            "place": s.place, "online_link": s.online_link, "hours": float(s.hours)}
                           for s in course.sessions]
        return out

    @post("/courses/{course_id:int}/enrol", guards=[mediators], status_code=201,
          summary="Enrol the signed-in mediator (or join the waitlist when full)")
    async def enrol(self, request: Request, course_id: FromPath[int]) -> EnrolmentOut:
        result = await enrolments.enrol(who(request), course_id, await _my_mediator_id(request))
        return EnrolmentOut(course_id=course_id, status=result.status, waitlist_position=result.position)

    @post("/courses/{course_id:int}/withdraw", guards=[mediators], status_code=200,
          summary="Withdraw the signed-in mediator before the course starts")
    async def withdraw(self, request: Request, course_id: FromPath[int]) -> EnrolmentOut:
        await enrolments.withdraw(who(request), course_id, await _my_mediator_id(request))
        return EnrolmentOut(course_id=course_id, status=WITHDRAWN, waitlist_position=None)

    @get("/hours", guards=[mediators], summary="The signed-in mediator's hours ledger for a year")
    async def hours(self, request: Request, year: FromQuery[int | None] = None) -> dict[str, Any]:
        ledger = await hours.hours_ledger(await _my_mediator_id(request), year_or_this(year))
        return {"year": ledger.year, "required": ledger.required, "earned": ledger.earned, "short": ledger.short,
                "courses": [{"course_id": c.course_id, "title": c.title, "grade": c.grade,
                             "hours": float(c.hours), "credited_on": c.credited_on.isoformat()}
                            for c in ledger.credits]}
