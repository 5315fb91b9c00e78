"""Publishing the roster (名册公布): an administrator publishes the roster of their region and
everything below it as a dated snapshot; the public pages, the JSON API and the exports read
only the current entries (see `roster.public`).

- Publishing copies the current public rows set-based (INSERT ... SELECT, one transaction,
  audited) and marks them current, un-marking the entries they replace: the earlier entries of
  the same scope, and any earlier entry of a mediator or organisation now published again (so a
  mediator who moved city is never listed twice). Entries outside the scope stay current.
- New appointments and edits appear at the next publication. Leaving the roster does not
  wait: an exit withdraws the mediator's current entry at once, and a suspension or
  reinstatement changes the current entry's status at once (`follow_status_change`, called by
  the status transition in `roster.services`). Entries of superseded publications never change.
- A daily sweep step reminds a region's administrators, once per publication, when the region
  has changes unpublished for longer than `rules.publication_reminder_days`, or has public
  rows and has never been published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import engine, write_transaction
from core.errors import DomainError, NotFound
from core.i18n import _
from core.regions import region_name
from core.settings import get_settings
from roster.public import PUBLIC_STATUSES, publications_where, region_bounds, relevant_publications
from roster.tables import PublishedMediator, PublishedOrganisation, RosterPublication

NOTE_MAX = 500

_STATUSES_SQL = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)  # fixed codes, not user input


def _live_mediators(entries: bool) -> str:
    """FROM clause of the public mediators of a scope, each with their primary membership (else
    the earliest current one), ranked in one pass rather than looked up row by row; `entries`
    joins their current published entry. Parameters: low, high, [True,] low, high."""
    return (
        "FROM mediator m LEFT JOIN (SELECT ms.mediator, ms.organisation, o.name AS organisation_name, "
        'ROW_NUMBER() OVER (PARTITION BY ms.mediator ORDER BY ms."primary" DESC, ms.id) AS position '
        "FROM membership ms JOIN organisation o ON o.id = ms.organisation JOIN mediator mm ON mm.id = ms.mediator "
        "WHERE ms.left_on IS NULL AND mm.region_code >= {} AND mm.region_code < {}) p "
        "ON p.mediator = m.id AND p.position = 1 "
        + ("LEFT JOIN published_mediator e ON e.mediator_id = m.id AND e.is_current = {} " if entries else "")
        + f"WHERE m.status IN ({_STATUSES_SQL}) AND m.region_code >= {{}} AND m.region_code < {{}}"
    )


def _live_organisations(entries: bool) -> str:
    """FROM clause of the filed organisations of a scope with their count of public members.
    Parameters: low, high, [True,] low, high."""
    return (
        "FROM organisation o LEFT JOIN (SELECT ms.organisation, count(*) AS members FROM membership ms "
        "JOIN mediator m ON m.id = ms.mediator JOIN organisation oo ON oo.id = ms.organisation "
        f"WHERE ms.left_on IS NULL AND m.status IN ({_STATUSES_SQL}) AND oo.region_code >= {{}} "
        "AND oo.region_code < {} GROUP BY ms.organisation) c ON c.organisation = o.id "
        + ("LEFT JOIN published_organisation e ON e.organisation_id = o.id AND e.is_current = {} " if entries else "")
        + "WHERE o.filing_status = 'accepted' AND o.region_code >= {} AND o.region_code < {}"
    )


def _not_same() -> str:
    """Null-safe inequality on either engine."""
    return "IS DISTINCT FROM" if engine().engine_type == "postgres" else "IS NOT"


def _scope(region_code: str) -> tuple[str, str]:
    bounds = region_bounds(region_code)
    if bounds is None or not region_name(region_code) or region_name(region_code) == region_code:
        raise DomainError(_("Choose a region."), "region")
    return bounds


def _timestamp(value: Any) -> datetime | None:
    """MIN() of a timestamp comes back as text on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None  # an unreadable stamp: the reminder then counts from the last publication
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await RosterPublication.raw(sql, *args)


# --------------------------------------------------------------------------- preview
@dataclass(frozen=True)
class PublicationPreview:
    """What publishing a region now would change against its current entries."""

    region_code: str
    mediators: int
    organisations: int
    mediators_added: int
    mediators_changed: int
    mediators_removed: int
    organisations_added: int
    organisations_changed: int
    organisations_removed: int
    oldest_change: datetime | None  # when the oldest unpublished change was made (as far as known)
    last_publication: Publication | None  # the latest publication covering or inside the region

    @property
    def last_published_on(self) -> date | None:
        """The platform's date of the last publication, as the publications page dates it."""
        return clock.date_of(self.last_publication.published_at) if self.last_publication else None

    @property
    def pending(self) -> int:
        return (self.mediators_added + self.mediators_changed + self.mediators_removed + self.organisations_added
                + self.organisations_changed + self.organisations_removed)


async def preview_publication(region_code: str) -> PublicationPreview:
    """Five set-based queries whatever the size of the region."""
    low, high = _scope(region_code)
    differs = _not_same()
    mediator_differs = " OR ".join(f"e.{column} {differs} {live}" for column, live in (
        ("name", "m.name"), ("roster_no", "COALESCE(m.roster_no, '')"), ("region_code", "m.region_code"),
        ("source_category", "m.source_category"), ("employment", "m.employment"), ("status", "m.status"),
        ("organisation_id", "p.organisation"), ("organisation", "COALESCE(p.organisation_name, '')")))
    totals = ("SELECT count(*) AS total, SUM(CASE WHEN entry IS NULL THEN 1 ELSE 0 END) AS added, "
              "SUM(differs) AS changed, MIN(CASE WHEN entry IS NULL OR differs = 1 THEN updated_at END) AS oldest ")
    live = (await _raw(
        totals + "FROM (SELECT e.id AS entry, m.updated_at, "
        f"CASE WHEN e.id IS NOT NULL AND ({mediator_differs}) THEN 1 ELSE 0 END AS differs "
        f"{_live_mediators(entries=True)}) AS live", low, high, True, low, high))[0]
    gone = (await _raw(
        "SELECT count(*) AS removed, MIN((SELECT m.updated_at FROM mediator m WHERE m.id = e.mediator_id)) AS oldest "
        "FROM published_mediator e WHERE e.is_current = {} AND e.region_code >= {} AND e.region_code < {} "
        f"AND NOT EXISTS (SELECT 1 FROM mediator m WHERE m.id = e.mediator_id AND m.status IN ({_STATUSES_SQL}) "
        "AND m.region_code >= {} AND m.region_code < {})", True, low, high, low, high))[0]
    organisation_differs = " OR ".join(f"e.{column} {differs} o.{column}" for column in (
        "name", "type", "region_code", "address", "filing_no", "founded_on", "star_rating", "gold_medal"))
    orgs = (await _raw(
        totals + "FROM (SELECT e.id AS entry, o.updated_at, "
        f"CASE WHEN e.id IS NOT NULL AND ({organisation_differs} OR e.mediators <> COALESCE(c.members, 0)) "
        f"THEN 1 ELSE 0 END AS differs {_live_organisations(entries=True)}) AS live", low, high, True, low, high))[0]
    orgs_gone = (await _raw(
        "SELECT count(*) AS removed FROM published_organisation e WHERE e.is_current = {} AND e.region_code >= {} "
        "AND e.region_code < {} AND NOT EXISTS (SELECT 1 FROM organisation o WHERE o.id = e.organisation_id "
        "AND o.filing_status = 'accepted' AND o.region_code >= {} AND o.region_code < {})",
        True, low, high, low, high))[0]
    oldest = [t for t in (_timestamp(live["oldest"]), _timestamp(gone["oldest"]), _timestamp(orgs["oldest"])) if t]
    last = await relevant_publications(region_code).first()
    return PublicationPreview(
        region_code=region_code, mediators=live["total"] or 0, organisations=orgs["total"] or 0,
        mediators_added=live["added"] or 0, mediators_changed=live["changed"] or 0,
        mediators_removed=gone["removed"] or 0, organisations_added=orgs["added"] or 0,
        organisations_changed=orgs["changed"] or 0, organisations_removed=orgs_gone["removed"] or 0,
        oldest_change=min(oldest) if oldest else None, last_publication=_publication(last) if last else None)


# --------------------------------------------------------------------------- publishing
async def _lock_publications() -> None:
    """Two overlapping publications at once would both keep their entries current: serialise
    them on PostgreSQL (SQLite's immediate transaction already holds the write lock)."""
    from piccolo.querystring import QueryString

    if engine().engine_type == "postgres":
        await engine().run_querystring(QueryString("LOCK TABLE roster_publication IN SHARE ROW EXCLUSIVE MODE"))


async def _snapshot_grades(publication_id: int) -> None:
    """Each mediator's certificate grade and status as of publishing, asked of certification
    (roster.events): one update per (grade, status) pair and chunk of ids."""
    from core.db import chunks
    from roster.events import certificate_standing

    ids = [r["mediator_id"] for r in await PublishedMediator.select(PublishedMediator.mediator_id).where(
        PublishedMediator.publication == publication_id)]
    groups: dict[tuple[str, str], list[int]] = {}
    for mediator_id, standing in (await certificate_standing(ids)).items():
        groups.setdefault((standing.grade, standing.status), []).append(mediator_id)
    for (grade, status), members in groups.items():
        for part in chunks(sorted(members)):
            await PublishedMediator.update({PublishedMediator.grade: grade,
                                            PublishedMediator.certificate_status: status}).where(
                (PublishedMediator.publication == publication_id) & PublishedMediator.mediator_id.is_in(part))


async def publish(principal: Principal, region_code: str, note: str = "", at: datetime | None = None) -> int:
    """Publish the roster of `region_code` and below; answers the publication's id."""
    from core.auth.guards import require_staff_for_region

    low, high = _scope(region_code)
    require_staff_for_region(principal, region_code)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("The note is too long (%(max)s characters at most).", max=NOTE_MAX), "note")
    async with write_transaction():
        await _lock_publications()
        preview = await preview_publication(region_code)  # what this publication adds and removes
        counts = {"mediators": preview.mediators, "organisations": preview.organisations,
                  "mediators_added": preview.mediators_added, "mediators_removed": preview.mediators_removed,
                  "organisations_added": preview.organisations_added,
                  "organisations_removed": preview.organisations_removed}
        row = await RosterPublication.insert(RosterPublication(
            region_code=region_code, published_at=at or clock.now(), published_by=principal.user_id, note=note,
            mediators=preview.mediators, organisations=preview.organisations,
            mediators_added=preview.mediators_added, mediators_removed=preview.mediators_removed,
            organisations_added=preview.organisations_added, organisations_removed=preview.organisations_removed,
        )).returning(RosterPublication.id)
        publication_id = row[0]["id"]
        await _raw(
            "INSERT INTO published_mediator (publication, mediator_id, roster_no, name, organisation_id, organisation, "
            "region_code, source_category, employment, status, is_current) "
            "SELECT {}, m.id, COALESCE(m.roster_no, ''), m.name, p.organisation, COALESCE(p.organisation_name, ''), "
            f"m.region_code, m.source_category, m.employment, m.status, {{}} {_live_mediators(entries=False)}",
            publication_id, True, low, high, low, high)
        await _raw(
            "INSERT INTO published_organisation (publication, organisation_id, name, type, region_code, address, "
            "filing_no, founded_on, star_rating, gold_medal, mediators, is_current) "
            "SELECT {}, o.id, o.name, o.type, o.region_code, o.address, o.filing_no, o.founded_on, o.star_rating, "
            f"o.gold_medal, COALESCE(c.members, 0), {{}} {_live_organisations(entries=False)}",
            publication_id, True, low, high, low, high)
        await _snapshot_grades(publication_id)
        await _replace_current(publication_id, low, high)
        await audit.record(principal, "publish", "roster_publication", publication_id, region_code=region_code,
                           after={"region_code": region_code, **counts}, reason=note)
    return publication_id


async def _replace_current(publication_id: int, low: str, high: str) -> None:
    """Un-mark the entries the new ones replace: those of the scope, and elsewhere those of a
    mediator or organisation now published again (one who moved into the scope)."""
    for table, key in ((PublishedMediator, "mediator_id"), (PublishedOrganisation, "organisation_id")):
        name = table._meta.tablename
        await _raw(f"UPDATE {name} SET is_current = {{}} WHERE is_current = {{}} AND publication <> {{}} "
                   "AND region_code >= {} AND region_code < {}", False, True, publication_id, low, high)
        await _raw(f"UPDATE {name} SET is_current = {{}} WHERE is_current = {{}} AND publication <> {{}} "
                   f"AND (region_code < {{}} OR region_code >= {{}}) "
                   f"AND {key} IN (SELECT {key} FROM {name} WHERE publication = {{}})",
                   False, True, publication_id, low, high, publication_id)


# --------------------------------------------------------------------------- leaving the roster
async def follow_status_change(mediator_id: int, new_status: str, on: date, actor: Principal | None,
                               region_code: str) -> int:
    """Called inside the status transition's transaction. An exit withdraws the current entry;
    a suspension or reinstatement shows on it at once. Answers how many entries changed."""
    current = (PublishedMediator.mediator_id == mediator_id) & (PublishedMediator.is_current == True)  # noqa: E712
    if new_status == "exited":
        rows = await PublishedMediator.update({PublishedMediator.is_current: False,
                                               PublishedMediator.withdrawn_on: on}).where(current).returning(
            PublishedMediator.id)
        action = "withdraw_published_entry"
    elif new_status in PUBLIC_STATUSES:
        rows = await PublishedMediator.update({PublishedMediator.status: new_status}).where(
            current & (PublishedMediator.status != new_status)).returning(PublishedMediator.id)
        action = "update_published_entry"
    else:
        return 0
    if rows:
        await audit.record(actor, action, "mediator", mediator_id, region_code=region_code,
                           after={"entries": [r["id"] for r in rows], "status": new_status})
    return len(rows)


# --------------------------------------------------------------------------- reading publications
@dataclass(frozen=True, slots=True)
class Publication:
    """A publication of the roster of a region (and below) with what it added and removed."""

    id: int
    region_code: str
    region_name: str
    published_at: datetime
    published_by: int | None
    mediators: int
    organisations: int
    mediators_added: int
    mediators_removed: int
    organisations_added: int
    organisations_removed: int
    note: str


def _publication(row: dict[str, Any]) -> Publication:
    return Publication(**row, region_name=region_name(row["region_code"]))


async def publication(publication_id: int) -> Publication:
    row = await RosterPublication.select().where(RosterPublication.id == publication_id).first()
    if row is None:
        raise NotFound(_("No such publication."))
    return _publication(row)


async def publications(region: str = "", page: int = 1, page_size: int = 20) -> tuple[list[Publication], int]:
    """The publications list, latest first; with a region, those covering it or inside it."""
    count = RosterPublication.count().where(publications_where(region)) if region else RosterPublication.count()
    rows = await relevant_publications(region).offset((page - 1) * page_size).limit(page_size)
    return [_publication(row) for row in rows], await count


# --------------------------------------------------------------------------- reminders
async def _region_administrators() -> dict[str, list[int]]:
    """Active administrators by the region of their grant."""
    from core.tables import UserRole

    rows = await UserRole.select(UserRole.user, UserRole.region_code).where(
        (UserRole.role == Role.ADMIN.value) & (UserRole.user.is_active == True))  # noqa: E712
    found: dict[str, set[int]] = {}
    for row in rows:
        found.setdefault(row["region_code"], set()).add(row["user"])
    return {region: sorted(users) for region, users in found.items()}


def reminder_due(preview: PublicationPreview, at: datetime) -> bool:
    """Changes wait longer than `publication_reminder_days` since the later of the oldest
    change and the last publication; a region never published is due as soon as it has rows."""
    if not preview.pending:
        return False
    last = preview.last_publication
    if last is None:
        return True
    since = max(preview.oldest_change or last.published_at, last.published_at)
    return at - since > timedelta(days=get_settings().rules.publication_reminder_days)


async def remind_unpublished(at: datetime | None = None) -> int:
    """Daily sweep step: notify each region's administrators once per publication (the key
    names the region's last publication), so a second run changes nothing."""
    from core.notifications import Message, notify

    at = at or clock.now()
    days = get_settings().rules.publication_reminder_days
    messages = []
    for region, users in sorted((await _region_administrators()).items()):
        if region_bounds(region) is None or region_name(region) == region:
            continue  # not a region of the tree: nothing to publish there
        preview = await preview_publication(region)
        if not reminder_due(preview, at):
            continue
        last = preview.last_publication
        name = region_name(region)
        last_day = preview.last_published_on
        if last_day is None:
            body = _("The roster of %(region)s has never been published; %(count)s entries are ready to publish.",
                     region=name, count=preview.mediators + preview.organisations)
        else:
            body = _("The roster of %(region)s has had changes unpublished for more than %(days)s days "
                     "(%(count)s changes since it was last published on %(day)s).", region=name, days=days,
                     count=preview.pending, day=last_day.isoformat())
        for user_id in users:
            messages.append(Message(
                user_id=user_id, kind="roster_publication", subject=_("Publish the roster of %(region)s", region=name),
                body=body + " " + _("Publish it on the page “Publish the roster”."),
                dedupe_key=f"roster-publication:{region}:{last.id if last else 0}:{user_id}"))
    return await notify(messages)
