"""Public roster pages and the public roster API (no sign-in, no personal data)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.auth.guards import PUBLIC
from core.errors import FieldErrors, NotFound
from core.i18n import _
from core.nav import flash
from core.ratelimit import named_limit
from core.regions import region_choices
from core.vocab import Grade, MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import Page, form_data, paging, render
from roster import public, recruitment


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def _filter_context() -> dict[str, Any]:
    return {
        "region_options": [(c, "　" * (level - 1) + n) for c, n, level in region_choices(max_level=3)],
        "source_options": choices(SourceCategory),
        "status_options": [(s, MediatorStatus(s).label) for s in public.PUBLIC_STATUSES],
        "type_options": choices(OrganisationType),
        "source_labels": dict(choices(SourceCategory)),
        "grade_labels": dict(choices(Grade)),
        "certificate_labels": certificate_labels(),
    }


def certificate_labels() -> dict[str, str]:
    return {"valid": _("Valid"), "expired": _("Expired"), "suspended": _("Suspended"), "revoked": _("Revoked"),
            "renewed": _("Renewed")}


def _api_mediator(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("roster_no", "name", "organisation", "region", "region_name", "source_category",
                                 "employment", "grade", "certificate_status", "status")}


class PublicRosterController(Controller):
    path = "/roster"
    include_in_schema = False

    @get(["/", "/mediators"], opt=PUBLIC)
    async def mediators(self, region: FromQuery[str] = "", q: FromQuery[str] = "", source: FromQuery[str] = "",
                        status: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 20)
        items, total = await public.public_mediators(region=region, q=q, source=source, status=status, page=page,
                                                     page_size=size)
        query = _query(region=region, q=q, source=source, status=status)
        return render("roster/public_mediators.html", page=Page(items, total, page, size), query=query,
                      filters={"region": region, "q": q, "source": source, "status": status},
                      published_on=await public.last_published_on(), **_filter_context())

    @get("/organisations", opt=PUBLIC)
    async def organisations(self, region: FromQuery[str] = "", q: FromQuery[str] = "", type: FromQuery[str] = "",  # noqa: A002
                            page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 20)
        items, total = await public.public_organisations(region=region, q=q, type=type, page=page, page_size=size)
        return render("roster/public_organisations.html", page=Page(items, total, page, size),
                      query=_query(region=region, q=q, type=type),
                      filters={"region": region, "q": q, "type": type},
                      published_on=await public.last_published_on(), **_filter_context())

    @get("/export/{kind:str}/{fmt:str}", opt=PUBLIC, middleware=named_limit("public_form"))
    async def export(self, kind: FromPath[str], fmt: FromPath[str], region: FromQuery[str] = "",
                     q: FromQuery[str] = "", source: FromQuery[str] = "", status: FromQuery[str] = "",
                     type: FromQuery[str] = "") -> Response:  # noqa: A002
        if kind not in ("mediators", "organisations") or fmt not in ("csv", "xlsx"):
            raise NotFound(_("Export mediators or organisations as csv or xlsx."))
        if kind == "mediators":
            items, _total = await public.public_mediators(region=region, q=q, source=source, status=status,
                                                          limit=public.EXPORT_LIMIT)
        else:
            items, _total = await public.public_organisations(region=region, q=q, type=type,
                                                              limit=public.EXPORT_LIMIT)
        body = public.to_csv(kind, items) if fmt == "csv" else public.to_xlsx(kind, items)
        media = "text/csv; charset=utf-8" if fmt == "csv" else (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="roster-{kind}.{fmt}"'})

    @get("/notice", opt=PUBLIC)
    async def notice(self, region: FromQuery[str] = "") -> Template:
        return render("roster/notice.html", candidates=await recruitment.on_notice(region), form={}, errors={},
                      source_labels=dict(choices(SourceCategory)))

    @post("/notice/{application_id:int}/objection", opt=PUBLIC, middleware=named_limit("public_form"))
    async def object_to(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await recruitment.lodge_objection(application_id, data.get("lodged_by", ""), data.get("text", ""))
        except FieldErrors as invalid:
            return render("roster/notice.html", status_code=400, candidates=await recruitment.on_notice(),
                          form={**data, "application_id": application_id}, errors=invalid.errors,
                          source_labels=dict(choices(SourceCategory)))
        flash(request, _("Your objection has been lodged; the administrator will decide it."), "ok")
        return Redirect(path="/roster/notice", status_code=303)


class RosterApiController(Controller):
    path = "/api/v1/roster"
    tags = ["roster"]

    @get("/mediators", opt=PUBLIC, summary="The public roster of mediators (no personal data)")
    async def mediators(self, region: FromQuery[str] = "", q: FromQuery[str] = "", source: FromQuery[str] = "",
                        status: FromQuery[str] = "", page: FromQuery[int] = 1,
                        page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(page, page_size)
        items, total = await public.public_mediators(region=region, q=q, source=source, status=status, page=page,
                                                     page_size=size)
        return Page([_api_mediator(i) for i in items], total, page, size).as_json()

    @get("/organisations", opt=PUBLIC, summary="The public roster of filed mediation organisations")
    async def organisations(self, region: FromQuery[str] = "", q: FromQuery[str] = "", type: FromQuery[str] = "",  # noqa: A002
                            page: FromQuery[int] = 1, page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(page, page_size)
        items, total = await public.public_organisations(region=region, q=q, type=type, page=page, page_size=size)
        fields = ("id", "name", "type", "region", "region_name", "address", "filing_no", "star_rating", "gold_medal",
                  "mediators")
        return Page([{k: i[k] for k in fields} for i in items], total, page, size).as_json()
