"""Certification pages and API: public verification (token, number + name, file check),
the certificates API of the public contract, administrators' registry, issue and lifecycle
pages, and the holder's own certificates."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Stream, Template

from certification import services as svc
from core import clock, exports
from core.auth.guards import PUBLIC, admin_only, admin_or_auditor, requires
from core.auth.roles import Role
from core.errors import DomainError, NotFound
from core.i18n import _
from core.nav import flash
from core.ratelimit import named_limit
from core.regions import region_choices, region_name
from core.vocab import Grade, choices
from core.web import FormTemplate, Page, PlatformResponse, back_to, form_data, paging, who

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
EXPORT_LIMIT = 20_000
registry_readers = requires(Role.ADMIN, Role.AUDITOR, Role.COURT, Role.MEDIATOR)
holders_and_staff = requires(Role.ADMIN, Role.AUDITOR, Role.MEDIATOR)
mediators_only = requires(Role.MEDIATOR)


def view(template: str, status_code: int = 200, **context: Any) -> Template:
    """A page that must never be cached (a revocation shows on the very next request)."""
    return FormTemplate(template_name=template, context=context, status_code=status_code, headers=NO_STORE)


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k: _(v) for k, v in svc.STATUS_LABELS.items()},
        "grade_labels": dict(choices(Grade)),
        "suspend_reasons": [(k, _(v)) for k, v in svc.SUSPEND_REASONS.items()],
        "revoke_reasons": [(k, _(v)) for k, v in svc.REVOKE_REASONS.items()],
    }


def _roster_status_label(code: str) -> str:
    from core.vocab import MediatorStatus

    try:
        return MediatorStatus(code).label
    except ValueError:
        return code or _("Not on the roster")


# --------------------------------------------------------------------------- public verification
class PublicVerifyController(Controller):
    path = "/verify"
    include_in_schema = False

    @get("/", opt=PUBLIC, middleware=named_limit("verify"))
    async def form(self) -> Template:
        return view("certification/verify.html", form={}, errors={}, result=None, file_result=None,
                    file_checked=False)

    @post("/lookup", opt=PUBLIC, middleware=named_limit("verify"))
    async def lookup(self, request: Request) -> Template:
        data = await form_data(request)
        errors = {}
        if not data.get("certificate_no"):
            errors["certificate_no"] = _("Enter the certificate number.")
        if not data.get("holder_name"):
            errors["holder_name"] = _("Enter the holder's name.")
        result = None
        if not errors:
            try:
                result = await svc.verify_by_number(data["certificate_no"], data["holder_name"])
            except NotFound as missing:
                errors["form"] = missing.message
        status = 400 if errors and "form" not in errors else 404 if errors else 200
        return view("certification/verify.html", status_code=status, form=data, errors=errors, result=result,
                    file_result=None, file_checked=False, roster_status_label=_roster_status_label(
                        result["roster_status"]) if result else "")

    @post("/file", opt=PUBLIC, middleware=named_limit("verify"))
    async def check_file(self, request: Request) -> Template:
        from core.settings import get_settings
        from core.uploads import sniff

        form = await request.form()
        upload = form.get("file")
        errors = {}
        content = b""
        if not isinstance(upload, UploadFile):
            errors["file"] = _("Choose the certificate file (PDF or PNG).")
        else:
            content = await upload.read()
            if not content:
                errors["file"] = _("Choose the certificate file (PDF or PNG).")
            elif len(content) > get_settings().rules.max_upload_bytes:
                errors["file"] = _("The file is too large.")
            elif sniff(content) not in ("pdf", "png"):  # not a certificate file at all, edited or not
                errors["file"] = _("Choose the certificate file (PDF or PNG).")
        result = None if errors else await svc.verify_file(content)
        return view("certification/verify.html", status_code=400 if errors else 200, form={}, errors=errors,
                    result=None, file_result=result, file_checked=not errors,
                    roster_status_label=_roster_status_label(result["roster_status"]) if result else "")

    @get("/{token:str}", opt=PUBLIC, middleware=named_limit("verify"))
    async def by_token(self, token: FromPath[str]) -> Template:
        try:
            result = await svc.verify_token(token)
        except NotFound:
            return view("certification/not_found.html", status_code=404)
        return view("certification/verified.html", result=result,
                    roster_status_label=_roster_status_label(result["roster_status"]))


class VerifyApiController(Controller):
    path = "/api/v1/verify"
    tags = ["certificates"]

    @get("/{token:str}", opt=PUBLIC, middleware=named_limit("verify"),
         summary="Verify a certificate by the token of its QR code (404 when unknown or altered)")
    async def verify(self, token: FromPath[str]) -> Response[dict[str, Any]]:
        result = await svc.verify_token(token, via="api")
        return PlatformResponse(result, headers=NO_STORE)


# --------------------------------------------------------------------------- API
class ReasonBody(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CertificatesApiController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]

    @get("/", guards=[registry_readers], summary="Certificates in the caller's region (holders: their own)")
    async def list_certificates(self, request: Request, status: FromQuery[str] = "", grade: FromQuery[str] = "",
                                region: FromQuery[str] = "", expiring_within: FromQuery[int | None] = None,
                                page: FromQuery[int] = 1, page_size: FromQuery[int] = 20) -> dict[str, Any]:
        if status and status not in svc.STATUSES:
            raise DomainError(_("Unknown status."), "status")
        if grade and grade not in {g.value for g in Grade}:
            raise DomainError(_("Unknown grade."), "grade")
        number, size = paging(page, page_size)
        rows, total = await svc.registry(who(request), status=status, grade=grade, region=region,
                                         expiring_within=expiring_within, page=number, page_size=size)
        return Page([svc.item_dict(r) for r in rows], total, number, size).as_json()

    @get("/{certificate_no:str}", guards=[holders_and_staff], summary="One certificate")
    async def one(self, request: Request, certificate_no: FromPath[str]) -> dict[str, Any]:
        return svc.item_dict(await svc.readable_certificate(who(request), certificate_no))

    @post("/{certificate_no:str}/revoke", guards=[admin_only], status_code=200, summary="Revoke (final)")
    async def revoke(self, request: Request, certificate_no: FromPath[str],
                     data: JSONBody[ReasonBody]) -> dict[str, Any]:
        return svc.item_dict(await svc.revoke(who(request), certificate_no, data.reason))

    @post("/{certificate_no:str}/suspend", guards=[admin_only], status_code=200, summary="Suspend with a reason")
    async def suspend(self, request: Request, certificate_no: FromPath[str],
                      data: JSONBody[ReasonBody]) -> dict[str, Any]:
        return svc.item_dict(await svc.suspend(who(request), certificate_no, data.reason))

    @post("/{certificate_no:str}/reinstate", guards=[admin_only], status_code=200,
          summary="Reinstate a suspended certificate")
    async def reinstate(self, request: Request, certificate_no: FromPath[str],
                        data: JSONBody[ReasonBody | None] = None) -> dict[str, Any]:
        return svc.item_dict(await svc.reinstate(who(request), certificate_no, data.reason if data else ""))

    @get("/{certificate_no:str}/image.png", guards=[holders_and_staff], summary="The certificate as PNG",
         media_type="image/png")
    async def image(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        row = await svc.readable_certificate(who(request), certificate_no)
        png, _pdf = await svc.rendered_files(row)
        return _file(png, "image/png", f"{row['certificate_no']}.png")

    @get("/{certificate_no:str}/document.pdf", guards=[holders_and_staff], summary="The certificate as PDF",
         media_type="application/pdf")
    async def document(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        row = await svc.readable_certificate(who(request), certificate_no)
        _png, pdf = await svc.rendered_files(row)
        return _file(pdf, "application/pdf", f"{row['certificate_no']}.pdf")


def _file(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-cache",
    })


async def _download(request: Request, certificate_no: str, kind: str) -> Response[bytes]:
    row = await svc.readable_certificate(who(request), certificate_no)
    png, pdf = await svc.rendered_files(row)
    if kind == "png":
        return _file(png, "image/png", f"{row['certificate_no']}.png")
    return _file(pdf, "application/pdf", f"{row['certificate_no']}.pdf")


# --------------------------------------------------------------------------- ZIP
class _Sink(io.RawIOBase):
    """A write-only stream collecting what zipfile writes, handed out chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks = []
        return out


async def zip_stream(rows: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED)
    for row in rows:
        png, pdf = await svc.rendered_files(row)
        stamp = (row["issued_on"].year, row["issued_on"].month, row["issued_on"].day, 0, 0, 0)
        for suffix, content in (("png", png), ("pdf", pdf)):
            archive.writestr(zipfile.ZipInfo(f"{row['certificate_no']}.{suffix}", date_time=stamp), content)
        chunk = sink.take()
        if chunk:
            yield chunk
    archive.close()
    yield sink.take()


# --------------------------------------------------------------------------- administrators' pages
def _registry_query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _export_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        item = svc.item_dict(row)
        out.append([item["certificate_no"], item["holder_name"], svc.grade_label(item["grade"]),
                    svc.status_label(item["status"]), item["region"], item["issuer"], row["issued_on"],
                    row["expires_on"], item["verify_url"]])  # dates as dates: date cells in XLSX
    return out


def _export_titles() -> list[str]:
    return [_("Certificate number"), _("Holder"), _("Grade"), _("Status"), _("Region"), _("Issuer"),
            _("Issued on"), _("Expires on"), _("Verification link")]


class CertificateAdminController(Controller):
    path = "/admin/certificates"
    include_in_schema = False

    @get("/", guards=[admin_or_auditor])
    async def registry(self, request: Request, status: FromQuery[str] = "", grade: FromQuery[str] = "",
                       region: FromQuery[str] = "", expiring_within: FromQuery[int | None] = None,
                       sitting_id: FromQuery[int | None] = None, page: FromQuery[int] = 1) -> Template:
        number, size = paging(page, 30, 30)
        rows, total = await svc.registry(who(request), status=status if status in svc.STATUSES else "",
                                         grade=grade, region=region, expiring_within=expiring_within,
                                         sitting_id=sitting_id, page=number, page_size=size)
        query = _registry_query(status=status, grade=grade, region=region, expiring_within=expiring_within,
                                sitting_id=sitting_id)
        return view("certification/admin_list.html", page=Page([svc.item_dict(r) for r in rows], total, number, size),
                    filters={"status": status, "grade": grade, "region": region,
                             "expiring_within": expiring_within or "", "sitting_id": sitting_id or ""},
                    query=query, region_options=[(c, "　" * (lv - 1) + n) for c, n, lv in region_choices(max_level=3)],
                    is_admin=who(request).has_role(Role.ADMIN), **_labels())

    @get("/export/{fmt:str}", guards=[admin_or_auditor])
    async def export(self, request: Request, fmt: FromPath[str], status: FromQuery[str] = "",
                     grade: FromQuery[str] = "", region: FromQuery[str] = "",
                     expiring_within: FromQuery[int | None] = None) -> Response[bytes]:
        if fmt not in ("csv", "xlsx"):
            raise NotFound(_("Export as csv or xlsx."))
        rows, _total = await svc.registry(who(request), status=status if status in svc.STATUSES else "",
                                          grade=grade, region=region, expiring_within=expiring_within, page=1,
                                          page_size=EXPORT_LIMIT)
        # the registry as it stands today: the file is named for the region filtered and the date
        table = exports.Table("certificates", _export_titles(), _export_rows(rows))
        return exports.download(table, fmt, stem=_("Certificates"), ascii_stem="certificates",
                                qualifiers=[region if region_name(region) not in ("", region) else None,
                                            clock.today()])

    @get("/issue", guards=[admin_only])
    async def issue_form(self) -> Template:
        return view("certification/issue.html", form={}, errors={}, preview=None, grade_options=choices(Grade))

    @post("/issue", guards=[admin_only])
    async def issue(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        errors = {}
        try:
            mediator_id = int(data.get("mediator_id", ""))
        except ValueError:
            errors["mediator_id"] = _("Enter the mediator's number (id).")
        if not errors:
            try:
                row = await svc.issue_certificate(who(request), mediator_id, data.get("grade", ""))
            except DomainError as refused:
                if refused.status_code == 403:
                    raise
                errors[refused.field or "form"] = refused.message
            else:
                flash(request, _("Certificate %(no)s issued.", no=row["certificate_no"]), "ok")
                return back_to(f"/admin/certificates/{row['certificate_no']}")
        return view("certification/issue.html", status_code=400, form=data, errors=errors, preview=None,
                    grade_options=choices(Grade))

    @get("/batch", guards=[admin_only])
    async def batch_preview(self, request: Request, sitting_id: FromQuery[int | None] = None,
                            grade: FromQuery[str] = "", mediators: FromQuery[str] = "") -> Template:
        ids = [int(x) for x in mediators.replace("，", ",").split(",") if x.strip().isdecimal()]
        errors = {}
        preview = None
        try:
            preview = await svc.batch_preview(who(request), sitting_id=sitting_id, grade=grade or None,
                                              mediator_ids=ids)
        except DomainError as refused:
            errors[refused.field or "form"] = refused.message
        return view("certification/issue.html", status_code=400 if errors else 200,
                    form={"sitting_id": sitting_id or "", "grade": grade, "mediators": mediators},
                    errors=errors, preview=preview, grade_options=choices(Grade))

    @post("/batch", guards=[admin_only])
    async def batch_issue(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        sitting_id = int(data["sitting_id"]) if data.get("sitting_id", "").isdecimal() else None
        ids = [int(x) for x in data.get("mediators", "").replace("，", ",").split(",") if x.strip().isdecimal()]
        try:
            issued = await svc.batch_issue(who(request), sitting_id=sitting_id, grade=data.get("grade") or None,
                                           mediator_ids=ids)
        except DomainError as refused:
            return view("certification/issue.html", status_code=400, form=data,
                        errors={refused.field or "form": refused.message}, preview=None,
                        grade_options=choices(Grade))
        flash(request, _("%(count)s certificates issued.", count=len(issued)), "ok")
        return back_to(f"/admin/certificates?sitting_id={sitting_id}" if sitting_id else "/admin/certificates")

    @get("/sitting/{sitting_id:int}/zip", guards=[admin_or_auditor])
    async def sitting_zip(self, request: Request, sitting_id: FromPath[int]) -> Stream:
        rows, _total = await svc.registry(who(request), sitting_id=sitting_id, page=1, page_size=EXPORT_LIMIT)
        if not rows:
            raise NotFound(_("No certificates of this sitting in your region."))
        return Stream(zip_stream(rows), media_type="application/zip",
                      headers={"Content-Disposition": f'attachment; filename="certificates-sitting-{sitting_id}.zip"'})

    async def _detail(self, request: Request, certificate_no: str, errors: dict[str, str] | None = None,
                      status_code: int = 200) -> Template:
        row = await svc.certificate_for(who(request), certificate_no)
        previous = await svc.by_id(row["renewed_from_id"]) if row["renewed_from_id"] else None
        return view("certification/admin_detail.html", status_code=status_code, cert=svc.item_dict(row), row=row,
                    history=await svc.history(row["id"]), successor=await svc.successor(row), previous=previous,
                    errors=errors or {}, can_act=who(request).can_act_in(row["region_code"], Role.ADMIN),
                    status_note=row["status_note"], **_labels())

    @get("/layouts", guards=[admin_only])
    async def layouts(self) -> Template:
        import json

        from certification.render import DEFAULT_LAYOUT

        return view("certification/layouts.html", layouts=await svc.layouts(), errors={},
                    spec=json.dumps(await svc.layout_spec(await svc.current_layout_version()), ensure_ascii=False,
                                    indent=2), default=json.dumps(DEFAULT_LAYOUT, ensure_ascii=False, indent=2))

    @post("/layouts", guards=[admin_only])
    async def save_layout(self, request: Request) -> Template | Redirect:
        import json

        from certification.render import DEFAULT_LAYOUT

        data = await form_data(request)
        try:
            try:
                spec = json.loads(data.get("spec", ""))
            except ValueError:
                raise DomainError(_("The layout must be a JSON object."), "spec") from None
            version = await svc.save_layout(who(request), spec, data.get("note", ""))
        except DomainError as refused:
            if refused.status_code == 403:
                raise
            return view("certification/layouts.html", status_code=400, layouts=await svc.layouts(),
                        errors={"spec": refused.message}, spec=data.get("spec", ""),
                        default=json.dumps(DEFAULT_LAYOUT, ensure_ascii=False, indent=2))
        flash(request, _("Layout version %(version)s saved; new certificates use it.", version=version), "ok")
        return back_to("/admin/certificates/layouts")

    @get("/layouts/{version:int}/preview.png", guards=[admin_only])
    async def layout_preview(self, version: FromPath[int]) -> Response[bytes]:
        import asyncio

        from certification import render

        spec = await svc.layout_spec(version)
        image = await asyncio.to_thread(render.draw_card, svc.sample_card(), spec)
        return Response(render.png_bytes(image), media_type="image/png", headers={"Cache-Control": "no-store"})

    @get("/{certificate_no:str}/image.png", guards=[admin_or_auditor])
    async def image(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "png")

    @get("/{certificate_no:str}/document.pdf", guards=[admin_or_auditor])
    async def document(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "pdf")

    @get("/{certificate_no:str}", guards=[admin_or_auditor])
    async def detail(self, request: Request, certificate_no: FromPath[str]) -> Template:
        return await self._detail(request, certificate_no)

    async def _act(self, request: Request, certificate_no: str, action: str) -> Template | Redirect:
        data = await form_data(request)
        reason = data.get("reason", "")
        if data.get("note") and reason == "other":
            reason = data["note"]
        try:
            if action == "suspend":
                await svc.suspend(who(request), certificate_no, reason)
            elif action == "revoke":
                await svc.revoke(who(request), certificate_no, reason)
            elif action == "reinstate":
                await svc.reinstate(who(request), certificate_no, reason)
            else:
                new = await svc.renew(who(request), certificate_no)
                flash(request, _("Renewed: the successor is %(no)s.", no=new["certificate_no"]), "ok")
                return back_to(f"/admin/certificates/{new['certificate_no']}")
        except DomainError as refused:
            if refused.status_code in (403, 404):
                raise
            return await self._detail(request, certificate_no, {action: refused.message}, status_code=400)
        flash(request, _("Certificate updated."), "ok")
        return back_to(f"/admin/certificates/{certificate_no}")

    @post("/{certificate_no:str}/suspend", guards=[admin_only])
    async def suspend(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "suspend")

    @post("/{certificate_no:str}/reinstate", guards=[admin_only])
    async def reinstate(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "reinstate")

    @post("/{certificate_no:str}/revoke", guards=[admin_only])
    async def revoke(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "revoke")

    @post("/{certificate_no:str}/renew", guards=[admin_only])
    async def renew(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "renew")


class MyCertificatesController(Controller):
    path = "/my/certificates"
    include_in_schema = False

    @get("/", guards=[mediators_only])
    async def mine(self, request: Request) -> Template:
        rows, _total = await svc.registry(who(request), mediator_only=True, page=1, page_size=100)
        items = []
        for row in rows:
            item = svc.item_dict(row)
            item["history"] = await svc.history(row["id"])
            item["status_reason_label"] = svc.reason_label(item["status"], row["status_reason"])
            items.append(item)
        return view("certification/mine.html", items=items, **_labels())

    @get("/{certificate_no:str}/image.png", guards=[mediators_only])
    async def image(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "png")

    @get("/{certificate_no:str}/document.pdf", guards=[mediators_only])
    async def document(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "pdf")
