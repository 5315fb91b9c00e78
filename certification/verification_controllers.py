"""Public verification pages and API (the fixed public contract): by the QR code's token, by
certificate number and holder name, and the file check."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from certification import verification
from core.auth.guards import PUBLIC
from core.errors import NotFound
from core.i18n import _
from core.ratelimit import named_limit
from core.web import FormTemplate, PlatformResponse, form_data

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def view(template: str, status_code: int = 200, **context: Any) -> Template:
    """A page that must never be cached (a revocation shows on the very next request)."""
    return FormTemplate(template_name=template, context=context, status_code=status_code, headers=NO_STORE)


def _roster_status_label(code: str) -> str:
    from core.vocab import MediatorStatus

    try:
        return MediatorStatus(code).label
    except ValueError:
        return code or _("Not on the roster")


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
                result = await verification.verify_by_number(data["certificate_no"], data["holder_name"])
            except NotFound as missing:
                errors["form"] = missing.message
        status = 400 if errors and "form" not in errors else 404 if errors else 200
        return view("certification/verify.html", status_code=status, form=data, errors=errors, result=result,
                    file_result=None, file_checked=False, roster_status_label=_roster_status_label(
                        result.roster_status) if result else "")

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
        result = None if errors else await verification.verify_file(content)
        return view("certification/verify.html", status_code=400 if errors else 200, form={}, errors=errors,
                    result=None, file_result=result, file_checked=not errors,
                    roster_status_label=_roster_status_label(result.roster_status) if result else "")

    @get("/{token:str}", opt=PUBLIC, middleware=named_limit("verify"))
    async def by_token(self, token: FromPath[str]) -> Template:
        try:
            result = await verification.verify_token(token)
        except NotFound:
            return view("certification/not_found.html", status_code=404)
        return view("certification/verified.html", result=result,
                    roster_status_label=_roster_status_label(result.roster_status))


class VerifyApiController(Controller):
    path = "/api/v1/verify"
    tags = ["certificates"]

    @get("/{token:str}", opt=PUBLIC, middleware=named_limit("verify"),
         summary="Verify a certificate by the token of its QR code (404 when unknown or altered)")
    async def verify(self, token: FromPath[str]) -> Response[dict[str, Any]]:
        result = await verification.verify_token(token, via="api")
        # The contract's answer: the view's fields in their order, without the `verify_url` the
        # number and file checks show (the caller came through it).
        answer = {key: value for key, value in dataclasses.asdict(result).items() if key != "verify_url"}
        return PlatformResponse(answer, headers=NO_STORE)
