"""Recruitment pages: open calls and applications with their documents (signed-in applicants),
the applicant's own applications and outcomes, and the administrator's review (documents
included), objections and appointment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core import clock
from core.accounts import region_options
from core.auth.guards import PUBLIC, requires, signed_in
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors, Forbidden
from core.i18n import _
from core.nav import flash
from core.settings import get_settings
from core.vocab import SourceCategory, choices
from core.web import back_to, form_data, form_list, render, uploaded_files, who
from roster import application_documents, applications, public_notice, recruitment
from roster.staff_controllers import _labels

admins = requires(Role.ADMIN)


def _apply_body_limit() -> int:
    """The application form may carry every allowed document at its largest, plus the fields."""
    rules = get_settings().rules
    return rules.max_application_documents * rules.max_upload_bytes + 1024 * 1024


def _recruitment_labels() -> dict[str, Any]:
    return {
        "application_status_labels": {
            "submitted": _("Under qualification review"), "on_notice": _("On public notice"),
            "rejected": _("Not accepted"), "appointed": _("Appointed to the roster"), "withdrawn": _("Withdrawn")},
        "stage_labels": {
            "under_review": _("Under qualification review"), "rejected": _("Not accepted"),
            "objection_upheld": _("Objection upheld"), "on_notice": _("On public notice"),
            "notice_ended": _("Public notice ended"), "appointed": _("Appointed to the roster"),
            "withdrawn": _("Withdrawn")},
    }


def _document_response(row: application_documents.StoredDocument, data: bytes) -> Response[bytes]:
    return Response(data, media_type=application_documents.MEDIA_TYPES[row.kind],
                    headers=application_documents.download_headers(row))


class CallsController(Controller):
    path = "/roster/calls"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def open_calls(self) -> Template:
        return render("roster/calls.html", calls=await recruitment.calls(open_only=True),
                      source_labels=dict(choices(SourceCategory)))

    async def _call_page(self, request: Request, call_id: int, form=None, errors=None, status_code: int = 200):
        rules = get_settings().rules
        return render("roster/call.html", status_code=status_code, call=await recruitment.call(call_id),
                      form=form or {}, errors=errors or {}, today=clock.today(),
                      education_levels=recruitment.EDUCATION_LEVELS, max_documents=rules.max_application_documents,
                      max_document_mb=round(rules.max_upload_bytes / 1024 / 1024, 1), **_labels())

    @get("/{call_id:int}", opt=PUBLIC)
    async def call(self, request: Request, call_id: FromPath[int]) -> Template:
        return await self._call_page(request, call_id)

    @post("/{call_id:int}/apply", guards=[signed_in], request_max_body_size=_apply_body_limit())
    async def apply(self, request: Request, call_id: FromPath[int]) -> Template | Redirect:
        """The particulars and the documents; a bad file refuses the application, nothing kept."""
        form = await request.form()
        data = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        try:
            files = await uploaded_files(form, "documents")
            await applications.apply_to_call(who(request), call_id, data, files)
        except FieldErrors as invalid:
            return await self._call_page(request, call_id, data, invalid.errors, 400)
        except DomainError as refused:
            errors = {refused.field if refused.field == "documents" else "form": refused.message}
            return await self._call_page(request, call_id, data, errors, refused.status_code)
        flash(request, _("Application submitted. You will be told the outcome of the qualification review."), "ok")
        return back_to("/my/applications")


class MyApplicationsController(Controller):
    """我的报名: the signed-in applicant's applications, where each stands and why."""

    path = "/my/applications"
    include_in_schema = False
    guards = [signed_in]

    @get("/")
    async def mine(self, request: Request) -> Template:
        return render("roster/my_applications.html", applications=await applications.my_applications(
            who(request).user_id), today=clock.today(), **_recruitment_labels())

    @get("/{application_id:int}/documents/{document_id:int}")
    async def document(self, request: Request, application_id: FromPath[int], document_id: FromPath[int]
                       ) -> Response[bytes]:
        row, data = await application_documents.open_document(who(request), application_id, document_id)
        return _document_response(row, data)


class RecruitmentAdminController(Controller):
    path = "/admin/recruitment"
    include_in_schema = False
    guards = [admins]

    async def _list(self, request: Request, form=None, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        calls = []
        for code in me.regions_for(Role.ADMIN):
            calls += await recruitment.calls(code)
        return render("roster/recruitment.html", status_code=status_code, calls=calls, form=form or {},
                      errors=errors or {}, region_options=region_options(me),
                      education_levels=recruitment.EDUCATION_LEVELS,
                      default_dates=(clock.today(), clock.today() + timedelta(days=30)), **_labels())

    @get("/")
    async def list_calls(self, request: Request) -> Template:
        return await self._list(request)

    @post("/")
    async def open_call(self, request: Request) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        data["source_categories"] = form_list(form, "source_categories")
        try:
            call_id = await recruitment.open_call(who(request), data)
        except FieldErrors as invalid:
            return await self._list(request, data, invalid.errors, 400)
        return back_to(f"/admin/recruitment/{call_id}")

    async def _detail(self, request: Request, call_id: int, errors=None, status_code: int = 200,
                      form=None) -> Template:
        the_call = await recruitment.call(call_id)
        if not who(request).can_act_in(the_call.region_code, Role.ADMIN):
            raise Forbidden(_("This record belongs to a region outside your authority."))
        received = await applications.applications(call_id)
        objections = {a.id: await public_notice.objections(a.id) for a in received
                      if a.status in ("on_notice", "rejected")}
        requirements = the_call.requirements or {}
        form = form or {"title": the_call.title, "description": the_call.description,
                        "opens_on": the_call.opens_on.isoformat(), "closes_on": the_call.closes_on.isoformat(),
                        "source_categories": requirements.get("source_categories") or [],
                        "min_education": requirements.get("min_education") or "",
                        "min_years": str(requirements.get("min_years") or 0),
                        "quota": str((the_call.quotas or {}).get(the_call.region_code, 0))}
        return render("roster/recruitment_call.html", status_code=status_code, call=the_call,
                      applications=received, objections=objections, errors=errors or {}, today=clock.today(),
                      form=form, **_labels(), **_recruitment_labels())

    @post("/{call_id:int}/edit")
    async def edit(self, request: Request, call_id: FromPath[int]) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        data["source_categories"] = form_list(form, "source_categories")
        data["region_code"] = (await recruitment.call(call_id)).region_code
        try:
            await recruitment.edit_call(who(request), call_id, data)
        except FieldErrors as invalid:
            return await self._detail(request, call_id, invalid.errors, 400, form=data)
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._detail(request, call_id, {"edit": refused.message}, refused.status_code, form=data)
        flash(request, _("Call saved."), "ok")
        return back_to(f"/admin/recruitment/{call_id}")

    @post("/{call_id:int}/close")
    async def close(self, request: Request, call_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await recruitment.close_call(who(request), call_id, data.get("closed_reason", ""))
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            errors = refused.errors if isinstance(refused, FieldErrors) else {"closed_reason": refused.message}
            return await self._detail(request, call_id, errors, refused.status_code)
        flash(request, _("Call closed: applications are no longer accepted."), "ok")
        return back_to(f"/admin/recruitment/{call_id}")

    @get("/{call_id:int}")
    async def detail(self, request: Request, call_id: FromPath[int]) -> Template:
        return await self._detail(request, call_id)

    @post("/{call_id:int}/applications/{application_id:int}/review")
    async def review(self, request: Request, call_id: FromPath[int], application_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await applications.review_application(who(request), application_id, data.get("decision") == "accept",
                                                 data.get("reasons", ""))
        except DomainError as invalid:
            return await self._detail(request, call_id, {f"reasons-{application_id}": invalid.message}, 400)
        return back_to(f"/admin/recruitment/{call_id}")

    @post("/{call_id:int}/objections/{objection_id:int}/decide")
    async def decide_objection(self, request: Request, call_id: FromPath[int], objection_id: FromPath[int]
                               ) -> Template | Redirect:
        data = await form_data(request)
        try:
            await public_notice.decide_objection(who(request), objection_id, data.get("decision") == "uphold",
                                               data.get("finding", ""))
        except DomainError as invalid:
            return await self._detail(request, call_id, {f"finding-{objection_id}": invalid.message}, 400)
        return back_to(f"/admin/recruitment/{call_id}")

    @get("/{call_id:int}/applications/{application_id:int}/documents/{document_id:int}")
    async def document(self, request: Request, call_id: FromPath[int], application_id: FromPath[int],
                       document_id: FromPath[int]) -> Response[bytes]:
        """A document of an application, for the reviewers of the call's region (audited)."""
        row, data = await application_documents.open_document(who(request), application_id, document_id, call_id)
        return _document_response(row, data)

    @post("/{call_id:int}/applications/{application_id:int}/appoint")
    async def appoint(self, request: Request, call_id: FromPath[int], application_id: FromPath[int]) -> Redirect:
        mediator_id = await applications.appoint_candidate(who(request), application_id)
        flash(request, _("Appointed and entered on the roster."), "ok")
        return back_to(f"/admin/mediators/{mediator_id}")
