"""The public roster (定期向社会公开): appointed and suspended mediators and filed
organisations, filtered and paginated, with no personal data. Exited mediators and
applicants never appear."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from core.db import contains
from core.i18n import _
from core.regions import region_like, region_name
from core.vocab import MediatorStatus, OrganisationType, SourceCategory
from roster.tables import Mediator, Membership, Organisation

PUBLIC_STATUSES = (MediatorStatus.APPOINTED.value, MediatorStatus.SUSPENDED.value)
EXPORT_LIMIT = 20000


async def _grades(mediator_ids: list[int]) -> dict[int, Any]:
    """Certificate standing per mediator, from certification (absent: no level shown)."""
    if not mediator_ids:
        return {}
    try:
        from certification import services as certification
    except ImportError:
        return {}
    standing = getattr(certification, "certificate_standing", None)
    return await standing(mediator_ids) if standing else {}


async def public_mediators(*, region: str = "", q: str = "", source: str = "", status: str = "",
                           organisation_id: int | None = None, page: int = 1, page_size: int = 20,
                           limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    where = Mediator.status.is_in(list(PUBLIC_STATUSES))
    if status:
        where = where & (Mediator.status == status) if status in PUBLIC_STATUSES else Mediator.id == -1
    if region:
        where = where & Mediator.region_code.like(region_like(region))
    if source:
        where = where & (Mediator.source_category == source)
    if q:
        where = where & (contains(Mediator.name, q) | contains(Mediator.roster_no, q))
    if organisation_id:
        members = Membership.select(Membership.mediator).where(
            (Membership.organisation == organisation_id) & Membership.left_on.is_null())
        where = where & Mediator.id.is_in([m["mediator"] for m in await members] or [0])
    total = await Mediator.count().where(where)
    query = Mediator.select(
        Mediator.id, Mediator.roster_no, Mediator.name, Mediator.region_code, Mediator.source_category,
        Mediator.employment, Mediator.status, Mediator.appointed_on, Mediator.term_ends_on,
    ).where(where).order_by(Mediator.roster_no)
    rows = await (query.limit(limit) if limit else query.offset((page - 1) * page_size).limit(page_size))
    ids = [r["id"] for r in rows]
    memberships = await Membership.select(
        Membership.mediator, Membership.organisation, Membership.organisation.name, Membership.primary
    ).where(Membership.mediator.is_in(ids or [0]) & Membership.left_on.is_null())
    orgs: dict[int, tuple[int, str]] = {}
    for m in sorted(memberships, key=lambda m: not m["primary"]):
        orgs.setdefault(m["mediator"], (m["organisation"], m["organisation.name"]))
    grades = await _grades(ids)
    items = []
    for r in rows:
        standing = grades.get(r["id"])
        items.append({
            "id": r["id"],
            "roster_no": r["roster_no"],
            "name": r["name"],
            "organisation": orgs.get(r["id"], (None, ""))[1],
            "organisation_id": orgs.get(r["id"], (None, ""))[0],
            "region": r["region_code"],
            "region_name": region_name(r["region_code"]),
            "source_category": r["source_category"],
            "employment": r["employment"],
            "grade": getattr(standing, "grade", None),
            "certificate_status": getattr(standing, "status", None),
            "status": r["status"],
            "term_ends_on": r["term_ends_on"],
        })
    return items, total


async def public_organisations(*, region: str = "", q: str = "", type: str = "",  # noqa: A002
                               page: int = 1, page_size: int = 20,
                               limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    where = Organisation.filing_status == "accepted"
    if region:
        where = where & Organisation.region_code.like(region_like(region))
    if type:
        where = where & (Organisation.type == type)
    if q:
        where = where & contains(Organisation.name, q)
    total = await Organisation.count().where(where)
    query = Organisation.select(
        Organisation.id, Organisation.name, Organisation.type, Organisation.region_code, Organisation.address,
        Organisation.filing_no, Organisation.founded_on, Organisation.star_rating, Organisation.gold_medal,
        Organisation.liaison_arbitrator,
    ).where(where).order_by(Organisation.region_code, Organisation.id)
    rows = await (query.limit(limit) if limit else query.offset((page - 1) * page_size).limit(page_size))
    ids = [r["id"] for r in rows]
    counts: dict[int, int] = {}
    if ids:
        members = await Membership.select(Membership.organisation, Membership.mediator.status).where(
            Membership.organisation.is_in(ids) & Membership.left_on.is_null())
        for m in members:
            if m["mediator.status"] in PUBLIC_STATUSES:
                counts[m["organisation"]] = counts.get(m["organisation"], 0) + 1
    for r in rows:
        r["region"] = r.pop("region_code")
        r["region_name"] = region_name(r["region"])
        r["mediators"] = counts.get(r["id"], 0)
    return rows, total


async def last_published_on() -> date | None:
    """The roster is published live; its date is the last change of a public record."""
    latest = []
    for table, where in ((Mediator, Mediator.status.is_in(list(PUBLIC_STATUSES) + ["exited"])),
                         (Organisation, Organisation.filing_status == "accepted")):
        row = await table.select(table.updated_at).where(where).order_by(table.updated_at, ascending=False).first()
        if row and row["updated_at"]:
            latest.append(row["updated_at"].date())
    return max(latest) if latest else None


MEDIATOR_COLUMNS = ("roster_no", "name", "organisation", "region_name", "source_category", "grade", "status")
ORGANISATION_COLUMNS = ("filing_no", "name", "type", "region_name", "address", "star_rating", "mediators")


def column_titles(kind: str) -> list[str]:
    titles = {
        "roster_no": _("Roster number"), "name": _("Name"), "organisation": _("Organisation"),
        "region_name": _("Region"), "source_category": _("Source category"), "grade": _("Certificate grade"),
        "status": _("Status"), "filing_no": _("Filing number"), "type": _("Type"), "address": _("Address"),
        "star_rating": _("Star rating"), "mediators": _("Mediators"),
    }
    return [titles[c] for c in (MEDIATOR_COLUMNS if kind == "mediators" else ORGANISATION_COLUMNS)]


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column == "source_category":
        return SourceCategory(value).label
    if column == "status":
        return MediatorStatus(value).label
    if column == "type":
        return OrganisationType(value).label
    if column == "grade":
        from core.vocab import Grade

        return Grade(value).label
    return value


def export_rows(kind: str, items: list[dict[str, Any]]) -> list[list[Any]]:
    columns = MEDIATOR_COLUMNS if kind == "mediators" else ORGANISATION_COLUMNS
    return [[_cell(c, item.get(c)) for c in columns] for item in items]


def to_csv(kind: str, items: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(column_titles(kind))
    writer.writerows(export_rows(kind, items))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM so Excel opens Chinese text right


def to_xlsx(kind: str, items: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append(column_titles(kind))
    for row in export_rows(kind, items):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
