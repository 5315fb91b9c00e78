"""The public roster (定期向社会公开): what the public pages, the JSON API and the exports show.
They read the entries of the published roster (`roster.publication`): the current entries, or
those of one earlier publication by id; never the live tables. Appointed and suspended
mediators and filed organisations only; no personal data (the entry tables have no such column).

A page is three queries whatever the page, its size or the region: two for the total and the
page's rows, both reading a composite index (the region as a range of codes, the name search,
the filters and the roster number are all in it, so no table row is read but the page's own; see
`_paged`), and one for the date the region was last published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from core import clock
from core.db import contains
from core.exports import Table
from core.i18n import _
from core.regions import region_name, region_prefix
from core.vocab import MediatorStatus, OrganisationType, SourceCategory
from roster.tables import (
    Mediator,
    Membership,
    PublishedMediator,
    PublishedOrganisation,
    RosterPublication,
)

PUBLIC_STATUSES = (MediatorStatus.APPOINTED.value, MediatorStatus.SUSPENDED.value)
EXPORT_LIMIT = 20000


def region_bounds(code: str) -> tuple[str, str] | None:
    """A region and everything below it as the code range [low, high). GB/T 2260 codes are
    digits, so the prefix is a range any B-tree index scans (a `LIKE 'prefix%'` is not
    indexable on SQLite, whose LIKE ignores case, nor on PostgreSQL outside the C collation)."""
    prefix = region_prefix((code or "").strip())
    if not (prefix.isascii() and prefix.isdecimal()):
        return None
    high = str(int(prefix) + 1).zfill(len(prefix))
    return prefix, high if len(high) == len(prefix) else prefix + "A"


def in_region(column, code: str):
    bounds = region_bounds(code)
    if bounds is None:
        return column == code  # not a region code: matches nothing
    return (column >= bounds[0]) & (column < bounds[1])


def region_ancestors(code: str) -> list[str]:
    """350504 → 350000, 350500, 350504 (and the township above a village code)."""
    prefix = region_prefix(code)
    out = [prefix[:2] + "0000"]
    if len(prefix) >= 4:
        out.append(prefix[:4] + "00")
    if len(prefix) >= 6:
        out.append(prefix[:6])
    if len(prefix) >= 9:
        out.append(prefix[:9] + "000")
    if len(prefix) == 12:
        out.append(prefix)
    return sorted(set(out))


def publications_where(region: str):
    """Publications whose scope covers `region` (it or a region above it) or lies inside it."""
    return RosterPublication.region_code.is_in(region_ancestors(region)) | in_region(RosterPublication.region_code,
                                                                                    region)


def relevant_publications(region: str = ""):
    query = RosterPublication.select().order_by(RosterPublication.published_at, ascending=False).order_by(
        RosterPublication.id, ascending=False)
    return query.where(publications_where(region)) if region else query


async def last_published_on(region: str = "") -> date | None:
    """The date the roster of `region` (or of anywhere, without one) was last published."""
    row = await relevant_publications(region).first()
    return clock.date_of(row["published_at"]) if row else None


def _search(entry, q: str):
    """Roster numbers are digits and names never are: search the one column the text can match."""
    q = q.strip()
    return contains(entry.roster_no, q) if q.isdecimal() else contains(entry.name, q)


def _mediators_where(*, region: str, q: str, source: str, status: str, grade: str, publication_id: int | None):
    entry = PublishedMediator
    where: Combinable = (entry.publication == publication_id) if publication_id else (entry.is_current == True)  # noqa: E712
    if status:
        where = where & (entry.status == status) if status in PUBLIC_STATUSES else entry.id == -1
    if region:
        where = where & in_region(entry.region_code, region)
    if source:
        where = where & (entry.source_category == source)
    if grade:
        where = where & (entry.grade == grade)
    if q.strip():
        where = where & _search(entry, q)
    return where


async def _paged(entry, where, order: tuple, columns: tuple, page: int, page_size: int, limit: int | None,
                 searched: bool) -> tuple[list[dict[str, Any]], int]:
    """The page's rows and the total in two queries whatever the page, its size or the region,
    both reading the composite index until the page's own rows.

    With a name search the scan tests every entry of the region anyway, so one scan gives the
    page's ids and the total (a window count), then the rows by id. Without one, the count and
    the page (ids picked by a subquery, in the index's order) are separate: a window count there
    would sort every current entry. Exports (`limit`) read every matching row in page order."""
    if limit:
        return (await entry.select(*columns).where(where).order_by(*order).limit(limit),
                await entry.count().where(where))
    offset = (page - 1) * page_size
    if searched:
        found = await entry.select(entry.id, QueryString("COUNT(*) OVER ()", alias="total")).where(where).order_by(
            *order).offset(offset).limit(page_size)
        if not found:  # nothing matches, or the page lies past the end (then count what does)
            return [], (await entry.count().where(where) if page > 1 else 0)
        rows = await entry.select(*columns).where(entry.id.is_in([r["id"] for r in found])).order_by(*order)
        return rows, found[0]["total"]
    total = await entry.count().where(where)
    ids = entry.select(entry.id).where(where).order_by(*order).offset(offset).limit(page_size)
    return (await entry.select(*columns).where(entry.id.is_in(ids)).order_by(*order) if total else []), total


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    """A mediator's entry on the published roster: public columns only, no personal data."""

    roster_no: str
    name: str
    organisation: str
    organisation_id: int | None
    region: str
    region_name: str
    source_category: str
    employment: str
    grade: str | None
    certificate_status: str | None
    status: str
    withdrawn_on: date | None  # withdrawn since this publication (an exit)


@dataclass(frozen=True, slots=True)
class PublishedOrganisationEntry:
    """An organisation's entry on the published roster (no contact data)."""

    id: int
    name: str
    type: str
    region: str
    region_name: str
    address: str
    filing_no: str | None
    founded_on: date | None
    star_rating: int | None
    gold_medal: bool
    mediators: int


@dataclass(frozen=True, slots=True)
class Member:
    """A current appointed or suspended member, as the organisation's staff see it (live)."""

    id: int
    roster_no: str | None
    name: str
    region_code: str
    region_name: str
    source_category: str
    employment: str
    status: str
    term_ends_on: date | None


def _in_region(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its region as the public roster names it (code and name)."""
    code = row.pop("region_code")
    return {**row, "region": code, "region_name": region_name(code)}


async def public_mediators(*, region: str = "", q: str = "", source: str = "", status: str = "", grade: str = "",
                           publication_id: int | None = None, page: int = 1, page_size: int = 20,
                           limit: int | None = None) -> tuple[list[PublishedEntry], int]:
    """Current entries, or one publication's (`publication_id`), filtered, in roster-number order."""
    entry = PublishedMediator
    where = _mediators_where(region=region, q=q, source=source, status=status, grade=grade,
                             publication_id=publication_id)
    rows, total = await _paged(entry, where, (entry.roster_no, entry.id), (
        entry.roster_no, entry.name, entry.organisation, entry.organisation_id, entry.region_code,
        entry.source_category, entry.employment, entry.grade, entry.certificate_status, entry.status,
        entry.withdrawn_on), page, page_size, limit, bool(q.strip()))
    return [PublishedEntry(**_in_region(row)) for row in rows], total


async def public_organisations(*, region: str = "", q: str = "", type: str = "",  # noqa: A002
                               publication_id: int | None = None, page: int = 1, page_size: int = 20,
                               limit: int | None = None) -> tuple[list[PublishedOrganisationEntry], int]:
    entry = PublishedOrganisation
    where: Combinable = (entry.publication == publication_id) if publication_id else (entry.is_current == True)  # noqa: E712
    if region:
        where = where & in_region(entry.region_code, region)
    if type:
        where = where & (entry.type == type)
    if q.strip():
        where = where & contains(entry.name, q.strip())
    rows, total = await _paged(entry, where, (entry.region_code, entry.organisation_id, entry.id), (
        entry.organisation_id.as_alias("id"), entry.name, entry.type, entry.region_code, entry.address,
        entry.filing_no, entry.founded_on, entry.star_rating, entry.gold_medal, entry.mediators),
        page, page_size, limit, bool(q.strip()))
    return [PublishedOrganisationEntry(**_in_region(row)) for row in rows], total


async def organisation_members(organisation_id: int, limit: int = 500) -> list[Member]:
    """Staff view: the organisation's current appointed and suspended members, live."""
    members = Membership.select(Membership.mediator).where(
        (Membership.organisation == organisation_id) & Membership.left_on.is_null())
    rows = await Mediator.select(
        Mediator.id, Mediator.roster_no, Mediator.name, Mediator.region_code, Mediator.source_category,
        Mediator.employment, Mediator.status, Mediator.term_ends_on,
    ).where(Mediator.status.is_in(list(PUBLIC_STATUSES)) & Mediator.id.is_in(members)).order_by(
        Mediator.roster_no).limit(limit)
    return [Member(**row, region_name=region_name(row["region_code"])) for row in rows]


MEDIATOR_COLUMNS = ("roster_no", "name", "organisation", "region_name", "source_category", "grade", "status")
ORGANISATION_COLUMNS = ("filing_no", "name", "type", "region_name", "address", "star_rating", "mediators")


def export_columns(kind: str, snapshot: bool = False) -> tuple[str, ...]:
    """An earlier publication's export also says which entries were withdrawn since (exits)."""
    if kind == "mediators":
        return MEDIATOR_COLUMNS + (("withdrawn_on",) if snapshot else ())
    return ORGANISATION_COLUMNS


def column_titles(kind: str, snapshot: bool = False) -> list[str]:
    titles = {
        "roster_no": _("Roster number"), "name": _("Name"), "organisation": _("Organisation"),
        "region_name": _("Region"), "source_category": _("Source category"), "grade": _("Certificate grade"),
        "status": _("Status"), "filing_no": _("Filing number"), "type": _("Type"), "address": _("Address"),
        "star_rating": _("Star rating"), "mediators": _("Mediators"), "withdrawn_on": _("Withdrawn on"),
    }
    return [titles[c] for c in export_columns(kind, snapshot)]


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
    return value  # core.exports keeps dates and numbers as such and neutralises formula-like text


def export_rows(kind: str, items: Sequence[PublishedEntry | PublishedOrganisationEntry],
                snapshot: bool = False) -> list[list[Any]]:
    columns = export_columns(kind, snapshot)
    return [[_cell(c, getattr(item, c)) for c in columns] for item in items]


def export_table(kind: str, items: Sequence[PublishedEntry | PublishedOrganisationEntry],
                 snapshot: bool = False) -> Table:
    return Table(kind, column_titles(kind, snapshot), export_rows(kind, items, snapshot))
