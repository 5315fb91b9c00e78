"""Review pages and API: appraisal runs, exit notices and appeals, performance records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_201_CREATED

from core import clock
from core.accounts import region_options
from core.auth.guards import require_region, requires, signed_in
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors, NotFound
from core.i18n import _
from core.nav import flash
from core.settings import get_settings
from core.vocab import AppraisalGrade, DisputeType, choices
from core.web import back_to, form_data, paging, render, submitted, uploaded_files, who
from roster.review import appeals, appraisal, exits, records

admins = requires(Role.ADMIN)


@dataclass
class CaseIn:
    """A mediation case posted by an organisation's case system."""

    mediator_id: int
    dispute_type: DisputeType
    received_on: date
    case_ref: str = ""
    closed_on: date | None = None
    outcome: Literal["agreement", "no_agreement", "withdrawn"] | None = None
    satisfaction: int | None = None
    # the organisation that handled it; by default the one the mediator belonged to on its dates
    organisation_id: int | None = None


@dataclass(frozen=True, slots=True)
class CaseRecorded:
    """The API's answer to a recorded case."""

    id: int
    mediator_id: int


admin_or_auditor = requires(Role.ADMIN, Role.AUDITOR)
recorders = requires(Role.ADMIN, Role.ORG_MANAGER)


def _labels() -> dict[str, Any]:
    return {"grade_labels": dict(choices(AppraisalGrade)), "dispute_options": choices(DisputeType),
            "rule_text": appraisal.rule_text, "ground_text": exits.ground_text, "notice_text": exits.notice_text,
            "notice_labels": {"open": _("Open for appeal"), "appealed": _("Appealed"), "lapsed": _("Appeal window passed"),
                              "upheld": _("Exit upheld"), "withdrawn": _("Withdrawn")}}


class AppraisalController(Controller):
    path = "/admin/review"
    include_in_schema = False
    guards = [admin_or_auditor]

    async def _runs(self, request: Request, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        return render("review/runs.html", status_code=status_code,
                      runs=await appraisal.runs(me.regions_for(Role.ADMIN, Role.AUDITOR)), errors=errors or {},
                      region_options=region_options(me) if me.has_role(Role.ADMIN) else [],
                      last_year=clock.today().year - 1, appraisal_rules=get_settings().rules, **_labels())

    @get("/")
    async def list_runs(self, request: Request) -> Template:
        return await self._runs(request)

    @post("/", guards=[admins])
    async def start_run(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            year = int(data.get("year", ""))
            if not 2000 <= year < clock.today().year + 1:
                raise ValueError
        except ValueError:
            return await self._runs(request, {"year": _("Enter a past year.")}, 400)
        if not data.get("region_code"):
            return await self._runs(request, {"region_code": _("Choose a region.")}, 400)
        result = await appraisal.run_appraisal(year, data["region_code"], who(request), recompute=True)
        return back_to(f"/admin/review/runs/{result.run_id}")

    @get("/runs/{run_id:int}")
    async def run_detail(self, request: Request, run_id: FromPath[int], grade: FromQuery[str] = "",
                         page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 50)
        detail = await appraisal.run_detail(run_id, page, size, grade)
        me = who(request)
        require_region(me, detail.run.region_code, Role.ADMIN, Role.AUDITOR)  # 403, as everywhere
        from core.web import Page
        from roster import services as roster

        names = await roster.mediator_summaries([r.mediator_id for r in detail.rows])
        return render("review/run.html", run=detail.run, page=Page(detail.rows, detail.total, page, size),
                      names=names, run_rules=appraisal.rules_of_run(detail.run.rules),
                      rule_names=list(appraisal.RULE_TEXT), grade=grade, can_confirm=me.can_act_in(detail.run.region_code, Role.ADMIN),
                      already_graded=detail.already_graded, **_labels())

    @post("/runs/{run_id:int}/confirm", guards=[admins])
    async def confirm(self, request: Request, run_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            notices = await appraisal.confirm_appraisal(who(request), run_id, supersede=data.get("supersede") == "1",
                                                        reason=data.get("reason", ""))
        except DomainError as refused:  # already graded this year, no reason given: said on the run's page
            if refused.status_code in (403, 404):
                raise
            flash(request, refused.message, "error")
            return back_to(f"/admin/review/runs/{run_id}")
        flash(request, _("Appraisal confirmed; %(n)s exit notices issued.", n=notices), "ok")
        return back_to(f"/admin/review/runs/{run_id}")

    @get("/exits")
    async def exit_notices(self, request: Request, status: FromQuery[str] = "") -> Template:
        me = who(request)
        rows = await exits.notices(me.regions_for(Role.ADMIN, Role.AUDITOR), status)
        from roster import services as roster

        return render("review/exits.html", notices=rows, status=status,
                      names=await roster.mediator_summaries([n.mediator_id for n in rows]),
                      appeals=await appeals.appeals_of([n.id for n in rows]), errors={}, today=clock.today(),
                      **_labels())

    @get("/exits/{notice_id:int}/documents/{index:int}")
    async def appeal_document(self, request: Request, notice_id: FromPath[int], index: FromPath[int]) -> Response[bytes]:
        return await _document_response(request, notice_id, index)

    @post("/exits/{notice_id:int}/decide", guards=[admins])
    async def decide(self, request: Request, notice_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await exits.decide(who(request), notice_id, data.get("decision") == "uphold", data.get("reason", ""))
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to("/admin/review/exits")

    @post("/exits/evaluate", guards=[admins])
    async def evaluate(self, request: Request) -> Redirect:
        total = 0
        for code in who(request).regions_for(Role.ADMIN):
            total += await exits.evaluate_exit_grounds(code, who(request))
        flash(request, _("%(n)s new exit notices.", n=total), "ok")
        return back_to("/admin/review/exits")


class RecordsController(Controller):
    """Performance records: organisation managers and administrators."""

    path = "/review/records"
    include_in_schema = False
    guards = [recorders]

    async def _page(self, request: Request, form=None, errors=None, report=None, status_code: int = 200) -> Template:
        from roster.mediators import mediators_in_scope

        me = who(request)
        mediators, _total = await mediators_in_scope(me, status="appointed", page_size=100)
        return render("review/records.html", status_code=status_code, mediators=mediators, form=form or {},
                      errors=errors or {}, report=report, columns=records.CASE_COLUMNS,
                      is_admin=me.has_role(Role.ADMIN), **_labels())

    @get("/")
    async def page(self, request: Request) -> Template:
        return await self._page(request)

    @post("/cases")
    async def add_case(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, _for_mediator(records.record_case, who(request), data),
                               again=lambda errors: self._page(request, data, errors),
                               then="/review/records", said=_("Case recorded."))

    @post("/import")
    async def import_file(self, request: Request, data: Annotated[dict[str, Any], Body(
            media_type=RequestEncodingType.MULTI_PART)]) -> Template:
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(request, errors={"file": _("Choose a CSV or XLSX file.")}, status_code=400)
        try:
            report = await records.import_cases(who(request), upload.filename, await upload.read(),
                                                good_rows_only=data.get("good_rows_only") == "1")
        except DomainError as refused:
            return await self._page(request, errors={"file": refused.message}, status_code=400)
        return await self._page(request, report=report, status_code=200 if report.ok or report.imported else 400)

    @post("/complaints", guards=[admins])
    async def add_complaint(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, _for_mediator(records.record_complaint, who(request), data),
                               again=lambda errors: self._page(request, data, errors),
                               then="/review/records", said=_("Complaint recorded."))

    @post("/findings", guards=[admins])
    async def add_finding(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        return await submitted(request, _for_mediator(records.record_finding, who(request), data),
                               again=lambda errors: self._page(request, data, errors),
                               then="/review/records", said=_("Finding recorded."))


async def _for_mediator(record: Any, me: Any, data: dict[str, str]) -> None:
    """A record about the mediator chosen in the form (a case, a complaint, a finding)."""
    if not data.get("mediator_id", "").isdecimal():
        raise FieldErrors({"mediator_id": _("Choose a mediator.")})
    await record(me, int(data["mediator_id"]), data)


async def _document_response(request: Request, notice_id: int, index: int) -> Response[bytes]:
    from core import uploads

    document = await appeals.appeal_document(who(request), notice_id, index)
    path = uploads.open_stored(document.path)
    if not path.exists():
        raise NotFound(_("No such document."))
    media = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}[document.kind]
    suffix = "jpg" if document.kind == "jpeg" else document.kind
    return Response(path.read_bytes(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="appeal-{notice_id}-{index + 1}.{suffix}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


class MyReviewController(Controller):
    path = "/my/review"
    include_in_schema = False
    guards = [signed_in]

    async def _page(self, request: Request, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        mediator_id = me.mediator_id
        notices = await exits.notices_of(mediator_id) if mediator_id else []
        appraisals = await appraisal.my_appraisals(mediator_id) if mediator_id else []
        return render("review/mine.html", status_code=status_code, errors=errors or {}, today=clock.today(),
                      appraisals=appraisals, run_rules=await appraisal.rules_of_runs(a.appraisal_run for a in appraisals),
                      notices=notices, appeals=await appeals.appeals_of([n.id for n in notices]), **_labels())

    @get("/")
    async def mine(self, request: Request) -> Template:
        return await self._page(request)

    @post("/notices/{notice_id:int}/appeal")
    async def appeal(self, request: Request, notice_id: FromPath[int]) -> Template | Redirect:
        """Reasons and up to three documents; a bad file refuses the appeal with nothing stored."""
        form = await request.form()
        try:
            files = await uploaded_files(form, "documents")
            documents = await appeals.accept_appeal_documents(files)
            await appeals.appeal(who(request), notice_id, str(form.get("reasons", "")), documents)
        except DomainError as refused:
            return await self._page(request, {refused.field or "reasons": refused.message}, refused.status_code)
        flash(request, _("Your appeal has been lodged."), "ok")
        return back_to("/my/review")

    @get("/notices/{notice_id:int}/documents/{index:int}")
    async def my_appeal_document(self, request: Request, notice_id: FromPath[int],
                                 index: FromPath[int]) -> Response[bytes]:
        return await _document_response(request, notice_id, index)


class ReviewApiController(Controller):
    path = "/api/v1/review"
    tags = ["review"]
    guards = [recorders]

    @post("/cases", status_code=HTTP_201_CREATED, summary="Record a mediation case of a mediator")
    async def post_case(self, request: Request, data: JSONBody[CaseIn]) -> CaseRecorded:
        values = {k: getattr(data, k) for k in ("case_ref", "dispute_type", "received_on", "closed_on", "outcome",
                                                "satisfaction")}
        values["dispute_type"] = str(values["dispute_type"])
        values["outcome"] = str(values["outcome"]) if values["outcome"] else None
        values["satisfaction"] = "" if data.satisfaction is None else str(data.satisfaction)
        values["organisation_id"] = "" if data.organisation_id is None else str(data.organisation_id)
        case_id = await records.record_case(who(request), data.mediator_id, values, source="api")
        return CaseRecorded(case_id, data.mediator_id)
