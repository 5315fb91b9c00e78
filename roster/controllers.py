"""Public roster pages and the public roster API (no sign-in, no personal data)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import clock, exports
from core.auth.guards import PUBLIC
from core.errors import FieldErrors, NotFound
from core.i18n import _
from core.nav import flash
from core.ratelimit import named_limit
from core.regions import region_choices, region_name
from core.vocab import Grade, MediatorStatus, OrganisationType, SourceCategory, choices
from core.web import Page, form_data, paging, render
from roster import public, public_notice
from roster import publication as publishing
from roster.publication import Publication


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def _filter_context() -> dict[str, Any]:
    return {
        "region_options": [(c, "　" * (level - 1) + n) for c, n, level in region_choices(max_level=3)],
        "source_options": choices(SourceCategory),
        "status_options": [(s, MediatorStatus(s).label) for s in public.PUBLIC_STATUSES],
        "type_options": choices(OrganisationType),
        "grade_options": choices(Grade),
        "source_labels": dict(choices(SourceCategory)),
        "grade_labels": dict(choices(Grade)),
        "certificate_labels": certificate_labels(),
    }


def certificate_labels() -> dict[str, str]:
    return {"valid": _("Valid"), "expired": _("Expired"), "suspended": _("Suspended"), "revoked": _("Revoked"),
            "renewed": _("Renewed")}


def _api_mediator(item: public.PublishedEntry) -> dict[str, Any]:
    return {k: getattr(item, k) for k in ("roster_no", "name", "organisation", "region", "region_name", "source_category",
                                 "employment", "grade", "certificate_status", "status")}


ORGANISATION_FIELDS = ("id", "name", "type", "region", "region_name", "address", "filing_no", "star_rating",
                       "gold_medal", "mediators")


async def _mediators_page(base: str, snapshot: Publication | None, region: str, q: str, source: str, status: str,
                          grade: str, page: int) -> Template:
    page, size = paging(page, 20)
    items, total = await public.public_mediators(region=region, q=q, source=source, status=status, grade=grade,
                                                 publication_id=snapshot.id if snapshot else None, page=page,
                                                 page_size=size)
    return render("roster/public_mediators.html", page=Page(items, total, page, size), base=base, snapshot=snapshot,
                  query=_query(region=region, q=q, source=source, status=status, grade=grade),
                  filters={"region": region, "q": q, "source": source, "status": status, "grade": grade},
                  published_on=await _published_day(snapshot, region),
                  **_filter_context())


async def _organisations_page(base: str, snapshot: Publication | None, region: str, q: str, type: str,  # noqa: A002
                              page: int) -> Template:
    page, size = paging(page, 20)
    items, total = await public.public_organisations(region=region, q=q, type=type, page=page, page_size=size,
                                                     publication_id=snapshot.id if snapshot else None)
    return render("roster/public_organisations.html", page=Page(items, total, page, size), base=base,
                  snapshot=snapshot, query=_query(region=region, q=q, type=type),
                  filters={"region": region, "q": q, "type": type},
                  published_on=await _published_day(snapshot, region),
                  **_filter_context())


async def _export(kind: str, fmt: str, snapshot: Publication | None, region: str, q: str, source: str,
                  status: str, grade: str, type: str) -> Response:  # noqa: A002
    """Exactly what the page with the same filters lists (every page of it), no personal data."""
    if kind not in ("mediators", "organisations") or fmt not in ("csv", "xlsx"):
        raise NotFound(_("Export mediators or organisations as csv or xlsx."))
    publication_id = snapshot.id if snapshot else None
    if kind == "mediators":
        items, _total = await public.public_mediators(region=region, q=q, source=source, status=status, grade=grade,
                                                      publication_id=publication_id, limit=public.EXPORT_LIMIT)
    else:
        items, _total = await public.public_organisations(region=region, q=q, type=type,
                                                          publication_id=publication_id, limit=public.EXPORT_LIMIT)
    # named for the roster's publication date (名册_350500_2026-12-05.xlsx), an earlier one's also by its number
    published_on = await _published_day(snapshot, region)
    qualifiers = [region if region_name(region) not in ("", region) else None, published_on,
                  _("publication %(id)s", id=snapshot.id) if snapshot else None]
    stem = _("Mediator roster") if kind == "mediators" else _("Organisation roster")
    return exports.download(public.export_table(kind, items, snapshot is not None), fmt, stem=stem,
                            ascii_stem=f"roster-{kind}" + (f"-publication-{snapshot.id}" if snapshot else ""),
                            qualifiers=qualifiers)


class PublicRosterController(Controller):
    path = "/roster"
    include_in_schema = False

    @get(["/", "/mediators"], opt=PUBLIC)
    async def mediators(self, region: FromQuery[str] = "", q: FromQuery[str] = "", source: FromQuery[str] = "",
                        status: FromQuery[str] = "", grade: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return await _mediators_page("/roster/mediators", None, region, q, source, status, grade, page)

    @get("/organisations", opt=PUBLIC)
    async def organisations(self, region: FromQuery[str] = "", q: FromQuery[str] = "", type: FromQuery[str] = "",  # noqa: A002
                            page: FromQuery[int] = 1) -> Template:
        return await _organisations_page("/roster/organisations", None, region, q, type, page)

    @get("/export/{kind:str}/{fmt:str}", opt=PUBLIC, middleware=named_limit("public_form"))
    async def export(self, kind: FromPath[str], fmt: FromPath[str], region: FromQuery[str] = "",
                     q: FromQuery[str] = "", source: FromQuery[str] = "", status: FromQuery[str] = "",
                     grade: FromQuery[str] = "", type: FromQuery[str] = "") -> Response:  # noqa: A002
        return await _export(kind, fmt, None, region, q, source, status, grade, type)

    @get("/publications", opt=PUBLIC)
    async def publications(self, region: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 20)
        rows, total = await publishing.publications(region, page, size)
        return render("roster/publications.html", page=Page(rows, total, page, size), filters={"region": region},
                      query=_query(region=region), **_filter_context())

    @get("/publications/{publication_id:int}", opt=PUBLIC)
    async def snapshot_mediators(self, publication_id: FromPath[int], region: FromQuery[str] = "",
                                 q: FromQuery[str] = "", source: FromQuery[str] = "", status: FromQuery[str] = "",
                                 grade: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        snapshot = await publishing.publication(publication_id)
        return await _mediators_page(f"/roster/publications/{publication_id}", snapshot, region, q, source, status,
                                     grade, page)

    @get("/publications/{publication_id:int}/organisations", opt=PUBLIC)
    async def snapshot_organisations(self, publication_id: FromPath[int], region: FromQuery[str] = "",
                                     q: FromQuery[str] = "", type: FromQuery[str] = "",  # noqa: A002
                                     page: FromQuery[int] = 1) -> Template:
        snapshot = await publishing.publication(publication_id)
        return await _organisations_page(f"/roster/publications/{publication_id}/organisations", snapshot, region,
                                         q, type, page)

    @get("/publications/{publication_id:int}/export/{kind:str}/{fmt:str}", opt=PUBLIC,
         middleware=named_limit("public_form"))
    async def snapshot_export(self, publication_id: FromPath[int], kind: FromPath[str], fmt: FromPath[str],
                              region: FromQuery[str] = "", q: FromQuery[str] = "", source: FromQuery[str] = "",
                              status: FromQuery[str] = "", grade: FromQuery[str] = "",
                              type: FromQuery[str] = "") -> Response:  # noqa: A002
        snapshot = await publishing.publication(publication_id)
        return await _export(kind, fmt, snapshot, region, q, source, status, grade, type)

    @get("/notice", opt=PUBLIC)
    async def notice(self, region: FromQuery[str] = "") -> Template:
        return render("roster/notice.html", candidates=await public_notice.on_notice(region), form={}, errors={},
                      source_labels=dict(choices(SourceCategory)))

    @post("/notice/{application_id:int}/objection", opt=PUBLIC, middleware=named_limit("public_form"))
    async def object_to(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await public_notice.lodge_objection(application_id, data.get("lodged_by", ""), data.get("text", ""))
        except FieldErrors as invalid:
            return render("roster/notice.html", status_code=400, candidates=await public_notice.on_notice(),
                          form={**data, "application_id": application_id}, errors=invalid.errors,
                          source_labels=dict(choices(SourceCategory)))
        flash(request, _("Your objection has been lodged; the administrator will decide it."), "ok")
        return Redirect(path="/roster/notice", status_code=303)


async def _published_day(snapshot: Publication | None, region: str) -> date | None:
    """The platform's date of the publication shown (the publications page dates it the same way)."""
    return clock.date_of(snapshot.published_at) if snapshot else await public.last_published_on(region)


async def _published_on(snapshot: Publication | None, region: str) -> str | None:
    day = await _published_day(snapshot, region)
    return day.isoformat() if day else None


class RosterApiController(Controller):
    path = "/api/v1/roster"
    tags = ["roster"]

    @get("/mediators", opt=PUBLIC, summary="The published roster of mediators (no personal data)",
         description="The current published entries, with the date the region was last published; `publication` "
                     "reads an earlier publication instead. `region` includes its subregions.")
    async def mediators(self, region: FromQuery[str] = "", q: FromQuery[str] = "", source: FromQuery[str] = "",
                        status: FromQuery[str] = "", grade: FromQuery[str] = "", page: FromQuery[int] = 1,
                        page_size: FromQuery[int] = 20, publication: FromQuery[int | None] = None) -> dict[str, Any]:
        page, size = paging(page, page_size)
        snapshot = await publishing.publication(publication) if publication is not None else None
        items, total = await public.public_mediators(region=region, q=q, source=source, status=status, grade=grade,
                                                     publication_id=publication, page=page, page_size=size)
        body = Page([_api_mediator(i) for i in items], total, page, size).as_json()
        body["published_on"] = await _published_on(snapshot, region)
        return body

    @get("/organisations", opt=PUBLIC, summary="The published roster of filed mediation organisations")
    async def organisations(self, region: FromQuery[str] = "", q: FromQuery[str] = "", type: FromQuery[str] = "",  # noqa: A002
                            page: FromQuery[int] = 1, page_size: FromQuery[int] = 20,
                            publication: FromQuery[int | None] = None) -> dict[str, Any]:
        page, size = paging(page, page_size)
        snapshot = await publishing.publication(publication) if publication is not None else None
        items, total = await public.public_organisations(region=region, q=q, type=type, publication_id=publication,
                                                         page=page, page_size=size)
        body = Page([{k: getattr(i, k) for k in ORGANISATION_FIELDS} for i in items], total, page, size).as_json()
        body["published_on"] = await _published_on(snapshot, region)
        return body

    @get("/publications", opt=PUBLIC, summary="Publications of the roster, latest first")
    async def publications(self, region: FromQuery[str] = "", page: FromQuery[int] = 1,
                           page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(page, page_size)
        rows, total = await publishing.publications(region, page, size)
        fields = ("id", "region_code", "region_name", "published_at", "mediators", "organisations", "mediators_added",
                  "mediators_removed", "organisations_added", "organisations_removed", "note")
        return Page([{k: getattr(r, k) for k in fields} for r in rows], total, page, size).as_json()
