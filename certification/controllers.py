"""Certification pages and API: the certificates API of the public contract, administrators'
registry, issue, layout and lifecycle pages, and the holder's own certificates (public
verification is in verification_controllers)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Stream, Template

from certification import files, issuing, layouts, lifecycle, registry, render, rules
from certification.registry import CertificateItem
from certification.schemas import Certificate
from certification.verification_controllers import view
from core import clock, exports
from core.auth.guards import admin_only, admin_or_auditor, requires
from core.auth.roles import Role
from core.errors import DomainError, FieldErrors, NotFound
from core.i18n import _
from core.nav import flash
from core.regions import region_choices, region_name
from core.vocab import Grade, choices
from core.web import Page, back_to, form_data, paging, submitted, who

T = TypeVar("T")

EXPORT_LIMIT = 20_000
registry_readers = requires(Role.ADMIN, Role.AUDITOR, Role.COURT, Role.MEDIATOR)
holders_and_staff = requires(Role.ADMIN, Role.AUDITOR, Role.MEDIATOR)
mediators_only = requires(Role.MEDIATOR)


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k: _(v) for k, v in rules.STATUS_LABELS.items()},
        "grade_labels": dict(choices(Grade)),
        "suspend_reasons": [(k, _(v)) for k, v in rules.SUSPEND_REASONS.items()],
        "revoke_reasons": [(k, _(v)) for k, v in rules.REVOKE_REASONS.items()],
    }


def _announcing(request: Request, message: Callable[[T], str], path: Callable[[T], str]) -> Callable[[T], str]:
    """`then` for submitted() when the message names what the service made (a number, a version)."""

    def then(result: T) -> str:
        flash(request, message(result), "ok")
        return path(result)

    return then


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
        if status and status not in rules.STATUSES:
            raise DomainError(_("Unknown status."), "status")
        if grade and grade not in {g.value for g in Grade}:
            raise DomainError(_("Unknown grade."), "grade")
        number, size = paging(page, page_size)
        found, total = await registry.registry(who(request), status=status, grade=grade, region=region,
                                               expiring_within=expiring_within, page=number, page_size=size)
        return Page([registry.item(c) for c in found], total, number, size).as_json()

    @get("/{certificate_no:str}", guards=[holders_and_staff], summary="One certificate")
    async def one(self, request: Request, certificate_no: FromPath[str]) -> CertificateItem:
        return registry.item(await registry.readable_certificate(who(request), certificate_no))

    @post("/{certificate_no:str}/revoke", guards=[admin_only], status_code=200, summary="Revoke (final)")
    async def revoke(self, request: Request, certificate_no: FromPath[str],
                     data: JSONBody[ReasonBody]) -> CertificateItem:
        return registry.item(await lifecycle.revoke(who(request), certificate_no, data.reason))

    @post("/{certificate_no:str}/suspend", guards=[admin_only], status_code=200, summary="Suspend with a reason")
    async def suspend(self, request: Request, certificate_no: FromPath[str],
                      data: JSONBody[ReasonBody]) -> CertificateItem:
        return registry.item(await lifecycle.suspend(who(request), certificate_no, data.reason))

    @post("/{certificate_no:str}/reinstate", guards=[admin_only], status_code=200,
          summary="Reinstate a suspended certificate")
    async def reinstate(self, request: Request, certificate_no: FromPath[str],
                        data: JSONBody[ReasonBody | None] = None) -> CertificateItem:
        return registry.item(await lifecycle.reinstate(who(request), certificate_no, data.reason if data else ""))

    @get("/{certificate_no:str}/image.png", guards=[holders_and_staff], summary="The certificate as PNG",
         media_type="image/png")
    async def image(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "png")

    @get("/{certificate_no:str}/document.pdf", guards=[holders_and_staff], summary="The certificate as PDF",
         media_type="application/pdf")
    async def document(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "pdf")


def _file(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-cache",
    })


async def _download(request: Request, certificate_no: str, kind: str) -> Response[bytes]:
    certificate = await registry.readable_certificate(who(request), certificate_no)
    png, pdf = await files.rendered_files(certificate)
    if kind == "png":
        return _file(png, "image/png", f"{certificate.certificate_no}.png")
    return _file(pdf, "application/pdf", f"{certificate.certificate_no}.pdf")


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


async def zip_stream(certificates: list[Certificate]) -> AsyncIterator[bytes]:
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED)
    for certificate in certificates:
        png, pdf = await files.rendered_files(certificate)
        issued = certificate.issued_on
        stamp = (issued.year, issued.month, issued.day, 0, 0, 0)
        for suffix, content in (("png", png), ("pdf", pdf)):
            archive.writestr(zipfile.ZipInfo(f"{certificate.certificate_no}.{suffix}", date_time=stamp), content)
        chunk = sink.take()
        if chunk:
            yield chunk
    archive.close()
    yield sink.take()


# --------------------------------------------------------------------------- administrators' pages
def _registry_query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _export_rows(certificates: list[Certificate]) -> list[list[Any]]:
    out = []
    for certificate in certificates:
        item = registry.item(certificate)
        out.append([item.certificate_no, item.holder_name, rules.grade_label(item.grade),
                    rules.status_label(item.status), item.region, item.issuer, certificate.issued_on,
                    certificate.expires_on, item.verify_url])  # dates as dates: date cells in XLSX
    return out


def _export_titles() -> list[str]:
    return [_("Certificate number"), _("Holder"), _("Grade"), _("Status"), _("Region"), _("Issuer"),
            _("Issued on"), _("Expires on"), _("Verification link")]


def _mediator_list(text: str) -> list[int]:
    return [int(x) for x in text.replace("，", ",").split(",") if x.strip().isdecimal()]


async def _issue_from_form(request: Request, data: dict[str, str]) -> Certificate:
    """The single issue form: a number that names nobody is the form's error, not a missing page."""
    try:
        mediator_id = int(data.get("mediator_id", ""))
    except ValueError:
        raise FieldErrors({"mediator_id": _("Enter the mediator's number (id).")}) from None
    try:
        return await issuing.issue_certificate(who(request), mediator_id, data.get("grade", ""))
    except NotFound as missing:
        raise FieldErrors({missing.field or "form": missing.message}) from None


async def _layout_from_form(request: Request, data: dict[str, str]) -> int:
    try:
        spec = json.loads(data.get("spec", ""))
    except ValueError:
        raise DomainError(_("The layout must be a JSON object."), "spec") from None
    return await layouts.save_layout(who(request), spec, data.get("note", ""))


def _default_layout() -> str:
    return json.dumps(render.DEFAULT_LAYOUT, ensure_ascii=False, indent=2)


class CertificateAdminController(Controller):
    path = "/admin/certificates"
    include_in_schema = False

    @get("/", guards=[admin_or_auditor])
    async def registry(self, request: Request, status: FromQuery[str] = "", grade: FromQuery[str] = "",
                       region: FromQuery[str] = "", expiring_within: FromQuery[int | None] = None,
                       sitting_id: FromQuery[int | None] = None, page: FromQuery[int] = 1) -> Template:
        number, size = paging(page, 30, 30)
        found, total = await registry.registry(who(request), status=status if status in rules.STATUSES else "",
                                               grade=grade, region=region, expiring_within=expiring_within,
                                               sitting_id=sitting_id, page=number, page_size=size)
        query = _registry_query(status=status, grade=grade, region=region, expiring_within=expiring_within,
                                sitting_id=sitting_id)
        return view("certification/admin_list.html", page=Page([registry.item(c) for c in found], total, number, size),
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
        found, _total = await registry.registry(who(request), status=status if status in rules.STATUSES else "",
                                                grade=grade, region=region, expiring_within=expiring_within, page=1,
                                                page_size=EXPORT_LIMIT)
        # the registry as it stands today: the file is named for the region filtered and the date
        table = exports.Table("certificates", _export_titles(), _export_rows(found))
        return exports.download(table, fmt, stem=_("Certificates"), ascii_stem="certificates",
                                qualifiers=[region if region_name(region) not in ("", region) else None,
                                            clock.today()])

    def _issue_page(self, form: dict[str, str], errors: dict[str, str], status_code: int = 200,
                    preview: issuing.BatchPreview | None = None) -> Template:
        return view("certification/issue.html", status_code=status_code, form=form, errors=errors, preview=preview,
                    grade_options=choices(Grade))

    @get("/issue", guards=[admin_only])
    async def issue_form(self) -> Template:
        return self._issue_page({}, {})

    @post("/issue", guards=[admin_only])
    async def issue(self, request: Request) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            return self._issue_page(data, errors)

        return await submitted(request, _issue_from_form(request, data), again=again, then=_announcing(
            request, lambda issued: _("Certificate %(no)s issued.", no=issued.certificate_no),
            lambda issued: f"/admin/certificates/{issued.certificate_no}"))

    @get("/batch", guards=[admin_only])
    async def batch_preview(self, request: Request, sitting_id: FromQuery[int | None] = None,
                            grade: FromQuery[str] = "", mediators: FromQuery[str] = "") -> Template:
        errors = {}
        preview = None
        try:
            preview = await issuing.batch_preview(who(request), sitting_id=sitting_id, grade=grade or None,
                                                  mediator_ids=_mediator_list(mediators))
        except DomainError as refused:
            errors[refused.field or "form"] = refused.message
        form = {"sitting_id": str(sitting_id or ""), "grade": grade, "mediators": mediators}
        return self._issue_page(form, errors, 400 if errors else 200, preview)

    @post("/batch", guards=[admin_only])
    async def batch_issue(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        sitting_id = int(data["sitting_id"]) if data.get("sitting_id", "").isdecimal() else None
        try:  # every refusal, a missing sitting included, is this form's error
            issued = await issuing.batch_issue(who(request), sitting_id=sitting_id, grade=data.get("grade") or None,
                                               mediator_ids=_mediator_list(data.get("mediators", "")))
        except DomainError as refused:
            return self._issue_page(data, {refused.field or "form": refused.message}, 400)
        flash(request, _("%(count)s certificates issued.", count=len(issued)), "ok")
        return back_to(f"/admin/certificates?sitting_id={sitting_id}" if sitting_id else "/admin/certificates")

    @get("/sitting/{sitting_id:int}/zip", guards=[admin_or_auditor])
    async def sitting_zip(self, request: Request, sitting_id: FromPath[int]) -> Stream:
        found, _total = await registry.registry(who(request), sitting_id=sitting_id, page=1, page_size=EXPORT_LIMIT)
        if not found:
            raise NotFound(_("No certificates of this sitting in your region."))
        return Stream(zip_stream(found), media_type="application/zip",
                      headers={"Content-Disposition": f'attachment; filename="certificates-sitting-{sitting_id}.zip"'})

    async def _detail(self, request: Request, certificate_no: str, errors: dict[str, str] | None = None,
                      status_code: int = 200) -> Template:
        certificate = await registry.certificate_for(who(request), certificate_no)
        previous = await registry.by_id(certificate.renewed_from_id) if certificate.renewed_from_id else None
        return view("certification/admin_detail.html", status_code=status_code, cert=registry.item(certificate),
                    history=await registry.history(certificate.id), successor=await registry.successor(certificate),
                    previous=previous, errors=errors or {},
                    can_act=who(request).can_act_in(certificate.region_code, Role.ADMIN),
                    status_note=certificate.status_note, **_labels())

    @get("/layouts", guards=[admin_only])
    async def layouts(self) -> Template:
        current = await layouts.layout_spec(await layouts.current_layout_version())
        return view("certification/layouts.html", layouts=await layouts.layouts(), errors={},
                    spec=json.dumps(current, ensure_ascii=False, indent=2), default=_default_layout())

    @post("/layouts", guards=[admin_only])
    async def save_layout(self, request: Request) -> Template | Redirect:
        data = await form_data(request)

        async def again(errors: dict[str, str]) -> Template:
            return view("certification/layouts.html", layouts=await layouts.layouts(),
                        errors={"spec": " ".join(errors.values())}, spec=data.get("spec", ""),
                        default=_default_layout())

        return await submitted(request, _layout_from_form(request, data), again=again, then=_announcing(
            request, lambda version: _("Layout version %(version)s saved; new certificates use it.", version=version),
            lambda _version: "/admin/certificates/layouts"))

    @get("/layouts/{version:int}/preview.png", guards=[admin_only])
    async def layout_preview(self, version: FromPath[int]) -> Response[bytes]:
        spec = await layouts.layout_spec(version)
        image = await asyncio.to_thread(render.draw_card, layouts.sample_card(), spec)
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

    async def _act(self, request: Request, certificate_no: str, action: str,
                   change: Callable[[str], Awaitable[Certificate]]) -> Template | Redirect:
        """A lifecycle form of the detail page; a refusal shows next to that form."""
        data = await form_data(request)
        reason = data.get("reason", "")
        if data.get("note") and reason == "other":
            reason = data["note"]

        async def again(errors: dict[str, str]) -> Template:
            return await self._detail(request, certificate_no, {action: " ".join(errors.values())}, status_code=400)

        if action == "renew":
            then: str | Callable[[Certificate], str] = _announcing(
                request, lambda new: _("Renewed: the successor is %(no)s.", no=new.certificate_no),
                lambda new: f"/admin/certificates/{new.certificate_no}")
            said = None
        else:
            then, said = f"/admin/certificates/{certificate_no}", _("Certificate updated.")
        return await submitted(request, change(reason), again=again, then=then, said=said)

    @post("/{certificate_no:str}/suspend", guards=[admin_only])
    async def suspend(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "suspend",
                               lambda reason: lifecycle.suspend(who(request), certificate_no, reason))

    @post("/{certificate_no:str}/reinstate", guards=[admin_only])
    async def reinstate(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "reinstate",
                               lambda reason: lifecycle.reinstate(who(request), certificate_no, reason))

    @post("/{certificate_no:str}/revoke", guards=[admin_only])
    async def revoke(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "revoke",
                               lambda reason: lifecycle.revoke(who(request), certificate_no, reason))

    @post("/{certificate_no:str}/renew", guards=[admin_only])
    async def renew(self, request: Request, certificate_no: FromPath[str]) -> Template | Redirect:
        return await self._act(request, certificate_no, "renew",
                               lambda _reason: lifecycle.renew(who(request), certificate_no))


class MyCertificatesController(Controller):
    path = "/my/certificates"
    include_in_schema = False

    @get("/", guards=[mediators_only])
    async def mine(self, request: Request) -> Template:
        found, _total = await registry.registry(who(request), mediator_only=True, page=1, page_size=100)
        items = []
        for certificate in found:
            item = registry.item(certificate)
            items.append({**dataclasses.asdict(item), "history": await registry.history(certificate.id),
                          "status_reason_label": rules.reason_label(item.status, certificate.status_reason)})
        return view("certification/mine.html", items=items, **_labels())

    @get("/{certificate_no:str}/image.png", guards=[mediators_only])
    async def image(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "png")

    @get("/{certificate_no:str}/document.pdf", guards=[mediators_only])
    async def document(self, request: Request, certificate_no: FromPath[str]) -> Response[bytes]:
        return await _download(request, certificate_no, "pdf")
